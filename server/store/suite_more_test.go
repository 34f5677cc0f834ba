package store

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regauth/regauth/server/model"
)

func testRefreshTokens(t *testing.T, db *DB, c *clock) {
	must(t, db.CreateUser(ctx, model.User{Name: "alice", PasswordHash: "h"}))
	must(t, db.CreateRobot(ctx, model.Robot{Name: "ns+r", SecretHash: []byte{1}}))
	alice := model.UserSubject("alice")
	created, expires := c.Now(), c.Now().Add(time.Hour)
	must(t, db.PutRefreshToken(ctx, []byte("h1"), alice, expires))
	must(t, db.PutRefreshToken(ctx, []byte("h2"), alice, expires))
	must(t, db.PutRefreshToken(ctx, []byte("h3"), model.RobotSubject("ns+r"), expires))
	wantErr(t, "duplicate", db.PutRefreshToken(ctx, []byte("h1"), alice, expires), model.ErrExists)
	wantErr(t, "unknown subject", db.PutRefreshToken(ctx, []byte("h4"), model.UserSubject("bob"), expires), model.ErrNotFound)
	if err := db.PutRefreshToken(ctx, nil, alice, expires); err == nil {
		t.Error("empty hash: no error")
	}

	sub, cr, ex, err := db.GetRefreshToken(ctx, []byte("h1"))
	must(t, err)
	if sub != alice || !cr.Equal(created) || !ex.Equal(expires) {
		t.Errorf("GetRefreshToken = %s %v %v", sub, cr, ex)
	}
	_, _, _, err = db.GetRefreshToken(ctx, []byte("nope"))
	wantErr(t, "unknown hash", err, model.ErrNotFound)

	must(t, db.DeleteRefreshToken(ctx, []byte("h2")))
	wantErr(t, "delete again", db.DeleteRefreshToken(ctx, []byte("h2")), model.ErrNotFound)
	n, err := db.DeleteRefreshTokens(ctx, alice)
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteRefreshTokens = %d, want 1", n)
	}
	_, _, _, err = db.GetRefreshToken(ctx, []byte("h1"))
	wantErr(t, "after delete by subject", err, model.ErrNotFound)

	c.Advance(2 * time.Hour)
	_, _, _, err = db.GetRefreshToken(ctx, []byte("h3"))
	wantErr(t, "expired", err, model.ErrNotFound)
	n, err = db.PruneRefreshTokens(ctx, c.Now())
	must(t, err)
	if n != 1 {
		t.Errorf("PruneRefreshTokens = %d, want 1", n)
	}
}

func testAudit(t *testing.T, db *DB, c *clock) {
	const n = 1200
	for i := range n {
		must(t, db.AppendAudit(ctx, model.AuditEvent{Account: fmt.Sprintf("robot:ns+r%d", i), ClientIP: "10.0.0.1",
			Service: "registry", Requested: "repository:a/b:pull", Granted: "repository:a/b:pull", Result: "granted"}))
	}
	must(t, db.Flush(ctx))
	var all []model.AuditEvent
	for before := int64(0); ; {
		page, err := db.ListAudit(ctx, 500, before)
		must(t, err)
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		before = page[len(page)-1].ID
	}
	if len(all) != n {
		t.Fatalf("listed %d events, want %d", len(all), n)
	}
	for i, ev := range all { // newest first
		want := model.AuditEvent{ID: ev.ID, Time: c.Now(), Account: fmt.Sprintf("robot:ns+r%d", n-1-i), ClientIP: "10.0.0.1",
			Service: "registry", Requested: "repository:a/b:pull", Granted: "repository:a/b:pull", Result: "granted"}
		if diff := cmp.Diff(want, ev); diff != "" {
			t.Fatalf("event %d (-want +got):\n%s", i, diff)
		}
	}
	// ListAudit sees events appended just before, without an explicit Flush.
	must(t, db.AppendAudit(ctx, model.AuditEvent{Account: "anonymous", Result: "denied", Time: c.Now().Add(time.Second)}))
	page, err := db.ListAudit(ctx, 0, 0)
	must(t, err)
	if len(page) != 100 || page[0].Account != "anonymous" {
		t.Errorf("ListAudit default: %d events, first %+v", len(page), page[0])
	}
	pruned, err := db.PruneAudit(ctx, c.Now().Add(time.Millisecond))
	must(t, err)
	if pruned != n {
		t.Errorf("PruneAudit = %d, want %d", pruned, n)
	}
}

func testConcurrentWriters(t *testing.T, db *DB, c *clock) {
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("ns+r%02d", i)
			if err := db.CreateRobot(ctx, model.Robot{Name: name, SecretHash: []byte{byte(i)}}); err != nil {
				errs <- err
				return
			}
			_, err := db.AddPermission(ctx, model.Permission{Subject: model.RobotSubject(name), Pattern: "ns/*", Role: model.Read})
			if err == nil {
				err = db.AppendAudit(ctx, model.AuditEvent{Account: name})
			}
			if err == nil {
				err = db.TouchRobot(ctx, name, c.Now())
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	rs, err := db.ListRobots(ctx, "ns")
	must(t, err)
	ps, err := db.ListAllPermissions(ctx)
	must(t, err)
	if len(rs) != n || len(ps) != n {
		t.Errorf("%d robots and %d permissions, want %d each", len(rs), len(ps), n)
	}
}

func testNoSecretsInErrors(t *testing.T, db *DB, c *clock) {
	const secret = "$2a$10$SECRETHASHVALUE"
	hash := []byte("SECRETTOKENHASH")
	must(t, db.CreateUser(ctx, model.User{Name: "alice", PasswordHash: secret}))
	must(t, db.CreateRobot(ctx, model.Robot{Name: "ns+r", SecretHash: hash}))
	must(t, db.PutRefreshToken(ctx, hash, model.UserSubject("alice"), c.Now().Add(time.Hour)))
	errs := []error{
		db.CreateUser(ctx, model.User{Name: "alice", PasswordHash: secret}),
		db.CreateRobot(ctx, model.Robot{Name: "ns+r", SecretHash: hash}),
		db.PutRefreshToken(ctx, hash, model.UserSubject("alice"), c.Now()),
		db.PutRefreshToken(ctx, hash, model.UserSubject("nobody"), c.Now()),
	}
	_, _, _, err := db.GetRefreshToken(ctx, []byte("SECRETOTHER"))
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		for _, s := range []string{"SECRET", fmt.Sprintf("%x", hash)} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("case %d: error %q contains a secret", i, err)
			}
		}
	}
}

func testMigrationsIdempotent(t *testing.T, dsn string) {
	c := newClock()
	for range 3 {
		db := openDSN(t, dsn, c)
		must(t, db.CreateUser(ctx, model.User{Name: fmt.Sprintf("u%d", c.ns.Add(1)), PasswordHash: "h"}))
		must(t, db.Close())
	}
	db := openDSN(t, dsn, c)
	assertMigratedOnce(t, db)
	us, err := db.ListUsers(ctx)
	must(t, err)
	if len(us) != 3 {
		t.Errorf("%d users after reopening, want 3", len(us))
	}
}

func testConcurrentOpen(t *testing.T, dsn string) {
	const n = 4
	var wg sync.WaitGroup
	dbs := make([]*DB, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(ctx, dsn) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		return
	}
	assertMigratedOnce(t, dbs[0])
}

func assertMigratedOnce(t *testing.T, db *DB) {
	t.Helper()
	ms, err := loadMigrations(db.d)
	must(t, err)
	var rows, distinct int
	must(t, db.r.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations").Scan(&rows, &distinct))
	if rows != len(ms) || distinct != len(ms) {
		t.Errorf("schema_migrations has %d rows (%d versions), want %d", rows, distinct, len(ms))
	}
}
