package helper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/regauth/regauth/credential"
)

// memBackend is an in-memory Backend; failWith, if set, is returned by every
// call.
type memBackend struct {
	mu       sync.Mutex
	m        map[string]credential.Credential
	failWith error
}

var _ Backend = (*memBackend)(nil)

func (b *memBackend) Get(_ context.Context, url string) (credential.Credential, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failWith != nil {
		return credential.Credential{}, b.failWith
	}
	c, ok := b.m[url]
	if !ok {
		return credential.Credential{}, fmt.Errorf("get %s: %w", url, ErrNotFound)
	}
	return c, nil
}

func (b *memBackend) Store(_ context.Context, url string, c credential.Credential) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failWith != nil {
		return b.failWith
	}
	b.m[url] = c
	return nil
}

func (b *memBackend) Erase(_ context.Context, url string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failWith != nil {
		return b.failWith
	}
	if _, ok := b.m[url]; !ok {
		return ErrNotFound
	}
	delete(b.m, url)
	return nil
}

func (b *memBackend) List(context.Context) (map[string]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failWith != nil {
		return nil, b.failWith
	}
	out := map[string]string{}
	for url, c := range b.m {
		out[url] = c.Username
		if c.IdentityToken != "" {
			out[url] = credential.TokenUsername
		}
	}
	return out, nil
}

// runServe is what cmd/regauth does as docker-credential-regauth: print the
// error on stdout and exit 1, like credentials.Serve.
func runServe(action, stdin string, b Backend) (stdout string, exit int) {
	var out bytes.Buffer
	if err := Serve(context.Background(), action, strings.NewReader(stdin), &out, b); err != nil {
		fmt.Fprintln(&out, err)
		return out.String(), 1
	}
	return out.String(), 0
}

var seed = map[string]credential.Credential{
	"https://index.docker.io/v1/": {Username: "alice", Password: "pa<ss>"},
	"gcr.io":                      {IdentityToken: "refresh"},
}

func TestServe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		action    string
		stdin     string
		empty     bool  // start with no credentials instead of seed
		failWith  error // every Backend call fails with this
		extra     map[string]credential.Credential
		wantOut   string
		wantExit  int
		wantState map[string]credential.Credential // nil: unchanged
	}{
		{name: "get", action: "get", stdin: "https://index.docker.io/v1/\n",
			wantOut: `{"ServerURL":"https://index.docker.io/v1/","Username":"alice","Secret":"pa\u003css\u003e"}` + "\n"},
		{name: "get identity token", action: "get", stdin: "gcr.io",
			wantOut: `{"ServerURL":"gcr.io","Username":"\u003ctoken\u003e","Secret":"refresh"}` + "\n"},
		{name: "get not found", action: "get", stdin: "quay.io\n",
			wantOut: "credentials not found in native keychain\n", wantExit: 1},
		{name: "get empty server URL", action: "get", stdin: " \n",
			wantOut: "no credentials server URL\n", wantExit: 1},
		{name: "get backend failure", action: "get", stdin: "gcr.io", failWith: errors.New("keyring: locked"),
			wantOut: "keyring: locked\n", wantExit: 1},
		{name: "get wrapped not found", action: "get", stdin: "gcr.io", failWith: fmt.Errorf("keyring: %w", ErrNotFound),
			wantOut: "credentials not found in native keychain\n", wantExit: 1},
		{name: "get registry token", action: "get", stdin: "ghcr.io",
			extra:   map[string]credential.Credential{"ghcr.io": {RegistryToken: "bearer"}},
			wantOut: "get: a registry token cannot be returned by a credential helper\n", wantExit: 1},
		{name: "get empty credential", action: "get", stdin: "ghcr.io",
			extra:   map[string]credential.Credential{"ghcr.io": {}},
			wantOut: "credentials not found in native keychain\n", wantExit: 1},
		{name: "store", action: "store", stdin: `{"ServerURL":"quay.io","Username":"bob","Secret":"s3"}` + "\n",
			wantState: withEntry("quay.io", credential.Credential{Username: "bob", Password: "s3"})},
		{name: "store identity token", action: "store", stdin: `{"ServerURL":"quay.io","Username":"<token>","Secret":"rt"}`,
			wantState: withEntry("quay.io", credential.Credential{IdentityToken: "rt"})},
		{name: "store escaped identity token", action: "store", stdin: `{"ServerURL":"quay.io","Username":"\u003ctoken\u003e","Secret":"rt"}`,
			wantState: withEntry("quay.io", credential.Credential{IdentityToken: "rt"})},
		{name: "store missing username", action: "store", stdin: `{"ServerURL":"quay.io","Secret":"s3"}`,
			wantOut: "no credentials username\n", wantExit: 1},
		{name: "store missing server URL", action: "store", stdin: `{"Username":"bob","Secret":"s3"}`,
			wantOut: "no credentials server URL\n", wantExit: 1},
		{name: "store not JSON", action: "store", stdin: "quay.io",
			wantOut: "invalid character 'q' looking for beginning of value\n", wantExit: 1},
		{name: "erase", action: "erase", stdin: "gcr.io\n",
			wantState: map[string]credential.Credential{"https://index.docker.io/v1/": seed["https://index.docker.io/v1/"]}},
		{name: "erase not found", action: "erase", stdin: "quay.io",
			wantOut: "credentials not found in native keychain\n", wantExit: 1},
		{name: "erase empty server URL", action: "erase", stdin: "",
			wantOut: "no credentials server URL\n", wantExit: 1},
		{name: "list", action: "list", stdin: "unused",
			wantOut: `{"gcr.io":"\u003ctoken\u003e","https://index.docker.io/v1/":"alice"}` + "\n"},
		{name: "list empty", action: "list", empty: true,
			wantOut: "{}\n"},
		{name: "version", action: "version",
			wantOut: "docker-credential-regauth (github.com/regauth/regauth) (devel)\n"},
		{name: "--version", action: "--version",
			wantOut: "docker-credential-regauth (github.com/regauth/regauth) (devel)\n"},
		{name: "--help", action: "--help",
			wantOut: "Usage: docker-credential-regauth <store|get|erase|list|version>\n"},
		{name: "unknown action", action: "frobnicate",
			wantOut: "docker-credential-regauth: unknown action: frobnicate\n", wantExit: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &memBackend{m: maps.Clone(seed), failWith: tt.failWith}
			if tt.empty {
				b.m = map[string]credential.Credential{}
			}
			maps.Copy(b.m, tt.extra)
			out, exit := runServe(tt.action, tt.stdin, b)
			if out != tt.wantOut || exit != tt.wantExit {
				t.Errorf("Serve(%q, %q):\n got exit %d, stdout %q\nwant exit %d, stdout %q",
					tt.action, tt.stdin, exit, out, tt.wantExit, tt.wantOut)
			}
			want := tt.wantState
			if want == nil && !tt.empty {
				want = seed
			}
			if tt.empty {
				want = map[string]credential.Credential{}
			}
			if tt.wantState == nil && tt.extra != nil {
				want = maps.Clone(seed)
				maps.Copy(want, tt.extra)
			}
			if diff := cmp.Diff(want, b.m); diff != "" {
				t.Errorf("backend after Serve (-want +got):\n%s", diff)
			}
		})
	}
}

func withEntry(url string, c credential.Credential) map[string]credential.Credential {
	m := maps.Clone(seed)
	m[url] = c
	return m
}

// Serve must print what the upstream library prints for the same store, byte
// for byte, so docker cannot tell regauth from osxkeychain or pass.
func TestServeMatchesUpstream(t *testing.T) {
	t.Parallel()
	requests := []struct{ action, stdin string }{
		{"get", "https://index.docker.io/v1/\n"},
		{"get", "gcr.io"},
		{"get", "quay.io"},
		{"get", ""},
		{"store", `{"ServerURL":"quay.io","Username":"bob","Secret":"s<3>"}`},
		{"store", `{"ServerURL":"quay.io","Username":"<token>","Secret":"rt"}`},
		{"store", `{"ServerURL":"quay.io","Secret":"s3"}`},
		{"store", `{"Username":"bob"}`},
		{"store", `{"ServerURL":`},
		{"erase", "gcr.io"},
		{"erase", "quay.io"},
		{"erase", "\n"},
		{"list", "unused"},
	}
	for _, r := range requests {
		t.Run(r.action+" "+r.stdin, func(t *testing.T) {
			t.Parallel()
			got, gotExit := runServe(r.action, r.stdin, &memBackend{m: maps.Clone(seed)})

			up := upstreamHelper{}
			for url, c := range seed {
				up[url] = [2]string{c.Username, c.Password}
				if c.IdentityToken != "" {
					up[url] = [2]string{credential.TokenUsername, c.IdentityToken}
				}
			}
			var out bytes.Buffer
			wantExit := 0
			if err := credentials.HandleCommand(up, r.action, strings.NewReader(r.stdin), &out); err != nil {
				fmt.Fprintln(&out, err) // what credentials.Serve does
				wantExit = 1
			}
			if got != out.String() || gotExit != wantExit {
				t.Errorf("Serve: exit %d, stdout %q\nupstream: exit %d, stdout %q", gotExit, got, wantExit, out.String())
			}
		})
	}
}

// upstreamHelper is a credentials.Helper over serverURL → {username, secret}.
type upstreamHelper map[string][2]string

func (h upstreamHelper) Add(c *credentials.Credentials) error {
	h[c.ServerURL] = [2]string{c.Username, c.Secret}
	return nil
}

func (h upstreamHelper) Get(url string) (string, string, error) {
	e, ok := h[url]
	if !ok {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	return e[0], e[1], nil
}

func (h upstreamHelper) Delete(url string) error {
	if _, ok := h[url]; !ok {
		return credentials.NewErrCredentialsNotFound()
	}
	delete(h, url)
	return nil
}

func (h upstreamHelper) List() (map[string]string, error) {
	out := map[string]string{}
	for url, e := range h {
		out[url] = e[0]
	}
	return out, nil
}
