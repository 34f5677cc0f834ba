package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sirupsen/logrus"

	"github.com/regauth/regauth/server"
	"github.com/regauth/regauth/server/model"
	"github.com/regauth/regauth/server/store"
	"github.com/regauth/regauth/server/token"

	// distribution fills its driver and access-controller registries in
	// init(); NewApp panics without them.
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

const (
	e2eIssuer = "regauth-e2e"
	adminName = "admin"
)

// Registry trust modes: distribution's auth.token takes the signing keys
// either as a certificate bundle or as a JWKS file.
const (
	modeRootCertBundle = "rootcertbundle"
	modeJWKS           = "jwks"
)

var quietOnce sync.Once

// quietRegistry silences distribution, which logs through logrus' global
// logger whatever its configuration says.
func quietRegistry() {
	quietOnce.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.ErrorLevel)
	})
}

type envOptions struct {
	mode       string // modeRootCertBundle (default) or modeJWKS
	throttle   *server.Throttle
	trustProxy bool
	now        func() time.Time // the server's clock; default time.Now
}

// env is a token server and a real distribution v3 registry trusting it,
// behind ONE httptest server on 127.0.0.1: the token realm then has the
// registry's host, which go-containerregistry's SSRF guard requires for
// loopback IP literals.
type env struct {
	t         *testing.T
	URL       string // http://127.0.0.1:PORT
	Host      string // 127.0.0.1:PORT: registry host, service and realm host
	db        *store.DB
	keys      *token.KeySet
	logs      *lockedBuffer
	secrets   *secretSet
	client    *http.Client
	adminPass string
}

func newEnv(t *testing.T, opts envOptions) *env {
	t.Helper()
	quietRegistry()
	dir := t.TempDir()
	ctx := context.Background()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	e := &env{t: t, Host: ln.Addr().String(), logs: &lockedBuffer{}, secrets: &secretSet{}}
	e.URL = "http://" + e.Host

	db, err := store.Open(ctx, filepath.Join(dir, "regauth.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	e.db = db

	now := time.Now()
	ks, err := token.LoadOrCreateKeys(filepath.Join(dir, "keys"), "", now)
	if err != nil {
		t.Fatalf("keys: %v", err)
	}
	e.keys = ks
	regFiles := filepath.Join(dir, "registry-auth")
	if err := ks.WriteRegistryFiles(regFiles); err != nil {
		t.Fatalf("registry files: %v", err)
	}
	issuer, err := token.NewIssuer(token.IssuerOptions{Issuer: e2eIssuer, Keys: ks})
	if err != nil {
		t.Fatalf("issuer: %v", err)
	}

	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(server.Config{
		Issuer: e2eIssuer, Service: e.Host, Registry: e.Host, JWKS: ks.JWKS,
		Logger: logger, Throttle: opts.throttle, TrustProxyHeaders: opts.trustProxy, Now: opts.now,
		Keys: ks, RegistryFilesDir: regFiles,
	}, db, issuer)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}

	e.adminPass = e.newSecret()
	hash, err := server.HashPassword(e.adminPass, server.HashBcrypt)
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	if err := db.CreateUser(ctx, model.User{Name: adminName, PasswordHash: hash, Admin: true, CreatedAt: now, PasswordChangedAt: now}); err != nil {
		t.Fatalf("create admin: %v", err)
	}

	tokenCfg := configuration.Parameters{"realm": e.URL + "/token", "service": e.Host, "issuer": e2eIssuer}
	switch opts.mode {
	case "", modeRootCertBundle:
		tokenCfg["rootcertbundle"] = filepath.Join(regFiles, token.RootCertBundleFile)
	case modeJWKS:
		tokenCfg["jwks"] = filepath.Join(regFiles, token.JWKSFile)
	default:
		t.Fatalf("unknown mode %q", opts.mode)
	}
	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			"inmemory":    configuration.Parameters{},
			"delete":      configuration.Parameters{"enabled": true},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
		},
		Auth: configuration.Auth{"token": tokenCfg},
	}
	cfg.HTTP.Secret = hex.EncodeToString([]byte(e.newSecret()))[:32]
	appCtx, cancel := context.WithCancel(ctx)
	app := handlers.NewApp(appCtx, cfg)

	ours := e.secrets.recorder(srv.Handler())
	mux := http.NewServeMux()
	for _, p := range []string{"/token", "/api/", "/.well-known/", "/healthz", "/metrics"} {
		mux.Handle(p, ours)
	}
	mux.Handle("/", app)
	hs := &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux, ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 10 * time.Second}}
	hs.Start()

	tr := http.DefaultTransport.(*http.Transport).Clone()
	e.client = &http.Client{Transport: tr, Timeout: time.Minute}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		hs.Close()
		_ = app.Shutdown()
		cancel()
	})
	return e
}

// newSecret returns a random password and remembers it as a secret that
// must never show up in logs or the audit trail.
func (e *env) newSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	s := "pw-" + base64.RawURLEncoding.EncodeToString(b)
	e.secrets.add(s)
	return s
}

// do sends a request to the server; user "" sends no credentials. body is
// JSON-encoded unless it is a string or nil.
func (e *env) do(method, path, user, pass string, body any) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read %s: %v", req.URL.Path, err)
	}
	return resp, b
}

// admin calls the admin API as the admin and wants status want.
func (e *env) admin(method, path string, body any, want int) []byte {
	e.t.Helper()
	resp, b := e.do(method, path, adminName, e.adminPass, body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, apiCode(b))
	}
	return b
}

type perm struct {
	Pattern string     `json:"pattern"`
	Role    model.Role `json:"role"`
}

type robotCreated struct {
	Name        string  `json:"name"`
	Secret      string  `json:"secret"`
	ExpiresAt   *string `json:"expires_at"`
	Permissions []struct {
		ID      int64  `json:"id"`
		Pattern string `json:"pattern"`
		Role    string `json:"role"`
	} `json:"permissions"`
}

// createRobot creates a robot through the admin API and returns its secret.
func (e *env) createRobot(name, expiresAt string, perms ...perm) string {
	e.t.Helper()
	body := map[string]any{"name": name, "description": "e2e " + name, "permissions": perms}
	if expiresAt != "" {
		body["expires_at"] = expiresAt
	}
	var out robotCreated
	if err := json.Unmarshal(e.admin(http.MethodPost, "/api/v1/robots", body, http.StatusCreated), &out); err != nil {
		e.t.Fatalf("create robot: decode: %v", err)
	}
	if out.Name != name || len(out.Secret) < 40 || len(out.Permissions) != len(perms) {
		e.t.Fatalf("create robot %s: got name %q, secret of %d characters, %d permissions", name, out.Name, len(out.Secret), len(out.Permissions))
	}
	e.secrets.add(out.Secret)
	return out.Secret
}

func (e *env) regenerate(name string) string {
	e.t.Helper()
	var out robotCreated
	if err := json.Unmarshal(e.admin(http.MethodPost, "/api/v1/robots/"+name+"/regenerate", nil, http.StatusOK), &out); err != nil {
		e.t.Fatalf("regenerate: decode: %v", err)
	}
	if len(out.Secret) < 40 {
		e.t.Fatalf("regenerate %s: no secret in the answer", name)
	}
	e.secrets.add(out.Secret)
	return out.Secret
}

// ref names a repository's tag on the registry.
func (e *env) ref(repo, tag string) name.Reference {
	e.t.Helper()
	r, err := name.ParseReference(e.Host + "/" + repo + ":" + tag)
	if err != nil {
		e.t.Fatalf("reference: %v", err)
	}
	return r
}

func basic(user, pass string) authn.Authenticator {
	return authn.FromConfig(authn.AuthConfig{Username: user, Password: pass})
}

func (e *env) remoteOpts(auth authn.Authenticator) []remote.Option {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	e.t.Cleanup(cancel)
	return []remote.Option{remote.WithAuth(auth), remote.WithContext(ctx), remote.WithTransport(e.client.Transport), remote.WithRetryBackoff(remote.Backoff{Steps: 1})}
}

func (e *env) push(repo string, auth authn.Authenticator) (v1.Image, error) {
	e.t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		e.t.Fatalf("random image: %v", err)
	}
	return img, remote.Write(e.ref(repo, "v1"), img, e.remoteOpts(auth)...)
}

func (e *env) pull(repo string, auth authn.Authenticator) (v1.Hash, error) {
	e.t.Helper()
	img, err := remote.Image(e.ref(repo, "v1"), e.remoteOpts(auth)...)
	if err != nil {
		return v1.Hash{}, err
	}
	// Read the layers too: blob fetches are authorised separately.
	layers, err := img.Layers()
	if err != nil {
		return v1.Hash{}, err
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return v1.Hash{}, err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return v1.Hash{}, err
		}
	}
	return img.Digest()
}

// wantRefused checks that err is the registry refusing access (401 with
// UNAUTHORIZED or 403 DENIED), or the token server refusing credentials.
func wantRefused(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want refused", what)
		return
	}
	var te *transport.Error
	if !errors.As(err, &te) {
		t.Errorf("%s: error %v, want a registry refusal", what, err)
		return
	}
	switch te.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
	default:
		t.Errorf("%s: status %d (%v), want 401 or 403", what, te.StatusCode, err)
	}
}

// wantRegistryRefused checks that the REGISTRY (not the token server)
// refused: the token was issued but did not carry the needed action.
func wantRegistryRefused(t *testing.T, what string, err error) {
	t.Helper()
	wantRefused(t, what, err)
	var te *transport.Error
	if !errors.As(err, &te) {
		return
	}
	if te.Request != nil && te.Request.URL.Path == "/token" {
		t.Errorf("%s: refused by the token server, want the registry to refuse an empty grant", what)
	}
	if te.Request != nil && te.Request.Method == http.MethodHead && len(te.Errors) == 0 {
		return // a HEAD answer has no body to carry the code
	}
	for _, d := range te.Errors {
		if d.Code == transport.UnauthorizedErrorCode || d.Code == transport.DeniedErrorCode {
			return
		}
	}
	method := ""
	if te.Request != nil {
		method = te.Request.Method
	}
	t.Errorf("%s: %s answered %d with error codes %v, want UNAUTHORIZED or DENIED", what, method, te.StatusCode, te.Errors)
}

// tokenResp is the token endpoint's JSON answer.
type tokenResp struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	IssuedAt     string `json:"issued_at"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// getToken runs the docker GET flow; user "" is anonymous.
func (e *env) getToken(user, pass string, q url.Values) (*http.Response, tokenResp) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.URL+"/token?"+q.Encode(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, b := e.send(req)
	var tr tokenResp
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &tr); err != nil {
			e.t.Fatalf("token answer: %v", err)
		}
	}
	return resp, tr
}

// postToken runs the OAuth2 POST flow.
func (e *env) postToken(form url.Values) (*http.Response, tokenResp, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, b := e.send(req)
	var tr tokenResp
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &tr); err != nil {
			e.t.Fatalf("token answer: %v", err)
		}
	}
	return resp, tr, b
}

type claims struct {
	Iss    string `json:"iss"`
	Sub    string `json:"sub"`
	Aud    any    `json:"aud"`
	Exp    int64  `json:"exp"`
	Nbf    int64  `json:"nbf"`
	Iat    int64  `json:"iat"`
	Jti    string `json:"jti"`
	Access []struct {
		Type    string   `json:"type"`
		Name    string   `json:"name"`
		Actions []string `json:"actions"`
	} `json:"access"`
}

// verifyJWT checks tok's signature against the published JWKS and returns
// its claims.
func (e *env) verifyJWT(tok string) claims {
	e.t.Helper()
	sig, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		e.t.Fatalf("parse token: %v", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(e.keys.JWKS(), &set); err != nil {
		e.t.Fatalf("jwks: %v", err)
	}
	keys := set.Key(sig.Signatures[0].Header.KeyID)
	if len(keys) == 0 {
		e.t.Fatalf("token kid is not in the JWKS")
	}
	payload, err := sig.Verify(keys[0])
	if err != nil {
		e.t.Fatalf("token signature: %v", err)
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		e.t.Fatalf("claims: %v", err)
	}
	return c
}

// access flattens the access claim to "type:name" → "a,b" (sorted as
// issued; empty string for no actions).
func (c claims) access() map[string]string {
	out := map[string]string{}
	for _, a := range c.Access {
		out[a.Type+":"+a.Name] = strings.Join(a.Actions, ",")
	}
	return out
}

// apiCode extracts an OCI-style error code, for failure messages that must
// not echo whole bodies (which may hold secrets).
func apiCode(b []byte) string {
	var v struct {
		Errors []struct{ Code string } `json:"errors"`
		Error  string                  `json:"error"`
	}
	if json.Unmarshal(b, &v) != nil {
		return "(non-JSON body)"
	}
	if len(v.Errors) > 0 {
		return v.Errors[0].Code
	}
	return v.Error
}

// lockedBuffer is an io.Writer safe for the server's concurrent logging.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// secretSet collects every secret the test saw: passwords it chose, and
// whatever crossed the wire to or from the token server (Basic passwords,
// bearer tokens, form passwords and refresh tokens, issued tokens and
// robot secrets).
type secretSet struct {
	mu sync.Mutex
	s  map[string]bool
}

func (s *secretSet) add(v string) {
	if len(v) < 12 { // shorter values are not secrets we issue or choose
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		s.s = map[string]bool{}
	}
	s.s[v] = true
}

func (s *secretSet) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.s))
	for v := range s.s {
		out = append(out, v)
	}
	return out
}

// leaked returns how many known secrets occur in text (never the secrets
// themselves: test output must not carry them either).
func (s *secretSet) leaked(text string) int {
	n := 0
	for _, v := range s.all() {
		if strings.Contains(text, v) {
			n++
		}
	}
	return n
}

func (s *secretSet) recorder(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if _, pass, ok := r.BasicAuth(); ok {
			s.add(pass)
		} else if tok, ok := strings.CutPrefix(auth, "Bearer "); ok {
			s.add(tok)
		}
		if r.Method == http.MethodPost && r.Body != nil {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body = io.NopCloser(bytes.NewReader(body))
			if form, err := url.ParseQuery(string(body)); err == nil {
				for _, k := range []string{"password", "refresh_token"} {
					s.add(form.Get(k))
				}
			}
		}
		rec := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		var v map[string]any
		if json.Unmarshal(rec.body.Bytes(), &v) == nil {
			for _, k := range []string{"token", "access_token", "refresh_token", "secret"} {
				if str, ok := v[k].(string); ok {
					s.add(str)
				}
			}
		}
	})
}

type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (t *teeWriter) Write(p []byte) (int, error) {
	if t.body.Len() < 1<<20 {
		t.body.Write(p)
	}
	return t.ResponseWriter.Write(p)
}
