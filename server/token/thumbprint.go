package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
)

// Thumbprint returns the RFC 7638 JWK thumbprint (SHA-256, base64url) of a
// public key; it is the "kid" of every token the key signs.
//
// EC coordinates are encoded at the full curve size, as RFC 7518 section
// 6.2.1.2 requires. distribution v3.1.2's GetJWKThumbprint does not pad
// them, so for the roughly 1 in 128 P-256 keys with a leading zero byte in
// x or y the two disagree; generateKey never creates such a key, so the kid
// matches what distribution derives from the rootcertbundle.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	var canonical string
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("jwk thumbprint: unsupported curve %s", k.Curve.Params().Name)
		}
		pt, err := k.Bytes() // 0x04 || x || y, each left-padded to 32 bytes
		if err != nil {
			return "", fmt.Errorf("jwk thumbprint: %w", err)
		}
		size := (len(pt) - 1) / 2
		canonical = `{"crv":"P-256","kty":"EC","x":"` + b64(pt[1:1+size]) + `","y":"` + b64(pt[1+size:]) + `"}`
	case *rsa.PublicKey:
		e := big.NewInt(int64(k.E)).Bytes()
		canonical = `{"e":"` + b64(e) + `","kty":"RSA","n":"` + b64(k.N.Bytes()) + `"}`
	case ed25519.PublicKey:
		canonical = `{"crv":"Ed25519","kty":"OKP","x":"` + b64(k) + `"}`
	default:
		return "", fmt.Errorf("jwk thumbprint: unsupported key type %T", pub)
	}
	sum := sha256.Sum256([]byte(canonical))
	return b64(sum[:]), nil
}
