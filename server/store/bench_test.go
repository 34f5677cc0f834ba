package store

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/regauth/regauth/server/model"
)

const (
	benchRobots   = 10_000
	benchPermsPer = 10 // 100,000 permissions in all
)

// seedBench fills a fresh SQLite database in one transaction (the public
// API commits, and fsyncs, once per call).
func seedBench(b *testing.B) *DB {
	b.Helper()
	db := openDSN(b, sqliteDSN(b), newClock())
	now := nanos(time.Now())
	must(b, db.tx(ctx, func(tx *sql.Tx) error {
		rs, err := tx.PrepareContext(ctx, "INSERT INTO robots ("+robotCols+") VALUES ($1, $2, $3, $4, '', NULL, FALSE, $5, $5, NULL)")
		if err != nil {
			return err
		}
		ps, err := tx.PrepareContext(ctx, "INSERT INTO permissions (subject, robot_name, pattern, role, created_at) VALUES ($1, $2, $3, $4, $5)")
		if err != nil {
			return err
		}
		for i := range benchRobots {
			ns := fmt.Sprintf("team%d", i%100)
			name := fmt.Sprintf("%s+robot%d", ns, i)
			if _, err := rs.ExecContext(ctx, name, ns, "owner", []byte("0123456789abcdef0123456789abcdef"), now); err != nil {
				return err
			}
			for j := range benchPermsPer {
				if _, err := ps.ExecContext(ctx, "robot:"+name, name, fmt.Sprintf("%s/app%d/*", ns, j), "write", now); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	_, err := db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	must(b, err)
	return db
}

func hotPath(b *testing.B, db *DB, rnd *rand.Rand) {
	i := rnd.IntN(benchRobots)
	name := fmt.Sprintf("team%d+robot%d", i%100, i)
	r, err := db.GetRobot(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	ps, err := db.ListPermissions(ctx, model.RobotSubject(r.Name))
	if err != nil || len(ps) != benchPermsPer {
		b.Fatalf("ListPermissions: %d, %v", len(ps), err)
	}
}

// BenchmarkTokenHotPath is what a robot's token request reads: the robot,
// then its permissions, with 10,000 robots and 100,000 permissions.
func BenchmarkTokenHotPath(b *testing.B) {
	db := seedBench(b)
	rnd := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		hotPath(b, db, rnd)
	}
}

// BenchmarkTokenHotPathParallel is the same from GOMAXPROCS goroutines:
// readers do not queue behind each other (WAL, a pool of read connections).
func BenchmarkTokenHotPathParallel(b *testing.B) {
	db := seedBench(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rnd := rand.New(rand.NewPCG(rand.Uint64(), 2))
		for pb.Next() {
			hotPath(b, db, rnd)
		}
	})
}

// BenchmarkTouchRobot is TouchRobot on the hot path, where nearly every
// call falls within the minute and skips the database.
func BenchmarkTouchRobot(b *testing.B) {
	db := openDSN(b, sqliteDSN(b), newClock())
	must(b, db.CreateRobot(ctx, model.Robot{Name: "ns+r", SecretHash: []byte{1}}))
	t := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		t = t.Add(time.Millisecond) // one real write per 60,000 calls
		if err := db.TouchRobot(ctx, "ns+r", t); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendAudit includes writing: Flush at the end waits for the
// background writer, so ns/op is the sustained rate, not just the enqueue.
func BenchmarkAppendAudit(b *testing.B) {
	db := openDSN(b, sqliteDSN(b), newClock())
	ev := model.AuditEvent{Account: "robot:ns+r", ClientIP: "10.1.2.3", Service: "registry",
		Requested: "repository:team/app:pull,push", Granted: "repository:team/app:pull,push", Result: "granted"}
	b.ReportAllocs()
	for b.Loop() {
		if err := db.AppendAudit(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	must(b, db.Flush(ctx))
}
