package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/regauth/regauth/server/model"
)

var fuzzPatterns = []string{
	"team/app", "team/*", "team/**", "**", "*", "team/app-*", "*/app", "t*/**",
	"", "/", "a//b", "***", "a/***", "a/**/b", "**/a", "a**", "Team/x", "a/?", "a/[b]", "a/..", "a/.",
	"\xff", "a/\x00", strings.Repeat("a/", 128) + "a",
}

func FuzzValidatePattern(f *testing.F) {
	for _, p := range fuzzPatterns {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := ValidatePattern(p)
		if (err == nil) != refValidPattern(p) {
			t.Fatalf("ValidatePattern(%q) = %v, reference says valid=%v", p, err, refValidPattern(p))
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidPattern) {
				t.Fatalf("ValidatePattern(%q) = %v, not ErrInvalidPattern", p, err)
			}
			return
		}
		// A valid pattern must match exactly the names the reference says,
		// tried on names built from the pattern itself.
		c, cerr := New(Options{}).Compile([]model.Permission{perm("user:u", p, model.Read)})
		if cerr != nil {
			t.Fatalf("Compile(%q): %v", p, cerr)
		}
		for _, fill := range []string{"", "a", "x-y", "a/b"} {
			name := strings.ReplaceAll(strings.ReplaceAll(p, "**", fill), "*", strings.ReplaceAll(fill, "/", ""))
			for _, n := range []string{name, name + "/z", strings.TrimSuffix(name, "/")} {
				want := refValidName(n) && refMatch(p, n)
				g := c.Grant(userAcct("u"), []model.Scope{repo(n, pull)}, now)
				if got := len(g[0].Actions) == 1; got != want {
					t.Fatalf("pattern %q on %q: granted=%v, reference says %v", p, n, got, want)
				}
			}
		}
	})
}

// FuzzGrantNoEscalation checks on arbitrary strings that the engine agrees
// with the reference model and never grants an action that was not both
// requested and permitted.
func FuzzGrantNoEscalation(f *testing.F) {
	for i, p := range fuzzPatterns {
		f.Add(p, "team/app", "write", "push", uint8(i))
	}
	f.Add("**", "a/b", "admin", "*", uint8(1))
	f.Add("u/**", "u/x", "read", "delete", uint8(4))
	f.Fuzz(func(t *testing.T, pattern, name, role, action string, kind uint8) {
		in := refInput{now: now, opts: Options{OwnNamespace: kind&4 != 0}}
		if kind&8 != 0 {
			in.opts.AnonymousPull = []string{pattern}
		}
		var sub model.Subject
		switch kind & 3 {
		case 1:
			in.acct, sub = userAcct("u"), "user:u"
		case 2:
			in.acct, sub = adminAcct("u"), "user:u"
		case 3:
			in.acct, sub = robotAcct("u+ci"), "robot:u+ci"
		}
		in.perms = []model.Permission{{Subject: sub, Pattern: pattern, Role: model.Role(role)}}
		acts := []model.Action{model.Action(action), pull}
		if kind&16 != 0 {
			acts = []model.Action{model.Action(action)}
		}
		typ := TypeRepository
		if kind&32 != 0 {
			typ = TypeRegistry
		}
		in.req = []model.Scope{{Type: typ, Name: name, Actions: acts}}

		got := New(in.opts).Grant(in.acct, in.perms, in.req, in.now)
		if diff := cmp.Diff(refGrant(in), got); diff != "" {
			t.Fatalf("engine disagrees with reference (-ref +engine):\n%s", diff)
		}
		permitted := refPermitted(in, typ, name)
		for _, a := range got[0].Actions {
			if !slices.Contains(acts, a) || !permitted[string(a)] {
				t.Fatalf("escalation: granted %q on %s:%s", a, typ, name)
			}
		}
	})
}
