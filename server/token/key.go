package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Signing algorithms. ES256 is the default: short tokens, fast signing,
// and accepted by every registry that speaks the token protocol.
const (
	ES256 = "ES256"
	EdDSA = "EdDSA"
	RS256 = "RS256"
)

const (
	rsaBits = 2048
	// certValidity is long because the self-signed certificate only carries
	// the public key to distribution; the key's life is ended by rotation.
	certValidity = 50 * 365 * 24 * time.Hour
)

// key is one signing key with everything derived from it that the hot path
// needs ready-made.
type key struct {
	alg       string
	kid       string
	priv      crypto.Signer
	cert      *x509.Certificate
	header    string // base64url JOSE header without x5c
	headerX5C string // base64url JOSE header with x5c
}

func checkAlg(alg string) error {
	switch alg {
	case ES256, EdDSA, RS256:
		return nil
	}
	return fmt.Errorf("signing algorithm %q: want ES256, EdDSA or RS256", alg)
}

// generateKey creates a private key for alg. P-256 keys whose x or y
// coordinate starts with a zero byte are drawn again: distribution
// computes their thumbprint without padding (see Thumbprint), which would
// make rootcertbundle mode reject every token they sign.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case ES256:
		for {
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				return nil, err
			}
			pt, err := k.PublicKey.Bytes()
			if err != nil {
				return nil, err
			}
			if pt[1] != 0 && pt[33] != 0 {
				return k, nil
			}
		}
	case EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case RS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	}
	return nil, checkAlg(alg)
}

// algOf names the algorithm a loaded private key signs with.
func algOf(priv crypto.Signer) (string, error) {
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P256() {
			return ES256, nil
		}
	case ed25519.PrivateKey:
		return EdDSA, nil
	case *rsa.PrivateKey:
		if k.N.BitLen() >= rsaBits {
			return RS256, nil
		}
		return "", fmt.Errorf("rsa key of %d bits: want at least %d", k.N.BitLen(), rsaBits)
	}
	return "", fmt.Errorf("unsupported private key type %T", priv)
}

// selfSign makes the certificate distribution's rootcertbundle carries.
func selfSign(priv crypto.Signer, cn string, now time.Time) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour).UTC(), // clock skew between hosts
		NotAfter:              now.Add(certValidity).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// newKey derives the kid and the ready-made JOSE headers.
func newKey(priv crypto.Signer, cert *x509.Certificate) (*key, error) {
	alg, err := algOf(priv)
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(priv.Public(), cert.PublicKey) {
		return nil, errors.New("certificate does not match the private key")
	}
	kid, err := Thumbprint(priv.Public())
	if err != nil {
		return nil, err
	}
	type header struct {
		Alg string   `json:"alg"`
		Typ string   `json:"typ"`
		Kid string   `json:"kid"`
		X5C []string `json:"x5c,omitempty"`
	}
	plain, err := json.Marshal(header{Alg: alg, Typ: "JWT", Kid: kid})
	if err != nil {
		return nil, err
	}
	withX5C, err := json.Marshal(header{Alg: alg, Typ: "JWT", Kid: kid,
		X5C: []string{base64.StdEncoding.EncodeToString(cert.Raw)}})
	if err != nil {
		return nil, err
	}
	return &key{
		alg: alg, kid: kid, priv: priv, cert: cert,
		header:    base64.RawURLEncoding.EncodeToString(plain),
		headerX5C: base64.RawURLEncoding.EncodeToString(withX5C),
	}, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// encodeKey renders the private key (PKCS #8) and its certificate as PEM.
func encodeKey(k *key) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return nil, err
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.cert.Raw})...), nil
}

// decodeKey is the inverse of encodeKey.
func decodeKey(data []byte) (*key, error) {
	var priv crypto.Signer
	var cert *x509.Certificate
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		switch b.Type {
		case "PRIVATE KEY":
			p, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("private key: %w", err)
			}
			s, ok := p.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("private key: unsupported type %T", p)
			}
			priv = s
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certificate: %w", err)
			}
			cert = c
		}
	}
	if priv == nil || cert == nil {
		return nil, errors.New("want a PRIVATE KEY and a CERTIFICATE block")
	}
	return newKey(priv, cert)
}
