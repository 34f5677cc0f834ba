// Package store is the token server's storage: users, robots, permissions,
// refresh tokens and the audit log, in SQLite (the embedded default) or
// PostgreSQL (for several replicas), through ONE implementation over
// database/sql. The dialects differ only in DDL types, the migration lock
// and error classification (dialect.go).
//
// Every timestamp is stored as UTC unix nanoseconds in a BIGINT, and read
// back in UTC. Errors wrap model.ErrNotFound and model.ErrExists; they name
// accounts but never carry a secret or a hash.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/regauth/regauth/server/model"
)

// DB is the store. It is safe for concurrent use.
type DB struct {
	w, r *sql.DB // writes and reads; the same pool for PostgreSQL
	d    *dialect
	now  func() time.Time

	touchMu sync.Mutex
	touched map[string]time.Time // robot → last_used we wrote (TouchRobot)

	// Prepared once for the token hot path: SQLite would otherwise parse
	// the SQL on every call (pgx caches statements by itself, so for
	// PostgreSQL this changes little).
	getRobot, getUser, listPerms *sql.Stmt

	audit     *auditWriter
	closeOnce sync.Once
	closeErr  error
}

// Options tunes Open. The zero value is the production default.
type Options struct {
	// Now is the clock for created_at and friends; default time.Now.
	Now func() time.Time
	// AuditBuffer is how many audit events may wait for the background
	// writer (default 4096); see AppendAudit.
	AuditBuffer int
	// OnAuditError, if set, is told when a batch of audit events could not
	// be written (they are then lost). It must not block.
	OnAuditError func(error)
}

// Open opens (creating if needed) and migrates the database named by dsn:
// "postgres://…" or "postgresql://…" for PostgreSQL, otherwise SQLite:
// "sqlite:///path/to/regauth.db" or a plain path.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return OpenOptions(ctx, dsn, Options{})
}

// OpenOptions is Open with options.
func OpenOptions(ctx context.Context, dsn string, opt Options) (*DB, error) {
	w, r, d, err := openPools(dsn)
	if err != nil {
		return nil, err
	}
	db := &DB{w: w, r: r, d: d, now: opt.Now, touched: map[string]time.Time{}}
	if db.now == nil {
		db.now = time.Now
	}
	if err := db.migrate(ctx); err != nil {
		db.closePools()
		return nil, err
	}
	if err := db.prepare(ctx); err != nil {
		db.closePools()
		return nil, err
	}
	db.audit = newAuditWriter(db, opt.AuditBuffer, opt.OnAuditError)
	return db, nil
}

// Dialect is "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.name }

// Ping checks that the database answers, for /healthz.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close writes the audit events still buffered and closes the database.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.closeErr = errors.Join(db.audit.close(), db.closePools())
	})
	return db.closeErr
}

func (db *DB) prepare(ctx context.Context) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&db.getRobot, "SELECT " + robotCols + " FROM robots WHERE name = $1"},
		{&db.getUser, "SELECT " + userCols + " FROM users WHERE name = $1"},
		{&db.listPerms, "SELECT " + permCols + " FROM permissions WHERE subject = $1 ORDER BY id"},
	} {
		s, err := db.r.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("open database: prepare: %w", err)
		}
		*p.stmt = s
	}
	return nil
}

func (db *DB) closePools() error {
	for _, s := range []*sql.Stmt{db.getRobot, db.getUser, db.listPerms} {
		if s != nil {
			s.Close()
		}
	}
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE on SQLite).
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Timestamps: UTC unix nanoseconds; the zero time is NULL where a column
// means "never".

func nanos(t time.Time) int64 { return t.UnixNano() }

func nullNanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromNanos(n.Int64)
}

// affected turns "no row changed" into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return model.ErrNotFound
	}
	return nil
}
