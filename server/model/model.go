// Package model holds the token server's value types: accounts, robots,
// permissions, grants and audit events. It depends on nothing of ours, so
// the policy engine, the storage backends and the HTTP layer share it.
package model

import (
	"errors"
	"time"
)

// Action is a registry action as it appears in a token scope.
type Action string

const (
	Pull   Action = "pull"
	Push   Action = "push"
	Delete Action = "delete"
	All    Action = "*" // registry:catalog:* and admin wildcards
)

// Role is what a permission grants: read = pull, write = pull+push,
// admin = pull+push+delete.
type Role string

const (
	Read  Role = "read"
	Write Role = "write"
	Admin Role = "admin"
)

// Actions lists what a role allows on a repository.
func (r Role) Actions() []Action {
	switch r {
	case Read:
		return []Action{Pull}
	case Write:
		return []Action{Pull, Push}
	case Admin:
		return []Action{Pull, Push, Delete}
	}
	return nil
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == Read || r == Write || r == Admin }

// User is a person with a password. Admins manage everything and may read
// the registry catalog.
type User struct {
	Name         string // lower-case, [a-z0-9][a-z0-9._-]*; also their own namespace
	PasswordHash string // PHC string: $2a$… (bcrypt) or $argon2id$…
	Admin        bool
	Disabled     bool
	CreatedAt    time.Time
	// PasswordChangedAt invalidates cached password verifications and
	// refresh tokens issued before it.
	PasswordChangedAt time.Time
}

// Robot is a machine account named "namespace+name", Quay style. Its secret
// is 256 random bits, stored only as a SHA-256 hash: with that much entropy
// a slow KDF buys nothing and would cost every token request.
type Robot struct {
	Name        string // "namespace+name"
	Namespace   string // the part before '+'
	Owner       string // user who created it (or the namespace)
	SecretHash  []byte // sha256 of the secret
	Description string
	ExpiresAt   time.Time // zero: never
	Disabled    bool
	CreatedAt   time.Time
	// SecretChangedAt is when the secret was last (re)generated; refresh
	// tokens issued before it are refused.
	SecretChangedAt time.Time
	LastUsed        time.Time // zero: never used
}

// Subject names who a permission is for: "user:NAME" or "robot:NS+NAME".
type Subject string

// UserSubject and RobotSubject build subjects.
func UserSubject(name string) Subject  { return Subject("user:" + name) }
func RobotSubject(name string) Subject { return Subject("robot:" + name) }

// Permission grants Role on repositories matching Pattern to Subject.
// Pattern is an exact repository ("team/app"), a one-level glob
// ("team/*": team/app but not team/sub/app), a recursive glob ("team/**":
// everything under team/), or "**" for every repository.
type Permission struct {
	ID        int64
	Subject   Subject
	Pattern   string
	Role      Role
	CreatedAt time.Time
}

// Scope is one requested or granted access: type "repository" (or
// "repository(plugin)"), "registry" (name "catalog"), with actions.
type Scope struct {
	Type    string
	Name    string
	Actions []Action
}

// AuditEvent records a token decision. It never holds a secret.
type AuditEvent struct {
	ID        int64
	Time      time.Time
	Account   string // "user:alice", "robot:team+ci", "anonymous", or the name tried
	ClientIP  string
	Service   string
	Requested string // scopes as requested, space separated
	Granted   string // scopes granted, space separated
	Result    string // "granted", "denied", "invalid-credentials", "throttled", ...
}

// Errors storage backends return; callers test them with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)
