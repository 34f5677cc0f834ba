package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/regauth/regauth/internal/benchseed"
	"github.com/regauth/regauth/server"
	"github.com/regauth/regauth/server/store"
	"github.com/regauth/regauth/server/token"
)

const markerFile = "benchseed.json"

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// seedDSN speeds up seeding SQLite: without an fsync per commit the one
// row per call API seeds in seconds. The server reopens it with its
// defaults (synchronous=FULL).
func seedDSN(dsn string) string {
	if isPostgres(dsn) {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "_pragma=synchronous(OFF)"
}

// ensureSeeded seeds dataDir/database unless a marker says it already
// holds this data set.
func ensureSeeded(ctx context.Context, o *options, out io.Writer) error {
	marker := filepath.Join(o.dataDir, markerFile)
	want, _ := json.Marshal(struct {
		Database string
		Seed     benchseed.Options
	}{redact(o.database), o.seed})
	if have, err := os.ReadFile(marker); err == nil {
		if string(have) != string(want) {
			return fmt.Errorf("%s was seeded with other options (%s); use a fresh -data-dir", o.dataDir, have)
		}
		fmt.Fprintf(out, "seed: reusing %s\n", o.dataDir)
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	db, err := store.Open(ctx, seedDSN(o.database))
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(out, "seed: %d robots, %d users (bcrypt), %d rules into %s ...\n", o.seed.Robots, o.seed.Users, o.seed.Rules, redact(o.database))
	st, err := benchseed.Seed(ctx, db, benchseed.Hashes{
		RobotSecret: server.HashRobotSecret,
		Password:    func(p string) (string, error) { return server.HashPassword(p, server.HashBcrypt) },
	}, o.seed)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(out, "seed: %d robots, %d users, %d permission rules in %s (%.0f rows/s)\n",
		st.Robots, st.Users, st.Rules, st.Took.Round(time.Millisecond), float64(st.Robots+st.Users+st.Rules)/st.Took.Seconds())
	return os.WriteFile(marker, want, 0o600)
}

func redact(dsn string) string {
	if i := strings.Index(dsn, "@"); i >= 0 && isPostgres(dsn) {
		if j := strings.LastIndex(dsn[:i], ":"); j > len("postgres://") {
			return dsn[:j+1] + "REDACTED" + dsn[i:]
		}
	}
	return dsn
}

func prepareDataDir(o *options) (cleanup func(), err error) {
	cleanup = func() {}
	if o.dataDir == "" {
		dir, err := os.MkdirTemp("", "tokenload-")
		if err != nil {
			return nil, err
		}
		o.dataDir = dir
		cleanup = func() { os.RemoveAll(dir) }
	}
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return nil, err
	}
	if o.database == "" {
		o.database = filepath.Join(o.dataDir, "regauth.db")
	}
	return cleanup, nil
}

func seedOnly(ctx context.Context, o *options, out io.Writer) error {
	if _, err := prepareDataDir(o); err != nil {
		return err
	}
	if err := ensureSeeded(ctx, o, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "serve it with: regauth serve --data-dir %s --service %s", o.dataDir, o.service)
	if o.database != filepath.Join(o.dataDir, "regauth.db") {
		fmt.Fprintf(out, " --database '%s'", redact(o.database))
	}
	fmt.Fprintln(out, " 2>/dev/null")
	return nil
}

type inProcess struct {
	url     string
	hs      *http.Server
	db      *store.DB
	cleanup func()
}

// startInProcess seeds (or reuses) the data set and serves it on
// 127.0.0.1:0 exactly as `regauth serve` does, minus the log output: the
// server still formats every JSON log record, into io.Discard.
func startInProcess(ctx context.Context, o *options, out io.Writer) (_ *inProcess, err error) {
	cleanup, err := prepareDataDir(o)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	if err := ensureSeeded(ctx, o, out); err != nil {
		return nil, err
	}
	ks, err := token.LoadOrCreateKeys(filepath.Join(o.dataDir, "keys"), o.alg, time.Now(), token.WithCommonName("regauth"))
	if err != nil {
		return nil, err
	}
	issuer, err := token.NewIssuer(token.IssuerOptions{Issuer: "regauth", Keys: ks})
	if err != nil {
		return nil, err
	}
	db, err := store.OpenOptions(ctx, o.database, store.Options{OnAuditError: func(err error) {
		fmt.Fprintln(os.Stderr, "tokenload: server audit write:", err)
	}})
	if err != nil {
		return nil, err
	}
	cacheTTL := time.Duration(0) // the server's default
	if !o.passwordCache {
		cacheTTL = -1
	}
	srv, err := server.New(server.Config{
		Issuer: "regauth", Service: o.service, JWKS: ks.JWKS, PasswordCacheTTL: cacheTTL,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}, db, issuer)
	if err != nil {
		db.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	go hs.Serve(ln)
	fmt.Fprintf(out, "server: in-process on %s (%s, %s, password cache %v); client and server share the CPUs\n",
		ln.Addr(), o.alg, redact(o.database), o.passwordCache)
	return &inProcess{url: "http://" + ln.Addr().String() + "/token", hs: hs, db: db, cleanup: cleanup}, nil
}

// settle waits until the robots' last-used writes started by the warm-up
// are done: the server writes each robot's last use at most once a minute,
// one fsynced transaction per robot, so a warm-up over 10,000 robots
// leaves a burst of 10,000 writes behind. Measuring without -settle shows
// that first-minute burst instead of the steady state.
func (p *inProcess) settle(ctx context.Context, out io.Writer) error {
	start := time.Now()
	var buf bytes.Buffer
	for {
		buf.Reset()
		_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
		if !bytes.Contains(buf.Bytes(), []byte("server.(*Server).touch.func")) {
			break
		}
		if time.Since(start) > 5*time.Minute {
			return errors.New("settle: last-used writes still running after 5 minutes")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := p.db.Flush(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "settle: background writes done after %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func (p *inProcess) close(out io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = p.hs.Shutdown(ctx)
	start := time.Now()
	if err := p.db.Flush(ctx); err != nil {
		fmt.Fprintln(out, "server: audit flush:", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		fmt.Fprintf(out, "server: audit backlog took %s to flush after the run\n", d.Round(time.Millisecond))
	}
	p.db.Close()
	p.cleanup()
}
