package policy

import (
	"strings"

	"github.com/regauth/regauth/server/model"
)

// actionSet is a set of actions as bits, so unions and intersections of
// roles and requests are single instructions.
type actionSet uint8

const (
	bitPull actionSet = 1 << iota
	bitPush
	bitDelete
	bitAll // "*": registry:catalog:* and, for admin users, repositories

	repoActions = bitPull | bitPush | bitDelete
)

// order is the canonical order granted actions are listed in.
var order = [...]struct {
	bit    actionSet
	action model.Action
}{{bitPull, model.Pull}, {bitPush, model.Push}, {bitDelete, model.Delete}, {bitAll, model.All}}

// actionBit maps a requested action to its bit; unknown actions (including
// other spellings such as "PULL") map to 0 and are dropped.
func actionBit(a model.Action) actionSet {
	switch a {
	case model.Pull:
		return bitPull
	case model.Push:
		return bitPush
	case model.Delete:
		return bitDelete
	case model.All:
		return bitAll
	}
	return 0
}

// roleSet is model.Role.Actions as bits, without allocating a slice per
// permission (TestRoleSet keeps the two in step).
func roleSet(r model.Role) actionSet {
	switch r {
	case model.Read:
		return bitPull
	case model.Write:
		return bitPull | bitPush
	case model.Admin:
		return bitPull | bitPush | bitDelete
	}
	return 0
}

// appendActions appends the actions of s in canonical order.
func (s actionSet) appendActions(dst []model.Action) []model.Action {
	for _, o := range order {
		if s&o.bit != 0 {
			dst = append(dst, o.action)
		}
	}
	return dst
}

func (s actionSet) count() int {
	n := 0
	for _, o := range order {
		if s&o.bit != 0 {
			n++
		}
	}
	return n
}

// ruleSet is one account's permissions, indexed so that a lookup costs a
// few map probes however many rules there are: the common pattern shapes
// (exact, "p/*", "p/**", "**" with a literal p) are maps keyed by the
// literal part. Only patterns with '*' elsewhere are scanned, and those
// with a literal first segment ("team/app-*") only for names in it.
type ruleSet struct {
	all      actionSet             // "**"
	exact    map[string]actionSet  // "team/app"
	children map[string]actionSet  // "team/*" under key "team"; "*" under ""
	below    map[string]actionSet  // "team/**" under key "team"
	globs    map[string][]globRule // by literal first segment
	wild     []globRule            // first segment has a '*'
}

type globRule struct {
	glob
	set actionSet
}

// add records that pattern p (already validated) grants s.
func (r *ruleSet) add(p string, s actionSet) {
	switch {
	case p == "**":
		r.all |= s
	case !strings.Contains(p, "*"):
		r.exact = addTo(r.exact, p, s)
	case p == "*":
		r.children = addTo(r.children, "", s)
	case strings.HasSuffix(p, "/**") && !strings.Contains(p[:len(p)-3], "*"):
		r.below = addTo(r.below, p[:len(p)-3], s)
	case strings.HasSuffix(p, "/*") && !strings.Contains(p[:len(p)-2], "*"):
		r.children = addTo(r.children, p[:len(p)-2], s)
	default:
		g := globRule{newGlob(p), s}
		if first := g.segs[0]; !strings.Contains(first, "*") {
			if r.globs == nil {
				r.globs = make(map[string][]globRule)
			}
			r.globs[first] = append(r.globs[first], g)
		} else {
			r.wild = append(r.wild, g)
		}
	}
}

func addTo(m map[string]actionSet, k string, s actionSet) map[string]actionSet {
	if m == nil {
		m = make(map[string]actionSet)
	}
	m[k] |= s
	return m
}

// lookup returns the union of what the rules grant on name, stopping early
// once everything in want is granted. name must be a valid repository.
func (r *ruleSet) lookup(name string, want actionSet) actionSet {
	if r == nil {
		return 0
	}
	got := r.all
	if got&want == want {
		return got
	}
	got |= r.exact[name] // lookups in nil maps are free
	parent := ""
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		parent = name[:i]
	}
	got |= r.children[parent]
	if len(r.below) > 0 {
		for i := 0; i < len(name); i++ {
			if name[i] == '/' {
				got |= r.below[name[:i]]
			}
		}
	}
	if len(r.globs) > 0 {
		first, _, _ := strings.Cut(name, "/")
		got = scan(r.globs[first], name, got, want)
	}
	return scan(r.wild, name, got, want)
}

func scan(gs []globRule, name string, got, want actionSet) actionSet {
	for i := range gs {
		if got&want == want {
			break
		}
		if g := &gs[i]; g.set&^got != 0 && g.match(name) {
			got |= g.set
		}
	}
	return got
}
