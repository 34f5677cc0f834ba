package token

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/auth"
	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

func TestRegistryConfigGolden(t *testing.T) {
	t.Parallel()
	got := RegistryConfig(RegistryConfigOptions{
		Realm: "https://auth.example.com/token", Service: "registry.example.com", Issuer: "regauth",
		RootCertBundle: "/etc/regauth/registry/rootcertbundle.pem", SigningAlgorithms: []string{ES256, EdDSA},
	})
	want := `auth:
  token:
    realm: "https://auth.example.com/token"
    service: "registry.example.com"
    issuer: "regauth"
    rootcertbundle: "/etc/regauth/registry/rootcertbundle.pem"
    signingalgorithms:
      - "ES256"
      - "EdDSA"
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RegistryConfig (-want +got):\n%s", diff)
	}
}

// TestRegistryConfigInDistribution feeds the printed block through
// distribution's own config parser and access controller.
func TestRegistryConfigInDistribution(t *testing.T) {
	t.Parallel()
	es, ed, rs := testKeys(t, ES256), testKeys(t, EdDSA), testKeys(t, RS256)
	dir := filepath.Join(t.TempDir(), "odd dir: #1")
	if err := es.WriteRegistryFiles(filepath.Join(dir, "es")); err != nil {
		t.Fatal(err)
	}
	if err := ed.WriteRegistryFiles(filepath.Join(dir, "ed")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts RegistryConfigOptions
		want map[*KeySet]string
	}{
		{name: "rootcertbundle, all algorithms", opts: RegistryConfigOptions{RootCertBundle: filepath.Join(dir, "es", RootCertBundleFile)},
			want: map[*KeySet]string{es: "ok", ed: "invalid", rs: "invalid"}},
		{name: "both files", opts: RegistryConfigOptions{RootCertBundle: filepath.Join(dir, "es", RootCertBundleFile), JWKS: filepath.Join(dir, "ed", JWKSFile)},
			want: map[*KeySet]string{es: "ok", ed: "ok", rs: "invalid"}},
		{name: "restricted to EdDSA", opts: RegistryConfigOptions{RootCertBundle: filepath.Join(dir, "es", RootCertBundleFile), JWKS: filepath.Join(dir, "ed", JWKSFile),
			SigningAlgorithms: []string{EdDSA}}, want: map[*KeySet]string{es: "invalid", ed: "ok", rs: "invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Realm, tt.opts.Service, tt.opts.Issuer = "https://auth.test/token", testService, testIssuer
			doc := "version: 0.1\nstorage:\n  inmemory: {}\n" + RegistryConfig(tt.opts)
			cfg, err := configuration.Parse(strings.NewReader(doc))
			if err != nil {
				t.Fatalf("distribution rejects the config: %v\n%s", err, doc)
			}
			ac, err := auth.GetAccessController(cfg.Auth.Type(), cfg.Auth.Parameters())
			if err != nil {
				t.Fatal(err)
			}
			for ks, want := range tt.want {
				tok, _, _, err := newTestIssuer(t, ks, false, time.Now, testIssuer).Issue("", testService, nil)
				if err != nil {
					t.Fatal(err)
				}
				if got := outcome(t, ac, tok); got != want {
					t.Errorf("%s token: %s, want %s", ks.Algorithms()[0], got, want)
				}
			}
		})
	}
}

func TestRegistryFiles(t *testing.T) {
	t.Parallel()
	ks, err := LoadOrCreateKeys(t.TempDir(), EdDSA, t0, WithCommonName("my-issuer"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := ks.WriteRegistryFiles(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{RootCertBundleFile, JWKSFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v %v, want mode 0644", name, fi.Mode(), err)
		}
	}
	bundle, _ := os.ReadFile(filepath.Join(dir, RootCertBundleFile))
	if !bytes.Equal(bundle, ks.RootCertBundle()) {
		t.Error("rootcertbundle.pem differs from RootCertBundle()")
	}
	var gotKids []string
	for b, rest := pem.Decode(bundle); b != nil; b, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject.CommonName != "my-issuer" || !c.IsCA || c.NotAfter.Before(t0.AddDate(40, 0, 0)) {
			t.Errorf("certificate: CN %q, CA %v, not after %v", c.Subject.CommonName, c.IsCA, c.NotAfter)
		}
		kid, _ := Thumbprint(c.PublicKey)
		gotKids = append(gotKids, kid)
	}
	if diff := cmp.Diff(kids(ks), gotKids); diff != "" {
		t.Errorf("certificate keys (-want +got):\n%s", diff)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(ks.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	gotKids = nil
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Algorithm != EdDSA || k.Use != "sig" {
			t.Errorf("jwk %s: public %v, alg %q, use %q", k.KeyID, k.IsPublic(), k.Algorithm, k.Use)
		}
		gotKids = append(gotKids, k.KeyID)
	}
	if diff := cmp.Diff(kids(ks), gotKids); diff != "" {
		t.Errorf("jwks kids (-want +got):\n%s", diff)
	}
}
