package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/regauth/regauth/server/model"
)

const robotCols = "name, namespace, owner, secret_hash, description, expires_at, disabled, created_at, secret_changed_at, last_used"

func scanRobot(s scanner) (*model.Robot, error) {
	var r model.Robot
	var expires, lastUsed sql.NullInt64
	var created, changed int64
	if err := s.Scan(&r.Name, &r.Namespace, &r.Owner, &r.SecretHash, &r.Description, &expires,
		&r.Disabled, &created, &changed, &lastUsed); err != nil {
		return nil, err
	}
	r.ExpiresAt, r.LastUsed = fromNull(expires), fromNull(lastUsed)
	r.CreatedAt, r.SecretChangedAt = fromNanos(created), fromNanos(changed)
	return &r, nil
}

// CreateRobot stores r. Its name must be "namespace+name"; an empty
// Namespace is taken from it. A zero CreatedAt becomes now, a zero
// SecretChangedAt becomes CreatedAt. ErrExists if the name is taken.
func (db *DB) CreateRobot(ctx context.Context, r model.Robot) error {
	ns, rest, ok := strings.Cut(r.Name, "+")
	if !ok || ns == "" || rest == "" {
		return fmt.Errorf("create robot %q: name is not namespace+name", r.Name)
	}
	if r.Namespace == "" {
		r.Namespace = ns
	}
	if r.Namespace != ns {
		return fmt.Errorf("create robot %q: namespace %q does not match the name", r.Name, r.Namespace)
	}
	if len(r.SecretHash) == 0 {
		return fmt.Errorf("create robot %q: no secret hash", r.Name)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = db.now()
	}
	if r.SecretChangedAt.IsZero() {
		r.SecretChangedAt = r.CreatedAt
	}
	res, err := db.w.ExecContext(ctx, `INSERT INTO robots (`+robotCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (name) DO NOTHING`,
		r.Name, r.Namespace, r.Owner, r.SecretHash, r.Description, nullNanos(r.ExpiresAt),
		r.Disabled, nanos(r.CreatedAt), nanos(r.SecretChangedAt), nullNanos(r.LastUsed))
	if err = affected(res, err); errors.Is(err, model.ErrNotFound) {
		err = model.ErrExists
	}
	if err != nil {
		return fmt.Errorf("create robot %q: %w", r.Name, err)
	}
	db.forgetTouch(r.Name)
	return nil
}

// GetRobot returns the robot called name, or ErrNotFound. It is on the
// token hot path: one indexed read on a read-pool connection.
func (db *DB) GetRobot(ctx context.Context, name string) (*model.Robot, error) {
	r, err := scanRobot(db.getRobot.QueryRowContext(ctx, name))
	if errors.Is(err, sql.ErrNoRows) {
		err = model.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get robot %q: %w", name, err)
	}
	return r, nil
}

// ListRobots returns the robots of namespace ("" for all), by name.
func (db *DB) ListRobots(ctx context.Context, namespace string) ([]model.Robot, error) {
	q, args := "SELECT "+robotCols+" FROM robots ORDER BY name", []any(nil)
	if namespace != "" {
		q, args = "SELECT "+robotCols+" FROM robots WHERE namespace = $1 ORDER BY name", []any{namespace}
	}
	rs, err := list(ctx, db.r, scanRobot, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list robots: %w", err)
	}
	return rs, nil
}

// RobotUpdate says what UpdateRobot changes; nil fields stay as they are.
type RobotUpdate struct {
	// SecretHash replaces the hash (regenerate) and sets SecretChangedAt
	// to now: the old secret stops working at once, and refresh tokens
	// issued before are refused by the caller's SecretChangedAt check.
	SecretHash  []byte
	Description *string
	ExpiresAt   *time.Time // a zero time: never expires
	Disabled    *bool
}

// UpdateRobot applies upd in one statement and returns the robot as
// stored, or ErrNotFound.
func (db *DB) UpdateRobot(ctx context.Context, name string, upd RobotUpdate) (*model.Robot, error) {
	var set setter
	if upd.SecretHash != nil {
		if len(upd.SecretHash) == 0 {
			return nil, fmt.Errorf("update robot %q: empty secret hash", name)
		}
		set.add("secret_hash", upd.SecretHash)
		set.add("secret_changed_at", nanos(db.now()))
	}
	if upd.Description != nil {
		set.add("description", *upd.Description)
	}
	if upd.ExpiresAt != nil {
		set.add("expires_at", nullNanos(*upd.ExpiresAt))
	}
	if upd.Disabled != nil {
		set.add("disabled", *upd.Disabled)
	}
	if len(set.cols) == 0 {
		return db.GetRobot(ctx, name)
	}
	r, err := scanRobot(db.w.QueryRowContext(ctx, "UPDATE robots SET "+set.sql()+" WHERE name = $1 RETURNING "+robotCols,
		append([]any{name}, set.args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		err = model.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("update robot %q: %w", name, err)
	}
	return r, nil
}

// DeleteRobot removes the robot; the database cascades its permissions
// and refresh tokens. ErrNotFound if there is no such robot.
func (db *DB) DeleteRobot(ctx context.Context, name string) error {
	if err := affected(db.w.ExecContext(ctx, "DELETE FROM robots WHERE name = $1", name)); err != nil {
		return fmt.Errorf("delete robot %q: %w", name, err)
	}
	db.forgetTouch(name)
	return nil
}

// touchInterval is how stale last_used may be. It is a coarse "is this
// robot still in use?" signal for admins, not an audit trail (the audit
// log is), so per-minute resolution is plenty.
const touchInterval = time.Minute

// TouchRobot records that the robot was used at t. It is called on every
// token request, so it writes at most once per touchInterval per robot:
// an in-memory map skips the database entirely for recent touches, and the
// UPDATE itself is conditional so that several replicas do not each write
// every minute. Touching a robot that does not exist is a no-op (the
// caller has just read it; a concurrent delete is not an error here).
func (db *DB) TouchRobot(ctx context.Context, name string, t time.Time) error {
	db.touchMu.Lock()
	last, ok := db.touched[name]
	if ok && t.Sub(last) < touchInterval {
		db.touchMu.Unlock()
		return nil
	}
	if len(db.touched) >= 100_000 { // bound memory; the UPDATE stays correct
		clear(db.touched)
	}
	db.touched[name] = t
	db.touchMu.Unlock()
	_, err := db.w.ExecContext(ctx, "UPDATE robots SET last_used = $2 WHERE name = $1 AND (last_used IS NULL OR last_used < $3)",
		name, nanos(t), nanos(t.Add(-touchInterval)))
	if err != nil {
		db.forgetTouch(name)
		return fmt.Errorf("touch robot %q: %w", name, err)
	}
	return nil
}

func (db *DB) forgetTouch(name string) {
	db.touchMu.Lock()
	delete(db.touched, name)
	db.touchMu.Unlock()
}

// TouchRobots records the use of several robots at t in one transaction:
// the server batches last-used writes so a fleet of busy robots costs one
// commit every few seconds, not one per robot.
func (db *DB) TouchRobots(ctx context.Context, names []string, t time.Time) error {
	if len(names) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, "UPDATE robots SET last_used = $2 WHERE name = $1 AND (last_used IS NULL OR last_used < $2)")
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, n := range names {
			if _, err := stmt.ExecContext(ctx, n, nanos(t)); err != nil {
				return fmt.Errorf("touch robot %q: %w", n, err)
			}
		}
		return nil
	})
}
