package testregistry

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// TokenRequest is what the issuer saw in one request to the realm, so tests
// can assert how a client talked to it (POST vs GET fallback, scopes asked
// for, refresh-token use). Secrets are never recorded.
type TokenRequest struct {
	Method    string   // GET or POST
	GrantType string   // POST only: "password", "refresh_token", ...
	User      string   // authenticated user; "" for anonymous or rejected
	Service   string   // service parameter as sent
	Scopes    []string // scope parameters as sent, split on spaces
	ClientID  string
	Offline   bool // GET offline_token=true or POST access_type=offline
	Status    int  // HTTP status the issuer answered with
}

// issuer implements the token endpoint of the distribution token auth spec
// (GET, docs/spec/auth/token.md) and its OAuth2 variant (POST,
// docs/spec/auth/oauth.md) well enough for docker and go-containerregistry.
type issuer struct {
	signer *tokenSigner
	users  map[string]string
	opts   Options
	ttl    time.Duration
	// done releases handlers sleeping in TokenDelay so server shutdown does
	// not wait for them.
	done chan struct{}

	mu       sync.Mutex
	refresh  map[string]string // refresh token -> user
	requests []TokenRequest
}

func (is *issuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/token" {
		http.NotFound(w, r)
		return
	}
	if d := is.opts.TokenDelay; d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return
		case <-is.done:
			return
		}
	}
	rec := TokenRequest{Method: r.Method}
	var status int
	switch r.Method {
	case http.MethodGet:
		status = is.serveGET(w, r, &rec)
	case http.MethodPost:
		if is.opts.DisableOAuthPOST {
			// Mimics registries that only implement the GET flow; clients
			// are expected to fall back to it on 404.
			status = http.StatusNotFound
			http.NotFound(w, r)
			break
		}
		status = is.servePOST(w, r, &rec)
	default:
		status = http.StatusMethodNotAllowed
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", status)
	}
	rec.Status = status
	is.mu.Lock()
	is.requests = append(is.requests, rec)
	is.mu.Unlock()
}

func (is *issuer) serveGET(w http.ResponseWriter, r *http.Request, rec *TokenRequest) int {
	q := r.URL.Query()
	rec.Service, rec.ClientID = q.Get("service"), q.Get("client_id")
	rec.Offline = q.Get("offline_token") == "true"
	rec.Scopes = splitScopes(q["scope"])

	user, pass, hasBasic := r.BasicAuth()
	if hasBasic && !is.checkPassword(user, pass) {
		// Docker Hub's answer to bad credentials on the GET flow.
		return writeJSON(w, http.StatusUnauthorized, map[string]string{"details": "incorrect username or password"})
	}
	if !hasBasic {
		user = ""
	}
	if status, ok := is.checkService(w, rec.Service); !ok {
		return status
	}
	rec.User = user
	refresh := ""
	if rec.Offline && user != "" && is.opts.RefreshTokens {
		refresh = is.newRefreshToken(user)
	}
	return is.answer(w, user, rec.Scopes, refresh, false)
}

func (is *issuer) servePOST(w http.ResponseWriter, r *http.Request, rec *TokenRequest) int {
	if err := r.ParseForm(); err != nil {
		return oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
	}
	f := r.PostForm
	rec.GrantType, rec.Service, rec.ClientID = f.Get("grant_type"), f.Get("service"), f.Get("client_id")
	rec.Offline = f.Get("access_type") == "offline"
	rec.Scopes = splitScopes(f["scope"])

	// The OAuth2 flow of the spec marks client_id REQUIRED; enforcing it
	// catches clients that would break against stricter real issuers.
	if rec.ClientID == "" {
		return oauthError(w, http.StatusBadRequest, "invalid_request", "client_id is required")
	}
	var user, refresh string
	switch rec.GrantType {
	case "password":
		user = f.Get("username")
		if user == "" {
			return oauthError(w, http.StatusBadRequest, "invalid_request", "username is required")
		}
		if !is.checkPassword(user, f.Get("password")) {
			return oauthError(w, http.StatusUnauthorized, "invalid_grant", "incorrect username or password")
		}
		if rec.Offline && is.opts.RefreshTokens {
			refresh = is.newRefreshToken(user)
		}
	case "refresh_token":
		if !is.opts.RefreshTokens {
			return oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "refresh tokens are disabled")
		}
		refresh = f.Get("refresh_token")
		is.mu.Lock()
		u, ok := is.refresh[refresh]
		is.mu.Unlock()
		if !ok {
			return oauthError(w, http.StatusUnauthorized, "invalid_grant", "unknown refresh token")
		}
		user = u
	default:
		return oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be password or refresh_token")
	}
	if status, ok := is.checkService(w, rec.Service); !ok {
		return status
	}
	rec.User = user
	return is.answer(w, user, rec.Scopes, refresh, true)
}

// answer mints the token and writes the JSON body; oauth selects the POST
// response shape (access_token + scope) over the GET one (token + access_token).
func (is *issuer) answer(w http.ResponseWriter, user string, scopes []string, refresh string, oauth bool) int {
	access, err := is.grant(user, scopes)
	if err != nil {
		return oauthError(w, http.StatusBadRequest, "invalid_scope", err.Error())
	}
	// A skewed issuer clock moves every timestamp it produces, including
	// issued_at in the body, which clients use to compute expiry.
	now := time.Now().Add(is.opts.TokenNotBefore)
	tok, err := is.signer.mint(user, access, now, is.ttl)
	if err != nil {
		return oauthError(w, http.StatusInternalServerError, "server_error", "could not sign token")
	}
	body := map[string]any{
		"access_token": tok,
		"expires_in":   int(is.ttl / time.Second),
		"issued_at":    now.UTC().Format(time.RFC3339),
	}
	if oauth {
		body["scope"] = formatScopes(access)
	} else {
		body["token"] = tok
	}
	if refresh != "" {
		body["refresh_token"] = refresh
	}
	return writeJSON(w, http.StatusOK, body)
}

// checkService rejects a service other than ours: the token's audience would
// not match and the registry would refuse it, and the real cause (a client
// echoing the wrong challenge parameter) would be hidden.
func (is *issuer) checkService(w http.ResponseWriter, service string) (int, bool) {
	if service != "" && service != is.signer.service {
		return oauthError(w, http.StatusBadRequest, "invalid_request", "unknown service"), false
	}
	return 0, true
}

func (is *issuer) checkPassword(user, pass string) bool {
	want, ok := is.users[user]
	if !ok {
		// Compare anyway so unknown users cost the same as known ones.
		want = "\x00unknown-user"
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1 && ok
}

func (is *issuer) newRefreshToken(user string) string {
	tok := randomHex(24)
	is.mu.Lock()
	is.refresh[tok] = user
	is.mu.Unlock()
	return tok
}

func (is *issuer) recorded() []TokenRequest {
	is.mu.Lock()
	defer is.mu.Unlock()
	return slices.Clone(is.requests)
}

func writeJSON(w http.ResponseWriter, status int, body any) int {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
	return status
}

// oauthError writes an RFC 6749 section 5.2 error body.
func oauthError(w http.ResponseWriter, status int, code, desc string) int {
	return writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func splitScopes(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.Fields(v)...)
	}
	return out
}
