//go:build linux

package server

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// watchPeer notices a blocked client's disconnection, as Redis's event loop keeps reading a
// blocked client: a peer that closes is freed and leaves the queues. It peeks at the socket
// without consuming anything, so commands pipelined behind the blocking one stay for after
// the wait; once such data is pending it polls for the peer's hang-up (POLLRDHUP) instead.
// It returns a function that stops the watch and waits for it to end.
func (c *Client) watchPeer() func() {
	sc, ok := c.conn.(syscall.Conn)
	if !ok {
		return func() {}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	done, stop := make(chan struct{}), make(chan struct{})
	var stopping atomic.Bool
	go func() {
		defer close(done)
		var buf [1]byte
		var n int
		var rerr error
		err := raw.Read(func(fd uintptr) bool {
			n, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			return rerr != syscall.EAGAIN && rerr != syscall.EINTR
		})
		if err != nil || stopping.Load() {
			return // stopped by the deadline, or the connection is closed
		}
		if n == 0 || rerr != nil {
			c.close()
			return
		}
		// Data is pending: a hang-up behind it shows only to poll.
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			hup := false
			if raw.Control(func(fd uintptr) { hup = peerHungUp(fd) }) != nil || hup {
				c.close()
				return
			}
		}
	}()
	return func() {
		stopping.Store(true)
		close(stop)
		c.conn.SetReadDeadline(time.Unix(1, 0))
		<-done
		c.conn.SetReadDeadline(time.Time{})
	}
}

// peerHungUp polls fd without waiting for a hang-up or an error.
func peerHungUp(fd uintptr) bool {
	const pollErr, pollHup, pollRdHup = 0x8, 0x10, 0x2000
	p := struct {
		fd              int32
		events, revents int16
	}{fd: int32(fd), events: pollRdHup}
	var ts syscall.Timespec
	n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	return errno == 0 && n == 1 && p.revents&(pollErr|pollHup|pollRdHup) != 0
}
