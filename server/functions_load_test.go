package server_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// TestReplicaLoadsMasterFunctions: a slotdb replica of a real redis-server 7.0.15 gets the
// master's function libraries with the full sync's RDB (FUNCTION2 records).
func TestReplicaLoadsMasterFunctions(t *testing.T) {
	m := proctest.StartRedis(t)
	mc := m.Dial(t)
	code := "#!lua name=mylib\nredis.register_function('myecho', function(keys, args) return args[1] end)"
	if got, err := mc.Do("FUNCTION", "LOAD", code); err != nil || string(got) != "$5\r\nmylib\r\n" {
		t.Fatalf("FUNCTION LOAD on the master = %q, %v", got, err)
	}
	r := proctest.StartSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	rc := r.Dial(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := rc.Do("FUNCTION", "LIST", "WITHCODE")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(got), "redis.register_function('myecho'") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica never listed the master's library: %q\n%s", got, r.LogTail(2048))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
