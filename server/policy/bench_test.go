package policy

import (
	"fmt"
	"testing"

	"github.com/regauth/regauth/server/model"
)

// benchPerms returns n permissions for robot team+ci in the shapes a real
// store holds: mostly exact repositories, some namespace and one-level
// globs, a few with '*' inside a segment (the only kind scanned linearly).
func benchPerms(n int, globEvery int) []model.Permission {
	sub := model.RobotSubject("team+ci")
	roles := []model.Role{model.Read, model.Write, model.Admin}
	perms := make([]model.Permission, 0, n)
	for i := range n {
		var p string
		switch {
		case globEvery > 0 && i%globEvery == 0:
			p = fmt.Sprintf("ns%d/app-*", i)
		case i%10 == 1:
			p = fmt.Sprintf("ns%d/**", i)
		case i%10 == 2:
			p = fmt.Sprintf("ns%d/*", i)
		default:
			p = fmt.Sprintf("ns%d/app%d", i%97, i)
		}
		perms = append(perms, model.Permission{ID: int64(i), Subject: sub, Pattern: p, Role: roles[i%3]})
	}
	return perms
}

var benchReq = []model.Scope{
	{Type: TypeRepository, Name: "ns7/app7", Actions: []model.Action{model.Pull, model.Push}},
	{Type: TypeRepository, Name: "other/deep/repo", Actions: []model.Action{model.Pull}},
}

func BenchmarkGrant(b *testing.B) {
	acct := robotAcct("team+ci")
	for _, tc := range []struct {
		name     string
		n, globs int
	}{
		{"perms=100", 100, 20},
		{"perms=10000", 10000, 20},
		{"perms=10000/all-globs", 10000, 1},
	} {
		c, err := New(DefaultOptions()).Compile(benchPerms(tc.n, tc.globs))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Grant(acct, benchReq, now)
			}
		})
	}
}

// BenchmarkEngineGrant is the convenience path that compiles on each call.
func BenchmarkEngineGrant(b *testing.B) {
	acct := robotAcct("team+ci")
	for _, n := range []int{10, 100} {
		perms := benchPerms(n, 20)
		e := New(DefaultOptions())
		b.Run(fmt.Sprintf("perms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Grant(acct, perms, benchReq, now)
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{100, 10000} {
		perms := benchPerms(n, 20)
		e := New(DefaultOptions())
		b.Run(fmt.Sprintf("perms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Compile(perms); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
