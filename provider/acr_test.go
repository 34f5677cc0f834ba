package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A local TLS server speaking ACR's /oauth2/exchange.
func TestExchangeACR(t *testing.T) {
	t.Parallel()
	exp := time.Now().Add(3 * time.Hour).Truncate(time.Second)
	claims, _ := json.Marshal(map[string]any{"exp": exp.Unix()})
	refresh := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".sig-Pl4nted"
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth2/exchange" || r.ParseForm() != nil {
			http.NotFound(w, r)
			return
		}
		if r.Form.Get("grant_type") != "access_token" || r.Form.Get("access_token") != "aad-Pl4nted" || r.Form.Get("tenant") != "t1" || !strings.HasPrefix(r.Form.Get("service"), "127.0.0.1:") {
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"invalid AAD token"}]}`, http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"refresh_token": refresh})
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	tok, err := ExchangeACR(context.Background(), srv.Client(), host, "t1", "aad-Pl4nted")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != ACRRefreshTokenUser || tok.Password != refresh || !tok.Expires.Equal(exp) {
		t.Fatalf("got %q, expires %v want %v", tok.Username, tok.Expires, exp)
	}
	_, err = ExchangeACR(context.Background(), srv.Client(), host, "t1", "wrong")
	if err == nil || !strings.Contains(err.Error(), "invalid AAD token") || strings.Contains(err.Error(), "Pl4nted") {
		t.Fatalf("refusal: %v", err)
	}
}
