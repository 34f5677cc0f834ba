package testregistry

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/registry/auth/token"
	"github.com/go-jose/go-jose/v4"
)

// tokenSigner mints JWTs that distribution's token access controller accepts.
//
// distribution v3 finds the verification key in one of three ways: an x5c
// chain verified against rootcertbundle, a "jwk" header, or a "kid" header
// looked up in trustedKeys. trustedKeys holds the JWKS file's kids and, for
// every rootcertbundle certificate, the RFC 7638 JWK thumbprint of its public
// key (token.GetJWKThumbprint). The libtrust-style kid v2 registries expected
// no longer matches, so we sign with kid = thumbprint and ship the key to the
// registry as a self-signed certificate in rootcertbundle.
type tokenSigner struct {
	key     *ecdsa.PrivateKey
	signer  jose.Signer
	issuer  string
	service string
	// certPath is the rootcertbundle file handed to the registry.
	certPath string
}

func newTokenSigner(t testing.TB, dir, issuer, service string) *tokenSigner {
	t.Helper()
	key := mustECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(t),
		Subject:      pkix.Name{CommonName: issuer},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("testregistry: token signing certificate: %v", err)
	}
	certPath := filepath.Join(dir, "token-signing.crt")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatalf("testregistry: write token signing certificate: %v", err)
	}

	kid := token.GetJWKThumbprint(&key.PublicKey)
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatalf("testregistry: token signer: %v", err)
	}
	return &tokenSigner{key: key, signer: signer, issuer: issuer, service: service, certPath: certPath}
}

// mint signs an access token for subject. now is the issuer's idea of the
// current time, so a skewed clock can be simulated by passing a shifted one.
func (s *tokenSigner) mint(subject string, access []*token.ResourceActions, now time.Time, ttl time.Duration) (string, error) {
	if access == nil {
		// The access claim must be a list even when empty: clients and the
		// registry treat a missing claim and "no access" the same, but a
		// JSON null looks like a bug to anyone decoding tokens in tests.
		access = []*token.ResourceActions{}
	}
	claims := token.ClaimSet{
		Issuer:     s.issuer,
		Subject:    subject,
		Audience:   token.AudienceList{s.service},
		Expiration: now.Add(ttl).Unix(),
		NotBefore:  now.Unix(),
		IssuedAt:   now.Unix(),
		JWTID:      randomHex(16),
		Access:     access,
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	jws, err := s.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return jws.CompactSerialize()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return hex.EncodeToString(b)
}
