package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/regauth/regauth/server/model"
)

const userCols = "name, password_hash, admin, disabled, created_at, password_changed_at"

type scanner interface{ Scan(...any) error }

func scanUser(s scanner) (*model.User, error) {
	var u model.User
	var created, changed int64
	if err := s.Scan(&u.Name, &u.PasswordHash, &u.Admin, &u.Disabled, &created, &changed); err != nil {
		return nil, err
	}
	u.CreatedAt, u.PasswordChangedAt = fromNanos(created), fromNanos(changed)
	return &u, nil
}

// CreateUser stores u. A zero CreatedAt becomes now, a zero
// PasswordChangedAt becomes CreatedAt. ErrExists if the name is taken.
func (db *DB) CreateUser(ctx context.Context, u model.User) error {
	if u.Name == "" {
		return errors.New("create user: empty name")
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = db.now()
	}
	if u.PasswordChangedAt.IsZero() {
		u.PasswordChangedAt = u.CreatedAt
	}
	res, err := db.w.ExecContext(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO NOTHING`,
		u.Name, u.PasswordHash, u.Admin, u.Disabled, nanos(u.CreatedAt), nanos(u.PasswordChangedAt))
	if err = affected(res, err); errors.Is(err, model.ErrNotFound) {
		err = model.ErrExists
	}
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, err)
	}
	return nil
}

// GetUser returns the user called name, or ErrNotFound.
func (db *DB) GetUser(ctx context.Context, name string) (*model.User, error) {
	u, err := scanUser(db.getUser.QueryRowContext(ctx, name))
	if errors.Is(err, sql.ErrNoRows) {
		err = model.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get user %q: %w", name, err)
	}
	return u, nil
}

// ListUsers returns every user, by name.
func (db *DB) ListUsers(ctx context.Context) ([]model.User, error) {
	us, err := list(ctx, db.r, scanUser, "SELECT "+userCols+" FROM users ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// UserUpdate says what UpdateUser changes; nil fields stay as they are.
type UserUpdate struct {
	// PasswordHash replaces the hash and sets PasswordChangedAt to now,
	// which invalidates cached verifications and older refresh tokens.
	PasswordHash *string
	Admin        *bool
	Disabled     *bool
}

// UpdateUser applies upd in one statement (no read-modify-write race) and
// returns the user as stored, or ErrNotFound.
func (db *DB) UpdateUser(ctx context.Context, name string, upd UserUpdate) (*model.User, error) {
	var set setter
	if upd.PasswordHash != nil {
		set.add("password_hash", *upd.PasswordHash)
		set.add("password_changed_at", nanos(db.now()))
	}
	if upd.Admin != nil {
		set.add("admin", *upd.Admin)
	}
	if upd.Disabled != nil {
		set.add("disabled", *upd.Disabled)
	}
	if len(set.cols) == 0 {
		return db.GetUser(ctx, name)
	}
	u, err := scanUser(db.w.QueryRowContext(ctx, "UPDATE users SET "+set.sql()+" WHERE name = $1 RETURNING "+userCols,
		append([]any{name}, set.args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		err = model.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("update user %q: %w", name, err)
	}
	return u, nil
}

// DeleteUser removes the user; the database cascades their permissions and
// refresh tokens. Robots they own stay (they may belong to a namespace that
// outlives its creator). ErrNotFound if there is no such user.
func (db *DB) DeleteUser(ctx context.Context, name string) error {
	if err := affected(db.w.ExecContext(ctx, "DELETE FROM users WHERE name = $1", name)); err != nil {
		return fmt.Errorf("delete user %q: %w", name, err)
	}
	return nil
}

// setter builds "col = $2, col = $3" for UPDATE … WHERE key = $1.
type setter struct {
	cols []string
	args []any
}

func (s *setter) add(col string, v any) {
	s.cols = append(s.cols, col+" = $"+strconv.Itoa(len(s.args)+2))
	s.args = append(s.args, v)
}

func (s *setter) sql() string { return strings.Join(s.cols, ", ") }

// list runs a query and scans every row.
func list[T any](ctx context.Context, db *sql.DB, scan func(scanner) (*T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scan)
}

func scanAll[T any](rows *sql.Rows, scan func(scanner) (*T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}
