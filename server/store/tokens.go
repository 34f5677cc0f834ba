package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/regauth/regauth/server/model"
)

// Refresh tokens are stored by hash only (the caller hashes, e.g. SHA-256
// of the token): whoever reads the database cannot log in with them.
// Errors never include the hash.

// PutRefreshToken stores a refresh token's hash for subject, created now.
// ErrNotFound if the subject's account does not exist; ErrExists if the
// hash is already stored.
func (db *DB) PutRefreshToken(ctx context.Context, hash []byte, subject model.Subject, expires time.Time) error {
	if len(hash) == 0 {
		return errors.New("put refresh token: empty hash")
	}
	user, robot, err := subjectRefs(subject)
	if err != nil {
		return fmt.Errorf("put refresh token: %w", err)
	}
	res, err := db.w.ExecContext(ctx, `INSERT INTO refresh_tokens (hash, subject, user_name, robot_name, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING`,
		hash, subject, user, robot, nanos(db.now()), nanos(expires))
	switch err = affected(res, err); {
	case errors.Is(err, model.ErrNotFound), db.d.isUnique(err):
		err = model.ErrExists
	case db.d.isForeignKey(err):
		err = fmt.Errorf("subject: %w", model.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("put refresh token for %s: %w", subject, err)
	}
	return nil
}

// GetRefreshToken returns who a refresh token was issued to and when.
// An expired token is ErrNotFound, like an unknown one; the caller must
// still compare created with the account's PasswordChangedAt or
// SecretChangedAt.
func (db *DB) GetRefreshToken(ctx context.Context, hash []byte) (subject model.Subject, created, expires time.Time, err error) {
	var c, e int64
	err = db.r.QueryRowContext(ctx, "SELECT subject, created_at, expires_at FROM refresh_tokens WHERE hash = $1", hash).
		Scan(&subject, &c, &e)
	if errors.Is(err, sql.ErrNoRows) || err == nil && e <= nanos(db.now()) {
		err = model.ErrNotFound
	}
	if err != nil {
		return "", time.Time{}, time.Time{}, fmt.Errorf("get refresh token: %w", err)
	}
	return subject, fromNanos(c), fromNanos(e), nil
}

// DeleteRefreshToken revokes one token, or returns ErrNotFound.
func (db *DB) DeleteRefreshToken(ctx context.Context, hash []byte) error {
	if err := affected(db.w.ExecContext(ctx, "DELETE FROM refresh_tokens WHERE hash = $1", hash)); err != nil {
		return fmt.Errorf("delete refresh token: %w", err)
	}
	return nil
}

// DeleteRefreshTokens revokes every token of subject (none is not an
// error) and reports how many there were.
func (db *DB) DeleteRefreshTokens(ctx context.Context, subject model.Subject) (int64, error) {
	res, err := db.w.ExecContext(ctx, "DELETE FROM refresh_tokens WHERE subject = $1", subject)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("delete refresh tokens of %s: %w", subject, err)
}

// PruneRefreshTokens deletes tokens that expired before t.
func (db *DB) PruneRefreshTokens(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, "DELETE FROM refresh_tokens WHERE expires_at < $1", nanos(t))
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("prune refresh tokens: %w", err)
}
