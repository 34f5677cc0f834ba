package token

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// Names of the files WriteRegistryFiles writes.
const (
	RootCertBundleFile = "rootcertbundle.pem"
	JWKSFile           = "jwks.json"
)

func newState(entries []entry) (*keyState, error) {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(entries))}
	var bundle []byte
	for _, e := range entries {
		set.Keys = append(set.Keys, jose.JSONWebKey{
			Key: e.key.priv.Public(), KeyID: e.key.kid, Algorithm: e.key.alg, Use: "sig",
		})
		bundle = append(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.key.cert.Raw})...)
	}
	jwks, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode jwks: %w", err)
	}
	return &keyState{entries: entries, jwks: append(jwks, '\n'), bundle: bundle}, nil
}

// JWKS is the JSON Web Key Set of every published public key (signing,
// next and retired), served at /.well-known/jwks.json and given to
// distribution as auth.token.jwks.
func (ks *KeySet) JWKS() []byte { return ks.state.Load().jwks }

// RootCertBundle is one self-signed certificate per published key, PEM,
// for distribution's auth.token.rootcertbundle. distribution trusts a
// token whose kid is the JWK thumbprint of one of these keys, or whose x5c
// chain ends in one of these certificates.
func (ks *KeySet) RootCertBundle() []byte { return ks.state.Load().bundle }

// WriteRegistryFiles writes rootcertbundle.pem and jwks.json to dir (0644:
// they are public, and the registry often runs as another user).
func (ks *KeySet) WriteRegistryFiles(dir string) error {
	st := ks.state.Load()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write registry files: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, RootCertBundleFile), st.bundle, 0o644); err != nil {
		return fmt.Errorf("write registry files: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, JWKSFile), st.jwks, 0o644); err != nil {
		return fmt.Errorf("write registry files: %w", err)
	}
	return nil
}

// RegistryConfigOptions are the values of distribution's auth.token block.
type RegistryConfigOptions struct {
	Realm          string // token endpoint URL the registry sends clients to
	Service        string // the registry's name; tokens' aud
	Issuer         string // tokens' iss
	RootCertBundle string // path of rootcertbundle.pem; empty: omit
	JWKS           string // path of jwks.json; empty: omit
	// SigningAlgorithms restricts what the registry accepts. distribution
	// v3.1.2 accepts every JOSE algorithm (EdDSA, RS256, ES256 included)
	// when the list is absent, so it is only a hardening measure; list every
	// algorithm of KeySet.Algorithms, or rotating to another one breaks.
	SigningAlgorithms []string
}

// RegistryConfig renders the auth block for distribution's config.yml.
func RegistryConfig(opts RegistryConfigOptions) string {
	var b strings.Builder
	b.WriteString("auth:\n  token:\n")
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "    %s: %s\n", name, yamlString(value))
		}
	}
	field("realm", opts.Realm)
	field("service", opts.Service)
	field("issuer", opts.Issuer)
	field("rootcertbundle", opts.RootCertBundle)
	field("jwks", opts.JWKS)
	if len(opts.SigningAlgorithms) > 0 {
		b.WriteString("    signingalgorithms:\n")
		for _, a := range opts.SigningAlgorithms {
			fmt.Fprintf(&b, "      - %s\n", yamlString(a))
		}
	}
	return b.String()
}

// yamlString quotes s as a YAML double-quoted scalar; JSON string syntax is
// a subset of it, so any value (paths with spaces, colons, '#') stays intact.
func yamlString(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q)
}
