package config

import (
	"errors"
	"reflect"
	"strings"
)

// SetOptions describes the client running CONFIG SET.
type SetOptions struct {
	Local   bool // connected over loopback or a unix socket (for "local" protected configs)
	Loading bool // the server is loading its dataset
}

// Set runs CONFIG SET name value [name value ...] for a remote client while
// not loading. See SetWith.
func (c *Config) Set(pairs ...string) error { return c.SetWith(SetOptions{}, pairs...) }

// SetWith runs CONFIG SET as Redis 7.0.15 does: every parameter is checked
// first (unknown, immutable, protected, duplicate), then all values are set;
// any failure, including an OnChange callback's, restores every old value.
// Errors carry Redis's exact text ("ERR ..." or "LOADING ...").
func (c *Config) SetWith(o SetOptions, pairs ...string) error {
	if len(pairs) < 2 {
		return errors.New("ERR wrong number of arguments for 'config|set' command")
	}
	if len(pairs)%2 != 0 {
		return errors.New("ERR syntax error")
	}
	c.mu.Lock()
	defer c.mu.Unlock()

	n := len(pairs) / 2
	set := make([]*entry, n)
	invalidName, errArg, errStr := "", "", ""
	invalid, denyLoading := false, false
	for i := 0; i < n; i++ {
		name := pairs[2*i]
		e := c.lookup(name)
		if e == nil {
			if !invalid {
				invalidName, invalid = name, true
			}
			continue
		}
		if invalid {
			continue
		}
		if e.p.Has(Immutable) || (e.p.Has(Protected) && !c.allowProtected(o.Local)) {
			errStr = "can't set protected config"
			if e.p.Has(Immutable) {
				errStr = "can't set immutable config"
			}
			errArg, invalid = name, true
			continue
		}
		if o.Loading && e.p.Has(DenyLoading) {
			denyLoading, invalid = true, true
			continue
		}
		for j := 0; j < i; j++ {
			if set[j] == e {
				errStr, errArg, invalid = "duplicate parameter", name, true
				break
			}
		}
		set[i] = e
	}
	fail := func() error {
		switch {
		case denyLoading:
			return errors.New("LOADING Redis is loading the dataset in memory")
		case invalidName != "":
			return errors.New("ERR Unknown option or number of arguments for CONFIG SET - '" + invalidName + "'")
		case errStr != "":
			return errors.New("ERR CONFIG SET failed (possibly related to argument '" + errArg + "') - " + errStr)
		}
		return errors.New("ERR CONFIG SET failed (possibly related to argument '" + errArg + "')")
	}
	if invalid {
		return fail()
	}

	old := make([]any, n)
	for i, e := range set {
		old[i] = e.v
	}
	restore := func() {
		for i := n - 1; i >= 0; i-- {
			set[i].v = old[i]
		}
	}
	var changed []int
	for i, e := range set {
		args := []string{pairs[2*i+1]}
		if e.p.Has(MultiArg) {
			args = splitSpace(pairs[2*i+1])
		}
		v, err := c.parse(e, args)
		if err != "" {
			restore()
			errArg, errStr = canonical(e, pairs[2*i]), err
			return fail()
		}
		if !reflect.DeepEqual(v, e.v) {
			e.v = v
			changed = append(changed, i)
		}
	}
	for _, i := range changed {
		e := set[i]
		if e.p.Name == "dir" {
			c.cwd = e.v.(string)
		}
		for _, fn := range c.hooks[e] {
			if err := fn(format(e.p, e.v)); err != nil {
				restore()
				c.reapply(set, changed)
				errArg, errStr = canonical(e, pairs[2*i]), err.Error()
				return fail()
			}
		}
	}
	return nil
}

// reapply runs the callbacks again with the restored values, as Redis's
// restoreBackupConfig does; their errors can only be logged there.
func (c *Config) reapply(set []*entry, changed []int) {
	for _, i := range changed {
		e := set[i]
		if e.p.Name == "dir" {
			c.cwd = e.v.(string)
		}
		for _, fn := range c.hooks[e] {
			_ = fn(format(e.p, e.v))
		}
	}
}

// canonical is the name Redis reports for a failed set: the registered name
// the argument matched (the alias when an alias was used).
func canonical(e *entry, given string) string {
	if e.p.Alias != "" && strings.EqualFold(given, e.p.Alias) {
		return e.p.Alias
	}
	return e.p.Name
}

func (c *Config) allowProtected(local bool) bool {
	switch c.lookup("enable-protected-configs").v.(int) {
	case 1: // yes
		return true
	case 2: // local
		return local
	}
	return false
}
