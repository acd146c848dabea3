package server_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
	"github.com/slotdb/slotdb/script"
)

func sdo(t *testing.T, c *proctest.Conn, args ...string) string {
	t.Helper()
	b, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return string(b)
}

func sexpect(t *testing.T, c *proctest.Conn, want string, args ...string) {
	t.Helper()
	if got := sdo(t, c, args...); got != want {
		t.Fatalf("%q:\n got %q\nwant %q", args, got, want)
	}
}

// Libraries are kept in the store: a restart serves them again, and a deletion sticks.
func TestFunctionsSurviveRestart(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	c := srv.Dial(t)
	code := "#!lua name=keep\nredis.register_function{function_name='kf', callback=function(keys, args) return {keys[1], args[1]} end, flags={'no-writes'}, description='kept'}"
	sexpect(t, c, "$4\r\nkeep\r\n", "FUNCTION", "LOAD", code)
	list := sdo(t, c, "FUNCTION", "LIST", "WITHCODE")
	dump := sdo(t, c, "FUNCTION", "DUMP")

	srv.Restart()
	c = srv.Dial(t)
	sexpect(t, c, "*2\r\n$1\r\nk\r\n$1\r\na\r\n", "FCALL_RO", "kf", "1", "k", "a")
	sexpect(t, c, list, "FUNCTION", "LIST", "WITHCODE")
	sexpect(t, c, dump, "FUNCTION", "DUMP")
	sexpect(t, c, "+OK\r\n", "FUNCTION", "DELETE", "keep")

	srv.Restart()
	c = srv.Dial(t)
	sexpect(t, c, "-ERR Function not found\r\n", "FCALL", "kf", "0")
	sexpect(t, c, "+OK\r\n", "FUNCTION", "RESTORE", strings.TrimSuffix(strings.SplitN(dump, "\r\n", 2)[1], "\r\n"))
	sexpect(t, c, "*2\r\n$1\r\nk\r\n$1\r\na\r\n", "FCALL", "kf", "1", "k", "a")
}

// A looping read-only script makes other clients get BUSY once it passes
// busy-reply-threshold; allow-busy commands still run; SCRIPT KILL stops it; a script that
// wrote cannot be killed.
func TestScriptKillBusy(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	c1, c2 := srv.Dial(t), srv.Dial(t)
	sexpect(t, c1, "+OK\r\n", "CONFIG", "SET", "busy-reply-threshold", "50")

	body := "local i = 0 while true do i = i + 1 end"
	if err := c2.Send("EVAL", body, "0"); err != nil {
		t.Fatal(err)
	}
	waitBusy(t, c1)
	stats := sdo(t, c1, "FUNCTION", "STATS")
	if !strings.Contains(stats, script.SHA1Hex([]byte(body))) {
		t.Fatalf("FUNCTION STATS while busy does not name the script: %q", stats)
	}
	sexpect(t, c1, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", "FUNCTION", "KILL")
	sexpect(t, c1, "+OK\r\n", "SCRIPT", "KILL")
	got, err := c2.ReadReply()
	if err != nil {
		t.Fatal(err)
	}
	want := "-ERR Script killed by user with SCRIPT KILL... script: " + script.SHA1Hex([]byte(body)) + ", on @user_script:1.\r\n"
	if string(got) != want {
		t.Fatalf("killed script replied %q, want %q", got, want)
	}
	sexpect(t, c1, "+PONG\r\n", "PING")
	sexpect(t, c1, "-NOTBUSY No scripts in execution right now.\r\n", "SCRIPT", "KILL")

	// A script that wrote runs to its end.
	dirty := "redis.call('set', 'dirty', 'yes') local s = redis.call('time') " +
		"while true do local n = redis.call('time') if (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 400000 then break end end return 'finished'"
	if err := c2.Send("EVAL", dirty, "0"); err != nil {
		t.Fatal(err)
	}
	waitBusy(t, c1)
	sexpect(t, c1, "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n", "SCRIPT", "KILL")
	got, err = c2.ReadReply()
	if err != nil || string(got) != "$8\r\nfinished\r\n" {
		t.Fatalf("dirty script replied %q, %v", got, err)
	}
	sexpect(t, c1, "$3\r\nyes\r\n", "GET", "dirty")
}

// waitBusy polls with PING until the server answers BUSY.
func waitBusy(t *testing.T, c *proctest.Conn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r := sdo(t, c, "PING")
		if strings.HasPrefix(r, "-BUSY ") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the server never answered BUSY")
}

// A script is atomic: readers never see the counter between two of its increments.
func TestScriptAtomic(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	c := srv.Dial(t)
	const per = 200
	body := "for i = 1, " + strconv.Itoa(per) + " do redis.call('incr', KEYS[1]) end return redis.call('get', KEYS[1])"
	var wg sync.WaitGroup
	stop := make(chan struct{})
	bad := make(chan string, 1)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := proctest.Dial(srv.Addr())
			if err != nil {
				bad <- err.Error()
				return
			}
			defer r.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				b, err := r.Do("GET", "ctr")
				if err != nil {
					bad <- err.Error()
					return
				}
				s := string(b)
				if s == "$-1\r\n" {
					continue
				}
				n, _ := strconv.Atoi(strings.Split(s, "\r\n")[1])
				if n%per != 0 {
					select {
					case bad <- "reader saw " + s:
					default:
					}
					return
				}
			}
		}()
	}
	for i := 1; i <= 20; i++ {
		want := strconv.Itoa(i * per)
		sexpect(t, c, "$"+strconv.Itoa(len(want))+"\r\n"+want+"\r\n", "EVAL", body, "1", "ctr")
	}
	close(stop)
	wg.Wait()
	select {
	case msg := <-bad:
		t.Fatal(msg)
	default:
	}
	// Inside MULTI/EXEC a script runs like any queued command.
	sexpect(t, c, "+OK\r\n", "MULTI")
	sexpect(t, c, "+QUEUED\r\n", "EVAL", "return redis.call('incr', KEYS[1])", "1", "ctr")
	sexpect(t, c, "*1\r\n:4001\r\n", "EXEC")
}

// In cluster mode a script may touch only keys this node serves, and a script with a
// shebang only the slot of its first key unless allow-cross-slot-keys. Replies as redis
// 7.0.15 gives them with the same slot map.
func TestScriptCluster(t *testing.T) {
	srv := proctest.StartSlotdb(t, "--cluster-enabled", "yes")
	c := srv.Dial(t)
	sexpect(t, c, "+OK\r\n", "CLUSTER", "ADDSLOTSRANGE", "0", "8000") // bar (5061) here; foo (12182), a (15495) not
	sha := func(body string) string { return script.SHA1Hex([]byte(body)) }
	down := "return redis.call('get', 'bar')"
	sexpect(t, c, "-ERR Script attempted to access a non local key in a cluster node script: "+sha("return redis.call('get', 'foo')")+", on @user_script:1.\r\n",
		"EVAL", "return redis.call('get', 'foo')", "0")
	sexpect(t, c, "-ERR Script attempted to execute a command while the cluster is down script: "+sha(down)+", on @user_script:1.\r\n", "EVAL", down, "0")
	sexpect(t, c, "-CLUSTERDOWN Hash slot not served\r\n", "EVAL", "return redis.call('get', KEYS[1])", "1", "foo")

	sexpect(t, c, "+OK\r\n", "CLUSTER", "ADDSLOTSRANGE", "8001", "16383")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(sdo(t, c, "CLUSTER", "INFO"), "cluster_state:ok") {
		if time.Now().After(deadline) {
			t.Fatal("cluster state never became ok")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cross := "redis.call('get', 'bar') return redis.call('get', 'foo')"
	mget := "return redis.call('mget', 'bar', 'foo')"
	for _, c2 := range []struct{ body, keys, want string }{
		{cross, "", "$-1\r\n"}, // no shebang: any slot of this node
		{mget, "", "-ERR Script attempted to access a non local key in a cluster node script: " + sha(mget) + ", on @user_script:1.\r\n"},
		{"#!lua flags=allow-cross-slot-keys\n" + cross, "", "$-1\r\n"},
		{"#!lua\n" + cross, "", "-ERR Script attempted to access keys that do not hash to the same slot script: " + sha("#!lua\n"+cross) + ", on @user_script:2.\r\n"},
		{"#!lua\nreturn redis.call('get', 'bar')", "foo", "-ERR Script attempted to access keys that do not hash to the same slot script: " + sha("#!lua\nreturn redis.call('get', 'bar')") + ", on @user_script:2.\r\n"},
		{"#!lua flags=no-cluster\nreturn 1", "", "-ERR Can not run script on cluster, 'no-cluster' flag is set.\r\n"},
	} {
		args := []string{"EVAL", c2.body, "0"}
		if c2.keys != "" {
			args = []string{"EVAL", c2.body, "1", c2.keys}
		}
		sexpect(t, c, c2.want, args...)
	}
	sexpect(t, c, "-CROSSSLOT Keys in request don't hash to the same slot\r\n", "EVAL", "return 1", "2", "foo", "bar")
}

// Scripts run one at a time on the script executor, and no other command runs inside one:
// read-modify-write scripts from several clients, interleaved with plain INCRs on the same
// key, lose no update (an INCR or another script between a script's GET and SET would).
func TestScriptsAtomicUnderConcurrency(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	const clients, rounds = 6, 150
	rmw := "local v = tonumber(redis.call('get', KEYS[1]) or '0') redis.call('set', KEYS[1], v + 1) redis.call('set', KEYS[2], v + 1) return v + 1"
	var wg sync.WaitGroup
	errs := make(chan string, clients)
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := srv.Dial(t)
			for range rounds {
				if i%2 == 0 {
					b, err := c.Do("EVAL", rmw, "2", "n", "m")
					if err != nil || b[0] != ':' {
						errs <- "EVAL: " + string(b)
						return
					}
				} else if b, err := c.Do("INCR", "n"); err != nil || b[0] != ':' {
					errs <- "INCR: " + string(b)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	c := srv.Dial(t)
	want := strconv.Itoa(clients * rounds)
	sexpect(t, c, "$"+strconv.Itoa(len(want))+"\r\n"+want+"\r\n", "GET", "n")
}
