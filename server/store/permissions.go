package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/regauth/regauth/server/model"
)

const permCols = "id, subject, pattern, role, created_at"

func scanPermission(s scanner) (*model.Permission, error) {
	var p model.Permission
	var created int64
	if err := s.Scan(&p.ID, &p.Subject, &p.Pattern, &p.Role, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = fromNanos(created)
	return &p, nil
}

// subjectRefs splits "user:NAME" / "robot:NAME" into the (user_name,
// robot_name) foreign-key pair; the other one is NULL.
func subjectRefs(s model.Subject) (user, robot any, err error) {
	kind, name, _ := strings.Cut(string(s), ":")
	switch {
	case name == "":
	case kind == "user":
		return name, nil, nil
	case kind == "robot":
		return nil, name, nil
	}
	return nil, nil, fmt.Errorf("invalid subject %q (want user:NAME or robot:NAME)", s)
}

// AddPermission stores p and returns it with its ID (and CreatedAt, now if
// zero). ErrExists if the subject already has a rule for this pattern;
// ErrNotFound if the subject's user or robot does not exist.
func (db *DB) AddPermission(ctx context.Context, p model.Permission) (model.Permission, error) {
	p.ID = 0
	if !p.Role.Valid() {
		return p, fmt.Errorf("add permission for %s: invalid role %q (want read, write or admin)", p.Subject, p.Role)
	}
	if p.Pattern == "" {
		return p, fmt.Errorf("add permission for %s: empty pattern", p.Subject)
	}
	user, robot, err := subjectRefs(p.Subject)
	if err != nil {
		return p, fmt.Errorf("add permission: %w", err)
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = db.now()
	}
	err = db.w.QueryRowContext(ctx, `INSERT INTO permissions (subject, user_name, robot_name, pattern, role, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (subject, pattern) DO NOTHING RETURNING id`,
		p.Subject, user, robot, p.Pattern, p.Role, nanos(p.CreatedAt)).Scan(&p.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows), db.d.isUnique(err):
		err = fmt.Errorf("pattern %q: %w", p.Pattern, model.ErrExists)
	case db.d.isForeignKey(err):
		err = fmt.Errorf("subject: %w", model.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("add permission for %s: %w", p.Subject, err)
	}
	p.CreatedAt = fromNanos(nanos(p.CreatedAt))
	return p, nil
}

// ListPermissions returns subject's rules in the order they were added.
// It is on the token hot path and reads the (subject, pattern) index.
func (db *DB) ListPermissions(ctx context.Context, subject model.Subject) ([]model.Permission, error) {
	rows, err := db.listPerms.QueryContext(ctx, subject)
	var ps []model.Permission
	if err == nil {
		ps, err = scanAll(rows, scanPermission)
	}
	if err != nil {
		return nil, fmt.Errorf("list permissions for %s: %w", subject, err)
	}
	return ps, nil
}

// ListAllPermissions returns every rule, by subject then ID, for admins.
func (db *DB) ListAllPermissions(ctx context.Context) ([]model.Permission, error) {
	ps, err := list(ctx, db.r, scanPermission, "SELECT "+permCols+" FROM permissions ORDER BY subject, id")
	if err != nil {
		return nil, fmt.Errorf("list permissions: %w", err)
	}
	return ps, nil
}

// DeletePermission removes the rule with this ID, or returns ErrNotFound.
func (db *DB) DeletePermission(ctx context.Context, id int64) error {
	if err := affected(db.w.ExecContext(ctx, "DELETE FROM permissions WHERE id = $1", id)); err != nil {
		return fmt.Errorf("delete permission %d: %w", id, err)
	}
	return nil
}
