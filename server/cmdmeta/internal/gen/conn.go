package main

import (
	"bufio"
	"fmt"
	"net"
	"strconv"

	"github.com/slotdb/slotdb/server/resp"
)

// client is one connection to the reference redis-server.
type client struct {
	c net.Conn
	r replyReader
}

func dial(addr string, proto int) (*client, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	cl := &client{c: c, r: replyReader{br: bufio.NewReaderSize(c, 1<<20)}}
	if proto == 3 {
		if _, _, err := cl.do("HELLO", "3"); err != nil {
			c.Close()
			return nil, err
		}
	}
	return cl, nil
}

// do sends argv and returns the parsed reply and its raw bytes.
func (cl *client) do(argv ...string) (resp.Value, []byte, error) {
	b := []byte("*" + strconv.Itoa(len(argv)) + "\r\n")
	for _, a := range argv {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	if _, err := cl.c.Write(b); err != nil {
		return resp.Value{}, nil, err
	}
	v, err := cl.r.next()
	if err != nil {
		return resp.Value{}, nil, fmt.Errorf("%v: %w", argv, err)
	}
	return v, append([]byte(nil), cl.r.raw.Bytes()...), nil
}
