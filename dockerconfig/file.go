// Package dockerconfig reads and writes Docker's config.json (and podman's
// auth.json, which has the same shape) without losing anything docker itself
// would keep or drop: unknown top-level and per-registry fields survive a
// round trip, writes are atomic and serialised by a lock file, and file
// discovery takes the environment from the caller.
package dockerconfig

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
)

// File is the content of a config.json. Auths keys are kept exactly as they
// appear in the file; docker and podman look them up by several spellings
// (bare host, https://host, https://index.docker.io/v1/), so normalising them
// here would silently change which entry a client picks.
type File struct {
	Auths       map[string]*AuthEntry
	CredsStore  string
	CredHelpers map[string]string

	// members is the file's top-level layout in document order: unknown
	// members with their raw value, and markers where known fields stood, so
	// a rewrite keeps docker's field order and every unknown member
	// (duplicates included, since docker merges duplicate map fields).
	members []member
}

// AuthEntry is one value of the "auths" object.
type AuthEntry struct {
	Username      string
	Password      string
	Auth          string
	Email         string
	IdentityToken string
	RegistryToken string

	members []member
}

// member is one key of a JSON object. Exactly one of known and raw is set:
// known names the canonical known field whose value is written at this
// position; raw holds an unknown member's compacted value.
type member struct {
	key   string
	known string
	raw   []byte
}

// Canonical names of the known fields, as docker writes them.
const (
	keyAuths       = "auths"
	keyCredsStore  = "credsStore"
	keyCredHelpers = "credHelpers"

	keyUsername      = "username"
	keyPassword      = "password"
	keyAuth          = "auth"
	keyEmail         = "email"
	keyIdentityToken = "identitytoken"
	keyRegistryToken = "registrytoken"
)

var (
	topKeys   = []string{keyAuths, keyCredsStore, keyCredHelpers}
	entryKeys = []string{keyUsername, keyPassword, keyAuth, keyEmail, keyIdentityToken, keyRegistryToken}
)

// ErrInvalidAuth marks an "auth" value that is not base64("user:password").
var ErrInvalidAuth = errors.New("invalid auth")

// ParseError reports where a config file is broken. It never carries the
// offending value, because that value may be a password.
type ParseError struct {
	// Field is the JSON path of the broken value, such as
	// auths["quay.io"].auth; empty for a syntax error.
	Field string
	// Line and Column (1-based, column in bytes) locate the problem; zero if
	// unknown.
	Line, Column int
	Err          error
}

func (e *ParseError) Error() string {
	switch {
	case e.Field != "" && e.Line > 0:
		return fmt.Sprintf("%s at line %d, column %d: %v", e.Field, e.Line, e.Column, e.Err)
	case e.Field != "":
		return fmt.Sprintf("%s: %v", e.Field, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
	}
	return e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// New returns an empty File, the same as parsing an empty file.
func New() *File {
	f := &File{Auths: map[string]*AuthEntry{}}
	f.normalize()
	return f
}

// Credentials returns the entry's credentials as docker resolves them: a
// non-empty auth wins over the username and password fields (docker's loader
// overwrites them with the decoded auth), and the tokens are passed through.
func (e *AuthEntry) Credentials() (user, pass, identityToken, registryToken string, err error) {
	if e == nil {
		return "", "", "", "", nil
	}
	user, pass = e.Username, e.Password
	if e.Auth != "" {
		user, pass, err = DecodeAuth(e.Auth)
		if err != nil {
			return "", "", "", "", err
		}
	}
	return user, pass, e.IdentityToken, e.RegistryToken, nil
}

// SetCredentials stores credentials the way docker's SaveToWriter writes
// them: user and password only inside auth, the username and password fields
// cleared, the tokens set or cleared. Email and unknown fields are untouched.
func (e *AuthEntry) SetCredentials(user, pass, identityToken, registryToken string) {
	e.Auth = EncodeAuth(user, pass)
	e.Username = ""
	e.Password = ""
	e.IdentityToken = identityToken
	e.RegistryToken = registryToken
}

// knownString returns a pointer to the entry's field with canonical name k.
func (e *AuthEntry) knownString(k string) *string {
	switch k {
	case keyUsername:
		return &e.Username
	case keyPassword:
		return &e.Password
	case keyAuth:
		return &e.Auth
	case keyEmail:
		return &e.Email
	case keyIdentityToken:
		return &e.IdentityToken
	case keyRegistryToken:
		return &e.RegistryToken
	}
	return nil
}

// isSet reports whether the known top-level field k has a value worth writing.
func (f *File) isSet(k string) bool {
	switch k {
	case keyAuths:
		return true // docker always writes "auths", even when empty
	case keyCredsStore:
		return f.CredsStore != ""
	case keyCredHelpers:
		return len(f.CredHelpers) > 0
	}
	return false
}

// MergeExtras copies into e what other carries beside credentials: its
// email when e has none, and each unknown field e does not have. It returns
// the names of other's fields that could not be kept because e has a
// different value, so the caller can say what was dropped.
func (e *AuthEntry) MergeExtras(other *AuthEntry) (dropped []string) {
	if other == nil || other == e {
		return nil
	}
	switch {
	case e.Email == "":
		e.Email = other.Email
	case other.Email != "" && other.Email != e.Email:
		dropped = append(dropped, keyEmail)
	}
	for _, m := range other.members {
		if m.known != "" {
			continue
		}
		i := slices.IndexFunc(e.members, func(x member) bool { return x.known == "" && x.key == m.key })
		switch {
		case i < 0:
			e.members = append(e.members, m)
		case !bytes.Equal(e.members[i].raw, m.raw):
			dropped = append(dropped, m.key)
		}
	}
	return dropped
}
