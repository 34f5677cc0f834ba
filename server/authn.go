package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/regauth/regauth/server/model"
)

// Account is who a request authenticated as: a user, a robot, or nobody.
type Account struct {
	User  *model.User
	Robot *model.Robot
}

// Subject is the account's permission subject ("" for anonymous).
func (a Account) Subject() model.Subject {
	switch {
	case a.Robot != nil:
		return model.RobotSubject(a.Robot.Name)
	case a.User != nil:
		return model.UserSubject(a.User.Name)
	}
	return ""
}

// Name is the account name as it appears in tokens and audit ("" anonymous).
func (a Account) Name() string {
	switch {
	case a.Robot != nil:
		return a.Robot.Name
	case a.User != nil:
		return a.User.Name
	}
	return ""
}

// IsAdmin reports whether the account is an administrator.
func (a Account) IsAdmin() bool { return a.User != nil && a.User.Admin && !a.User.Disabled }

// errBadCredentials is the one answer to every authentication failure: wrong
// password, unknown account, disabled or expired account, revoked refresh
// token. Clients learn nothing about which it was; the audit log does.
var errBadCredentials = errors.New("incorrect username or password")

// errThrottled is returned while a client is locked out.
type errThrottled struct{ wait time.Duration }

func (e *errThrottled) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %s", e.wait.Round(time.Second))
}

// accountStore is what authentication reads.
type accountStore interface {
	GetUser(ctx context.Context, name string) (*model.User, error)
	GetRobot(ctx context.Context, name string) (*model.Robot, error)
}

// authenticator checks credentials against the store with throttling and a
// short cache of successful password checks.
type authenticator struct {
	store    accountStore
	throttle *Throttle
	cache    *verifiedCache
	now      func() time.Time
}

// password authenticates name/secret: a robot ("ns+name") by its secret's
// hash, a user by password. reason is for the audit log only.
func (a *authenticator) password(ctx context.Context, name, secret, ip string, now time.Time) (acct Account, reason string, err error) {
	if ok, wait := a.throttle.Allow(name, ip, now); !ok {
		return Account{}, "throttled", &errThrottled{wait}
	}
	acct, reason, err = a.check(ctx, name, secret, now)
	// Time the lockout from the answer, not the request: a slow bcrypt
	// check must not eat into it.
	done := now
	if a.now != nil {
		done = a.now()
	}
	if errors.Is(err, errBadCredentials) {
		a.throttle.Fail(name, ip, done)
	} else if err == nil {
		a.throttle.Succeed(name, ip, done)
	}
	return acct, reason, err
}

func (a *authenticator) check(ctx context.Context, name, secret string, now time.Time) (Account, string, error) {
	if strings.Contains(name, "+") {
		r, err := a.store.GetRobot(ctx, name)
		if errors.Is(err, model.ErrNotFound) {
			robotSecretMatches(make([]byte, sha256.Size), secret) // same work as a real check
			return Account{}, "unknown-account", errBadCredentials
		}
		if err != nil {
			return Account{}, "store-error", err
		}
		if !robotSecretMatches(r.SecretHash, secret) {
			return Account{}, "wrong-secret", errBadCredentials
		}
		if why := robotUnusable(r, now); why != "" {
			return Account{}, why, errBadCredentials
		}
		return Account{Robot: r}, "", nil
	}
	u, err := a.store.GetUser(ctx, name)
	if errors.Is(err, model.ErrNotFound) {
		_, _ = VerifyPassword(dummyHash, secret) // equal time for unknown users
		return Account{}, "unknown-account", errBadCredentials
	}
	if err != nil {
		return Account{}, "store-error", err
	}
	if !a.cache.ok(u.Name, secret, u.PasswordHash, now) {
		ok, err := VerifyPassword(u.PasswordHash, secret)
		if err != nil && !errors.Is(err, errBadHash) {
			return Account{}, "hash-error", err
		}
		if !ok {
			return Account{}, "wrong-password", errBadCredentials
		}
		a.cache.add(u.Name, secret, u.PasswordHash, now)
	}
	if u.Disabled {
		return Account{}, "disabled", errBadCredentials
	}
	return Account{User: u}, "", nil
}

func robotUnusable(r *model.Robot, now time.Time) string {
	switch {
	case r.Disabled:
		return "disabled"
	case !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt):
		return "expired"
	}
	return ""
}

// Refresh tokens are opaque random strings; only their hash is stored.
func newRefreshToken() (tok string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	tok = base64.RawURLEncoding.EncodeToString(b)
	return tok, refreshHash(tok), nil
}

func refreshHash(tok string) []byte {
	h := sha256.Sum256([]byte("regauth-refresh\x00" + tok))
	return h[:]
}

// stillValid reports whether a refresh token issued at created for acct may
// still be used: not after a password change or secret regeneration, not for
// a disabled or expired account.
func stillValid(acct Account, created, now time.Time) bool {
	switch {
	case acct.Robot != nil:
		return robotUnusable(acct.Robot, now) == "" && !created.Before(acct.Robot.SecretChangedAt)
	case acct.User != nil:
		return !acct.User.Disabled && !created.Before(acct.User.PasswordChangedAt)
	}
	return false
}
