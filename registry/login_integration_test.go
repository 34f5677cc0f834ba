package registry

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/internal/testregistry"
)

var alice = map[string]string{"alice": "s3cret-pw"}

// newClient builds a Client the way the CLI does: a transport from
// TransportFor for the registry's host.
func newClient(t *testing.T, host string, opts TLSOptions) *Client {
	t.Helper()
	rt, _, err := TransportFor(host, opts, nil)
	if err != nil {
		t.Fatalf("TransportFor(%q): %v", host, err)
	}
	t.Cleanup(rt.(*http.Transport).CloseIdleConnections)
	return &Client{HTTP: &http.Client{Transport: rt, Timeout: 30 * time.Second}, Insecure: opts.Insecure, UserAgent: "regauth-test"}
}

// certsDirFor writes the registry's CA where docker looks for it.
func certsDirFor(t *testing.T, reg *testregistry.Registry) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, reg.Host)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	reg.WriteCA(t, dir)
	return root
}

func login(t *testing.T, c *Client, host string, cred credential.Credential) (*LoginResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return c.Login(ctx, host, cred)
}

func TestLoginHtpasswd(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthHtpasswd, Users: alice, TLS: true})
	c := newClient(t, reg.Host, TLSOptions{CertsDirs: []string{certsDirFor(t, reg)}})

	tests := []struct {
		name    string
		cred    credential.Credential
		want    *LoginResult
		wantErr error
	}{
		{
			name: "right password",
			cred: credential.Credential{Username: "alice", Password: "s3cret-pw"},
			want: &LoginResult{Scheme: "https", Auth: "basic"},
		},
		{
			name:    "wrong password",
			cred:    credential.Credential{Username: "alice", Password: "wrong-password"},
			wantErr: ErrUnauthorized,
		},
		{
			name:    "unknown user",
			cred:    credential.Credential{Username: "mallory", Password: "s3cret-pw"},
			wantErr: ErrUnauthorized,
		},
		{
			name:    "anonymous",
			cred:    credential.Credential{},
			wantErr: ErrNoCredential,
		},
		{
			name:    "identity token cannot do basic auth",
			cred:    credential.Credential{Username: credential.TokenUsername, IdentityToken: "refresh-me"},
			wantErr: ErrNoCredential,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := login(t, c, reg.Host, tt.cred)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Login() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				assertNoSecret(t, err, tt.cred)
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Login() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoginUnauthorizedKeepsDiagnostic(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: alice, TLS: true})
	c := newClient(t, reg.Host, TLSOptions{CAFile: reg.WriteCA(t, t.TempDir())})
	cred := credential.Credential{Username: "alice", Password: "not-the-password"}
	_, err := login(t, c, reg.Host, cred)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Login() error = %v, want ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "incorrect username or password") {
		t.Errorf("Login() error = %q, want the token server's message", err)
	}
	t.Logf("error: %v", err)
	assertNoSecret(t, err, cred)
}

func TestLoginTokenRefresh(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: alice, TLS: true, RefreshTokens: true})
	c := newClient(t, reg.Host, TLSOptions{CertsDirs: []string{certsDirFor(t, reg)}})

	first, err := login(t, c, reg.Host, credential.Credential{Username: "alice", Password: "s3cret-pw"})
	if err != nil {
		t.Fatalf("Login(password): %v", err)
	}
	if first.IdentityToken == "" {
		t.Fatalf("Login(password) returned no identity token: %+v", first)
	}
	want := &LoginResult{Scheme: "https", Auth: "bearer", TokenURL: reg.TokenURL, TokenMethod: "oauth2", IdentityToken: first.IdentityToken}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("Login(password) mismatch (-want +got):\n%s", diff)
	}

	if _, err := login(t, c, reg.Host, credential.Credential{Username: credential.TokenUsername, IdentityToken: first.IdentityToken}); err != nil {
		t.Fatalf("Login(identity token): %v", err)
	}
	_, err = login(t, c, reg.Host, credential.Credential{IdentityToken: "not-a-refresh-token"})
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Login(bad identity token) error = %v, want ErrUnauthorized", err)
	}
	bad := credential.Credential{RegistryToken: "not-a-jwt-token"}
	_, err = login(t, c, reg.Host, bad)
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Login(bad registry token) error = %v, want ErrUnauthorized", err)
	}
	assertNoSecret(t, err, bad)

	type seen struct{ Method, GrantType, ClientID string }
	var got []seen
	for _, r := range reg.TokenRequests() {
		got = append(got, seen{r.Method, r.GrantType, r.ClientID})
	}
	wantSeen := []seen{{"POST", "password", ClientID}, {"POST", "refresh_token", ClientID}, {"POST", "refresh_token", ClientID}}
	if diff := cmp.Diff(wantSeen, got); diff != "" {
		t.Errorf("token requests mismatch (-want +got):\n%s", diff)
	}
}

func TestLoginTokenGETFallback(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: alice, TLS: true, DisableOAuthPOST: true})
	c := newClient(t, reg.Host, TLSOptions{CAFile: reg.WriteCA(t, t.TempDir())})

	got, err := login(t, c, reg.Host, credential.Credential{Username: "alice", Password: "s3cret-pw"})
	if err != nil {
		t.Fatalf("Login(): %v", err)
	}
	if got.TokenMethod != "get" {
		t.Errorf("TokenMethod = %q, want get", got.TokenMethod)
	}
	reqs := reg.TokenRequests()
	if len(reqs) != 2 || reqs[0].Method != "POST" || reqs[1].Method != "GET" {
		t.Fatalf("token requests = %+v, want POST then GET", reqs)
	}
	if !reqs[1].Offline || reqs[1].ClientID != ClientID || reqs[1].User != "alice" {
		t.Errorf("GET token request = %+v, want offline, client_id %s, user alice", reqs[1], ClientID)
	}

	_, err = login(t, c, reg.Host, credential.Credential{Username: "alice", Password: "wrong-password"})
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "incorrect username or password") {
		t.Errorf("Login(wrong password) error = %v, want ErrUnauthorized with the server's message", err)
	}
}

func TestLoginTLSTrust(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthHtpasswd, Users: alice, TLS: true})
	cred := credential.Credential{Username: "alice", Password: "s3cret-pw"}

	hostsRoot := t.TempDir()
	hostDir := filepath.Join(hostsRoot, reg.Host)
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	reg.WriteCA(t, hostDir)
	writeFile(t, filepath.Join(hostDir, "hosts.toml"), `server = "https://`+reg.Host+`"
[host."https://`+reg.Host+`"]
  ca = "ca.crt"
`)

	tests := []struct {
		name     string
		opts     TLSOptions
		wantKind string
	}{
		{name: "no CA", opts: TLSOptions{}, wantKind: KindUnknownCA},
		{name: "docker certs.d", opts: TLSOptions{CertsDirs: []string{t.TempDir(), certsDirFor(t, reg)}}},
		{name: "containerd hosts.toml", opts: TLSOptions{HostsDirs: []string{hostsRoot}}},
		{name: "ca file", opts: TLSOptions{CAFile: reg.WriteCA(t, t.TempDir())}},
		{name: "insecure skips verification", opts: TLSOptions{Insecure: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, reg.Host, tt.opts)
			_, err := login(t, c, reg.Host, cred)
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("Login(): %v", err)
				}
				return
			}
			h := wantHint(t, err, tt.wantKind)
			for _, s := range []string{"--ca-file", "/etc/docker/certs.d/" + reg.Host + "/ca.crt", "~/.config/containerd/certs.d/" + reg.Host + "/hosts.toml"} {
				if !strings.Contains(h.Hint(), s) {
					t.Errorf("Hint() = %q, want it to mention %q", h.Hint(), s)
				}
			}
		})
	}
}

func TestLoginPlainHTTP(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthHtpasswd, Users: alice})
	cred := credential.Credential{Username: "alice", Password: "s3cret-pw"}

	_, err := login(t, newClient(t, reg.Host, TLSOptions{}), reg.Host, cred)
	h := wantHint(t, err, KindPlainHTTP)
	for _, s := range []string{"--insecure", "insecure-registries", "/etc/docker/daemon.json", `server = "http://` + reg.Host + `"`} {
		if !strings.Contains(h.Hint(), s) {
			t.Errorf("Hint() = %q, want it to mention %q", h.Hint(), s)
		}
	}

	got, err := login(t, newClient(t, reg.Host, TLSOptions{Insecure: true}), reg.Host, cred)
	if err != nil {
		t.Fatalf("Login(insecure): %v", err)
	}
	if diff := cmp.Diff(&LoginResult{Scheme: "http", Auth: "basic"}, got); diff != "" {
		t.Errorf("Login(insecure) mismatch (-want +got):\n%s", diff)
	}
}

func TestLoginOpenRegistry(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthNone, TLS: true})
	c := newClient(t, reg.Host, TLSOptions{CAFile: reg.WriteCA(t, t.TempDir())})
	got, err := login(t, c, reg.Host, credential.Credential{Username: "alice", Password: "x"})
	if err != nil {
		t.Fatalf("Login(): %v", err)
	}
	if diff := cmp.Diff(&LoginResult{Scheme: "https", Auth: "none"}, got); diff != "" {
		t.Errorf("Login() mismatch (-want +got):\n%s", diff)
	}
}

func TestLoginTokenServerDown(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: alice, TLS: true, TokenServerDown: true})
	c := newClient(t, reg.Host, TLSOptions{CAFile: reg.WriteCA(t, t.TempDir())})
	_, err := login(t, c, reg.Host, credential.Credential{Username: "alice", Password: "s3cret-pw"})
	h := wantHint(t, err, KindTokenServer)
	if !strings.Contains(h.Error(), reg.TokenURL) || !strings.Contains(h.Hint(), reg.TokenURL) {
		t.Errorf("error = %q, hint = %q; want both to name the realm %s", h.Error(), h.Hint(), reg.TokenURL)
	}
}

func TestPingRefused(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: alice, TokenServerDown: true})
	// The token URL's port is closed: a registry host nothing listens on.
	host := strings.TrimSuffix(strings.TrimPrefix(reg.TokenURL, "http://"), "/token")
	_, err := newClient(t, host, TLSOptions{Insecure: true}).Ping(context.Background(), host)
	wantHint(t, err, KindRefused)
}

func wantHint(t *testing.T, err error, kind string) *HintError {
	t.Helper()
	var h *HintError
	if !errors.As(err, &h) {
		t.Fatalf("error = %v (%T), want a *HintError of kind %s", err, err, kind)
	}
	if h.Kind != kind {
		t.Fatalf("HintError kind = %q (%v), want %q", h.Kind, h, kind)
	}
	t.Logf("error: %v\nhint: %s", h, h.Hint())
	return h
}

func assertNoSecret(t *testing.T, err error, cred credential.Credential) {
	t.Helper()
	for _, s := range []string{cred.Password, cred.IdentityToken, cred.RegistryToken} {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q reveals a secret", err)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
