package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/regauth/regauth/server/model"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func userAcct(name string) Account  { return Account{User: &model.User{Name: name}} }
func adminAcct(name string) Account { return Account{User: &model.User{Name: name, Admin: true}} }
func robotAcct(name string) Account {
	ns, _, _ := strings.Cut(name, "+")
	return Account{Robot: &model.Robot{Name: name, Namespace: ns}}
}

func perm(sub model.Subject, pattern string, role model.Role) model.Permission {
	return model.Permission{Subject: sub, Pattern: pattern, Role: role}
}

func repo(name string, actions ...model.Action) model.Scope {
	return model.Scope{Type: TypeRepository, Name: name, Actions: actions}
}

// got returns a scope as Grant does: actions never nil.
func got(typ, name string, actions ...model.Action) model.Scope {
	if actions == nil {
		actions = []model.Action{}
	}
	return model.Scope{Type: typ, Name: name, Actions: actions}
}

func granted(name string, actions ...model.Action) model.Scope {
	return got(TypeRepository, name, actions...)
}

const (
	pull = model.Pull
	push = model.Push
	del  = model.Delete
	all  = model.All
)

var ppd = []model.Action{pull, push, del}

func TestGrant(t *testing.T) {
	t.Parallel()
	alice := model.UserSubject("alice")
	ci := model.RobotSubject("team+ci")
	hourAgo, inHour := now.Add(-time.Hour), now.Add(time.Hour)
	tests := []struct {
		name  string
		opts  Options
		acct  Account
		perms []model.Permission
		req   []model.Scope
		want  []model.Scope
	}{
		{name: "read role is pull", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/app", model.Read)},
			req:   []model.Scope{repo("team/app", ppd...)},
			want:  []model.Scope{granted("team/app", pull)}},
		{name: "write role is pull push", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/app", model.Write)},
			req:   []model.Scope{repo("team/app", ppd...)},
			want:  []model.Scope{granted("team/app", pull, push)}},
		{name: "admin role is pull push delete", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/app", model.Admin)},
			req:   []model.Scope{repo("team/app", del, push, pull)},
			want:  []model.Scope{granted("team/app", ppd...)}},
		{name: "partial grant is intersection", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/app", model.Admin)},
			req:   []model.Scope{repo("team/app", push)},
			want:  []model.Scope{granted("team/app", push)}},
		{name: "exact pattern matches only itself", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/app", model.Read)},
			req:   []model.Scope{repo("team/app2", pull), repo("team/app/x", pull), repo("team", pull)},
			want:  []model.Scope{granted("team/app2"), granted("team/app/x"), granted("team")}},
		{name: "one-level glob", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/*", model.Read)},
			req:   []model.Scope{repo("team/app", pull), repo("team/sub/app", pull), repo("team", pull), repo("teams/app", pull)},
			want:  []model.Scope{granted("team/app", pull), granted("team/sub/app"), granted("team"), granted("teams/app")}},
		{name: "recursive glob", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/**", model.Read)},
			req:   []model.Scope{repo("team/app", pull), repo("team/sub/app", pull), repo("team", pull), repo("teamx/app", pull)},
			want:  []model.Scope{granted("team/app", pull), granted("team/sub/app", pull), granted("team"), granted("teamx/app")}},
		{name: "nested recursive glob", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/sub/**", model.Read)},
			req:   []model.Scope{repo("team/sub/a/b", pull), repo("team/sub", pull), repo("team/app", pull)},
			want:  []model.Scope{granted("team/sub/a/b", pull), granted("team/sub"), granted("team/app")}},
		{name: "double star is everything", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "**", model.Write)},
			req:   []model.Scope{repo("x", ppd...), repo("a/b/c/d", pull)},
			want:  []model.Scope{granted("x", pull, push), granted("a/b/c/d", pull)}},
		{name: "star alone is one segment", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "*", model.Read)},
			req:   []model.Scope{repo("x", pull), repo("a/b", pull)},
			want:  []model.Scope{granted("x", pull), granted("a/b")}},
		{name: "star inside a segment", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/app-*", model.Read)},
			req:   []model.Scope{repo("team/app-web", pull), repo("team/app", pull), repo("team/app-web/x", pull), repo("team/web-app-x", pull)},
			want:  []model.Scope{granted("team/app-web", pull), granted("team/app"), granted("team/app-web/x"), granted("team/web-app-x")}},
		{name: "star in a middle segment", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "*/app", model.Read), perm(alice, "t*/**", model.Write)},
			req:   []model.Scope{repo("x/app", pull, push), repo("team/a/b", push), repo("x/y/app", pull)},
			want:  []model.Scope{granted("x/app", pull), granted("team/a/b", push), granted("x/y/app")}},
		{name: "namespace pattern", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, NamespacePattern("team"), model.Admin)},
			req:   []model.Scope{repo("team/a/b", del), repo("team", del)},
			want:  []model.Scope{granted("team/a/b", del), granted("team")}},
		{name: "union of permissions", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/*", model.Read), perm(alice, "team/app", model.Write), perm(alice, "x/**", model.Read)},
			req:   []model.Scope{repo("team/app", ppd...), repo("team/b", ppd...)},
			want:  []model.Scope{granted("team/app", pull, push), granted("team/b", pull)}},
		{name: "own namespace by default", opts: DefaultOptions(), acct: userAcct("alice"),
			req:  []model.Scope{repo("alice/app", ppd...), repo("alice/a/b", del), repo("alice", pull), repo("alicex/app", pull)},
			want: []model.Scope{granted("alice/app", ppd...), granted("alice/a/b", del), granted("alice"), granted("alicex/app")}},
		{name: "own namespace off", opts: Options{}, acct: userAcct("alice"),
			req:  []model.Scope{repo("alice/app", pull)},
			want: []model.Scope{granted("alice/app")}},
		{name: "robot has no implicit namespace", opts: DefaultOptions(), acct: robotAcct("team+ci"),
			req:  []model.Scope{repo("team/app", pull), repo("team+ci/app", pull)},
			want: []model.Scope{granted("team/app"), granted("team+ci/app")}},
		{name: "robot explicit permissions", opts: DefaultOptions(), acct: robotAcct("team+ci"),
			perms: []model.Permission{perm(ci, "team/*", model.Write)},
			req:   []model.Scope{repo("team/app", ppd...), repo("other/app", pull)},
			want:  []model.Scope{granted("team/app", pull, push), granted("other/app")}},
		{name: "permission for another subject ignored", opts: DefaultOptions(), acct: robotAcct("team+ci"),
			perms: []model.Permission{perm(alice, "**", model.Admin), perm(model.UserSubject("team+ci"), "**", model.Admin), perm("", "**", model.Admin)},
			req:   []model.Scope{repo("team/app", pull)},
			want:  []model.Scope{granted("team/app")}},
		{name: "invalid pattern and role ignored", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/**/x", model.Admin), perm(alice, "team/app", "owner"), perm(alice, "team/app", model.Read)},
			req:   []model.Scope{repo("team/app", ppd...), repo("team/a/x", pull)},
			want:  []model.Scope{granted("team/app", pull), granted("team/a/x")}},
		{name: "disabled user gets nothing", opts: DefaultOptions(),
			acct:  Account{User: &model.User{Name: "alice", Disabled: true, Admin: true}},
			perms: []model.Permission{perm(alice, "**", model.Admin)},
			req:   []model.Scope{repo("alice/app", pull), got(TypeRegistry, CatalogName, all)},
			want:  []model.Scope{granted("alice/app"), got(TypeRegistry, CatalogName)}},
		{name: "disabled robot gets nothing", opts: Options{AnonymousPull: []string{"**"}},
			acct:  Account{Robot: &model.Robot{Name: "team+ci", Disabled: true}},
			perms: []model.Permission{perm(ci, "**", model.Admin)},
			req:   []model.Scope{repo("team/app", pull)},
			want:  []model.Scope{granted("team/app")}},
		{name: "expired robot gets nothing", acct: Account{Robot: &model.Robot{Name: "team+ci", ExpiresAt: hourAgo}},
			perms: []model.Permission{perm(ci, "**", model.Admin)},
			req:   []model.Scope{repo("team/app", pull)},
			want:  []model.Scope{granted("team/app")}},
		{name: "robot expiring now is expired", acct: Account{Robot: &model.Robot{Name: "team+ci", ExpiresAt: now}},
			perms: []model.Permission{perm(ci, "**", model.Admin)},
			req:   []model.Scope{repo("team/app", pull)},
			want:  []model.Scope{granted("team/app")}},
		{name: "robot expiring later is fine", acct: Account{Robot: &model.Robot{Name: "team+ci", ExpiresAt: inHour}},
			perms: []model.Permission{perm(ci, "**", model.Admin)},
			req:   []model.Scope{repo("team/app", pull)},
			want:  []model.Scope{granted("team/app", pull)}},
		{name: "user and robot together get nothing", acct: Account{User: &model.User{Name: "alice", Admin: true}, Robot: &model.Robot{Name: "team+ci"}},
			perms: []model.Permission{perm(ci, "**", model.Admin), perm(alice, "**", model.Admin)},
			req:   []model.Scope{repo("team/app", pull)},
			want:  []model.Scope{granted("team/app")}},
		{name: "admin gets everything", acct: adminAcct("root"),
			req:  []model.Scope{repo("any/thing", pull, push, del, all, "bogus"), got(TypeRegistry, CatalogName, all)},
			want: []model.Scope{granted("any/thing", pull, push, del, all), got(TypeRegistry, CatalogName, all)}},
		{name: "catalog is for admins only", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "**", model.Admin)},
			req:   []model.Scope{got(TypeRegistry, CatalogName, all)},
			want:  []model.Scope{got(TypeRegistry, CatalogName)}},
		{name: "catalog other action or name", acct: adminAcct("root"),
			req:  []model.Scope{got(TypeRegistry, CatalogName, pull), got(TypeRegistry, "other", all)},
			want: []model.Scope{got(TypeRegistry, CatalogName), got(TypeRegistry, "other")}},
		{name: "star on repository only for admin users", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "**", model.Admin)},
			req:   []model.Scope{repo("a/b", all, pull)},
			want:  []model.Scope{granted("a/b", pull)}},
		{name: "anonymous gets nothing", opts: DefaultOptions(), acct: Account{},
			req:  []model.Scope{repo("team/app", pull), got(TypeRegistry, CatalogName, all)},
			want: []model.Scope{granted("team/app"), got(TypeRegistry, CatalogName)}},
		{name: "anonymous ignores permissions", acct: Account{},
			perms: []model.Permission{perm("", "**", model.Admin), perm("user:", "**", model.Admin)},
			req:   []model.Scope{repo("team/app", pull)},
			want:  []model.Scope{granted("team/app")}},
		{name: "anonymous pull of public repositories", opts: Options{AnonymousPull: []string{"public/**", "library/*", "bad//"}},
			acct: Account{},
			req:  []model.Scope{repo("public/a/b", ppd...), repo("library/x", pull), repo("private/x", pull)},
			want: []model.Scope{granted("public/a/b", pull), granted("library/x", pull), granted("private/x")}},
		{name: "public repositories for accounts too", opts: Options{AnonymousPull: []string{"public/**"}},
			acct: robotAcct("team+ci"), perms: []model.Permission{perm(ci, "public/x", model.Write)},
			req:  []model.Scope{repo("public/a", pull, push), repo("public/x", pull, push)},
			want: []model.Scope{granted("public/a", pull), granted("public/x", pull, push)}},
		{name: "plugin scope is a repository", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/*", model.Read)},
			req:   []model.Scope{{Type: TypeRepositoryPlugin, Name: "team/p", Actions: []model.Action{pull}}},
			want:  []model.Scope{got(TypeRepositoryPlugin, "team/p", pull)}},
		{name: "other scope types get nothing", acct: adminAcct("root"),
			req:  []model.Scope{got("Repository", "a/b", pull), got("foo", "a/b", pull), got("", "a/b", pull)},
			want: []model.Scope{got("Repository", "a/b"), got("foo", "a/b"), got("", "a/b")}},
		{name: "unknown actions dropped", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "**", model.Admin)},
			req:   []model.Scope{repo("a/b", "PULL", "read", "", "pull,push", push)},
			want:  []model.Scope{granted("a/b", push)}},
		{name: "duplicates merge in request order", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "**", model.Admin)},
			req:   []model.Scope{repo("b", push), repo("a", pull), repo("b", pull, push), got(TypeRepositoryPlugin, "b", del), repo("a", del)},
			want:  []model.Scope{granted("b", pull, push), granted("a", pull, del), got(TypeRepositoryPlugin, "b", del)}},
		{name: "no actions requested", acct: adminAcct("root"),
			req:  []model.Scope{repo("a")},
			want: []model.Scope{granted("a")}},
		{name: "invalid repository names get nothing", acct: adminAcct("root"),
			req:  []model.Scope{repo("team/*", pull), repo("Team/App", pull), repo("a//b", pull), repo("/a", pull), repo("a/../b", pull), repo("", pull), repo("-a", pull)},
			want: []model.Scope{granted("team/*"), granted("Team/App"), granted("a//b"), granted("/a"), granted("a/../b"), granted(""), granted("-a")}},
		{name: "wildcard request name is not a wildcard", acct: userAcct("alice"),
			perms: []model.Permission{perm(alice, "team/*", model.Admin)},
			req:   []model.Scope{repo("team/*", pull), repo("team/**", pull)},
			want:  []model.Scope{granted("team/*"), granted("team/**")}},
		{name: "invalid user name has no namespace", opts: DefaultOptions(), acct: userAcct("a/b"),
			req:  []model.Scope{repo("a/b/c", pull)},
			want: []model.Scope{granted("a/b/c")}},
		{name: "empty request", acct: adminAcct("root"), req: nil, want: []model.Scope{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := New(tc.opts)
			gotScopes := e.Grant(tc.acct, tc.perms, tc.req, now)
			if diff := cmp.Diff(tc.want, gotScopes); diff != "" {
				t.Errorf("Grant() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGrantManyScopesMerge(t *testing.T) {
	t.Parallel()
	// Past 16 distinct scopes Grant switches to a map; order and merging
	// must not change.
	var req, want []model.Scope
	for i := range 40 {
		name := string(rune('a'+i%26)) + "/" + string(rune('a'+i/26))
		req = append(req, repo(name, pull))
		want = append(want, granted(name, pull, del))
	}
	for i := range 40 {
		req = append(req, repo(want[i].Name, del))
	}
	if diff := cmp.Diff(want, New(Options{}).Grant(adminAcct("root"), nil, req, now)); diff != "" {
		t.Errorf("Grant() mismatch (-want +got):\n%s", diff)
	}
}

func TestGrantedActionsDoNotAlias(t *testing.T) {
	t.Parallel()
	out := New(Options{}).Grant(adminAcct("root"), nil, []model.Scope{repo("a", pull), repo("b", push)}, now)
	out[0].Actions = append(out[0].Actions, "x")
	if diff := cmp.Diff([]model.Action{push}, out[1].Actions); diff != "" {
		t.Errorf("appending to one scope changed the next (-want +got):\n%s", diff)
	}
}

func TestCompileReportsInvalid(t *testing.T) {
	t.Parallel()
	c, err := New(Options{}).Compile([]model.Permission{
		{ID: 1, Subject: "user:alice", Pattern: "a//b", Role: model.Read},
		{ID: 2, Subject: "user:alice", Pattern: "a/b", Role: "owner"},
		{ID: 3, Subject: "group:x", Pattern: "a/b", Role: model.Read},
		{ID: 4, Subject: "user:alice", Pattern: "a/b", Role: model.Read},
	})
	if err == nil {
		t.Fatal("Compile() error = nil, want the three invalid permissions")
	}
	for _, s := range []string{"permission 1: invalid repository pattern", "permission 2: unknown role", "permission 3: unknown subject"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Compile() error = %q, want it to mention %q", err, s)
		}
	}
	// The valid permission still works.
	gotScopes := c.Grant(userAcct("alice"), []model.Scope{repo("a/b", pull)}, now)
	if diff := cmp.Diff([]model.Scope{granted("a/b", pull)}, gotScopes); diff != "" {
		t.Errorf("Grant() mismatch (-want +got):\n%s", diff)
	}
}

func TestCompiledManySubjects(t *testing.T) {
	t.Parallel()
	c, err := New(Options{}).Compile([]model.Permission{
		perm("user:alice", "a/**", model.Read),
		perm("user:bob", "b/**", model.Write),
		perm("robot:a+ci", "a/**", model.Admin),
	})
	if err != nil {
		t.Fatal(err)
	}
	req := []model.Scope{repo("a/x", ppd...), repo("b/x", ppd...)}
	for _, tc := range []struct {
		acct Account
		want []model.Scope
	}{
		{userAcct("alice"), []model.Scope{granted("a/x", pull), granted("b/x")}},
		{userAcct("bob"), []model.Scope{granted("a/x"), granted("b/x", pull, push)}},
		{robotAcct("a+ci"), []model.Scope{granted("a/x", ppd...), granted("b/x")}},
		{userAcct("a+ci"), []model.Scope{granted("a/x"), granted("b/x")}},
	} {
		if diff := cmp.Diff(tc.want, c.Grant(tc.acct, req, now)); diff != "" {
			t.Errorf("Grant(%s) mismatch (-want +got):\n%s", tc.acct.Subject(), diff)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	if err := DefaultOptions().Validate(); err != nil {
		t.Errorf("DefaultOptions().Validate() = %v", err)
	}
	err := Options{AnonymousPull: []string{"public/**", "a/**/b"}}.Validate()
	if err == nil || !strings.Contains(err.Error(), `anonymous pull: invalid repository pattern "a/**/b"`) {
		t.Errorf("Validate() = %v, want the bad pattern named", err)
	}
}

func TestAccountSubject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		acct Account
		want model.Subject
	}{
		{Account{}, ""},
		{userAcct("alice"), "user:alice"},
		{robotAcct("team+ci"), "robot:team+ci"},
		{Account{User: &model.User{}, Robot: &model.Robot{}}, ""},
	} {
		if got := tc.acct.Subject(); got != tc.want {
			t.Errorf("Subject() = %q, want %q", got, tc.want)
		}
	}
}
