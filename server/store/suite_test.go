package store

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regauth/regauth/server/model"
)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// openDSN opens dsn with a test clock and closes it at cleanup.
func openDSN(t testing.TB, dsn string, c *clock) *DB {
	t.Helper()
	db, err := OpenOptions(context.Background(), dsn, Options{Now: c.Now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// runSuite is the conformance suite every backend passes. newDSN returns
// the DSN of a fresh, empty database.
func runSuite(t *testing.T, newDSN func(testing.TB) string) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *DB, c *clock)
	}{
		{"users", testUsers},
		{"robots", testRobots},
		{"touch robot", testTouchRobot},
		{"permissions", testPermissions},
		{"cascades", testCascades},
		{"refresh tokens", testRefreshTokens},
		{"audit", testAudit},
		{"concurrent writers", testConcurrentWriters},
		{"errors carry no secrets", testNoSecretsInErrors},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			tc.fn(t, openDSN(t, newDSN(t), c), c)
		})
	}
	t.Run("migrations idempotent", func(t *testing.T) {
		t.Parallel()
		testMigrationsIdempotent(t, newDSN(t))
	})
	t.Run("concurrent open", func(t *testing.T) {
		t.Parallel()
		testConcurrentOpen(t, newDSN(t))
	})
}

var ctx = context.Background()

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

func ptr[T any](v T) *T { return &v }

func testUsers(t *testing.T, db *DB, c *clock) {
	created := c.Now()
	alice := model.User{Name: "alice", PasswordHash: "$2a$10$alicehash", Admin: true}
	must(t, db.CreateUser(ctx, alice))
	must(t, db.CreateUser(ctx, model.User{Name: "bob", PasswordHash: "$argon2id$bob", CreatedAt: created.Add(-time.Hour)}))
	wantErr(t, "create duplicate", db.CreateUser(ctx, model.User{Name: "alice", PasswordHash: "x"}), model.ErrExists)
	if err := db.CreateUser(ctx, model.User{}); err == nil {
		t.Error("create with empty name: no error")
	}

	got, err := db.GetUser(ctx, "alice")
	must(t, err)
	want := &model.User{Name: "alice", PasswordHash: "$2a$10$alicehash", Admin: true, CreatedAt: created, PasswordChangedAt: created}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetUser (-want +got):\n%s", diff)
	}
	_, err = db.GetUser(ctx, "nobody")
	wantErr(t, "get missing", err, model.ErrNotFound)

	c.Advance(time.Minute)
	got, err = db.UpdateUser(ctx, "alice", UserUpdate{PasswordHash: ptr("$2a$10$new"), Admin: ptr(false), Disabled: ptr(true)})
	must(t, err)
	want = &model.User{Name: "alice", PasswordHash: "$2a$10$new", Disabled: true, CreatedAt: created, PasswordChangedAt: c.Now()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UpdateUser (-want +got):\n%s", diff)
	}
	got, err = db.UpdateUser(ctx, "alice", UserUpdate{Disabled: ptr(false)}) // password time kept
	must(t, err)
	if !got.PasswordChangedAt.Equal(want.PasswordChangedAt) || got.Disabled {
		t.Errorf("partial update: got %+v", got)
	}
	_, err = db.UpdateUser(ctx, "nobody", UserUpdate{Admin: ptr(true)})
	wantErr(t, "update missing", err, model.ErrNotFound)
	_, err = db.UpdateUser(ctx, "nobody", UserUpdate{})
	wantErr(t, "empty update of missing", err, model.ErrNotFound)

	us, err := db.ListUsers(ctx)
	must(t, err)
	var names []string
	for _, u := range us {
		names = append(names, u.Name)
	}
	if diff := cmp.Diff([]string{"alice", "bob"}, names); diff != "" {
		t.Errorf("ListUsers (-want +got):\n%s", diff)
	}

	must(t, db.DeleteUser(ctx, "bob"))
	wantErr(t, "delete again", db.DeleteUser(ctx, "bob"), model.ErrNotFound)
	_, err = db.GetUser(ctx, "bob")
	wantErr(t, "get deleted", err, model.ErrNotFound)
}

func testRobots(t *testing.T, db *DB, c *clock) {
	now := c.Now()
	expires := now.Add(24 * time.Hour)
	ci := model.Robot{Name: "team+ci", Owner: "alice", SecretHash: []byte{1, 2, 3}, Description: "CI", ExpiresAt: expires}
	must(t, db.CreateRobot(ctx, ci))
	must(t, db.CreateRobot(ctx, model.Robot{Name: "team+deploy", Namespace: "team", Owner: "alice", SecretHash: []byte{4}}))
	must(t, db.CreateRobot(ctx, model.Robot{Name: "other+x", Owner: "bob", SecretHash: []byte{5}}))
	wantErr(t, "create duplicate", db.CreateRobot(ctx, model.Robot{Name: "team+ci", SecretHash: []byte{9}}), model.ErrExists)
	for name, r := range map[string]model.Robot{
		"no plus":            {Name: "teamci", SecretHash: []byte{1}},
		"empty namespace":    {Name: "+ci", SecretHash: []byte{1}},
		"namespace mismatch": {Name: "team+y", Namespace: "other", SecretHash: []byte{1}},
		"no secret":          {Name: "team+z"},
	} {
		if err := db.CreateRobot(ctx, r); err == nil {
			t.Errorf("create robot with %s: no error", name)
		}
	}

	got, err := db.GetRobot(ctx, "team+ci")
	must(t, err)
	want := &model.Robot{Name: "team+ci", Namespace: "team", Owner: "alice", SecretHash: []byte{1, 2, 3}, Description: "CI",
		ExpiresAt: expires, CreatedAt: now, SecretChangedAt: now}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetRobot (-want +got):\n%s", diff)
	}
	_, err = db.GetRobot(ctx, "team+nobody")
	wantErr(t, "get missing", err, model.ErrNotFound)

	for _, tc := range []struct {
		ns   string
		want []string
	}{{"", []string{"other+x", "team+ci", "team+deploy"}}, {"team", []string{"team+ci", "team+deploy"}}, {"none", nil}} {
		rs, err := db.ListRobots(ctx, tc.ns)
		must(t, err)
		var names []string
		for _, r := range rs {
			names = append(names, r.Name)
		}
		if diff := cmp.Diff(tc.want, names); diff != "" {
			t.Errorf("ListRobots(%q) (-want +got):\n%s", tc.ns, diff)
		}
	}

	c.Advance(time.Hour)
	got, err = db.UpdateRobot(ctx, "team+ci", RobotUpdate{SecretHash: []byte{7, 7}, Description: ptr("new"), ExpiresAt: ptr(time.Time{}), Disabled: ptr(true)})
	must(t, err)
	want = &model.Robot{Name: "team+ci", Namespace: "team", Owner: "alice", SecretHash: []byte{7, 7}, Description: "new",
		Disabled: true, CreatedAt: now, SecretChangedAt: c.Now()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UpdateRobot (-want +got):\n%s", diff)
	}
	got, err = db.UpdateRobot(ctx, "team+ci", RobotUpdate{ExpiresAt: ptr(expires)})
	must(t, err)
	if !got.ExpiresAt.Equal(expires) || !got.SecretChangedAt.Equal(c.Now()) || !got.Disabled {
		t.Errorf("partial update: got %+v", got)
	}
	_, err = db.UpdateRobot(ctx, "team+nobody", RobotUpdate{Disabled: ptr(true)})
	wantErr(t, "update missing", err, model.ErrNotFound)
	if _, err := db.UpdateRobot(ctx, "team+ci", RobotUpdate{SecretHash: []byte{}}); err == nil {
		t.Error("update with empty secret hash: no error")
	}

	must(t, db.DeleteRobot(ctx, "other+x"))
	wantErr(t, "delete again", db.DeleteRobot(ctx, "other+x"), model.ErrNotFound)
}

func testTouchRobot(t *testing.T, db *DB, c *clock) {
	must(t, db.CreateRobot(ctx, model.Robot{Name: "ns+r", SecretHash: []byte{1}}))
	t0 := c.Now()
	must(t, db.TouchRobot(ctx, "ns+r", t0))
	must(t, db.TouchRobot(ctx, "ns+r", t0.Add(30*time.Second))) // skipped: within a minute
	r, err := db.GetRobot(ctx, "ns+r")
	must(t, err)
	if !r.LastUsed.Equal(t0) {
		t.Errorf("LastUsed = %v, want %v", r.LastUsed, t0)
	}
	t1 := t0.Add(2 * time.Minute)
	must(t, db.TouchRobot(ctx, "ns+r", t1))
	r, err = db.GetRobot(ctx, "ns+r")
	must(t, err)
	if !r.LastUsed.Equal(t1) {
		t.Errorf("LastUsed = %v, want %v", r.LastUsed, t1)
	}
	must(t, db.TouchRobot(ctx, "ns+missing", t1)) // no-op, not an error
}

func testPermissions(t *testing.T, db *DB, c *clock) {
	must(t, db.CreateUser(ctx, model.User{Name: "alice", PasswordHash: "h"}))
	must(t, db.CreateRobot(ctx, model.Robot{Name: "team+ci", SecretHash: []byte{1}}))
	alice, ci := model.UserSubject("alice"), model.RobotSubject("team+ci")
	p1, err := db.AddPermission(ctx, model.Permission{Subject: ci, Pattern: "team/*", Role: model.Write})
	must(t, err)
	p2, err := db.AddPermission(ctx, model.Permission{Subject: ci, Pattern: "base/**", Role: model.Read})
	must(t, err)
	p3, err := db.AddPermission(ctx, model.Permission{Subject: alice, Pattern: "**", Role: model.Admin})
	must(t, err)
	if p1.ID == 0 || p1.ID == p2.ID || !p1.CreatedAt.Equal(c.Now()) {
		t.Errorf("AddPermission returned %+v, %+v", p1, p2)
	}

	for _, tc := range []struct {
		name string
		p    model.Permission
		want error // nil: just some error
	}{
		{"duplicate", model.Permission{Subject: ci, Pattern: "team/*", Role: model.Read}, model.ErrExists},
		{"unknown robot", model.Permission{Subject: model.RobotSubject("team+nobody"), Pattern: "x", Role: model.Read}, model.ErrNotFound},
		{"unknown user", model.Permission{Subject: model.UserSubject("nobody"), Pattern: "x", Role: model.Read}, model.ErrNotFound},
		{"invalid role", model.Permission{Subject: ci, Pattern: "y", Role: "owner"}, nil},
		{"empty pattern", model.Permission{Subject: ci, Role: model.Read}, nil},
		{"bad subject", model.Permission{Subject: "group:x", Pattern: "y", Role: model.Read}, nil},
	} {
		_, err := db.AddPermission(ctx, tc.p)
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}

	got, err := db.ListPermissions(ctx, ci)
	must(t, err)
	if diff := cmp.Diff([]model.Permission{p1, p2}, got); diff != "" {
		t.Errorf("ListPermissions (-want +got):\n%s", diff)
	}
	got, err = db.ListPermissions(ctx, model.RobotSubject("team+nobody"))
	must(t, err)
	if len(got) != 0 {
		t.Errorf("ListPermissions of nobody = %v", got)
	}
	got, err = db.ListAllPermissions(ctx)
	must(t, err)
	if diff := cmp.Diff([]model.Permission{p1, p2, p3}, got); diff != "" {
		t.Errorf("ListAllPermissions (-want +got):\n%s", diff)
	}

	must(t, db.DeletePermission(ctx, p1.ID))
	wantErr(t, "delete again", db.DeletePermission(ctx, p1.ID), model.ErrNotFound)
	got, err = db.ListPermissions(ctx, ci)
	must(t, err)
	if diff := cmp.Diff([]model.Permission{p2}, got); diff != "" {
		t.Errorf("after delete (-want +got):\n%s", diff)
	}
	// The pattern is free again, under a new ID.
	p4, err := db.AddPermission(ctx, model.Permission{Subject: ci, Pattern: "team/*", Role: model.Admin})
	must(t, err)
	if p4.ID <= p3.ID {
		t.Errorf("ID reused or not increasing: %d after %d", p4.ID, p3.ID)
	}
}

func testCascades(t *testing.T, db *DB, c *clock) {
	must(t, db.CreateUser(ctx, model.User{Name: "alice", PasswordHash: "h"}))
	must(t, db.CreateUser(ctx, model.User{Name: "bob", PasswordHash: "h"}))
	must(t, db.CreateRobot(ctx, model.Robot{Name: "alice+ci", Owner: "alice", SecretHash: []byte{1}}))
	subjects := []model.Subject{model.UserSubject("alice"), model.UserSubject("bob"), model.RobotSubject("alice+ci")}
	for i, s := range subjects {
		for _, pat := range []string{"a/*", "b/**"} {
			_, err := db.AddPermission(ctx, model.Permission{Subject: s, Pattern: pat, Role: model.Read})
			must(t, err)
		}
		must(t, db.PutRefreshToken(ctx, []byte{byte(i)}, s, c.Now().Add(time.Hour)))
	}

	must(t, db.DeleteUser(ctx, "alice"))
	must(t, db.DeleteRobot(ctx, "alice+ci"))
	for i, s := range subjects {
		ps, err := db.ListPermissions(ctx, s)
		must(t, err)
		_, _, _, tokErr := db.GetRefreshToken(ctx, []byte{byte(i)})
		if s == model.UserSubject("bob") {
			if len(ps) != 2 || tokErr != nil {
				t.Errorf("%s lost data: %d permissions, token err %v", s, len(ps), tokErr)
			}
			continue
		}
		if len(ps) != 0 {
			t.Errorf("%s: permissions survived delete: %v", s, ps)
		}
		wantErr(t, string(s)+" refresh token", tokErr, model.ErrNotFound)
	}
	// A re-created account starts with nothing.
	must(t, db.CreateUser(ctx, model.User{Name: "alice", PasswordHash: "h2"}))
	ps, err := db.ListPermissions(ctx, model.UserSubject("alice"))
	must(t, err)
	if len(ps) != 0 {
		t.Errorf("re-created user inherited %v", ps)
	}
}
