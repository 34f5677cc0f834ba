package helper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/regauth/regauth/credential"
)

// Env is what a helper is found with and run in. The caller builds it (from
// the process environment, or anything else); this package never reads the
// environment of its own process.
type Env struct {
	// Path is the PATH-style list searched for docker-credential-NAME.
	Path string
	// Environ is the child's entire environment ("KEY=value"). Nil means an
	// empty environment, not ours: helpers such as pass or secretservice
	// need HOME, DBUS_SESSION_BUS_ADDRESS, GNUPGHOME and the like in it.
	Environ []string
}

// Client runs the external credential helper docker-credential-Name.
type Client struct {
	Name      string // e.g. "osxkeychain"
	ConfigKey string // what asked for it, e.g. `credsStore` or `credHelpers["gcr.io"]`
	Env       Env
}

// Program is the binary Client runs, e.g. "docker-credential-osxkeychain".
func (c *Client) Program() string { return binaryPrefix + c.Name }

// Get returns the credential the helper holds for serverURL; the error wraps
// ErrNotFound when it holds none.
func (c *Client) Get(ctx context.Context, serverURL string) (credential.Credential, error) {
	var got *credentials.Credentials
	err := c.do(ctx, credentials.ActionGet, nil, func(p client.ProgramFunc) (err error) {
		got, err = client.Get(p, serverURL)
		return err
	})
	if err != nil {
		return credential.Credential{}, err
	}
	if got.Username == credential.TokenUsername {
		return credential.Credential{IdentityToken: got.Secret}, nil
	}
	return credential.Credential{Username: got.Username, Password: got.Secret}, nil
}

// Store saves cred for serverURL. An identity token is stored as Username
// "<token>", as docker does; a registry token has no place in the protocol.
func (c *Client) Store(ctx context.Context, serverURL string, cred credential.Credential) error {
	creds := &credentials.Credentials{ServerURL: serverURL, Username: cred.Username, Secret: cred.Password}
	switch {
	case cred.IdentityToken != "":
		creds.Username, creds.Secret = credential.TokenUsername, cred.IdentityToken
	case cred.RegistryToken != "":
		return fmt.Errorf("credential helper %s %s: a registry token cannot be stored in a credential helper", c.Program(), credentials.ActionStore)
	}
	secrets := []string{cred.Password, cred.IdentityToken}
	return c.do(ctx, credentials.ActionStore, secrets, func(p client.ProgramFunc) error {
		return client.Store(p, creds)
	})
}

// Erase removes what the helper holds for serverURL; the error wraps
// ErrNotFound when the helper reports there was nothing.
func (c *Client) Erase(ctx context.Context, serverURL string) error {
	return c.do(ctx, credentials.ActionErase, nil, func(p client.ProgramFunc) error {
		return client.Erase(p, serverURL)
	})
}

// List returns the helper's server URLs and their usernames.
func (c *Client) List(ctx context.Context) (map[string]string, error) {
	var got map[string]string
	err := c.do(ctx, credentials.ActionList, nil, func(p client.ProgramFunc) (err error) {
		got, err = client.List(p)
		return err
	})
	if err != nil {
		return nil, err
	}
	if got == nil {
		got = map[string]string{}
	}
	return got, nil
}

// do finds the helper, lets call run it through the client package, and turns
// a failure into a *HelperError that keeps what the helper said, with any of
// secrets (what was sent on stdin) removed.
func (c *Client) do(ctx context.Context, action string, secrets []string, call func(client.ProgramFunc) error) error {
	prog := c.Program()
	if c.Name == "" || strings.ContainsAny(c.Name, `/\`) {
		return fmt.Errorf("credential helper %q%s: name must be non-empty and must not contain a path separator", c.Name, c.configuredBy())
	}
	if err := ctx.Err(); err != nil {
		return &HelperError{Program: prog, Action: action, Message: err.Error(), Err: err}
	}
	path, ok := lookPath(prog, c.Env.Path, c.Env.Environ)
	if !ok {
		return &MissingHelperError{Program: prog, ConfigKey: c.ConfigKey}
	}

	var p *program
	err := call(func(args ...string) client.Program {
		p = &program{ctx: ctx, path: path, args: args, env: c.Env.Environ}
		return p
	})
	if err == nil {
		return nil
	}
	herr := &HelperError{Program: prog, Action: action}
	switch {
	case p == nil || !p.ran:
		// The request could not even be built; client's error text is ours.
		herr.Message, herr.Err = redact(err.Error(), secrets), nil
	case p.err != nil && ctx.Err() != nil:
		herr.Message, herr.Err = ctx.Err().Error(), ctx.Err()
	case p.err != nil && errors.Is(p.err, fs.ErrNotExist):
		return &MissingHelperError{Program: prog, ConfigKey: c.ConfigKey}
	case p.err != nil:
		herr.Message, herr.Err = helperMessage(p, secrets), p.err
		if credentials.IsErrCredentialsNotFoundMessage(string(p.stdout)) {
			herr.Err = ErrNotFound
		}
	default:
		// The helper succeeded but printed something we cannot parse. The
		// parser's detail is dropped: for get it could quote the secret.
		herr.Message = "invalid response: not the credential-helper JSON format"
	}
	return herr
}

func (c *Client) configuredBy() string {
	if c.ConfigKey == "" {
		return ""
	}
	return " (configured by " + c.ConfigKey + ")"
}

// maxMessage caps a helper's message in error text.
const maxMessage = 4 << 10

// helperMessage is what a failed helper said: real helpers print errors on
// stdout; some tools they wrap (gpg, dbus) only write to stderr.
func helperMessage(p *program, secrets []string) string {
	msg := strings.TrimSpace(string(p.stdout))
	if msg == "" {
		msg = strings.TrimSpace(string(p.stderr))
	}
	if msg == "" {
		msg = p.err.Error()
	}
	// Redact before truncating, so a cut can never leave half a secret.
	msg = redact(msg, secrets)
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "..."
	}
	return msg
}

// redact removes each secret from msg, raw and in the JSON-escaped forms a
// helper echoing its stdin would print.
func redact(msg string, secrets []string) string {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range []string{s, jsonEscape(s, true), jsonEscape(s, false)} {
			msg = strings.ReplaceAll(msg, form, "[redacted]")
		}
	}
	return msg
}

func jsonEscape(s string, escapeHTML bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(strings.TrimSuffix(b.String(), "\n"), `"`)[1:]
}
