package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// bearerVerifier checks access tokens this server issued, for the admin
// API: signature by a published key, issuer, validity window, and the
// regauth:api:* grant. It returns the token's subject ("user:NAME" form is
// rebuilt from sub, which holds the account name).
func bearerVerifier(issuer, audience string, jwks func() []byte) func(string, time.Time) (string, error) {
	return func(tok string, now time.Time) (string, error) {
		sig, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
		if err != nil || len(sig.Signatures) != 1 {
			return "", errors.New("malformed token")
		}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(jwks(), &set); err != nil {
			return "", fmt.Errorf("read keys: %w", err)
		}
		keys := set.Key(sig.Signatures[0].Header.KeyID)
		if len(keys) == 0 {
			return "", errors.New("unknown key")
		}
		payload, err := sig.Verify(keys[0])
		if err != nil {
			return "", errors.New("bad signature")
		}
		var c struct {
			Iss    string `json:"iss"`
			Aud    string `json:"aud"`
			Sub    string `json:"sub"`
			Exp    int64  `json:"exp"`
			Nbf    int64  `json:"nbf"`
			Access []struct {
				Type    string   `json:"type"`
				Name    string   `json:"name"`
				Actions []string `json:"actions"`
			} `json:"access"`
		}
		if err := json.Unmarshal(payload, &c); err != nil {
			return "", errors.New("malformed claims")
		}
		const leeway = 60
		if c.Iss != issuer || audience != "" && c.Aud != audience || now.Unix() > c.Exp+leeway || now.Unix() < c.Nbf-leeway {
			return "", errors.New("token not valid now or not ours")
		}
		for _, a := range c.Access {
			if a.Type == APIScope.Type && a.Name == APIScope.Name {
				for _, act := range a.Actions {
					if act == "*" {
						return "user:" + c.Sub, nil
					}
				}
			}
		}
		return "", errors.New("token lacks the regauth:api:* scope")
	}
}

// serveJWKS publishes the public keys tokens are signed with.
func (s *Server) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "max-age=60")
	_, _ = w.Write(s.cfg.JWKS())
}
