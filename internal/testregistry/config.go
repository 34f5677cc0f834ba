package testregistry

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"golang.org/x/crypto/bcrypt"
)

// baseConfig is an in-memory registry with deletes enabled (tests clean up
// tags) and the background upload purger off: it would otherwise outlive
// the test in a goroutine.
func baseConfig() *configuration.Configuration {
	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			"inmemory": configuration.Parameters{},
			"delete":   configuration.Parameters{"enabled": true},
			"maintenance": configuration.Parameters{
				// NewApp type-asserts map[any]any, the shape YAML decoding gives.
				"uploadpurging": map[any]any{"enabled": false},
			},
		},
	}
	// A fixed secret avoids NewApp's "generated random secret" warning;
	// uploads only need it to be stable for this one instance.
	cfg.HTTP.Secret = randomHex(32)
	return cfg
}

// htpasswdAuth writes a bcrypt htpasswd file with users plus the harness's
// admin. The file must exist before NewApp: distribution otherwise creates
// one with a random "docker" user.
func htpasswdAuth(t testing.TB, dir string, users map[string]string, admin, adminPass string) configuration.Auth {
	t.Helper()
	var b strings.Builder
	all := copyUsers(users)
	all[admin] = adminPass
	for u, p := range all {
		if u == "" || strings.ContainsAny(u, ":\n") {
			t.Fatalf("testregistry: htpasswd cannot hold user name %q", u)
		}
		// MinCost keeps tests fast under -race; distribution accepts any cost.
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			t.Fatalf("testregistry: bcrypt: %v", err)
		}
		fmt.Fprintf(&b, "%s:%s\n", u, h)
	}
	path := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatalf("testregistry: write htpasswd: %v", err)
	}
	return configuration.Auth{"htpasswd": configuration.Parameters{"realm": "testregistry", "path": path}}
}

// tokenAuth configures distribution's token access controller. Gotchas:
// issuer must equal the iss claim and service the aud claim exactly;
// signingalgorithms must be []any (the YAML shape), a []string is rejected.
func tokenAuth(realm, service, issuer, rootCertBundle string) configuration.Auth {
	return configuration.Auth{"token": configuration.Parameters{
		"realm":             realm,
		"service":           service,
		"issuer":            issuer,
		"rootcertbundle":    rootCertBundle,
		"signingalgorithms": []any{"ES256"},
	}}
}
