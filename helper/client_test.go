package helper

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regauth/regauth/credential"
)

func TestClientRoundTrip(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{modeServe, modeLibrary} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, store := fakeHelper(t, mode)

			creds := map[string]credential.Credential{
				"https://index.docker.io/v1/": {Username: "alice", Password: `pa<s>s"w&rd`},
				"gcr.io":                      {IdentityToken: "refresh-token"},
			}
			for url, cred := range creds {
				if err := c.Store(ctx, url, cred); err != nil {
					t.Fatalf("Store(%s): %v", url, err)
				}
			}
			// On the wire (and so in the helper's store) a token is "<token>".
			onDisk, err := store.load()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(fileEntry{credential.TokenUsername, "refresh-token"}, onDisk["gcr.io"]); diff != "" {
				t.Errorf("stored identity token (-want +got):\n%s", diff)
			}

			list, err := c.List(ctx)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			wantList := map[string]string{"https://index.docker.io/v1/": "alice", "gcr.io": credential.TokenUsername}
			if diff := cmp.Diff(wantList, list); diff != "" {
				t.Errorf("List (-want +got):\n%s", diff)
			}

			for url, want := range creds {
				got, err := c.Get(ctx, url)
				if err != nil {
					t.Fatalf("Get(%s): %v", url, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Get(%s) (-want +got):\n%s", url, diff)
				}
			}

			if err := c.Erase(ctx, "gcr.io"); err != nil {
				t.Fatalf("Erase: %v", err)
			}
			_, err = c.Get(ctx, "gcr.io")
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get after Erase: got %v, want ErrNotFound", err)
			}
			want := "credential helper docker-credential-test get: credentials not found in native keychain"
			if err.Error() != want {
				t.Errorf("Get after Erase: error %q, want %q", err, want)
			}
			if err := c.Erase(ctx, "gcr.io"); !errors.Is(err, ErrNotFound) {
				t.Errorf("second Erase: got %v, want ErrNotFound", err)
			}
		})
	}
}

func TestClientHelperFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mode    string
		call    func(*Client) error
		wantErr string
	}{
		{
			name:    "empty server URL",
			mode:    modeServe,
			call:    func(c *Client) error { _, err := c.Get(context.Background(), ""); return err },
			wantErr: "credential helper docker-credential-test get: no credentials server URL",
		},
		{
			name: "missing username",
			mode: modeLibrary,
			call: func(c *Client) error {
				return c.Store(context.Background(), "r.example", credential.Credential{Password: "pw"})
			},
			wantErr: "credential helper docker-credential-test store: no credentials username",
		},
		{
			name:    "message on stderr only",
			mode:    modeStderr,
			call:    func(c *Client) error { _, err := c.Get(context.Background(), "r.example"); return err },
			wantErr: "credential helper docker-credential-test get: cannot store r.example",
		},
		{
			name:    "get answer not JSON",
			mode:    modeGarbage,
			call:    func(c *Client) error { _, err := c.Get(context.Background(), "r.example"); return err },
			wantErr: "credential helper docker-credential-test get: invalid response: not the credential-helper JSON format",
		},
		{
			name:    "list answer not JSON",
			mode:    modeGarbage,
			call:    func(c *Client) error { _, err := c.List(context.Background()); return err },
			wantErr: "credential helper docker-credential-test list: invalid response: not the credential-helper JSON format",
		},
		{
			name: "registry token has no wire form",
			mode: modeServe,
			call: func(c *Client) error {
				return c.Store(context.Background(), "r.example", credential.Credential{RegistryToken: "bearer"})
			},
			wantErr: "credential helper docker-credential-test store: a registry token cannot be stored in a credential helper",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := fakeHelper(t, tt.mode)
			err := tt.call(c)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("got error %v, want %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrNotFound) {
				t.Errorf("error %v must not be ErrNotFound", err)
			}
		})
	}
}

// The child gets exactly the injected environment, not the test process's.
func TestClientEnvironIsInjected(t *testing.T) {
	t.Parallel()
	c, store := fakeHelper(t, modeEnv, "HOME=/home/injected")
	got, err := c.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{envMode: modeEnv, envStore: string(store), "GORACE": "atexit_sleep_ms=0", "HOME": "/home/injected"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("child environment (-want +got):\n%s", diff)
	}
}

// A nil Environ is an empty environment, never a silent copy of ours.
func TestClientNilEnvironIsEmpty(t *testing.T) {
	t.Parallel()
	c, _ := fakeHelper(t, modeEnv)
	c.Env.Environ = nil
	got, err := c.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{}, got); diff != "" {
		t.Errorf("child environment (-want +got):\n%s", diff)
	}
}

func TestClientSecretNeverInError(t *testing.T) {
	t.Parallel()
	const planted = `planted-S3cr3t<&>"\ü`
	creds := map[string]credential.Credential{
		"password":       {Username: "alice", Password: planted},
		"identity token": {IdentityToken: planted},
	}
	for _, mode := range []string{modeEcho, modeStderr} {
		for name, cred := range creds {
			t.Run(mode+"/"+name, func(t *testing.T) {
				t.Parallel()
				c, _ := fakeHelper(t, mode)
				err := c.Store(context.Background(), "r.example", cred)
				if err == nil {
					t.Fatal("Store to a failing helper succeeded")
				}
				msg := err.Error()
				if strings.Contains(msg, "planted") || strings.Contains(msg, "S3cr3t") {
					t.Errorf("error text reveals the secret: %q", msg)
				}
				// The helper did echo it: prove redaction, not luck, kept it out.
				if !strings.Contains(msg, "[redacted]") || !strings.HasPrefix(msg, "credential helper docker-credential-test store: ") {
					t.Errorf("error text %q: want the helper's echo with the secret redacted", msg)
				}
			})
		}
	}
}

func TestClientMissingHelper(t *testing.T) {
	t.Parallel()
	const key = `credHelpers["gcr.io"]`
	dir := t.TempDir()
	notExec := filepath.Join(dir, "notexec")
	relDir := filepath.Join(dir, "rel")
	for _, d := range []string{notExec, relDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(notExec, "docker-credential-nope"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(relDir, "docker-credential-nope"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(mustGetwd(t), relDir)
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{
		"empty PATH":           "",
		"not on PATH":          t.TempDir(),
		"not executable":       notExec,
		"only in relative dir": rel,
	}
	actions := map[string]func(*Client) error{
		"get": func(c *Client) error { _, err := c.Get(context.Background(), "gcr.io"); return err },
		"store": func(c *Client) error {
			return c.Store(context.Background(), "gcr.io", credential.Credential{Username: "u", Password: "p"})
		},
		"erase": func(c *Client) error { return c.Erase(context.Background(), "gcr.io") },
		"list":  func(c *Client) error { _, err := c.List(context.Background()); return err },
	}
	for pname, path := range paths {
		for aname, call := range actions {
			t.Run(pname+"/"+aname, func(t *testing.T) {
				t.Parallel()
				c := &Client{Name: "nope", ConfigKey: key, Env: Env{Path: path}}
				err := call(c)
				var missing *MissingHelperError
				if !errors.As(err, &missing) {
					t.Fatalf("got %v, want *MissingHelperError", err)
				}
				want := `credential helper docker-credential-nope: not found in PATH (configured by credHelpers["gcr.io"])`
				if err.Error() != want {
					t.Errorf("error %q, want %q", err, want)
				}
				wantHint := `install docker-credential-nope and put it on PATH, or remove credHelpers["gcr.io"] from config.json`
				if missing.Hint() != wantHint {
					t.Errorf("hint %q, want %q", missing.Hint(), wantHint)
				}
			})
		}
	}
}

func TestClientRejectsPathInName(t *testing.T) {
	t.Parallel()
	c := &Client{Name: "../../bin/sh", ConfigKey: "credsStore", Env: Env{Path: "/bin"}}
	_, err := c.Get(context.Background(), "r.example")
	want := `credential helper "../../bin/sh" (configured by credsStore): name must be non-empty and must not contain a path separator`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestClientAlreadyCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &Client{Name: "nope", ConfigKey: "credsStore"}
	if _, err := c.Get(ctx, "r.example"); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}
