package cmdmeta

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/slotdb/slotdb/server/cmdmeta/internal/valjson"
	"github.com/slotdb/slotdb/server/resp"
)

// commands.json is produced by internal/gen from a real redis-server 7.0.15.
//
//go:generate go run ./internal/gen
//go:embed commands.json
var commandsJSON []byte

// Info entry layout (COMMAND INFO, Redis 7.0).
const (
	infoName = iota
	infoArity
	infoFlags
	infoFirstKey
	infoLastKey
	infoStep
	infoACL
	infoTips
	infoKeySpecs
	infoSubcommands
	infoLen
)

func init() {
	cmds, err := parseCommands(commandsJSON)
	if err != nil {
		panic("cmdmeta: embedded commands.json: " + err.Error())
	}
	commands = make(map[string]*Command, len(cmds))
	for _, c := range cmds {
		commands[c.Name] = c
	}
	all = cmds
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
}

// parseCommands reads the layout internal/gen writes (see writeCommands there).
func parseCommands(data []byte) ([]*Command, error) {
	file, err := valjson.Unmarshal(data)
	if err != nil {
		return nil, err
	}
	if v, _ := mapGet(file, "redis_version"); v.Str != "7.0.15" {
		return nil, fmt.Errorf("redis_version %q", v.Str)
	}
	list, _ := mapGet(file, "commands")
	if len(list.Elems) == 0 {
		return nil, fmt.Errorf("no commands")
	}
	out := make([]*Command, 0, len(list.Elems))
	for _, e := range list.Elems {
		if e.Kind != resp.KindArray || len(e.Elems) != 3 {
			return nil, fmt.Errorf("entry is not [name, info, docs]")
		}
		c, err := newCommand(e.Elems[1], e.Elems[2], nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Elems[0].Str, err)
		}
		if c.Name != e.Elems[0].Str {
			return nil, fmt.Errorf("entry %q holds command %q", e.Elems[0].Str, c.Name)
		}
		out = append(out, c)
	}
	return out, nil
}

func newCommand(info, docs resp.Value, parent *Command) (*Command, error) {
	if info.Kind != resp.KindArray || len(info.Elems) != infoLen {
		return nil, fmt.Errorf("info is not a %d-element array", infoLen)
	}
	el := info.Elems
	c := &Command{
		Name:     el[infoName].Str,
		Arity:    int(el[infoArity].Int),
		FirstKey: int(el[infoFirstKey].Int),
		LastKey:  int(el[infoLastKey].Int),
		Step:     int(el[infoStep].Int),
		Parent:   parent,
		Info:     info,
		Docs:     docs,
	}
	c.SubName = c.Name
	if parent != nil {
		prefix := parent.Name + "|"
		if !strings.HasPrefix(c.Name, prefix) {
			return nil, fmt.Errorf("subcommand %q of %q", c.Name, parent.Name)
		}
		c.SubName = c.Name[len(prefix):]
	}
	c.Flags = strs(el[infoFlags])
	c.ACLCategories = strs(el[infoACL])
	c.Tips = strs(el[infoTips])
	if g, ok := mapGet(docs, "group"); ok {
		c.Group = g.Str
	}
	for _, ks := range el[infoKeySpecs].Elems {
		spec, err := parseKeySpec(ks)
		if err != nil {
			return nil, fmt.Errorf("%s key spec: %w", c.Name, err)
		}
		c.KeySpecs = append(c.KeySpecs, spec)
	}
	if err := c.setFlags(); err != nil {
		return nil, err
	}
	c.getkeys = getkeysProcs[c.Name]

	subDocs, _ := mapGet(docs, "subcommands")
	for _, si := range el[infoSubcommands].Elems {
		if len(si.Elems) == 0 {
			return nil, fmt.Errorf("%s: empty subcommand entry", c.Name)
		}
		sd, ok := mapGet(subDocs, si.Elems[infoName].Str)
		if !ok {
			return nil, fmt.Errorf("no docs for %s", si.Elems[infoName].Str)
		}
		sub, err := newCommand(si, sd, c)
		if err != nil {
			return nil, err
		}
		if c.Subcommands == nil {
			c.Subcommands = map[string]*Command{}
		}
		c.Subcommands[sub.SubName] = sub
	}
	return c, nil
}

func (c *Command) setFlags() error {
	for _, f := range c.Flags {
		var p *bool
		switch f {
		case "write":
			p = &c.Write
		case "readonly":
			p = &c.ReadOnly
		case "denyoom":
			p = &c.DenyOOM
		case "admin":
			p = &c.Admin
		case "pubsub":
			p = &c.PubSub
		case "noscript":
			p = &c.NoScript
		case "blocking":
			p = &c.Blocking
		case "loading":
			p = &c.Loading
		case "stale":
			p = &c.Stale
		case "skip_monitor":
			p = &c.SkipMonitor
		case "skip_slowlog":
			p = &c.SkipSlowlog
		case "asking":
			p = &c.Asking
		case "fast":
			p = &c.Fast
		case "no_auth":
			p = &c.NoAuth
		case "may_replicate":
			p = &c.MayReplicate
		case "no_mandatory_keys":
			p = &c.NoMandatoryKeys
		case "no_async_loading":
			p = &c.NoAsyncLoading
		case "no_multi":
			p = &c.NoMulti
		case "movablekeys":
			p = &c.MovableKeys
		case "allow_busy":
			p = &c.AllowBusy
		default:
			return fmt.Errorf("%s: unknown command flag %q", c.Name, f)
		}
		*p = true
	}
	return nil
}

func parseKeySpec(v resp.Value) (KeySpec, error) {
	var ks KeySpec
	if v.Kind != resp.KindMap {
		return ks, fmt.Errorf("not a map")
	}
	if n, ok := mapGet(v, "notes"); ok {
		ks.Notes = n.Str
	}
	fl, _ := mapGet(v, "flags")
	for _, f := range fl.Elems {
		b, ok := keyFlagByName(f.Str)
		if !ok {
			return ks, fmt.Errorf("unknown key flag %q", f.Str)
		}
		ks.Flags |= b
	}
	bs, _ := mapGet(v, "begin_search")
	bsType, _ := mapGet(bs, "type")
	bsSpec, _ := mapGet(bs, "spec")
	switch bsType.Str {
	case "index":
		ks.BeginSearch = BeginSearchIndex
		ks.Index = intField(bsSpec, "index")
	case "keyword":
		ks.BeginSearch = BeginSearchKeyword
		kw, _ := mapGet(bsSpec, "keyword")
		ks.Keyword = kw.Str
		ks.StartFrom = intField(bsSpec, "startfrom")
	case "unknown":
	default:
		return ks, fmt.Errorf("begin_search type %q", bsType.Str)
	}
	fk, _ := mapGet(v, "find_keys")
	fkType, _ := mapGet(fk, "type")
	fkSpec, _ := mapGet(fk, "spec")
	switch fkType.Str {
	case "range":
		ks.FindKeys = FindKeysRange
		ks.LastKey = intField(fkSpec, "lastkey")
		ks.KeyStep = intField(fkSpec, "keystep")
		ks.Limit = intField(fkSpec, "limit")
	case "keynum":
		ks.FindKeys = FindKeysKeynum
		ks.KeyNumIdx = intField(fkSpec, "keynumidx")
		ks.FirstKeyOfs = intField(fkSpec, "firstkey")
		ks.KeyStep = intField(fkSpec, "keystep")
	case "unknown":
	default:
		return ks, fmt.Errorf("find_keys type %q", fkType.Str)
	}
	if (ks.FindKeys != FindKeysUnknown && ks.KeyStep < 1) || ks.Limit < 0 {
		return ks, fmt.Errorf("keystep %d / limit %d out of range", ks.KeyStep, ks.Limit)
	}
	return ks, nil
}

// mapGet finds key in a RESP map.
func mapGet(m resp.Value, key string) (resp.Value, bool) {
	if m.Kind != resp.KindMap {
		return resp.Value{}, false
	}
	for i := 0; i+1 < len(m.Elems); i += 2 {
		if m.Elems[i].Str == key {
			return m.Elems[i+1], true
		}
	}
	return resp.Value{}, false
}

func intField(m resp.Value, key string) int {
	v, _ := mapGet(m, key)
	return int(v.Int)
}

func strs(v resp.Value) []string {
	out := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		out[i] = e.Str
	}
	return out
}
