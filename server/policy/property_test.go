package policy

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/regauth/regauth/server/model"
)

var (
	propSeed  = flag.Uint64("policy.seed", 20260501, "seed of the policy property test")
	propCases = flag.Int("policy.cases", 50000, "number of policy property test cases")
)

// The reference model below shares no code with the engine: regular
// expressions for validity, path.Match per segment for matching, string
// prefixes for namespaces and plain maps for action sets. It is slow and
// obviously right; the engine must agree with it on every case.

var (
	refNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$`)
	refSegRE  = regexp.MustCompile(`^[a-z0-9._*-]+$`)
	refRoles  = map[string][]string{"read": {"pull"}, "write": {"pull", "push"}, "admin": {"pull", "push", "delete"}}
	refOrder  = []string{"pull", "push", "delete", "*"}
)

func refValidName(n string) bool { return len(n) <= 255 && refNameRE.MatchString(n) }

func refValidPattern(p string) bool {
	if p == "" || len(p) > 255 {
		return false
	}
	if p == "**" {
		return true
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if i == len(segs)-1 && s == "**" {
			continue
		}
		if !refSegRE.MatchString(s) || strings.Contains(s, "**") || s == "." || s == ".." {
			return false
		}
	}
	return true
}

func refMatch(p, name string) bool {
	if p == "**" {
		return true
	}
	ps, ns := strings.Split(p, "/"), strings.Split(name, "/")
	if ps[len(ps)-1] == "**" {
		ps = ps[:len(ps)-1]
		if len(ns) <= len(ps) {
			return false
		}
		ns = ns[:len(ps)]
	}
	if len(ps) != len(ns) {
		return false
	}
	for i := range ps {
		if ok, err := path.Match(ps[i], ns[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

type refInput struct {
	opts  Options
	acct  Account
	perms []model.Permission
	req   []model.Scope
	now   time.Time
}

// refPermitted is every action the account may do on typ:name, requested
// or not.
func refPermitted(in refInput, typ, name string) map[string]bool {
	ok := map[string]bool{}
	u, r := in.acct.User, in.acct.Robot
	subject := ""
	switch {
	case u != nil && r != nil:
		return ok
	case u != nil:
		if u.Disabled {
			return ok
		}
		subject = "user:" + u.Name
	case r != nil:
		if r.Disabled || (!r.ExpiresAt.IsZero() && !r.ExpiresAt.After(in.now)) {
			return ok
		}
		subject = "robot:" + r.Name
	}
	admin := u != nil && u.Admin
	if typ == "registry" {
		if admin && name == "catalog" {
			ok["*"] = true
		}
		return ok
	}
	if typ != "repository" && typ != "repository(plugin)" || !refValidName(name) {
		return ok
	}
	if admin {
		for _, a := range refOrder {
			ok[a] = true
		}
		return ok
	}
	for _, p := range in.opts.AnonymousPull {
		if refValidPattern(p) && refMatch(p, name) {
			ok["pull"] = true
		}
	}
	if u != nil && in.opts.OwnNamespace && refValidName(u.Name) && !strings.Contains(u.Name, "/") &&
		strings.HasPrefix(name, u.Name+"/") {
		ok["pull"], ok["push"], ok["delete"] = true, true, true
	}
	if subject == "" {
		return ok
	}
	for _, p := range in.perms {
		if string(p.Subject) == subject && refValidPattern(p.Pattern) && refMatch(p.Pattern, name) {
			for _, a := range refRoles[string(p.Role)] {
				ok[a] = true
			}
		}
	}
	return ok
}

func refGrant(in refInput) []model.Scope {
	type entry struct {
		typ, name string
		want      map[string]bool
	}
	var entries []*entry
	for _, s := range in.req {
		var e *entry
		for _, x := range entries {
			if x.typ == s.Type && x.name == s.Name {
				e = x
			}
		}
		if e == nil {
			e = &entry{s.Type, s.Name, map[string]bool{}}
			entries = append(entries, e)
		}
		for _, a := range s.Actions {
			e.want[string(a)] = true
		}
	}
	out := []model.Scope{}
	for _, e := range entries {
		ok := refPermitted(in, e.typ, e.name)
		acts := []model.Action{}
		for _, a := range refOrder {
			if e.want[a] && ok[a] {
				acts = append(acts, model.Action(a))
			}
		}
		out = append(out, model.Scope{Type: e.typ, Name: e.name, Actions: acts})
	}
	return out
}

// Generators draw from small alphabets so patterns and names collide.

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func genName(r *rand.Rand) string {
	if r.IntN(20) == 0 {
		return pick(r, "", "a/*", "A/b", "a//b", "/a", "a/", "-a", "a/../b", "**", "a/**", "catalog")
	}
	segs := make([]string, 1+r.IntN(4))
	for i := range segs {
		segs[i] = pick(r, "a", "b", "ab", "ba", "a-b", "a.b")
	}
	return strings.Join(segs, "/")
}

func genSegGlob(r *rand.Rand) string {
	return pick(r, "*", "a*", "*b", "a*b", "*-*", "*a*", "ab", "a", "b")
}

func genPattern(r *rand.Rand) string {
	n := genName(r)
	switch r.IntN(9) {
	case 0:
		return n // exact
	case 1:
		return n + "/*"
	case 2:
		return n + "/**"
	case 3:
		return "**"
	case 4: // '*' inside segments, any position
		segs := strings.Split(n, "/")
		segs[r.IntN(len(segs))] = genSegGlob(r)
		if r.IntN(2) == 0 {
			segs = append(segs, pick(r, "*", "**"))
		}
		return strings.Join(segs, "/")
	case 5:
		return pick(r, "*", "*/*", "*/**", "a*/**", "*/b")
	case 6:
		return pick(r, "", "a//b", "***", "a/***", "a/**/b", "**/a", "a**", "A/b", "a/?", "/a", "a/", "a/[ab]", "a/..")
	default:
		return NamespacePattern(pick(r, "a", "b", "ab", "alice"))
	}
}

// instantiate turns a pattern into a name it probably matches (or nearly
// matches: "**" may become nothing), so grants are frequent.
func instantiate(r *rand.Rand, p string) string {
	var segs []string
	for _, s := range strings.Split(p, "/") {
		switch {
		case s == "**":
			for range r.IntN(3) {
				segs = append(segs, pick(r, "a", "b", "ab"))
			}
		default:
			segs = append(segs, strings.ReplaceAll(s, "*", pick(r, "", "a", "b", "ab", "x-y")))
		}
	}
	return strings.Join(segs, "/")
}

var refNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func genInput(r *rand.Rand) refInput {
	in := refInput{now: refNow, opts: Options{OwnNamespace: r.IntN(2) == 0}}
	for range r.IntN(3) {
		if r.IntN(3) == 0 {
			in.opts.AnonymousPull = append(in.opts.AnonymousPull, genPattern(r))
		}
	}
	var self model.Subject
	switch r.IntN(4) {
	case 0: // anonymous
	case 1, 2:
		u := &model.User{Name: pick(r, "a", "b", "alice", "a+ci", "a/b", ""), Admin: r.IntN(6) == 0, Disabled: r.IntN(10) == 0}
		in.acct.User, self = u, model.UserSubject(u.Name)
	default:
		rb := &model.Robot{Name: pick(r, "a+ci", "b+ci", "a"), Disabled: r.IntN(10) == 0}
		rb.Namespace, _, _ = strings.Cut(rb.Name, "+")
		rb.ExpiresAt = pick(r, time.Time{}, time.Time{}, refNow.Add(-time.Hour), refNow, refNow.Add(time.Hour))
		in.acct.Robot, self = rb, model.RobotSubject(rb.Name)
	}
	if r.IntN(50) == 0 {
		in.acct.User, in.acct.Robot = &model.User{Name: "a", Admin: true}, &model.Robot{Name: "a+ci"}
	}
	for range r.IntN(9) {
		sub := self
		if r.IntN(5) == 0 {
			sub = pick[model.Subject](r, "user:a", "user:b", "robot:a+ci", "user:a+ci", "robot:a", "", "group:a")
		}
		role := pick[model.Role](r, model.Read, model.Write, model.Admin, model.Read, model.Write, model.Admin, "owner", "")
		in.perms = append(in.perms, model.Permission{ID: int64(len(in.perms)), Subject: sub, Pattern: genPattern(r), Role: role})
	}
	for range 1 + r.IntN(5) {
		s := model.Scope{Type: pick(r, "repository", "repository", "repository", "repository", "repository", "repository(plugin)", "registry", "foo", "Repository"), Name: genName(r)}
		if len(in.perms) > 0 && r.IntN(3) != 0 {
			s.Name = instantiate(r, in.perms[r.IntN(len(in.perms))].Pattern)
		}
		if s.Type == "registry" && r.IntN(2) == 0 {
			s.Name = "catalog"
		}
		for range r.IntN(5) {
			s.Actions = append(s.Actions, pick[model.Action](r, "pull", "push", "delete", "pull", "push", "delete", "*", "PULL", "foo", "", "pull,push"))
		}
		in.req = append(in.req, s)
	}
	if r.IntN(4) == 0 && len(in.req) > 0 { // an exact duplicate name with other actions
		d := in.req[r.IntN(len(in.req))]
		in.req = append(in.req, model.Scope{Type: d.Type, Name: d.Name, Actions: []model.Action{pick[model.Action](r, "pull", "push", "delete")}})
	}
	return in
}

func TestGrantProperty(t *testing.T) {
	t.Parallel()
	seed := *propSeed
	for i := range *propCases {
		// Each case has its own stream so a failure is reproducible alone.
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		in := genInput(r)
		e := New(in.opts)
		var gotScopes []model.Scope
		if r.IntN(2) == 0 {
			gotScopes = e.Grant(in.acct, in.perms, in.req, in.now)
		} else {
			c, _ := e.Compile(in.perms)
			gotScopes = c.Grant(in.acct, in.req, in.now)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d case %d (rerun: go test -run TestGrantProperty -policy.seed %d)\ninput: %s\n%s",
				seed, i, seed, dumpInput(in), fmt.Sprintf(format, args...))
		}
		if diff := cmp.Diff(refGrant(in), gotScopes); diff != "" {
			fail("engine disagrees with reference model (-ref +engine):\n%s", diff)
		}
		// No escalation, checked directly against the raw request too.
		for _, g := range gotScopes {
			permitted := refPermitted(in, g.Type, g.Name)
			for _, a := range g.Actions {
				requested := false
				for _, s := range in.req {
					if s.Type == g.Type && s.Name == g.Name && slices.Contains(s.Actions, a) {
						requested = true
					}
				}
				if !requested || !permitted[string(a)] {
					fail("escalation: granted %q on %s:%s (requested %v, permitted %v)", a, g.Type, g.Name, requested, permitted[string(a)])
				}
			}
		}
	}
}

func dumpInput(in refInput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "opts=%+v", in.opts)
	if in.acct.User != nil {
		fmt.Fprintf(&b, " user=%+v", *in.acct.User)
	}
	if in.acct.Robot != nil {
		fmt.Fprintf(&b, " robot=%q disabled=%v expires=%v", in.acct.Robot.Name, in.acct.Robot.Disabled, in.acct.Robot.ExpiresAt)
	}
	for _, p := range in.perms {
		fmt.Fprintf(&b, "\n  perm %s %q %s", p.Subject, p.Pattern, p.Role)
	}
	for _, s := range in.req {
		fmt.Fprintf(&b, "\n  req %s:%s:%v", s.Type, s.Name, s.Actions)
	}
	return b.String()
}

// TestGrantPropertyCoverage guards the generator: if it stopped producing
// grants, the property test above would pass vacuously.
func TestGrantPropertyCoverage(t *testing.T) {
	t.Parallel()
	counts := map[string]int{}
	for i := range 5000 {
		in := genInput(rand.New(rand.NewPCG(*propSeed, uint64(i))))
		for _, g := range refGrant(in) {
			if len(g.Actions) == 0 {
				counts["empty"]++
				continue
			}
			counts["granted"]++
			for _, a := range g.Actions {
				counts[string(a)]++
			}
		}
	}
	for _, k := range []string{"empty", "granted", "pull", "push", "delete", "*"} {
		if counts[k] < 50 {
			t.Errorf("generator produced only %d %q outcomes in 5000 cases: %v", counts[k], k, counts)
		}
	}
	t.Logf("outcomes over 5000 cases: %v", counts)
}
