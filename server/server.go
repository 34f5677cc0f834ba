package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/regauth/regauth/server/model"
	"github.com/regauth/regauth/server/policy"
	"github.com/regauth/regauth/server/store"
)

// Config tunes the server. Zero values are the documented defaults.
type Config struct {
	Issuer  string // iss claim and Basic realm; default "regauth"
	Service string // the registry's service name (token audience); "" accepts any
	// RefreshTTL bounds refresh (identity) tokens; default 90 days.
	RefreshTTL time.Duration
	// PasswordCacheTTL keeps successful password checks; default 2 minutes.
	PasswordCacheTTL time.Duration
	// PermissionCacheTTL keeps accounts and their permissions; default 1
	// minute. Every admin change bumps a counter in the database that each
	// replica reads once a GenerationCheck (default 1 s) and drops its
	// caches when it moved, so changes through another replica take effect
	// within about a second; the TTL only bounds staleness if that read
	// fails.
	PermissionCacheTTL time.Duration
	GenerationCheck    time.Duration
	// MaxBody limits request bodies; default 64 KiB.
	MaxBody int64
	// TrustProxyHeaders takes the client IP from X-Forwarded-For.
	TrustProxyHeaders bool
	// OwnNamespace gives users admin on repositories under their own name.
	OwnNamespace *bool
	// AnonymousPull lists repository patterns anyone may pull.
	AnonymousPull []string
	// Registry is the registry host this server issues tokens for, used in
	// ready-made robot configurations.
	Registry string
	// PasswordHash is the algorithm for new passwords: bcrypt (default) or
	// argon2id.
	PasswordHash string
	// JWKS returns the published public keys (token.KeySet.JWKS); it also
	// lets the admin API accept this server's Bearer tokens.
	JWKS func() []byte
	// Keys and RegistryFilesDir let the admin API show and rotate the
	// signing keys and rewrite the registry's rootcertbundle/jwks files.
	Keys             Keys
	RegistryFilesDir string
	Throttle         *Throttle
	Logger           *slog.Logger
	Now              func() time.Time
}

// Database is what the server needs from storage (*store.DB).
type Database interface {
	accountStore
	CreateUser(ctx context.Context, u model.User) error
	ListUsers(ctx context.Context) ([]model.User, error)
	UpdateUser(ctx context.Context, name string, upd store.UserUpdate) (*model.User, error)
	DeleteUser(ctx context.Context, name string) error
	CreateRobot(ctx context.Context, r model.Robot) error
	ListRobots(ctx context.Context, namespace string) ([]model.Robot, error)
	UpdateRobot(ctx context.Context, name string, upd store.RobotUpdate) (*model.Robot, error)
	DeleteRobot(ctx context.Context, name string) error
	TouchRobots(ctx context.Context, names []string, t time.Time) error
	AddPermission(ctx context.Context, p model.Permission) (model.Permission, error)
	ListPermissions(ctx context.Context, subject model.Subject) ([]model.Permission, error)
	ListAllPermissions(ctx context.Context) ([]model.Permission, error)
	DeletePermission(ctx context.Context, id int64) error
	PutRefreshToken(ctx context.Context, hash []byte, subject model.Subject, expires time.Time) error
	GetRefreshToken(ctx context.Context, hash []byte) (subject model.Subject, created, expires time.Time, err error)
	DeleteRefreshTokens(ctx context.Context, subject model.Subject) (int64, error)
	AppendAudit(ctx context.Context, ev model.AuditEvent) error
	ListAudit(ctx context.Context, limit int, before int64) ([]model.AuditEvent, error)
	Ping(ctx context.Context) error
	Generation(ctx context.Context) (int64, error)
	BumpGeneration(ctx context.Context) error
}

// Issuer signs access tokens (server/token implements it).
type Issuer interface {
	Issue(sub, aud string, access []model.Scope) (token string, expiresIn time.Duration, issuedAt time.Time, err error)
}

// Server is the token service.
type Server struct {
	cfg      Config
	db       Database
	issuer   Issuer
	engine   *policy.Engine
	authn    *authenticator
	perms    *permCache
	accounts *accountCache
	noPerms  *policy.Compiled
	metrics  *metrics
	log      *slog.Logger
	now      func() time.Time
	mux      *http.ServeMux
	// verify checks a Bearer access token of this server and returns its
	// subject when it carries the API scope (set by SetVerifier).
	verify func(tok string, now time.Time) (string, error)

	genMu      sync.Mutex
	gen        int64
	genChecked time.Time

	touchMu   sync.Mutex
	touched   map[string]time.Time
	pending   []string
	lastFlush time.Time
}

// New returns a Server. It does not start listening: mount Handler.
func New(cfg Config, db Database, issuer Issuer) (*Server, error) {
	if db == nil || issuer == nil {
		return nil, errors.New("server: a database and an issuer are required")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "regauth"
	}
	if cfg.RefreshTTL == 0 {
		cfg.RefreshTTL = 90 * 24 * time.Hour
	}
	if cfg.PasswordCacheTTL == 0 {
		cfg.PasswordCacheTTL = 2 * time.Minute
	}
	if cfg.PermissionCacheTTL == 0 {
		cfg.PermissionCacheTTL = time.Minute
	}
	if cfg.GenerationCheck == 0 {
		cfg.GenerationCheck = time.Second
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 64 << 10
	}
	if cfg.Throttle == nil {
		cfg.Throttle = &Throttle{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	popts := policy.DefaultOptions()
	if cfg.OwnNamespace != nil {
		popts.OwnNamespace = *cfg.OwnNamespace
	}
	popts.AnonymousPull = cfg.AnonymousPull
	if err := popts.Validate(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	engine := policy.New(popts)
	noPerms, _ := engine.Compile(nil)
	s := &Server{
		cfg:      cfg,
		db:       db,
		issuer:   issuer,
		engine:   engine,
		noPerms:  noPerms,
		accounts: newAccountCache(db, cfg.PermissionCacheTTL, cfg.Now),
		perms: &permCache{ttl: cfg.PermissionCacheTTL, engine: engine, load: db.ListPermissions, onError: func(sub model.Subject, err error) {
			cfg.Logger.Warn("skipping invalid permissions", "subject", string(sub), "err", err)
		}},
		metrics: newMetrics(),
		log:     cfg.Logger,
		now:     cfg.Now,
		touched: map[string]time.Time{},
	}
	if cfg.JWKS != nil {
		s.verify = bearerVerifier(cfg.Issuer, cfg.Service, cfg.JWKS)
	}
	s.authn = &authenticator{store: s.accounts, throttle: cfg.Throttle, cache: newVerifiedCache(cfg.PasswordCacheTTL), now: cfg.Now}
	s.routes()
	return s, nil
}

// Handler serves the token endpoint, JWKS, health, metrics and the admin API.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /token", s.serveToken)
	s.mux.HandleFunc("POST /token", s.serveToken)
	s.mux.HandleFunc("GET /healthz", s.serveHealth)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	if s.cfg.JWKS != nil {
		s.mux.HandleFunc("GET /.well-known/jwks.json", s.serveJWKS)
	}
	s.accountRoutes()
	s.robotRoutes()
	s.permissionRoutes()
	s.keyAndAuditRoutes()
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	_, _ = io.WriteString(w, "ok\n")
}

// audit records a token decision in the database and the log. It never
// blocks a token on a slow audit write beyond the request's context.
func (s *Server) audit(ctx context.Context, ev model.AuditEvent) {
	// Every decision goes to the audit table; the log gets refusals at info
	// level and grants at debug, so a busy server does not write a log line
	// per token (about a third of its cost when logging to a terminal).
	level := slog.LevelInfo
	if ev.Result == "granted" {
		level = slog.LevelDebug
	}
	s.log.Log(ctx, level, "token", "account", ev.Account, "client_ip", ev.ClientIP, "service", ev.Service, "requested", ev.Requested, "granted", ev.Granted, "result", ev.Result)
	if err := s.db.AppendAudit(ctx, ev); err != nil {
		s.log.Error("audit", "err", err)
	}
}

// touch records a robot's last use at most once a minute per robot, and
// writes the names in batches (every 10 s or 512 names) so a fleet of busy
// robots costs one commit now and then instead of one per robot. A crash
// loses at most the pending batch of this informational field.
func (s *Server) touch(name string, now time.Time) {
	s.touchMu.Lock()
	last, ok := s.touched[name]
	if ok && now.Sub(last) < time.Minute {
		s.touchMu.Unlock()
		return
	}
	if len(s.touched) > 100_000 {
		clear(s.touched)
	}
	s.touched[name] = now
	s.pending = append(s.pending, name)
	var batch []string
	if len(s.pending) >= 512 || now.Sub(s.lastFlush) >= 10*time.Second {
		batch, s.pending, s.lastFlush = s.pending, nil, now
	}
	s.touchMu.Unlock()
	if batch != nil {
		go s.writeTouches(batch, now)
	}
}

func (s *Server) writeTouches(names []string, now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.db.TouchRobots(ctx, names, now); err != nil {
		s.log.Warn("record robot use", "robots", len(names), "err", err)
	}
}

// FlushTouches writes pending last-used times (at shutdown, and in tests).
func (s *Server) FlushTouches() {
	s.touchMu.Lock()
	batch := s.pending
	s.pending, s.lastFlush = nil, s.now()
	s.touchMu.Unlock()
	s.writeTouches(batch, s.now())
}
