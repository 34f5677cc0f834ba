package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ExchangeACR trades an Azure AD access token for an ACR refresh token at
// https://<registry>/oauth2/exchange, the step `az acr login` performs. The
// refresh token is used with the username ACRRefreshTokenUser. Its expiry
// is read from the token (a JWT) when possible; ACR issues them for about
// three hours.
func ExchangeACR(ctx context.Context, client *http.Client, registry, tenant, aadToken string) (Token, error) {
	if client == nil {
		client = http.DefaultClient
	}
	form := url.Values{"grant_type": {"access_token"}, "service": {registry}, "access_token": {aadToken}}
	if tenant != "" {
		form.Set("tenant", tenant)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+registry+"/oauth2/exchange", strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return Token{}, fmt.Errorf("acr exchange at %s: %w", registry, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		// ACR's error bodies describe the problem; they hold no token.
		return Token{}, fmt.Errorf("acr exchange at %s: %s: %s", registry, resp.Status, strings.TrimSpace(string(body)))
	}
	var out struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.RefreshToken == "" {
		return Token{}, fmt.Errorf("acr exchange at %s: the answer holds no refresh_token", registry)
	}
	return Token{Username: ACRRefreshTokenUser, Password: out.RefreshToken, Expires: jwtExpiry(out.RefreshToken, 3*time.Hour)}, nil
}

// jwtExpiry reads exp from an unverified JWT, or assumes def from now.
func jwtExpiry(tok string, def time.Duration) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) == 3 {
		if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			var c struct{ Exp int64 }
			if json.Unmarshal(b, &c) == nil && c.Exp > 0 {
				return time.Unix(c.Exp, 0)
			}
		}
	}
	return time.Now().Add(def)
}
