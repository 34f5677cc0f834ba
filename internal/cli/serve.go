package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/server"
	"github.com/regauth/regauth/server/devregistry"
	"github.com/regauth/regauth/server/model"
	"github.com/regauth/regauth/server/store"
	"github.com/regauth/regauth/server/token"
)

type serveOptions struct {
	listen, dataDir, database         string
	issuer, service, registry, realm  string
	tlsCert, tlsKey, alg, logFormat   string
	tokenTTL                          time.Duration
	dev                               bool
	registryListen, adminPasswordFile string
	trustProxy                        bool
	passwordHash, logLevel            string
	x5c, noOwnNamespace               bool
	auditRetention                    time.Duration
	anonymousPull                     []string
}

func newServeCmd(sys *Sys, g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the registry token server (robot accounts, permissions, admin API)",
		Long: `Run a registry token server implementing the distribution token protocol and
its OAuth2 variant, with users, Quay-style robot accounts (namespace+name,
repository-scoped read/write/admin, regeneration, ready-made configs) and an
admin API under /api/v1.

With --dev it also runs a real registry (distribution v3) wired to it, all on
127.0.0.1 with SQLite in the data directory, and prints what to run next.`,
		Example: `  regauth serve --dev
  regauth serve --listen :5001 --service registry.example.com --realm https://auth.example.com/token \
      --tls-cert tls.crt --tls-key tls.key --database postgres://regauth@db/regauth`,
		Args: args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error { return runServe(c, sys, o) },
	}
	f := c.PersistentFlags() // registry-config takes the same flags
	f.StringVar(&o.listen, "listen", "127.0.0.1:5001", "address of the token server")
	f.StringVar(&o.dataDir, "data-dir", "", "keys, SQLite database and dev registry storage (default ${XDG_DATA_HOME:-~/.local/share}/regauth)")
	f.StringVar(&o.database, "database", "", "sqlite path or postgres://… DSN (default DATA-DIR/regauth.db)")
	f.StringVar(&o.issuer, "issuer", "regauth", "token issuer (iss); the registry's auth.token.issuer")
	f.StringVar(&o.service, "service", "", "the registry's service name (token audience); the registry's auth.token.service")
	f.StringVar(&o.registry, "registry", "", "registry host for ready-made robot configs (default: --service)")
	f.StringVar(&o.realm, "realm", "", "public URL of the token endpoint (default: http(s)://LISTEN/token)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate")
	f.StringVar(&o.tlsKey, "tls-key", "", "private key for --tls-cert")
	f.StringVar(&o.alg, "signing-algorithm", token.ES256, "ES256, EdDSA or RS256 for new keys")
	f.DurationVar(&o.tokenTTL, "token-ttl", 5*time.Minute, "lifetime of access tokens")
	f.StringVar(&o.logFormat, "log-format", "json", "json or text")
	f.StringVar(&o.logLevel, "log-level", "info", "debug logs every granted token too (the audit table always has them)")
	f.BoolVar(&o.dev, "dev", false, "also run a registry on --registry-listen wired to this server, for one machine")
	f.StringVar(&o.registryListen, "registry-listen", "127.0.0.1:5000", "--dev: address of the registry")
	f.StringVar(&o.adminPasswordFile, "admin-password-file", "", "first start: the initial admin password (default $REGAUTH_ADMIN_PASSWORD, else generated and printed once)")
	f.BoolVar(&o.trustProxy, "trust-proxy-headers", false, "take client IPs from X-Forwarded-For (behind a load balancer)")
	f.StringVar(&o.passwordHash, "password-hash", server.HashBcrypt, "bcrypt or argon2id for new passwords")
	f.DurationVar(&o.auditRetention, "audit-retention", 90*24*time.Hour, "delete audit events older than this (checked hourly; 0 keeps everything)")
	f.BoolVar(&o.x5c, "x5c", false, "embed the signing certificate in tokens (for registries trusting a rootcertbundle; a jwks-only registry rejects them)")
	f.BoolVar(&o.noOwnNamespace, "no-own-namespace", false, "do not give users admin rights on repositories under their own name")
	f.StringArrayVar(&o.anonymousPull, "anonymous-pull", nil, "repository pattern anyone may pull without logging in, e.g. 'public/**' (repeatable)")
	c.AddCommand(newRegistryConfigCmd(sys, o))
	return c
}

func (o *serveOptions) fill(sys *Sys) {
	if o.dataDir == "" {
		base := sys.Getenv("XDG_DATA_HOME")
		if base == "" {
			base = filepath.Join(sys.Home, ".local", "share")
		}
		o.dataDir = filepath.Join(base, "regauth")
	}
	if o.database == "" {
		o.database = filepath.Join(o.dataDir, "regauth.db")
	}
	if o.dev && o.service == "" {
		o.service = o.registryListen
	}
	if o.registry == "" {
		o.registry = o.service
	}
	if o.realm == "" && o.dev {
		// One address for registry and token service (see devregistry.Auth).
		o.realm = "http://" + o.registryListen + "/token"
	}
	if o.realm == "" {
		scheme := "http"
		if o.tlsCert != "" {
			scheme = "https"
		}
		o.realm = scheme + "://" + o.listen + "/token"
	}
}

func (o *serveOptions) keys(now time.Time) (*token.KeySet, string, error) {
	ks, err := token.LoadOrCreateKeys(filepath.Join(o.dataDir, "keys"), o.alg, now, token.WithCommonName(o.issuer))
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Join(o.dataDir, "registry-auth")
	if err := ks.WriteRegistryFiles(dir); err != nil {
		return nil, "", err
	}
	return ks, dir, nil
}

func newRegistryConfigCmd(sys *Sys, o *serveOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "registry-config",
		Short: "Print the auth.token block for distribution's config.yml",
		Long: `Write the token signing keys' rootcertbundle.pem and jwks.json under
DATA-DIR/registry-auth and print the auth.token block that makes a
distribution registry trust this server. Give it the same flags as serve.`,
		Args: args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			o.fill(sys)
			if o.service == "" {
				return usagef("pass --service REGISTRY-HOST[:PORT] (what clients put in image names)", "registry-config: --service is required")
			}
			ks, dir, err := o.keys(sys.Now())
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(sys.Out, token.RegistryConfig(token.RegistryConfigOptions{
				Realm: o.realm, Service: o.service, Issuer: o.issuer,
				RootCertBundle:    filepath.Join(dir, "rootcertbundle.pem"),
				SigningAlgorithms: ks.Algorithms(),
			}))
			return err
		},
	}
}

func runServe(c *cobra.Command, sys *Sys, o *serveOptions) error {
	ctx := c.Context()
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef("give both --tls-cert and --tls-key", "serve: TLS needs a certificate and its key")
	}
	// Listen first, so that port 0 (tests, several dev servers) resolves
	// before the realm and service names are derived from the addresses.
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return withHint(fmt.Errorf("serve: %w", err), "another process uses "+o.listen+"; pick another with --listen")
	}
	defer ln.Close()
	o.listen = ln.Addr().String()
	var rln net.Listener
	if o.dev {
		if rln, err = net.Listen("tcp", o.registryListen); err != nil {
			return withHint(fmt.Errorf("serve --dev: registry: %w", err), "another process uses "+o.registryListen+"; pick another with --registry-listen")
		}
		defer rln.Close()
		o.registryListen = rln.Addr().String()
	}
	o.fill(sys)
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return fmt.Errorf("serve: data directory: %w", err)
	}
	log := newLogger(sys, o.logFormat, o.logLevel)
	// A token server allocates a few hundred objects per request and holds
	// little; trading memory for fewer collections is worth ~10% of CPU.
	if sys.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	now := sys.Now()
	ks, regDir, err := o.keys(now)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	db, err := store.OpenOptions(ctx, o.database, store.Options{OnAuditError: func(err error) { log.Error("audit write", "err", err) }})
	if err != nil {
		return withHint(fmt.Errorf("serve: open database: %w", err), "check --database; PostgreSQL DSNs look like postgres://user:pass@host/db")
	}
	defer db.Close()
	adminPassword, created, err := o.bootstrap(ctx, sys, db)
	if err != nil {
		return err
	}
	issuer, err := token.NewIssuer(token.IssuerOptions{Issuer: o.issuer, Keys: ks, TTL: o.tokenTTL, X5C: o.x5c})
	if err != nil {
		return err
	}
	own := !o.noOwnNamespace
	srv, err := server.New(server.Config{
		Issuer: o.issuer, Service: o.service, Registry: o.registry, TrustProxyHeaders: o.trustProxy,
		PasswordHash: o.passwordHash, JWKS: ks.JWKS, Logger: log, Keys: ks, RegistryFilesDir: regDir,
		OwnNamespace: &own, AnonymousPull: o.anonymousPull,
	}, db, issuer)
	if err != nil {
		return &usageError{err: err, hint: "check --anonymous-pull patterns: exact names, 'ns/*', 'ns/**' or '**'"}
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 2)
	go func() {
		if o.tlsCert != "" {
			errc <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	var reg *devregistry.Registry
	if o.dev {
		reg, err = devregistry.Start(ctx, devregistry.Options{
			Listener: rln, DataDir: o.dataDir, Realm: o.realm, Service: o.service, Issuer: o.issuer, Auth: srv.Handler(),
			RootCertBundle: filepath.Join(regDir, "rootcertbundle.pem"),
		})
		if err != nil {
			_ = hs.Close()
			return err
		}
	}
	hctx, stopHousekeeping := context.WithCancel(ctx)
	defer stopHousekeeping() // before the deferred db.Close
	go o.housekeeping(hctx, db, log, sys.Now)
	log.Info("serving", "listen", ln.Addr().String(), "realm", o.realm, "service", o.service, "database", redactDSN(o.database), "dev", o.dev)
	o.printNextSteps(sys, adminPassword, created)
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	// Graceful shutdown: finish requests in flight, then flush the audit log.
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if reg != nil {
		_ = reg.Shutdown(sctx)
	}
	err = hs.Shutdown(sctx)
	srv.FlushTouches()
	_ = db.Flush(sctx)
	log.Info("stopped")
	return err
}

// housekeeping prunes expired refresh tokens and old audit events hourly,
// so the database does not grow with every token ever issued.
func (o *serveOptions) housekeeping(ctx context.Context, db *store.DB, log *slog.Logger, now func() time.Time) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		t := now()
		if n, err := db.PruneRefreshTokens(ctx, t); err != nil && ctx.Err() == nil {
			log.Warn("prune refresh tokens", "err", err)
		} else if n > 0 {
			log.Info("pruned expired refresh tokens", "count", n)
		}
		if o.auditRetention > 0 {
			if n, err := db.PruneAudit(ctx, t.Add(-o.auditRetention)); err != nil && ctx.Err() == nil {
				log.Warn("prune audit", "err", err)
			} else if n > 0 {
				log.Info("pruned old audit events", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// bootstrap creates the first administrator on a fresh database.
func (o *serveOptions) bootstrap(ctx context.Context, sys *Sys, db *store.DB) (password string, created bool, err error) {
	users, err := db.ListUsers(ctx)
	if err != nil || len(users) > 0 {
		return "", false, err
	}
	switch {
	case o.adminPasswordFile != "":
		b, err := os.ReadFile(o.adminPasswordFile)
		if err != nil {
			return "", false, fmt.Errorf("serve: --admin-password-file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	case sys.Getenv("REGAUTH_ADMIN_PASSWORD") != "":
		password = sys.Getenv("REGAUTH_ADMIN_PASSWORD")
	default:
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return "", false, err
		}
		password = base64.RawURLEncoding.EncodeToString(b)
	}
	if len(password) < 12 {
		return "", false, usagef("use at least 12 characters", "serve: the initial admin password is too short")
	}
	hash, err := server.HashPassword(password, o.passwordHash)
	if err != nil {
		return "", false, err
	}
	now := sys.Now()
	if err := db.CreateUser(ctx, model.User{Name: "admin", PasswordHash: hash, Admin: true, CreatedAt: now, PasswordChangedAt: now}); err != nil && !errors.Is(err, model.ErrExists) {
		return "", false, err
	}
	// Keep the generated password where the next steps can read it, 0600.
	if err := os.WriteFile(filepath.Join(o.dataDir, "admin-password"), []byte(password+"\n"), 0o600); err != nil {
		return "", false, err
	}
	return password, true, nil
}

func (o *serveOptions) printNextSteps(sys *Sys, password string, created bool) {
	w := sys.Err
	fmt.Fprintf(w, "\nregauth token server: %s (realm %s)\n", o.listen, o.realm)
	if o.dev {
		fmt.Fprintf(w, "registry (distribution v3): %s, storage in %s\n", o.registryListen, filepath.Join(o.dataDir, "registry"))
	}
	pwFile := filepath.Join(o.dataDir, "admin-password")
	if created {
		fmt.Fprintf(w, "created user admin; its password is in %s (0600)\n", pwFile)
	}
	if !o.dev {
		fmt.Fprintf(w, "point the registry at this server: regauth serve registry-config --service %s\n\n", orDefault(o.service, "REGISTRY-HOST"))
		return
	}
	reg := o.registryListen
	fmt.Fprintf(w, `
next, in another shell:
  regauth login %[1]s -u admin --password-stdin --insecure < %[2]s
  regauth robot create admin+ci --registry %[1]s --permission 'team/**=write'
  regauth robot list --registry %[1]s
then push with the robot's ready-made config, e.g.:
  regauth robot config admin+ci --registry %[1]s --format dockerconfig --secret-stdin < secret.txt

`, reg, pwFile)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func newLogger(sys *Sys, format, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(slog.NewTextHandler(sys.Err, opts))
	}
	return slog.New(slog.NewJSONHandler(sys.Err, opts))
}

// redactDSN hides a PostgreSQL password for logs.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	return u.String()
}
