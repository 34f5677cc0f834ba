package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/regauth/regauth/server/model"
)

const (
	// DefaultTTL is how long an access token lives.
	DefaultTTL = 5 * time.Minute
	// verifierLeeway is the clock skew distribution tolerates on exp and
	// nbf: a token stays usable that long after exp.
	verifierLeeway = 60 * time.Second
)

// IssuerOptions configure an Issuer.
type IssuerOptions struct {
	Issuer string  // iss; must equal the registry's auth.token.issuer
	Keys   *KeySet // required
	TTL    time.Duration
	// X5C embeds the signing certificate in the header. Only useful with a
	// rootcertbundle-configured registry (it then verifies the chain rather
	// than matching the kid); a jwks-only registry rejects such tokens.
	X5C  bool
	Now  func() time.Time // default time.Now
	Rand io.Reader        // jti randomness; default crypto/rand
}

// Issuer signs access tokens. It is safe for concurrent use.
type Issuer struct {
	iss  string
	keys *KeySet
	ttl  time.Duration
	x5c  bool
	now  func() time.Time
	rand io.Reader
}

// NewIssuer checks opts and fills in defaults.
func NewIssuer(opts IssuerOptions) (*Issuer, error) {
	if opts.Keys == nil {
		return nil, errors.New("token issuer: no keys")
	}
	if opts.Issuer == "" {
		return nil, errors.New("token issuer: empty issuer name")
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultTTL
	}
	if opts.TTL < 0 {
		return nil, errors.New("token issuer: negative ttl")
	}
	if opts.TTL+verifierLeeway > opts.Keys.RetireAfter() {
		return nil, fmt.Errorf("token issuer: ttl %s plus the registry's %s leeway exceeds key retire-after %s: tokens would outlive their key",
			opts.TTL, verifierLeeway, opts.Keys.RetireAfter())
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	return &Issuer{iss: opts.Issuer, keys: opts.Keys, ttl: opts.TTL, x5c: opts.X5C, now: opts.Now, rand: opts.Rand}, nil
}

// claims are exactly the fields distribution's ClaimSet reads.
type claims struct {
	Iss    string        `json:"iss"`
	Sub    string        `json:"sub"`
	Aud    string        `json:"aud"`
	Exp    int64         `json:"exp"`
	Nbf    int64         `json:"nbf"`
	Iat    int64         `json:"iat"`
	Jti    string        `json:"jti"`
	Access []accessClaim `json:"access"`
}

type accessClaim struct {
	Type    string         `json:"type"`
	Class   string         `json:"class,omitempty"`
	Name    string         `json:"name"`
	Actions []model.Action `json:"actions"`
}

// Issue signs a token for subject sub (empty for anonymous) and audience
// aud (the registry's service name) granting access. It returns the
// compact JWS, its lifetime and its issue time (whole seconds, as in iat).
func (i *Issuer) Issue(sub, aud string, access []model.Scope) (token string, expiresIn time.Duration, issuedAt time.Time, err error) {
	now := i.now().Truncate(time.Second)
	var jti [16]byte
	if _, err := io.ReadFull(i.rand, jti[:]); err != nil {
		return "", 0, time.Time{}, fmt.Errorf("issue token: jti: %w", err)
	}
	c := claims{
		Iss: i.iss, Sub: sub, Aud: aud,
		Exp: now.Add(i.ttl).Unix(), Nbf: now.Unix(), Iat: now.Unix(),
		Jti:    base64.RawURLEncoding.EncodeToString(jti[:]),
		Access: make([]accessClaim, len(access)),
	}
	for n, s := range access {
		// "repository(plugin)" travels as type "repository", class
		// "plugin": the registry matches type and name only.
		typ, class, _ := splitType(s.Type)
		if typ == "" {
			typ = s.Type
		}
		actions := s.Actions
		if actions == nil {
			actions = []model.Action{}
		}
		c.Access[n] = accessClaim{Type: typ, Class: class, Name: s.Name, Actions: actions}
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", 0, time.Time{}, fmt.Errorf("issue token: %w", err)
	}
	k := i.keys.signingKey()
	header := k.header
	if i.x5c {
		header = k.headerX5C
	}
	enc := base64.RawURLEncoding
	var b strings.Builder
	b.Grow(len(header) + 1 + enc.EncodedLen(len(payload)) + 1 + enc.EncodedLen(512))
	b.WriteString(header)
	b.WriteByte('.')
	b.WriteString(enc.EncodeToString(payload))
	sig, err := sign(k, b.String())
	if err != nil {
		return "", 0, time.Time{}, fmt.Errorf("issue token: sign with %s key %s: %w", k.alg, k.kid, err)
	}
	b.WriteByte('.')
	b.WriteString(enc.EncodeToString(sig))
	return b.String(), i.ttl, now.UTC(), nil
}

// sign produces the JWS signature of input (RFC 7518 section 3).
func sign(k *key, input string) ([]byte, error) {
	switch p := k.priv.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(p, []byte(input)), nil
	case *ecdsa.PrivateKey:
		digest := sha256.Sum256([]byte(input))
		r, s, err := ecdsa.Sign(rand.Reader, p, digest[:])
		if err != nil {
			return nil, err
		}
		// JWS wants r || s, each left-padded to the curve size, not ASN.1.
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out, nil
	case *rsa.PrivateKey:
		digest := sha256.Sum256([]byte(input))
		return rsa.SignPKCS1v15(nil, p, crypto.SHA256, digest[:])
	}
	return nil, fmt.Errorf("unsupported key type %T", k.priv)
}
