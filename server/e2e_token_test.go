package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regauth/regauth/server/model"
)

// TestE2ETokenEndpoint exercises the token protocol over HTTP: the docker
// GET flow and the OAuth2 POST flow, as clients send them.
func TestE2ETokenEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	secret := e.createRobot("team+ci", "", perm{"team/*", model.Write}, perm{"lib/base", model.Read})

	t.Run("GET with repeated and space-joined scopes", func(t *testing.T) {
		t.Parallel()
		q := url.Values{"service": {e.Host}, "scope": {
			"repository:team/a:pull",
			"repository:team/b:push,pull",
			"repository:team/c:pull repository:other/x:pull,push repository:lib/base:pull,push",
			"repository:team/a:push", // merged with the first
		}}
		resp, tr := e.getToken("team+ci", secret, q)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if tr.Token == "" || tr.Token != tr.AccessToken {
			t.Errorf("token and access_token must both be set and equal")
		}
		if tr.RefreshToken != "" {
			t.Errorf("a refresh token without offline_token=true")
		}
		c := e.verifyJWT(tr.Token)
		got := c.access()
		want := map[string]string{
			"repository:team/a":   "pull,push",
			"repository:team/b":   "pull,push",
			"repository:team/c":   "pull",
			"repository:other/x":  "",
			"repository:lib/base": "pull",
		}
		for k, w := range want {
			if g := got[k]; g != w && !(w == "pull,push" && g == "push,pull") {
				t.Errorf("access %s = %q, want %q", k, g, w)
			}
		}
		if c.Iss != e2eIssuer || c.Sub != "team+ci" || c.Jti == "" || c.Exp-c.Iat != 300 || c.Nbf > c.Iat {
			t.Errorf("claims iss %q sub %q jti set %v exp-iat %d nbf<=iat %v", c.Iss, c.Sub, c.Jti != "", c.Exp-c.Iat, c.Nbf <= c.Iat)
		}
		if aud, _ := c.Aud.(string); aud != e.Host {
			if list, ok := c.Aud.([]any); !ok || len(list) != 1 || list[0] != e.Host {
				t.Errorf("aud %v, want %s", c.Aud, e.Host)
			}
		}
	})

	t.Run("GET anonymous", func(t *testing.T) {
		t.Parallel()
		resp, tr := e.getToken("", "", url.Values{"service": {e.Host}, "scope": {"repository:team/a:pull"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		c := e.verifyJWT(tr.Token)
		for k, v := range c.access() {
			if v != "" {
				t.Errorf("anonymous token grants %s on %s", v, k)
			}
		}
		if c.Sub != "" {
			t.Errorf("anonymous token has subject %q", c.Sub)
		}
	})

	t.Run("GET offline_token", func(t *testing.T) {
		t.Parallel()
		resp, tr := e.getToken("team+ci", secret, url.Values{"service": {e.Host}, "offline_token": {"true"}})
		if resp.StatusCode != http.StatusOK || tr.RefreshToken == "" {
			t.Errorf("status %d, refresh token present %v; want 200 with one", resp.StatusCode, tr.RefreshToken != "")
		}
	})

	t.Run("POST password and refresh grants", func(t *testing.T) {
		t.Parallel()
		resp, tr, _ := e.postToken(url.Values{
			"grant_type": {"password"}, "username": {adminName}, "password": {e.adminPass},
			"service": {e.Host}, "client_id": {"e2e"}, "access_type": {"offline"},
			"scope": {"repository:team/a:pull,push repository:x/y:pull"},
		})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("password grant: status %d", resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		checkOAuthAnswer(t, tr, "repository:team/a:pull,push repository:x/y:pull")
		if tr.RefreshToken == "" {
			t.Fatalf("no refresh_token with access_type=offline")
		}

		resp, tr2, _ := e.postToken(url.Values{
			"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken},
			"service": {e.Host}, "client_id": {"e2e"}, "scope": {"repository:team/a:pull"},
		})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh grant: status %d", resp.StatusCode)
		}
		checkOAuthAnswer(t, tr2, "repository:team/a:pull")
		if c := e.verifyJWT(tr2.AccessToken); c.Sub != adminName {
			t.Errorf("refreshed token subject %q, want %s", c.Sub, adminName)
		}

		// A password grant without access_type=offline gets no refresh token.
		_, tr3, _ := e.postToken(url.Values{"grant_type": {"password"}, "username": {"team+ci"}, "password": {secret}, "service": {e.Host}})
		if tr3.RefreshToken != "" || tr3.AccessToken == "" {
			t.Errorf("online password grant: access token present %v, refresh token present %v", tr3.AccessToken != "", tr3.RefreshToken != "")
		}
	})

	t.Run("admin API bearer token", func(t *testing.T) {
		t.Parallel()
		_, tr, _ := e.postToken(url.Values{"grant_type": {"password"}, "username": {adminName}, "password": {e.adminPass}, "service": {e.Host}, "scope": {"regauth:api:*"}})
		req, _ := http.NewRequest(http.MethodGet, e.URL+"/api/v1/users", nil)
		req.Header.Set("Authorization", "Bearer "+tr.AccessToken)
		if resp, b := e.send(req); resp.StatusCode != http.StatusOK {
			t.Errorf("admin API with an API token: %d %s", resp.StatusCode, apiCode(b))
		}
		// A robot's token never carries the API scope.
		_, rt, _ := e.postToken(url.Values{"grant_type": {"password"}, "username": {"team+ci"}, "password": {secret}, "service": {e.Host}, "scope": {"regauth:api:*"}})
		req.Header.Set("Authorization", "Bearer "+rt.AccessToken)
		if resp, _ := e.send(req); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("admin API with a robot's token: %d, want 401", resp.StatusCode)
		}
	})

	t.Run("user namespace, disable", func(t *testing.T) {
		t.Parallel()
		pass := e.newSecret()
		e.admin(http.MethodPost, "/api/v1/users", map[string]any{"name": "alice", "password": pass}, http.StatusCreated)
		q := url.Values{"service": {e.Host}, "scope": {"repository:alice/app:pull,push,delete repository:team/a:pull"}}
		resp, tr := e.getToken("alice", pass, q)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("user token: %d", resp.StatusCode)
		}
		got := e.verifyJWT(tr.Token).access()
		if got["repository:alice/app"] != "pull,push,delete" || got["repository:team/a"] != "" {
			t.Errorf("alice's grants %v: want her own namespace only", got)
		}
		// A user manages robots of their own namespace, not others'.
		if resp, b := e.do(http.MethodPost, "/api/v1/robots", "alice", pass, map[string]any{"name": "team+mine"}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("alice creates a robot in team: %d %s, want 403", resp.StatusCode, apiCode(b))
		}
		e.admin(http.MethodPatch, "/api/v1/users/alice", map[string]any{"disabled": true}, http.StatusOK)
		if resp, _ := e.getToken("alice", pass, q); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("disabled user: %d, want 401", resp.StatusCode)
		}
	})

	t.Run("JWKS", func(t *testing.T) {
		t.Parallel()
		resp, b := e.do(http.MethodGet, "/.well-known/jwks.json", "", "", nil)
		if resp.StatusCode != http.StatusOK || string(b) != string(e.keys.JWKS()) {
			t.Errorf("/.well-known/jwks.json: status %d, same as the key set %v", resp.StatusCode, string(b) == string(e.keys.JWKS()))
		}
	})

	t.Run("permissions API takes effect at once", func(t *testing.T) {
		t.Parallel()
		ps := e.createRobot("team+perm", "", perm{"team/*", model.Read})
		q := url.Values{"service": {e.Host}, "scope": {"repository:lib/x/y:pull,push"}}
		grant := func() string {
			t.Helper()
			resp, tr := e.getToken("team+perm", ps, q)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("token: %d", resp.StatusCode)
			}
			return e.verifyJWT(tr.Token).access()["repository:lib/x/y"]
		}
		if g := grant(); g != "" {
			t.Fatalf("before the grant: %q", g)
		}
		var p struct {
			ID int64 `json:"id"`
		}
		b := e.admin(http.MethodPost, "/api/v1/permissions", map[string]any{"subject": "robot:team+perm", "pattern": "lib/**", "role": "write"}, http.StatusCreated)
		if err := json.Unmarshal(b, &p); err != nil || p.ID == 0 {
			t.Fatalf("permission id: %v", err)
		}
		if g := grant(); g != "pull,push" && g != "push,pull" {
			t.Errorf("right after the grant: %q, want pull,push", g)
		}
		e.admin(http.MethodDelete, "/api/v1/permissions/"+strconv.FormatInt(p.ID, 10), nil, http.StatusNoContent)
		if g := grant(); g != "" {
			t.Errorf("right after revoking: %q, want nothing", g)
		}
		e.admin(http.MethodPost, "/api/v1/permissions", map[string]any{"subject": "robot:team+perm", "pattern": "lib/[", "role": "write"}, http.StatusBadRequest)
		e.admin(http.MethodPost, "/api/v1/permissions", map[string]any{"subject": "robot:team+perm", "pattern": "lib/**", "role": "owner"}, http.StatusBadRequest)
	})

	t.Run("refusals", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name       string
			req        func() *http.Request
			wantStatus int
			wantCode   string
		}{
			{"GET wrong password", func() *http.Request {
				r := mustReq(http.MethodGet, e.URL+"/token?service="+url.QueryEscape(e.Host), "")
				r.SetBasicAuth(adminName, "not-the-password-at-all")
				return r
			}, http.StatusUnauthorized, "invalid_grant"},
			{"POST wrong password", func() *http.Request {
				return formReq(e.URL, url.Values{"grant_type": {"password"}, "username": {"team+ci"}, "password": {"wrong-" + secret[:10]}, "service": {e.Host}})
			}, http.StatusUnauthorized, "invalid_grant"},
			{"POST unknown refresh token", func() *http.Request {
				return formReq(e.URL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"no-such-refresh-token-0123456789"}, "service": {e.Host}})
			}, http.StatusUnauthorized, "invalid_grant"},
			{"GET unknown service", func() *http.Request {
				r := mustReq(http.MethodGet, e.URL+"/token?service=elsewhere.example", "")
				r.SetBasicAuth("team+ci", secret)
				return r
			}, http.StatusBadRequest, "invalid_request"},
			{"POST unknown service", func() *http.Request {
				return formReq(e.URL, url.Values{"grant_type": {"password"}, "username": {"team+ci"}, "password": {secret}, "service": {"elsewhere.example"}})
			}, http.StatusBadRequest, "invalid_request"},
			{"POST unsupported grant", func() *http.Request {
				return formReq(e.URL, url.Values{"grant_type": {"client_credentials"}, "service": {e.Host}})
			}, http.StatusBadRequest, "unsupported_grant_type"},
			{"POST oversized body", func() *http.Request {
				return formReq(e.URL, url.Values{"grant_type": {"password"}, "username": {"team+ci"}, "password": {secret}, "service": {e.Host}, "scope": {strings.Repeat("repository:team/a:pull ", 4000)}})
			}, http.StatusRequestEntityTooLarge, "invalid_request"},
			{"POST wrong content type", func() *http.Request {
				r := mustReq(http.MethodPost, e.URL+"/token", `{"grant_type":"password"}`)
				r.Header.Set("Content-Type", "application/json")
				return r
			}, http.StatusUnsupportedMediaType, "invalid_request"},
			{"GET malformed scope", func() *http.Request {
				return mustReq(http.MethodGet, e.URL+"/token?service="+url.QueryEscape(e.Host)+"&scope=repository:UPPER/case:pull", "")
			}, http.StatusBadRequest, "invalid_request"},
			{"GET repeated service", func() *http.Request {
				return mustReq(http.MethodGet, e.URL+"/token?service=a&service=b", "")
			}, http.StatusBadRequest, "invalid_request"},
		} {
			resp, b := e.send(tc.req())
			if resp.StatusCode != tc.wantStatus || apiCode(b) != tc.wantCode {
				t.Errorf("%s: %d %q, want %d %q", tc.name, resp.StatusCode, apiCode(b), tc.wantStatus, tc.wantCode)
			}
			if n := e.secrets.leaked(string(b)); n > 0 {
				t.Errorf("%s: answer carries a secret", tc.name)
			}
		}
	})

	t.Run("oversized admin API body", func(t *testing.T) {
		t.Parallel()
		resp, _ := e.do(http.MethodPost, "/api/v1/robots", adminName, e.adminPass,
			`{"name":"team+big","description":"`+strings.Repeat("x", 100<<10)+`"}`)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("100 KiB API body: status %d, want 4xx", resp.StatusCode)
		}
	})
}

func checkOAuthAnswer(t *testing.T, tr tokenResp, wantScope string) {
	t.Helper()
	if tr.AccessToken == "" || tr.Token != tr.AccessToken {
		t.Errorf("access_token and token must be set and equal")
	}
	if tr.ExpiresIn != 300 {
		t.Errorf("expires_in %d, want 300", tr.ExpiresIn)
	}
	issued, err := time.Parse(time.RFC3339, tr.IssuedAt)
	if err != nil || time.Since(issued) > time.Minute || time.Until(issued) > time.Minute {
		t.Errorf("issued_at %q is not a current RFC 3339 time", tr.IssuedAt)
	}
	if tr.Scope != wantScope {
		t.Errorf("scope %q, want %q", tr.Scope, wantScope)
	}
}

func mustReq(method, u, body string) *http.Request {
	var r *http.Request
	var err error
	if body == "" {
		r, err = http.NewRequest(method, u, nil)
	} else {
		r, err = http.NewRequest(method, u, strings.NewReader(body))
	}
	if err != nil {
		panic(err)
	}
	return r
}

func formReq(base string, form url.Values) *http.Request {
	r := mustReq(http.MethodPost, base+"/token", form.Encode())
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// TestE2EThrottle: guessing is slowed down per client IP and per account,
// while a valid robot elsewhere keeps working. Client IPs come from
// X-Forwarded-For (a trusted proxy), as httptest cannot vary the source.
func TestE2EThrottle(t *testing.T) {
	t.Parallel()
	// The server's clock stands still: lockouts then do not run out while
	// a slow (race-instrumented) bcrypt check is under way, which would
	// make the counts below depend on the machine's speed.
	frozen := time.Now()
	e := newEnv(t, envOptions{trustProxy: true, now: func() time.Time { return frozen }})
	secret := e.createRobot("team+ci", "", perm{"team/*", model.Read})
	const (
		runner   = "198.51.100.10"
		attacker = "203.0.113.7"
	)
	tokenFrom := func(ip, user, pass string) *http.Response {
		t.Helper()
		r := mustReq(http.MethodGet, e.URL+"/token?service="+url.QueryEscape(e.Host)+"&scope=repository:team/app:pull", "")
		r.SetBasicAuth(user, pass)
		r.Header.Set("X-Forwarded-For", ip)
		resp, _ := e.send(r)
		return resp
	}
	if resp := tokenFrom(runner, "team+ci", secret); resp.StatusCode != http.StatusOK {
		t.Fatalf("valid robot: %d", resp.StatusCode)
	}

	// 30 wrong passwords from one IP: the first Threshold (10) are checked
	// and refused, the rest are turned away unchecked with Retry-After.
	counts := map[int]int{}
	for range 30 {
		resp := tokenFrom(attacker, adminName, "wrong-password-guess")
		counts[resp.StatusCode]++
		if resp.StatusCode == http.StatusTooManyRequests {
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 300 {
				t.Errorf("429 with Retry-After %q, want 1..300 seconds", resp.Header.Get("Retry-After"))
			}
		}
	}
	if counts[http.StatusUnauthorized] != 10 || counts[http.StatusTooManyRequests] != 20 {
		t.Errorf("30 wrong passwords from one IP: %v, want 10×401 then 20×429", counts)
	}
	// The admin API throttles the same way.
	r := mustReq(http.MethodGet, e.URL+"/api/v1/users", "")
	r.SetBasicAuth(adminName, e.adminPass)
	r.Header.Set("X-Forwarded-For", attacker)
	if resp, b := e.send(r); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("admin API from the locked IP: %d %s, want 429", resp.StatusCode, apiCode(b))
	}

	// A valid robot on another IP is not slowed down: a CI job pulling 50
	// layers in parallel.
	statuses := make(chan int, 50)
	for range 50 {
		go func() {
			r := mustReq(http.MethodGet, e.URL+"/token?service="+url.QueryEscape(e.Host)+"&scope=repository:team/app:pull", "")
			r.SetBasicAuth("team+ci", secret)
			r.Header.Set("X-Forwarded-For", runner)
			resp, err := e.client.Do(r)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	for range 50 {
		if s := <-statuses; s != http.StatusOK {
			t.Errorf("valid robot in parallel while another IP is locked: %d", s)
		}
	}

	// A distributed attack on the robot's name: each IP stays below its
	// own threshold, the account locks for strangers after 5×10 failures;
	// the runner, which logged in before, keeps working.
	for i := range 50 {
		tokenFrom("203.0.113."+strconv.Itoa(100+i), "team+ci", "guess-"+strconv.Itoa(i)+"-xxxxxxxx")
	}
	if resp := tokenFrom("192.0.2.77", "team+ci", secret); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the right secret from a new IP during a distributed attack: %d, want 429", resp.StatusCode)
	}
	if resp := tokenFrom(runner, "team+ci", secret); resp.StatusCode != http.StatusOK {
		t.Errorf("the runner's known IP during a distributed attack: %d, want 200", resp.StatusCode)
	}

	// The throttle's decisions are in the audit trail.
	evs, err := e.db.ListAudit(t.Context(), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	throttled := 0
	for _, ev := range evs {
		if ev.Result == "throttled" && ev.ClientIP == attacker {
			throttled++
		}
	}
	if throttled != 20 {
		t.Errorf("%d throttled events from the attacker in the audit, want 20", throttled)
	}
}

// TestE2ERefreshThrottleIsPerIP: refresh tokens are 256-bit random values;
// nobody guesses them, so failures must only slow down the IP sending bad
// ones, never every identity-token login of every user.
func TestE2ERefreshThrottleIsPerIP(t *testing.T) {
	t.Parallel()
	frozen := time.Now()
	e := newEnv(t, envOptions{trustProxy: true, now: func() time.Time { return frozen }})
	post := func(ip string, form url.Values) int {
		t.Helper()
		r := formReq(e.URL, form)
		r.Header.Set("X-Forwarded-For", ip)
		resp, _ := e.send(r)
		return resp.StatusCode
	}
	// A legitimate user gets a refresh token.
	_, tr, _ := e.postToken(url.Values{"grant_type": {"password"}, "username": {adminName}, "password": {e.adminPass}, "service": {e.Host}, "access_type": {"offline"}})
	if tr.RefreshToken == "" {
		t.Fatalf("no refresh token")
	}
	for i := range 5 {
		for j := range 10 {
			post("203.0.113."+strconv.Itoa(i), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"garbage-" + strconv.Itoa(i*10+j) + "-0123456789abcdef"}, "service": {e.Host}})
		}
	}
	if s := post("198.51.100.20", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}, "service": {e.Host}}); s != http.StatusOK {
		t.Errorf("a valid refresh token from an uninvolved IP after 50 bad ones elsewhere: %d, want 200", s)
	}
}

// TestE2EForwardedForSpoofing: behind a proxy that appends the peer to
// X-Forwarded-For (nginx's $proxy_add_x_forwarded_for, Traefik, ELB), the
// left-most entries are whatever the client sent. The client IP for
// throttling and the audit must be the hop the trusted proxy added.
func TestE2EForwardedForSpoofing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{trustProxy: true})
	const proxyAdded = "203.0.113.7" // the real client, as the proxy saw it
	counts := map[int]int{}
	for i := range 30 {
		r := mustReq(http.MethodGet, e.URL+"/token?service="+url.QueryEscape(e.Host), "")
		r.SetBasicAuth("team+nobody", "guess-"+strconv.Itoa(i)+"-0123456789")
		r.Header.Set("X-Forwarded-For", "10.9.8."+strconv.Itoa(i)+", "+proxyAdded)
		resp, _ := e.send(r)
		counts[resp.StatusCode]++
	}
	if counts[http.StatusTooManyRequests] == 0 {
		t.Errorf("30 guesses from one client with spoofed X-Forwarded-For heads: %v, want 429s after 10", counts)
	}
	evs, err := e.db.ListAudit(t.Context(), 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.ClientIP != proxyAdded {
			t.Errorf("audit client IP %q, want the proxy-added %s", ev.ClientIP, proxyAdded)
			break
		}
	}
}
