// Package testregistry runs a real container registry (distribution v3,
// in-process, behind httptest) for tests, with no auth, htpasswd Basic auth
// or token auth backed by a small token issuer that speaks the docker token
// and OAuth2 flows. Everything binds 127.0.0.1 and stops at test cleanup.
package testregistry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"

	// distribution finds drivers and auth backends through registries
	// filled in init(); without these NewApp panics.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

// AuthMode selects how the registry authenticates clients.
type AuthMode int

const (
	AuthNone     AuthMode = iota // anonymous registry
	AuthHtpasswd                 // distribution's htpasswd Basic auth
	AuthToken                    // distribution token auth, realm served by this package
)

// Options configure New. The zero value is an anonymous plain-HTTP registry.
type Options struct {
	Auth  AuthMode
	Users map[string]string // username -> password (htpasswd and token modes)
	TLS   bool              // HTTPS with a certificate from a fresh test CA

	// Token mode only.

	// Permit decides which actions user ("" = anonymous) gets on repo; only
	// actions both requested and returned are granted. It is called
	// concurrently. nil: authenticated users get everything they request,
	// anonymous gets nothing. Non-repository scopes (registry:catalog:*)
	// skip Permit and follow the nil rule.
	Permit func(user, repo string, requested []string) []string
	// TokenServerDown points the realm at a closed port on "localhost".
	TokenServerDown bool
	// TokenDelay makes the issuer sleep before every answer.
	TokenDelay time.Duration
	// TokenNotBefore shifts the issuer's clock (iat, nbf, exp, issued_at)
	// forward. The registry allows 60s of leeway, so use more than a
	// minute to make it reject tokens.
	TokenNotBefore time.Duration
	// TokenTTL is the token lifetime (expires_in); default 5 minutes.
	TokenTTL time.Duration
	// RefreshTokens makes the issuer hand out refresh tokens (POST
	// grant_type=password&access_type=offline, GET offline_token=true) and
	// accept grant_type=refresh_token.
	RefreshTokens bool
	// DisableOAuthPOST answers 404 to POST /token, as GET-only issuers do.
	DisableOAuthPOST bool
}

// Registry is a running registry. Its fields are read-only.
type Registry struct {
	URL       string         // "http(s)://127.0.0.1:PORT"
	Host      string         // "127.0.0.1:PORT", as written in image references
	CACertPEM []byte         // TLS mode: the CA that signed the server certificate
	CAPool    *x509.CertPool // TLS mode: pool holding that CA
	Client    *http.Client   // trusts the CA, sends no credentials

	// Token mode only.
	TokenURL string // the realm: URL+"/token", or "http(s)://localhost:CLOSED/token" with TokenServerDown
	Service  string // service in the challenge and token audience (== Host)
	Issuer   string // iss claim the registry trusts

	opts      Options
	adminUser string
	adminPass string
	signer    *tokenSigner // token mode
	issuer    *issuer      // token mode
}

const adminUser = "testregistry-admin"

var quietOnce sync.Once

// quietLogs silences distribution, which logs through logrus' standard
// logger (also via its internal dcontext package) and is not configurable
// per App; configuration.Log is only applied by the registry binary.
func quietLogs() {
	quietOnce.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.ErrorLevel)
	})
}

// New starts a registry configured by opts; it is shut down by t.Cleanup.
func New(t testing.TB, opts Options) *Registry {
	t.Helper()
	quietLogs()
	dir := t.TempDir()
	r := &Registry{opts: opts, adminUser: adminUser, adminPass: randomHex(16)}

	var pki *testPKI
	scheme := "http"
	if opts.TLS {
		pki = newTestPKI(t)
		r.CACertPEM, r.CAPool = pki.caPEM, pki.pool
		scheme = "https"
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if opts.TLS {
		transport.TLSClientConfig = &tls.Config{RootCAs: pki.pool, MinVersion: tls.VersionTLS12}
	}
	r.Client = &http.Client{Transport: transport}
	t.Cleanup(transport.CloseIdleConnections)

	// The address must be known before the config is built: the token
	// service is the registry's host:port, as real registries name theirs.
	ln := listenLocal(t)
	r.Host = ln.Addr().String()
	r.URL = scheme + "://" + r.Host

	cfg := baseConfig()
	switch opts.Auth {
	case AuthNone:
	case AuthHtpasswd:
		cfg.Auth = htpasswdAuth(t, dir, opts.Users, r.adminUser, r.adminPass)
	case AuthToken:
		cfg.Auth = r.newIssuer(t, dir, scheme)
	default:
		t.Fatalf("testregistry: unknown auth mode %d", opts.Auth)
	}

	ctx, cancel := context.WithCancel(context.Background())
	app := handlers.NewApp(ctx, cfg)
	var h http.Handler = app
	if r.issuer != nil && !opts.TokenServerDown {
		h = withIssuer(app, r.issuer)
	}
	srv := serve(ln, h, pki)
	t.Cleanup(func() {
		if r.issuer != nil {
			close(r.issuer.done)
		}
		srv.Close()
		_ = app.Shutdown()
		cancel()
	})
	return r
}

// newIssuer prepares the token issuer and returns the registry's token
// auth configuration.
//
// The realm lives on the registry's own host:port (as on ghcr.io, Quay and
// Harbor) because go-containerregistry (v0.22.1, pinned here) refuses
// realms whose host is a loopback or private IP literal unless it equals the
// registry's host:port (SSRF guard, ggcr #2258); a separate 127.0.0.1 port
// would break every ggcr-based client.
func (r *Registry) newIssuer(t testing.TB, dir, scheme string) configuration.Auth {
	t.Helper()
	r.Service = r.Host
	r.Issuer = "testregistry-issuer"
	r.signer = newTokenSigner(t, dir, r.Issuer, r.Service)
	ttl := r.opts.TokenTTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	r.issuer = &issuer{
		signer:  r.signer,
		users:   copyUsers(r.opts.Users),
		opts:    r.opts,
		ttl:     ttl,
		done:    make(chan struct{}),
		refresh: map[string]string{},
	}
	r.TokenURL = r.URL + "/token"
	if r.opts.TokenServerDown {
		// A port nothing listens on (the kernel does not hand a just-closed
		// ephemeral port out again at once). The host is spelled
		// "localhost" so ggcr's guard above, which only inspects IP
		// literals, lets clients reach the dial and see "connection refused".
		ln := listenLocal(t)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		ln.Close()
		r.TokenURL = scheme + "://localhost:" + port + "/token"
	}
	return tokenAuth(r.TokenURL, r.Service, r.Issuer, r.signer.certPath)
}

// withIssuer routes the realm path to the issuer and everything else to
// the registry. distribution only routes /v2/, so /token cannot collide.
func withIssuer(app, is http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/token" {
			is.ServeHTTP(w, req)
			return
		}
		app.ServeHTTP(w, req)
	})
}

// TokenRequests returns what the token issuer has been asked so far.
func (r *Registry) TokenRequests() []TokenRequest {
	if r.issuer == nil {
		return nil
	}
	return r.issuer.recorded()
}

// WriteCA writes CACertPEM to dir/ca.crt and returns the path.
func (r *Registry) WriteCA(t testing.TB, dir string) string {
	t.Helper()
	if len(r.CACertPEM) == 0 {
		t.Fatalf("testregistry: WriteCA on a registry started without TLS")
	}
	p := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(p, r.CACertPEM, 0o644); err != nil {
		t.Fatalf("testregistry: write CA: %v", err)
	}
	return p
}

func listenLocal(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testregistry: listen: %v", err)
	}
	// Covers a t.Fatalf before the server takes the listener over; a second
	// Close after the server's is harmless.
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

func serve(ln net.Listener, h http.Handler, pki *testPKI) *httptest.Server {
	srv := &httptest.Server{
		Listener: ln,
		// TLS handshake failures are expected in tests (clients without
		// the CA); keep them out of test output.
		Config: &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 10 * time.Second},
	}
	if pki == nil {
		srv.Start()
		return srv
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.serverCert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	return srv
}

func copyUsers(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for u, p := range in {
		out[u] = p
	}
	return out
}
