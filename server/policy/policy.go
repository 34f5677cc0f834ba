// Package policy decides what a token grants: given who asks (an
// anonymous client, a user, an admin or a robot), their permissions and
// the requested scopes, it returns the intersection of requested and
// permitted actions.
//
// The engine never fails a request and never distinguishes a repository
// that does not exist from one the account may not see: both come back
// with no actions. It is also safe on its own: a disabled or expired
// account, a permission for another subject, an invalid pattern or role,
// an unknown scope type or action, or a malformed repository name all
// grant nothing, whatever the caller checked before.
package policy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/regauth/regauth/server/model"
)

// Scope types the engine knows; every other type gets nothing.
const (
	TypeRepository       = "repository"
	TypeRepositoryPlugin = "repository(plugin)"
	TypeRegistry         = "registry"
	CatalogName          = "catalog" // registry:catalog:*, admins only
)

// Options configure an Engine.
type Options struct {
	// OwnNamespace gives every user the admin role on NAME/** where NAME
	// is their user name. DefaultOptions turns it on.
	OwnNamespace bool
	// AnonymousPull lists patterns of public repositories: anyone,
	// signed in or not, may pull them. Nothing else is ever anonymous.
	AnonymousPull []string
}

// DefaultOptions are the options regauth serve starts with: users own
// their namespace, nothing is public.
func DefaultOptions() Options { return Options{OwnNamespace: true} }

// Validate reports invalid AnonymousPull patterns. New does not fail on
// them (they match nothing); the server calls Validate at start-up so an
// operator's typo is an error rather than a silently private repository.
func (o Options) Validate() error {
	var errs []error
	for _, p := range o.AnonymousPull {
		if err := ValidatePattern(p); err != nil {
			errs = append(errs, fmt.Errorf("anonymous pull: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Engine holds the options; it is immutable and safe for concurrent use.
type Engine struct {
	ownNamespace bool
	public       *ruleSet // AnonymousPull, as pull-only rules
}

// New returns an engine for opts. Invalid AnonymousPull patterns are left
// out; see Options.Validate.
func New(opts Options) *Engine {
	e := &Engine{ownNamespace: opts.OwnNamespace}
	for _, p := range opts.AnonymousPull {
		if ValidatePattern(p) == nil {
			if e.public == nil {
				e.public = &ruleSet{}
			}
			e.public.add(p, bitPull)
		}
	}
	return e
}

// Account is who asks: a user, a robot, or neither (anonymous). Setting
// both is a caller bug and grants nothing.
type Account struct {
	User  *model.User
	Robot *model.Robot
}

// Subject names the account as permissions do; "" for anonymous or an
// account with both fields set.
func (a Account) Subject() model.Subject {
	switch {
	case a.User != nil && a.Robot == nil:
		return model.UserSubject(a.User.Name)
	case a.Robot != nil && a.User == nil:
		return model.RobotSubject(a.Robot.Name)
	}
	return ""
}

// Grant decides requested for acct holding perms. It compiles perms on
// every call; a caller that grants many tokens to the same permissions
// should Compile once and use Compiled.Grant. See Compiled.Grant for the
// result.
func (e *Engine) Grant(acct Account, perms []model.Permission, requested []model.Scope, now time.Time) []model.Scope {
	c, _ := e.Compile(perms) // invalid permissions grant nothing
	return c.Grant(acct, requested, now)
}

// Compiled is a set of permissions indexed for Grant, for one account or
// for many: each permission applies only to its own Subject. It is
// immutable and safe for concurrent use.
type Compiled struct {
	e      *Engine
	users  map[string]*ruleSet // by user name
	robots map[string]*ruleSet // by robot name "ns+name"
}

// Compile indexes perms. It always returns a usable *Compiled: a
// permission with an invalid pattern, role or subject is left out (it
// grants nothing) and reported in the error, so one bad row in the store
// costs that row, not the whole account.
func (e *Engine) Compile(perms []model.Permission) (*Compiled, error) {
	c := &Compiled{e: e}
	var errs []error
	for _, p := range perms {
		if err := ValidatePattern(p.Pattern); err != nil {
			errs = append(errs, fmt.Errorf("permission %d: %w", p.ID, err))
			continue
		}
		if !p.Role.Valid() {
			errs = append(errs, fmt.Errorf("permission %d: unknown role %q", p.ID, p.Role))
			continue
		}
		var m *map[string]*ruleSet
		name, ok := strings.CutPrefix(string(p.Subject), "user:")
		if ok {
			m = &c.users
		} else if name, ok = strings.CutPrefix(string(p.Subject), "robot:"); ok {
			m = &c.robots
		} else {
			errs = append(errs, fmt.Errorf("permission %d: unknown subject %q", p.ID, p.Subject))
			continue
		}
		if *m == nil {
			*m = make(map[string]*ruleSet)
		}
		rs := (*m)[name]
		if rs == nil {
			rs = &ruleSet{}
			(*m)[name] = rs
		}
		rs.add(p.Pattern, roleSet(p.Role))
	}
	return c, errors.Join(errs...)
}

// Grant returns one scope per distinct requested (Type, Name), in the
// order they were first requested, with requested actions of duplicates
// merged. Each carries the granted actions in canonical order (pull, push,
// delete, *); a scope granted nothing is still listed, with an empty
// non-nil Actions, because distribution clients expect every requested
// resource in the token's access claim. The token layer may drop empty
// entries. now decides whether the account has expired.
func (c *Compiled) Grant(acct Account, requested []model.Scope, now time.Time) []model.Scope {
	out := make([]model.Scope, 0, len(requested))
	want := make([]actionSet, 0, len(requested))
	var index map[scopeKey]int // only for long requests; short ones scan
	for _, s := range requested {
		var bits actionSet
		for _, a := range s.Actions {
			bits |= actionBit(a)
		}
		i := -1
		if index != nil {
			if j, ok := index[scopeKey{s.Type, s.Name}]; ok {
				i = j
			}
		} else {
			for j := range out {
				if out[j].Type == s.Type && out[j].Name == s.Name {
					i = j
					break
				}
			}
		}
		if i >= 0 {
			want[i] |= bits
			continue
		}
		out = append(out, model.Scope{Type: s.Type, Name: s.Name})
		want = append(want, bits)
		if index == nil && len(out) > 16 {
			index = make(map[scopeKey]int, len(requested))
			for j, o := range out {
				index[scopeKey{o.Type, o.Name}] = j
			}
		} else if index != nil {
			index[scopeKey{s.Type, s.Name}] = len(out) - 1
		}
	}

	a := c.account(acct, now)
	granted := make([]actionSet, len(out))
	total := 0
	for i, s := range out {
		granted[i] = c.decide(a, s.Type, s.Name, want[i])
		total += granted[i].count()
	}
	// One backing array for all action lists; each gets a capped slice
	// so a caller appending to one cannot overwrite the next.
	buf := make([]model.Action, 0, total)
	for i := range out {
		start := len(buf)
		buf = granted[i].appendActions(buf)
		out[i].Actions = buf[start:len(buf):len(buf)]
	}
	return out
}

type scopeKey struct{ typ, name string }

// who is the account reduced to what decide needs.
type who struct {
	active bool
	admin  bool
	ns     string   // own namespace, "" if none
	rules  *ruleSet // explicit permissions, nil if none
}

func (c *Compiled) account(acct Account, now time.Time) who {
	switch {
	case acct.User != nil && acct.Robot != nil:
		return who{}
	case acct.User != nil:
		u := acct.User
		if u.Disabled {
			return who{}
		}
		w := who{active: true, admin: u.Admin, rules: c.users[u.Name]}
		if c.e.ownNamespace && validSegment(u.Name) {
			w.ns = u.Name
		}
		return w
	case acct.Robot != nil:
		r := acct.Robot
		if r.Disabled || !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt) {
			return who{}
		}
		return who{active: true, rules: c.robots[r.Name]}
	}
	return who{active: true} // anonymous: public repositories only
}

// decide returns what w may do of want on the resource typ:name.
func (c *Compiled) decide(w who, typ, name string, want actionSet) actionSet {
	if !w.active || want == 0 {
		return 0
	}
	switch typ {
	case TypeRegistry:
		if w.admin && name == CatalogName {
			return want & bitAll
		}
		return 0
	case TypeRepository, TypeRepositoryPlugin:
	default:
		return 0
	}
	if !validRepoName(name) {
		return 0
	}
	if w.admin {
		return want & (repoActions | bitAll)
	}
	want &= repoActions
	if want == 0 {
		return 0
	}
	got := c.e.public.lookup(name, want)
	if w.ns != "" && len(name) > len(w.ns) && name[len(w.ns)] == '/' && name[:len(w.ns)] == w.ns {
		got |= repoActions // the admin role
	}
	if got&want != want {
		got |= w.rules.lookup(name, want)
	}
	return got & want
}
