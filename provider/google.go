package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// GoogleScope is what Artifact Registry and GCR pulls and pushes need.
const GoogleScope = "https://www.googleapis.com/auth/cloud-platform"

// GoogleUsername is the username that goes with an OAuth2 access token.
const GoogleUsername = "oauth2accesstoken"

// MintGoogle exchanges a service-account key (JSON, or its base64 as
// _json_key_base64 users keep it) for a one-hour OAuth2 access token, used
// with the username oauth2accesstoken. The key's token_uri decides where
// the signed JWT assertion goes (tests point it at a local server). client
// carries the transport (proxies, CAs); nil uses http.DefaultClient.
func MintGoogle(ctx context.Context, key []byte, client *http.Client) (Token, error) {
	if len(key) > 0 && key[0] != '{' {
		if dec, err := base64.StdEncoding.DecodeString(string(key)); err == nil {
			key = dec
		}
	}
	// oauth2's errors name the failure (and the token server's answer),
	// never the private key.
	cfg, err := google.JWTConfigFromJSON(key, GoogleScope)
	if err != nil {
		return Token{}, fmt.Errorf("google service-account key: %w", err)
	}
	if client != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	}
	tok, err := cfg.TokenSource(ctx).Token()
	if err != nil {
		return Token{}, fmt.Errorf("google token for %s: %w", cfg.Email, err)
	}
	return Token{Username: GoogleUsername, Password: tok.AccessToken, Expires: tok.Expiry}, nil
}
