package helper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/regauth/regauth/credential"
)

// ServeName is the binary name regauth answers to as a credential helper;
// docker finds it through "credsStore": "regauth".
const ServeName = binaryPrefix + "regauth"

// Usage is what a real helper prints (to stdout, exit 1) when it is not run
// with exactly one argument, and for --help (exit 0).
const Usage = "Usage: " + ServeName + " <store|get|erase|list|version>"

// Backend is the store behind Serve.
type Backend interface {
	// Get returns ErrNotFound (or an error wrapping it) when there is nothing.
	Get(ctx context.Context, serverURL string) (credential.Credential, error)
	Store(ctx context.Context, serverURL string, cred credential.Credential) error
	Erase(ctx context.Context, serverURL string) error
	List(ctx context.Context) (map[string]string, error)
}

// Serve runs one protocol action exactly as a docker-credential helper does:
// it reads the request from in and writes the response to out. A non-nil
// error's message is the response to a failure: the caller prints it and a
// newline to stdout and exits 1, as credentials.Serve does. version, --version
// and -v print the version; --help and -h print Usage.
func Serve(ctx context.Context, action string, in io.Reader, out io.Writer, b Backend) error {
	h := &adapter{ctx: ctx, b: b}
	switch action {
	case credentials.ActionStore:
		return credentials.Store(h, in)
	case credentials.ActionGet:
		return credentials.Get(h, in, out)
	case credentials.ActionErase:
		return credentials.Erase(h, in)
	case credentials.ActionList:
		return credentials.List(h, out)
	case credentials.ActionVersion, "--version", "-v":
		// credentials.PrintVersion would print the library's link-time
		// globals; the format is the same.
		_, err := fmt.Fprintf(out, "%s (%s) %s\n", ServeName, modulePath, version())
		return err
	case "--help", "-h":
		_, err := fmt.Fprintln(out, Usage)
		return err
	default:
		return fmt.Errorf("%s: unknown action: %s", ServeName, action)
	}
}

const modulePath = "github.com/regauth/regauth"

// version is the module version go install stamped into the binary.
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Path == modulePath && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

// adapter lets the credentials package's own Store/Get/Erase/List functions
// (which parse requests and print responses byte-for-byte like every real
// helper) drive a Backend.
type adapter struct {
	ctx context.Context
	b   Backend
}

var _ credentials.Helper = (*adapter)(nil)

func (a *adapter) Add(c *credentials.Credentials) error {
	cred := credential.Credential{Username: c.Username, Password: c.Secret}
	if c.Username == credential.TokenUsername {
		cred = credential.Credential{IdentityToken: c.Secret}
	}
	return protocolError(a.b.Store(a.ctx, c.ServerURL, cred))
}

func (a *adapter) Get(serverURL string) (string, string, error) {
	cred, err := a.b.Get(a.ctx, serverURL)
	if err != nil {
		return "", "", protocolError(err)
	}
	switch {
	case cred.IdentityToken != "":
		return credential.TokenUsername, cred.IdentityToken, nil
	case cred.Password == "" && cred.RegistryToken != "":
		return "", "", errors.New("get: a registry token cannot be returned by a credential helper")
	case cred.IsEmpty():
		// docker would send an empty username and password; say so instead.
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	return cred.Username, cred.Password, nil
}

func (a *adapter) Delete(serverURL string) error {
	return protocolError(a.b.Erase(a.ctx, serverURL))
}

func (a *adapter) List() (map[string]string, error) {
	m, err := a.b.List(a.ctx)
	if err != nil {
		return nil, protocolError(err)
	}
	if m == nil {
		m = map[string]string{} // "{}", never "null"
	}
	return m, nil
}

// protocolError turns ErrNotFound, however wrapped, into the exact message
// docker and client.Get recognise.
func protocolError(err error) error {
	if errors.Is(err, ErrNotFound) {
		return credentials.NewErrCredentialsNotFound()
	}
	return err
}
