package server_test

// End-to-end tests: a REAL distribution v3 registry configured for token
// auth against regauth's token server, driven by go-containerregistry (the
// client library crane, ko and many CI tools use) and by regauth's own
// registry.Client (what `regauth login` runs).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/registry"
	"github.com/regauth/regauth/server"
	"github.com/regauth/regauth/server/model"
)

// TestE2ERegistry runs the robot story against a registry trusting the
// token server's keys in both of distribution's ways.
func TestE2ERegistry(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{modeRootCertBundle, modeJWKS} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			// A generous throttle: this story fails logins on purpose from
			// one IP; throttling has its own tests.
			e := newEnv(t, envOptions{mode: mode, throttle: &server.Throttle{Threshold: 1000}})
			robotStory(t, e)
			rotationStory(t, e)
			loginStory(t, e)
			checkAudit(t, e)
			checkLogs(t, e)
		})
	}
}

func robotStory(t *testing.T, e *env) {
	admin := basic(adminName, e.adminPass)
	if _, err := e.push("other/app", admin); err != nil {
		t.Fatalf("admin push other/app: %v", err)
	}

	writerSecret := e.createRobot("team+writer", "", perm{"team/*", model.Write})
	readerSecret := e.createRobot("team+reader", "", perm{"team/*", model.Read})
	writer, reader := basic("team+writer", writerSecret), basic("team+reader", readerSecret)

	img, err := e.push("team/app", writer)
	if err != nil {
		t.Fatalf("writer push team/app: %v", err)
	}
	want, _ := img.Digest()
	got, err := e.pull("team/app", writer)
	if err != nil {
		t.Fatalf("writer pull team/app: %v", err)
	}
	if got != want {
		t.Errorf("writer pulled %s, pushed %s", got, want)
	}

	// Outside its pattern the robot gets an empty grant, which the
	// registry refuses.
	_, err = e.push("other/app", writer)
	wantRegistryRefused(t, "writer push other/app", err)
	_, err = e.pull("other/app", writer)
	wantRegistryRefused(t, "writer pull other/app", err)
	checkInsufficientScope(t, e, "team+writer", writerSecret, "other/app")
	// team/* is one level: team/sub/app is outside it.
	_, err = e.push("team/sub/app", writer)
	wantRegistryRefused(t, "writer push team/sub/app", err)

	// write is pull+push: no delete.
	digestRef := e.ref("team/app", "v1").Context().Digest(want.String())
	err = remote.Delete(digestRef, e.remoteOpts(writer)...)
	wantRegistryRefused(t, "writer delete team/app", err)
	checkInsufficientScopeDelete(t, e, "team+writer", writerSecret, "team/app", want.String())

	// read is pull only.
	_, err = e.push("team/app2", reader)
	wantRegistryRefused(t, "reader push team/app2", err)
	if got, err := e.pull("team/app", reader); err != nil || got != want {
		t.Errorf("reader pull team/app: %s, %v; want %s", got, err, want)
	}

	// Regenerate: the old secret fails at once, the new one works.
	newSecret := e.regenerate("team+writer")
	_, err = e.pull("team/app", writer)
	wantRefused(t, "pull with the old secret after regenerate", err)
	if _, err := e.pull("team/app", basic("team+writer", newSecret)); err != nil {
		t.Errorf("pull with the regenerated secret: %v", err)
	}

	// Disable, then enable again.
	e.admin(http.MethodPatch, "/api/v1/robots/team+reader", map[string]any{"disabled": true}, http.StatusOK)
	_, err = e.pull("team/app", reader)
	wantRefused(t, "disabled robot pull", err)
	e.admin(http.MethodPatch, "/api/v1/robots/team+reader", map[string]any{"disabled": false}, http.StatusOK)
	if _, err := e.pull("team/app", reader); err != nil {
		t.Errorf("re-enabled robot pull: %v", err)
	}

	// Expiry: created already expired, and expired later through PATCH.
	oldSecret := e.createRobot("team+old", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), perm{"team/*", model.Read})
	_, err = e.pull("team/app", basic("team+old", oldSecret))
	wantRefused(t, "robot created expired", err)
	tempSecret := e.createRobot("team+temp", time.Now().Add(time.Hour).UTC().Format(time.RFC3339), perm{"team/*", model.Read})
	if _, err := e.pull("team/app", basic("team+temp", tempSecret)); err != nil {
		t.Errorf("robot before its expiry: %v", err)
	}
	e.admin(http.MethodPatch, "/api/v1/robots/team+temp", map[string]any{"expires_at": "2001-02-03T04:05:06Z"}, http.StatusOK)
	_, err = e.pull("team/app", basic("team+temp", tempSecret))
	wantRefused(t, "robot expired by PATCH", err)

	// An admin (the admin role) may delete what the writer could not.
	if err := remote.Delete(digestRef, e.remoteOpts(admin)...); err != nil {
		t.Errorf("admin delete team/app: %v", err)
	}
}

// rotationStory: the registry was given the next key with the signing key,
// so after a rotation through the admin API tokens signed with the new key
// verify at once, without touching the registry.
func rotationStory(t *testing.T, e *env) {
	var before, after []struct {
		Kid   string `json:"kid"`
		State string `json:"state"`
	}
	if err := json.Unmarshal(e.admin(http.MethodGet, "/api/v1/keys", nil, http.StatusOK), &before); err != nil {
		t.Fatalf("keys: %v", err)
	}
	if err := json.Unmarshal(e.admin(http.MethodPost, "/api/v1/keys/rotate", nil, http.StatusOK), &after); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if len(before) == 0 || len(after) <= len(before) || after[0].Kid == before[0].Kid || after[0].State != "signing" {
		t.Fatalf("rotate: %d keys before, %d after, signing key changed %v", len(before), len(after), len(after) > 0 && len(before) > 0 && after[0].Kid != before[0].Kid)
	}
	secret := e.createRobot("team+rotated", "", perm{"team/*", model.Write})
	resp, tr := e.getToken("team+rotated", secret, url.Values{"service": {e.Host}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token after rotation: %d", resp.StatusCode)
	}
	if c := e.verifyJWT(tr.Token); c.Sub != "team+rotated" {
		t.Errorf("token after rotation: sub %q", c.Sub)
	}
	if _, err := e.push("team/rotated", basic("team+rotated", secret)); err != nil {
		t.Errorf("push with a token signed by the rotated-in key: %v", err)
	}
}

// checkInsufficientScope asks for a token the way docker does and shows it
// to the registry: the token is issued (a partial grant is not an error)
// with no actions on repo, and the registry answers insufficient_scope.
func checkInsufficientScope(t *testing.T, e *env, robot, secret, repo string) {
	t.Helper()
	resp, tr := e.getToken(robot, secret, url.Values{"service": {e.Host}, "scope": {"repository:" + repo + ":pull,push"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token for %s: status %d", repo, resp.StatusCode)
	}
	if acts := e.verifyJWT(tr.Token).access()["repository:"+repo]; acts != "" {
		t.Errorf("token for %s grants %q, want nothing", repo, acts)
	}
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/v2/"+repo+"/tags/list", nil)
	req.Header.Set("Authorization", "Bearer "+tr.Token)
	r, _ := e.send(req)
	if ch := r.Header.Get("WWW-Authenticate"); r.StatusCode != http.StatusUnauthorized || !strings.Contains(ch, `error="insufficient_scope"`) {
		t.Errorf("registry with an empty grant on %s: %d %q, want 401 insufficient_scope", repo, r.StatusCode, ch)
	}
}

func checkInsufficientScopeDelete(t *testing.T, e *env, robot, secret, repo, digest string) {
	t.Helper()
	resp, tr := e.getToken(robot, secret, url.Values{"service": {e.Host}, "scope": {"repository:" + repo + ":delete,pull"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token for delete on %s: status %d", repo, resp.StatusCode)
	}
	if acts := e.verifyJWT(tr.Token).access()["repository:"+repo]; acts != "pull" {
		t.Errorf("delete token for %s grants %q, want pull only", repo, acts)
	}
	req, _ := http.NewRequest(http.MethodDelete, e.URL+"/v2/"+repo+"/manifests/"+digest, nil)
	req.Header.Set("Authorization", "Bearer "+tr.Token)
	r, _ := e.send(req)
	if ch := r.Header.Get("WWW-Authenticate"); r.StatusCode != http.StatusUnauthorized || !strings.Contains(ch, `error="insufficient_scope"`) {
		t.Errorf("registry delete with a pull-only token: %d %q, want 401 insufficient_scope", r.StatusCode, ch)
	}
}

// loginStory is `regauth login` against the registry: the password buys an
// identity (refresh) token, which logs in alone until the password changes.
func loginStory(t *testing.T, e *env) {
	c := &registry.Client{HTTP: e.client, Insecure: true, UserAgent: "regauth-e2e"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	res, err := c.Login(ctx, e.Host, credential.Credential{Username: adminName, Password: e.adminPass})
	if err != nil {
		t.Fatalf("login with password: %v", err)
	}
	if res.Auth != "bearer" || res.TokenMethod != "oauth2" || res.IdentityToken == "" {
		t.Fatalf("login: auth %q, method %q, identity token present %v; want bearer, oauth2, true", res.Auth, res.TokenMethod, res.IdentityToken != "")
	}
	idTok := res.IdentityToken
	e.secrets.add(idTok)

	if _, err := c.Login(ctx, e.Host, credential.Credential{Username: adminName, IdentityToken: idTok}); err != nil {
		t.Fatalf("login with the identity token: %v", err)
	}
	// go-containerregistry uses an identity token through the OAuth2
	// refresh grant: the same token pulls.
	if _, err := e.pull("other/app", authn.FromConfig(authn.AuthConfig{Username: adminName, IdentityToken: idTok})); err != nil {
		t.Errorf("pull with the identity token: %v", err)
	}

	newPass := e.newSecret()
	e.admin(http.MethodPatch, "/api/v1/users/"+adminName, map[string]any{"password": newPass}, http.StatusOK)
	oldPass := e.adminPass
	e.adminPass = newPass

	_, err = c.Login(ctx, e.Host, credential.Credential{Username: adminName, IdentityToken: idTok})
	if !errors.Is(err, registry.ErrUnauthorized) {
		t.Errorf("login with the identity token after a password change: %v, want unauthorized", err)
	}
	_, err = c.Login(ctx, e.Host, credential.Credential{Username: adminName, Password: oldPass})
	if !errors.Is(err, registry.ErrUnauthorized) {
		t.Errorf("login with the old password: %v, want unauthorized", err)
	}
	if _, err := c.Login(ctx, e.Host, credential.Credential{Username: adminName, Password: newPass}); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
}

// checkAudit: every token decision is in the audit trail, with who and
// from where, and no secret anywhere in it.
func checkAudit(t *testing.T, e *env) {
	t.Helper()
	evs, err := e.db.ListAudit(context.Background(), 1000, 0)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	type want struct {
		name  string
		match func(ev model.AuditEvent) bool
	}
	wants := []want{
		{"writer granted push on team/app", func(ev model.AuditEvent) bool {
			return ev.Account == "robot:team+writer" && ev.Result == "granted" && strings.Contains(ev.Granted, "repository:team/app:") && strings.Contains(ev.Granted, "push")
		}},
		{"writer's request for other/app granted nothing", func(ev model.AuditEvent) bool {
			return ev.Account == "robot:team+writer" && strings.Contains(ev.Requested, "repository:other/app:") && !strings.Contains(ev.Granted, "other/app")
		}},
		{"writer's delete request granted pull only", func(ev model.AuditEvent) bool {
			return ev.Account == "robot:team+writer" && strings.Contains(ev.Requested, "delete") && !strings.Contains(ev.Granted, "delete")
		}},
		{"old secret refused", func(ev model.AuditEvent) bool {
			return ev.Account == "tried:team+writer" && ev.Result == "wrong-secret"
		}},
		{"disabled robot refused", func(ev model.AuditEvent) bool {
			return ev.Account == "tried:team+reader" && ev.Result == "disabled"
		}},
		{"expired robot refused", func(ev model.AuditEvent) bool {
			return ev.Account == "tried:team+old" && ev.Result == "expired"
		}},
		{"revoked refresh token refused", func(ev model.AuditEvent) bool {
			return strings.HasPrefix(ev.Result, "refresh-") || ev.Result == "invalid-refresh-token"
		}},
		{"admin login with refresh token", func(ev model.AuditEvent) bool {
			return ev.Account == "user:admin" && ev.Result == "granted"
		}},
	}
	for _, w := range wants {
		found := false
		for _, ev := range evs {
			if w.match(ev) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("audit: no event for %s", w.name)
		}
	}
	var all strings.Builder
	for _, ev := range evs {
		if ev.ClientIP != "127.0.0.1" {
			t.Errorf("audit event %d: client IP %q, want 127.0.0.1", ev.ID, ev.ClientIP)
		}
		if ev.Account == "" || ev.Result == "" || ev.Time.IsZero() {
			t.Errorf("audit event %d: account %q, result %q, time %v: want all set", ev.ID, ev.Account, ev.Result, ev.Time)
		}
		fmt.Fprintf(&all, "%+v\n", ev)
	}
	if n := e.secrets.leaked(all.String()); n > 0 {
		t.Errorf("audit trail holds %d secrets (of %d known)", n, len(e.secrets.all()))
	}
	// The same trail through the admin API.
	var api []map[string]any
	b := e.admin(http.MethodGet, "/api/v1/audit?limit=1000", nil, http.StatusOK)
	if err := json.Unmarshal(b, &api); err != nil {
		t.Fatalf("audit API: %v", err)
	}
	if len(api) < len(evs) {
		t.Errorf("audit API lists %d events, the store %d", len(api), len(evs))
	}
	if n := e.secrets.leaked(string(b)); n > 0 {
		t.Errorf("audit API answer holds %d secrets", n)
	}
	if len(e.secrets.all()) < 10 {
		t.Errorf("only %d secrets recorded: the leak check would prove little", len(e.secrets.all()))
	}
}

// checkLogs: the server's structured log records the decisions and never a
// secret.
func checkLogs(t *testing.T, e *env) {
	t.Helper()
	logs := e.logs.String()
	if !strings.Contains(logs, `"account":"robot:team+writer"`) || !strings.Contains(logs, `"client_ip":"127.0.0.1"`) {
		t.Errorf("server log lacks token decisions with account and client IP")
	}
	if n := e.secrets.leaked(logs); n > 0 {
		t.Errorf("server log holds %d secrets", n)
	}
	// Nor do metrics carry secrets (or account names) in labels.
	resp, metrics := e.do(http.MethodGet, "/metrics", "", "", nil)
	if resp.StatusCode != http.StatusOK || e.secrets.leaked(string(metrics)) > 0 || strings.Contains(string(metrics), "team+writer") {
		t.Errorf("/metrics: status %d; must hold neither secrets nor account names", resp.StatusCode)
	}
	if resp, _ := e.do(http.MethodGet, "/healthz", "", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", resp.StatusCode)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("server log line is not JSON")
			break
		}
	}
}

// TestE2ERobotConfig: the ready-made credentials a robot downloads work
// with real clients.
func TestE2ERobotConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{mode: modeJWKS})
	secret := e.createRobot("team+cfg", "", perm{"team/**", model.Write})
	otherSecret := e.createRobot("team+other", "", perm{"team/**", model.Read})
	path := "/api/v1/robots/team+cfg/config"

	t.Run("dockerconfig", func(t *testing.T) {
		resp, b := e.do(http.MethodGet, path+"?format=dockerconfig", "team+cfg", secret, nil)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store (the answer holds a secret)", cc)
		}
		entry := dockerEntry(t, b, e.Host)
		if entry.Username != "team+cfg" || entry.Password != secret {
			t.Errorf("config.json entry: user %q, password matches %v", entry.Username, entry.Password == secret)
		}
		if _, err := e.push("team/cfg/app", authn.FromConfig(entry)); err != nil {
			t.Errorf("push with the downloaded config.json: %v", err)
		}
	})
	t.Run("kubesecret", func(t *testing.T) {
		resp, b := e.do(http.MethodGet, path+"?format=kubesecret&name=pull", "team+cfg", secret, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, apiCode(b))
		}
		var s corev1.Secret
		if err := yaml.UnmarshalStrict(b, &s); err != nil {
			t.Fatalf("not a Kubernetes object: %v", err)
		}
		if s.Kind != "Secret" || s.APIVersion != "v1" || s.Type != corev1.SecretTypeDockerConfigJson || s.Name != "pull" {
			t.Errorf("got %s/%s %q of type %q, want v1/Secret \"pull\" of type %q", s.APIVersion, s.Kind, s.Name, s.Type, corev1.SecretTypeDockerConfigJson)
		}
		data := s.Data[corev1.DockerConfigJsonKey]
		if data == nil && s.StringData != nil {
			data = []byte(s.StringData[corev1.DockerConfigJsonKey])
		}
		entry := dockerEntry(t, data, e.Host)
		if _, err := e.pull("team/cfg/app", authn.FromConfig(entry)); err != nil {
			t.Errorf("pull with the Secret's credentials: %v", err)
		}
	})
	t.Run("login", func(t *testing.T) {
		resp, b := e.do(http.MethodGet, path+"?format=login", "team+cfg", secret, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "--password-stdin") || !strings.Contains(string(b), e.Host) {
			t.Errorf("login format: status %d, missing --password-stdin or the registry host", resp.StatusCode)
		}
	})
	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			name, format, user, pass string
			want                     int
		}{
			{"anonymous", "dockerconfig", "", "", http.StatusUnauthorized},
			{"wrong secret", "dockerconfig", "team+cfg", otherSecret, http.StatusUnauthorized},
			{"admin user", "dockerconfig", adminName, e.adminPass, http.StatusForbidden},
			{"another robot", "dockerconfig", "team+other", otherSecret, http.StatusForbidden},
			{"unknown format", "nope", "team+cfg", secret, http.StatusBadRequest},
		} {
			resp, b := e.do(http.MethodGet, path+"?format="+tc.format, tc.user, tc.pass, nil)
			if resp.StatusCode != tc.want {
				t.Errorf("%s: status %d (%s), want %d", tc.name, resp.StatusCode, apiCode(b), tc.want)
			}
			if n := e.secrets.leaked(string(b)); n > 0 {
				t.Errorf("%s: refusal carries a secret", tc.name)
			}
		}
	})
}

// dockerEntry finds host's entry in a docker config.json.
func dockerEntry(t *testing.T, b []byte, host string) authn.AuthConfig {
	t.Helper()
	var cfg struct {
		Auths map[string]authn.AuthConfig `json:"auths"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("not a config.json: %v", err)
	}
	entry, ok := cfg.Auths[host]
	if !ok {
		keys := make([]string, 0, len(cfg.Auths))
		for k := range cfg.Auths {
			keys = append(keys, k)
		}
		t.Fatalf("config.json has entries %q, want one for %s", keys, host)
	}
	return entry
}

// TestE2EUnusableCredentialsLookAlike: a client cannot tell an unknown robot
// from a wrong secret, a disabled or an expired robot.
func TestE2EUnusableCredentialsLookAlike(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{throttle: &server.Throttle{Threshold: 1000}})
	good := e.createRobot("team+a", "", perm{"team/*", model.Read})
	dis := e.createRobot("team+b", "", perm{"team/*", model.Read})
	e.admin(http.MethodPatch, "/api/v1/robots/team+b", map[string]any{"disabled": true}, http.StatusOK)
	exp := e.createRobot("team+c", "2001-01-01T00:00:00Z", perm{"team/*", model.Read})

	var bodies []string
	for _, c := range [][2]string{{"team+a", dis}, {"team+nobody", good}, {"team+b", dis}, {"team+c", exp}} {
		req, _ := http.NewRequest(http.MethodGet, e.URL+"/token?service="+url.QueryEscape(e.Host), nil)
		req.SetBasicAuth(c[0], c[1])
		resp, b := e.send(req)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", c[0], resp.StatusCode)
		}
		bodies = append(bodies, string(b))
	}
	for i := 1; i < len(bodies); i++ {
		if bodies[i] != bodies[0] {
			t.Errorf("refusal %d differs from refusal 0: clients could tell why", i)
		}
	}
}
