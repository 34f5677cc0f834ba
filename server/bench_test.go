package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regauth/regauth/internal/benchseed"
	"github.com/regauth/regauth/server/store"
	"github.com/regauth/regauth/server/token"
)

// The token benchmarks run the whole handler (parsing, authentication,
// permissions, policy, ES256 signing, audit, JSON) through
// httptest.NewRecorder, without a network, against the data set of
// docs/benchmarks.md: 10,000 robots, 100 users with bcrypt passwords and
// 100,000 permission rules in SQLite.
//
// Seeding takes a minute or more, so the seeded database is built once and
// kept as a template in $REGAUTH_BENCH_CACHE (default
// $TMPDIR/regauth-tokenbench-v1, about 30 MB; delete it to reseed); each
// benchmark serves a fresh copy of it from b.TempDir.

var benchTemplate struct {
	once sync.Once
	path string
	err  error
}

const benchTemplateVersion = "regauth-tokenbench-v1"

func benchTemplateDB(b *testing.B) string {
	b.Helper()
	benchTemplate.once.Do(func() {
		dir := os.Getenv("REGAUTH_BENCH_CACHE")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), benchTemplateVersion)
		}
		benchTemplate.path = filepath.Join(dir, "regauth.db")
		if _, err := os.Stat(benchTemplate.path); err == nil {
			return
		}
		benchTemplate.err = seedTemplate(b, dir)
	})
	if benchTemplate.err != nil {
		b.Fatal(benchTemplate.err)
	}
	return benchTemplate.path
}

// seedTemplate seeds in a scratch directory and renames it into place, so
// an interrupted or concurrent run never leaves a half-seeded template.
func seedTemplate(b *testing.B, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".seeding-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(tmp, "regauth.db")+"?_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	st, err := benchseed.Seed(ctx, db, benchseed.Hashes{
		RobotSecret: HashRobotSecret,
		Password:    func(p string) (string, error) { return HashPassword(p, HashBcrypt) },
	}, benchseed.Options{})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	b.Logf("seeded %d robots, %d users, %d rules in %s into %s", st.Robots, st.Users, st.Rules, st.Took.Round(time.Millisecond), dir)
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, fs.ErrExist) {
		if _, serr := os.Stat(filepath.Join(dir, "regauth.db")); serr != nil {
			return err
		}
	}
	return nil
}

// benchServer serves a fresh copy of the template with real ES256 keys.
func benchServer(b *testing.B, cfg Config) *Server {
	b.Helper()
	dir := b.TempDir()
	src, err := os.ReadFile(benchTemplateDB(b))
	if err != nil {
		b.Fatal(err)
	}
	dbPath := filepath.Join(dir, "regauth.db")
	if err := os.WriteFile(dbPath, src, 0o600); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ks, err := token.LoadOrCreateKeys(filepath.Join(dir, "keys"), token.ES256, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	issuer, err := token.NewIssuer(token.IssuerOptions{Issuer: "regauth", Keys: ks})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Issuer, cfg.Service, cfg.JWKS = "regauth", "bench", ks.JWKS
	cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil)) // as serve does, minus the write
	s, err := New(cfg, db, issuer)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchRequests prepares one GET /token per account, asking pull,push on a
// repository its first rule grants.
type benchRequest struct {
	url  *url.URL
	auth []string
}

func benchRequests(accts []benchseed.Account) []benchRequest {
	out := make([]benchRequest, len(accts))
	for i, a := range accts {
		q := url.Values{"service": {"bench"}, "scope": {"repository:" + a.NS + "/" + a.Short + "/app:pull,push"}}
		out[i] = benchRequest{
			url:  &url.URL{Path: "/token", RawQuery: q.Encode()},
			auth: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(a.Name+":"+a.Secret))},
		}
	}
	return out
}

func (r benchRequest) serve(h http.Handler) *httptest.ResponseRecorder {
	req := &http.Request{Method: http.MethodGet, URL: r.url, RequestURI: r.url.RequestURI(), Host: "127.0.0.1",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, RemoteAddr: "127.0.0.1:40000",
		Header: http.Header{"Authorization": r.auth}}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req.WithContext(context.Background()))
	return w
}

// checkGrant fails unless the response is a token granting pull,push, so
// the benchmark measures what it claims to.
func checkGrant(b *testing.B, w *httptest.ResponseRecorder) {
	b.Helper()
	var resp tokenResponse
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &resp) != nil {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var parts [3]string
	n := 0
	for i, start := 0, 0; i <= len(resp.Token) && n < 3; i++ {
		if i == len(resp.Token) || resp.Token[i] == '.' {
			parts[n], n, start = resp.Token[start:i], n+1, i+1
		}
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Access []struct{ Actions []string } }
	if err := json.Unmarshal(payload, &c); err != nil || len(c.Access) != 1 || fmt.Sprint(c.Access[0].Actions) != "[pull push]" {
		b.Fatalf("token grants %s, want pull,push", payload)
	}
}

// settle waits until the last-used writes the warm-up started (one per
// robot and minute, each its own fsynced transaction) are done, so that
// the benchmark measures the steady state rather than the first minute's
// burst of 10,000 writes. docs/benchmarks.md reports that burst apart.
func settle(b *testing.B) {
	b.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	var buf bytes.Buffer
	for {
		buf.Reset()
		_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
		if !bytes.Contains(buf.Bytes(), []byte("server.(*Server).touch.func")) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("last-used writes still running after 3 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func robotAccounts() []benchseed.Account {
	accts := make([]benchseed.Account, 10_000)
	for i := range accts {
		accts[i] = benchseed.Robot(i, 100)
	}
	return accts
}

func userAccounts() []benchseed.Account {
	accts := make([]benchseed.Account, 100)
	for i := range accts {
		accts[i] = benchseed.User(i, 100)
	}
	return accts
}

// runToken cycles through reqs, one account per iteration, after one
// request per account has warmed the caches (as steady traffic does).
func runToken(b *testing.B, cfg Config, reqs []benchRequest, warm bool) {
	h := benchServer(b, cfg).Handler()
	checkGrant(b, reqs[0].serve(h))
	if warm {
		for _, r := range reqs {
			if w := r.serve(h); w.Code != http.StatusOK {
				b.Fatalf("warm-up: status %d", w.Code)
			}
		}
		settle(b)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if w := reqs[i%len(reqs)].serve(h); w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		i++
	}
}

func runTokenParallel(b *testing.B, cfg Config, reqs []benchRequest) {
	h := benchServer(b, cfg).Handler()
	checkGrant(b, reqs[0].serve(h))
	for _, r := range reqs {
		r.serve(h)
	}
	settle(b)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := reqs[int(next.Add(1))%len(reqs)]
			if w := r.serve(h); w.Code != http.StatusOK {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}

// BenchmarkTokenRobot is a robot's token request, cycling through all
// 10,000 robots.
func BenchmarkTokenRobot(b *testing.B) {
	runToken(b, Config{}, benchRequests(robotAccounts()), true)
}

// BenchmarkTokenRobotParallel is the same from GOMAXPROCS goroutines.
func BenchmarkTokenRobotParallel(b *testing.B) {
	runTokenParallel(b, Config{}, benchRequests(robotAccounts()))
}

// BenchmarkTokenPassword is a user's token request with a bcrypt (cost 10)
// password. "cached": the verification cache holds the password (every
// request after a user's first); "uncached": the cache is off, so each
// request pays bcrypt, as a first request does.
func BenchmarkTokenPassword(b *testing.B) {
	reqs := benchRequests(userAccounts())
	b.Run("cached", func(b *testing.B) { runToken(b, Config{}, reqs, true) })
	b.Run("uncached", func(b *testing.B) { runToken(b, Config{PasswordCacheTTL: -1}, reqs, false) })
}

// BenchmarkTokenPasswordParallel is the cached password path from
// GOMAXPROCS goroutines.
func BenchmarkTokenPasswordParallel(b *testing.B) {
	runTokenParallel(b, Config{}, benchRequests(userAccounts()))
}
