// Package helper speaks the docker-credential-helpers protocol in both
// directions: Client runs an external docker-credential-NAME binary (the
// credsStore / credHelpers of config.json), and Serve lets regauth itself act
// as docker-credential-regauth.
//
// The wire format is the one of github.com/docker/docker-credential-helpers:
// the action is the only argument; get and erase read a server URL on stdin;
// store reads {"ServerURL","Username","Secret"}; get prints that JSON; list
// prints {"serverURL":"username",...}; failures are printed on stdout and the
// helper exits 1. An identity token travels as Username "<token>".
package helper

import (
	"errors"
	"fmt"
)

// ErrNotFound reports that a credential helper holds nothing for a server.
// Client methods return errors that wrap it; a Backend returns it (or wraps
// it) so that Serve prints the protocol's "credentials not found in native
// keychain".
var ErrNotFound = errors.New("credentials not found")

// binaryPrefix is what docker prepends to a credsStore/credHelpers value.
const binaryPrefix = "docker-credential-"

// MissingHelperError reports that config.json names a credential helper whose
// binary is not on PATH. It is never turned into anonymous access: a user who
// configured a helper expects it to be used.
type MissingHelperError struct {
	Program   string // the binary looked for, e.g. "docker-credential-osxkeychain"
	ConfigKey string // the config.json key that names it, e.g. `credsStore`; may be empty
}

func (e *MissingHelperError) Error() string {
	if e.ConfigKey == "" {
		return fmt.Sprintf("credential helper %s: not found in PATH", e.Program)
	}
	return fmt.Sprintf("credential helper %s: not found in PATH (configured by %s)", e.Program, e.ConfigKey)
}

// Hint tells the user how to fix it.
func (e *MissingHelperError) Hint() string {
	if e.ConfigKey == "" {
		return fmt.Sprintf("install %s and put it on PATH, or stop configuring it", e.Program)
	}
	return fmt.Sprintf("install %s and put it on PATH, or remove %s from config.json", e.Program, e.ConfigKey)
}

// HelperError reports that a credential helper ran and failed. Message is
// what the helper printed (stdout, else stderr, else how it exited), with
// any secret regauth sent it removed.
type HelperError struct {
	Program string // e.g. "docker-credential-osxkeychain"
	Action  string // get, store, erase or list
	Message string
	Err     error // ErrNotFound, a context error, or the exec error; may be nil
}

func (e *HelperError) Error() string {
	return fmt.Sprintf("credential helper %s %s: %s", e.Program, e.Action, e.Message)
}

func (e *HelperError) Unwrap() error { return e.Err }
