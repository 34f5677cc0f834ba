package testregistry

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
)

// tokenCall performs one raw request to the realm and decodes the JSON body.
func tokenCall(t *testing.T, r *Registry, method string, q url.Values, user, pass string) (int, map[string]any) {
	t.Helper()
	var req *http.Request
	var err error
	if method == http.MethodPost {
		req, err = http.NewRequestWithContext(t.Context(), method, r.TokenURL, strings.NewReader(q.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequestWithContext(t.Context(), method, r.TokenURL+"?"+q.Encode(), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := r.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestIssuerResponses(t *testing.T) {
	t.Parallel()
	r := New(t, Options{Auth: AuthToken, Users: alice, RefreshTokens: true})
	scope := "repository:team/app:pull,push"
	form := func(kv ...string) url.Values {
		v := url.Values{"service": {r.Service}, "scope": {scope}, "client_id": {"test"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name       string
		method     string
		q          url.Values
		user, pass string
		wantStatus int
		wantKeys   []string // top-level body keys
	}{
		{"get anonymous", "GET", form(), "", "", 200, []string{"access_token", "expires_in", "issued_at", "token"}},
		{"get basic", "GET", form(), "alice", "s3cret", 200, []string{"access_token", "expires_in", "issued_at", "token"}},
		{"get offline", "GET", form("offline_token", "true"), "alice", "s3cret", 200, []string{"access_token", "expires_in", "issued_at", "refresh_token", "token"}},
		{"get wrong password", "GET", form(), "alice", "nope", 401, []string{"details"}},
		{"get wrong service", "GET", form("service", "elsewhere"), "alice", "s3cret", 400, []string{"error", "error_description"}},
		{"post password", "POST", form("grant_type", "password", "username", "alice", "password", "s3cret"), "", "", 200, []string{"access_token", "expires_in", "issued_at", "scope"}},
		{"post offline", "POST", form("grant_type", "password", "username", "alice", "password", "s3cret", "access_type", "offline"), "", "", 200, []string{"access_token", "expires_in", "issued_at", "refresh_token", "scope"}},
		{"post wrong password", "POST", form("grant_type", "password", "username", "alice", "password", "nope"), "", "", 401, []string{"error", "error_description"}},
		{"post unknown refresh", "POST", form("grant_type", "refresh_token", "refresh_token", "bogus"), "", "", 401, []string{"error", "error_description"}},
		{"post no client_id", "POST", form("grant_type", "password", "username", "alice", "password", "s3cret", "client_id", ""), "", "", 400, []string{"error", "error_description"}},
		{"post bad grant", "POST", form("grant_type", "client_credentials"), "", "", 400, []string{"error", "error_description"}},
		{"malformed scope", "GET", form("scope", "repository"), "alice", "s3cret", 400, []string{"error", "error_description"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body := tokenCall(t, r, tc.method, tc.q, tc.user, tc.pass)
			var keys []string
			for k := range body {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if diff := cmp.Diff([]any{tc.wantStatus, tc.wantKeys}, []any{status, keys}); diff != "" {
				t.Errorf("(-want +got):\n%s\nbody: %v", diff, body)
			}
		})
	}
}

func TestRefreshTokenFlow(t *testing.T) {
	t.Parallel()
	r := New(t, Options{Auth: AuthToken, Users: alice, TLS: true, RefreshTokens: true})
	status, body := tokenCall(t, r, http.MethodPost, url.Values{
		"grant_type": {"password"}, "username": {"alice"}, "password": {"s3cret"},
		"service": {r.Service}, "client_id": {"test"}, "access_type": {"offline"},
	}, "", "")
	refresh, _ := body["refresh_token"].(string)
	if status != http.StatusOK || refresh == "" {
		t.Fatalf("password grant: %d %v", status, body)
	}
	// go-containerregistry treats an identity token as an OAuth2 refresh
	// token and uses the POST refresh_token grant with it.
	if _, err := push(t, r, "team/app:v1", authn.FromConfig(authn.AuthConfig{IdentityToken: refresh})); err != nil {
		t.Fatalf("push with refresh token: %v", err)
	}
	if !slices.ContainsFunc(r.TokenRequests(), func(tr TokenRequest) bool {
		return tr.GrantType == "refresh_token" && tr.User == "alice" && tr.Status == http.StatusOK
	}) {
		t.Errorf("issuer saw no successful refresh_token grant: %+v", r.TokenRequests())
	}
}

func TestRefreshTokensDisabled(t *testing.T) {
	t.Parallel()
	r := New(t, Options{Auth: AuthToken, Users: alice})
	_, body := tokenCall(t, r, http.MethodPost, url.Values{
		"grant_type": {"password"}, "username": {"alice"}, "password": {"s3cret"},
		"service": {r.Service}, "client_id": {"test"}, "access_type": {"offline"},
	}, "", "")
	if _, ok := body["refresh_token"]; ok {
		t.Errorf("refresh_token issued although RefreshTokens is off: %v", body)
	}
	status, _ := tokenCall(t, r, http.MethodPost, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {"test"}}, "", "")
	if status != http.StatusBadRequest {
		t.Errorf("refresh grant status = %d, want 400", status)
	}
}

func TestPermit(t *testing.T) {
	t.Parallel()
	r := New(t, Options{Auth: AuthToken, Users: alice, Permit: func(user, repo string, requested []string) []string {
		if strings.HasPrefix(repo, "public/") || user != "" {
			return []string{"pull"}
		}
		return nil
	}})
	r.PushRandomImage(t, "public/app", "v1")
	r.PushRandomImage(t, "team/app", "v1")

	if _, err := head(t, r, "team/app:v1", basic("alice", "s3cret")); err != nil {
		t.Errorf("pull as alice: %v", err)
	}
	if _, err := head(t, r, "public/app:v1", authn.Anonymous); err != nil {
		t.Errorf("anonymous pull of public repo: %v", err)
	}
	_, err := head(t, r, "team/app:v1", authn.Anonymous)
	wantStatus(t, err, http.StatusUnauthorized)
	_, err = push(t, r, "team/app:v2", basic("alice", "s3cret"))
	wantStatus(t, err, http.StatusUnauthorized)
}

func TestTokenFaults(t *testing.T) {
	t.Parallel()
	t.Run("server down", func(t *testing.T) {
		t.Parallel()
		r := New(t, Options{Auth: AuthToken, Users: alice, TokenServerDown: true})
		r.PushRandomImage(t, "team/app", "v1") // the harness does not need the issuer
		if _, err := head(t, r, "team/app:v1", basic("alice", "s3cret")); err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("head error = %v, want connection refused", err)
		}
	})
	t.Run("clock skew", func(t *testing.T) {
		t.Parallel()
		r := New(t, Options{Auth: AuthToken, Users: alice, TokenNotBefore: 5 * time.Minute})
		r.PushRandomImage(t, "team/app", "v1")
		_, err := head(t, r, "team/app:v1", basic("alice", "s3cret"))
		wantStatus(t, err, http.StatusUnauthorized)
	})
	t.Run("small skew within leeway", func(t *testing.T) {
		t.Parallel()
		r := New(t, Options{Auth: AuthToken, Users: alice, TokenNotBefore: 30 * time.Second})
		r.PushRandomImage(t, "team/app", "v1")
		if _, err := head(t, r, "team/app:v1", basic("alice", "s3cret")); err != nil {
			t.Errorf("head: %v", err)
		}
	})
	t.Run("delay", func(t *testing.T) {
		t.Parallel()
		// Long delay: a client with a deadline gives up, and cleanup must
		// not wait the full delay for the sleeping handler.
		r := New(t, Options{Auth: AuthToken, Users: alice, TokenDelay: time.Hour})
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.TokenURL, nil)
		if resp, err := r.Client.Do(req); err == nil {
			resp.Body.Close()
			t.Errorf("token request answered despite TokenDelay")
		}
	})
	t.Run("oauth post disabled", func(t *testing.T) {
		t.Parallel()
		r := New(t, Options{Auth: AuthToken, Users: alice, DisableOAuthPOST: true})
		status, _ := tokenCall(t, r, http.MethodPost, url.Values{"grant_type": {"password"}, "client_id": {"x"}}, "", "")
		if status != http.StatusNotFound {
			t.Errorf("POST status = %d, want 404", status)
		}
		if _, err := push(t, r, "team/app:v1", basic("alice", "s3cret")); err != nil {
			t.Errorf("push via GET flow: %v", err)
		}
	})
}
