// Package devregistry runs a real registry (distribution v3, in-process)
// wired to regauth's token server, for `regauth serve --dev`: a private
// registry with robot accounts on one machine, no Docker needed.
package devregistry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"

	// distribution registers its drivers and access controllers in init.
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

// Options configure the registry.
type Options struct {
	Listener       net.Listener // where to serve (plain HTTP; loopback in dev mode)
	DataDir        string       // blobs and manifests go under DataDir/registry
	Realm          string       // token endpoint URL
	Service        string       // the registry's service name (tokens' audience)
	Issuer         string       // tokens' issuer
	RootCertBundle string       // PEM bundle of the token signing keys
	// Auth, when set, serves the token server's paths (/token, /api/,
	// /.well-known/) on the registry's own address. Clients such as
	// go-containerregistry (crane) refuse a token realm on another
	// loopback port, as an SSRF guard, so dev mode keeps them together.
	Auth http.Handler
}

// Registry is a running registry.
type Registry struct {
	srv  *http.Server
	done chan error
}

// Start serves a registry until Shutdown.
func Start(ctx context.Context, opts Options) (*Registry, error) {
	if opts.Listener == nil {
		return nil, errors.New("dev registry: no listener")
	}
	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{
		"filesystem":  configuration.Parameters{"rootdirectory": filepath.Join(opts.DataDir, "registry")},
		"delete":      configuration.Parameters{"enabled": true},
		"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
	}
	cfg.Auth = configuration.Auth{"token": configuration.Parameters{
		"realm":          opts.Realm,
		"service":        opts.Service,
		"issuer":         opts.Issuer,
		"rootcertbundle": opts.RootCertBundle,
	}}
	cfg.HTTP.Secret = "regauth-dev-registry"
	cfg.Log.Level = "error"
	// distribution logs through logrus' standard logger; keep dev output to
	// regauth's own lines.
	logrus.SetOutput(io.Discard)
	var h http.Handler = handlers.NewApp(ctx, cfg)
	if opts.Auth != nil {
		h = withAuth(h, opts.Auth)
	}
	r := &Registry{
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second},
		done: make(chan error, 1),
	}
	go func() { r.done <- r.srv.Serve(opts.Listener) }()
	return r, nil
}

// Shutdown stops the registry, waiting for requests in flight.
func (r *Registry) Shutdown(ctx context.Context) error {
	err := r.srv.Shutdown(ctx)
	if serr := <-r.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = fmt.Errorf("dev registry: %w", serr)
	}
	return err
}

func withAuth(registry, auth http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/token" || strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/.well-known/") {
			auth.ServeHTTP(w, r)
			return
		}
		registry.ServeHTTP(w, r)
	})
}
