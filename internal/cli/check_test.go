package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regauth/regauth/internal/testregistry"
)

type checkReport struct {
	Steps []struct {
		Name, Status, Detail, Hint string
		Facts                      map[string]string
	}
	AuthFailure bool `json:"auth_failure"`
}

func (r checkReport) step(t *testing.T, name string) (status, detail, hint string) {
	t.Helper()
	for _, s := range r.Steps {
		if s.Name == name {
			return s.Status, s.Detail, s.Hint
		}
	}
	t.Fatalf("no step %q in %+v", name, r.Steps)
	return "", "", ""
}

func runCheck(t *testing.T, e *env, code int, a ...string) checkReport {
	t.Helper()
	r := e.run("", append([]string{"check", "-o", "json"}, a...)...)
	if r.code != code {
		t.Fatalf("check %v: exit %d, want %d\n%s%s", a, r.code, code, r.out, r.err)
	}
	var rep checkReport
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("check -o json: %v\n%s", err, r.out)
	}
	return rep
}

func TestCheckDiagnosesFaults(t *testing.T) {
	t.Parallel()
	read := func(user, repo string, requested []string) []string {
		if user != "" && strings.HasPrefix(repo, "team/") {
			return []string{"pull"}
		}
		return nil
	}
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: users, TLS: true, Permit: read})
	reg.PushRandomImage(t, "team/app", "v1")
	reg.PushRandomImage(t, "other/app", "v1")
	ca := reg.WriteCA(t, t.TempDir())
	img := reg.Host + "/team/app:v1"

	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin", "--ca-file", ca).mustSucceed(t)
		rep := runCheck(t, e, ExitOK, img, "--ca-file", ca)
		for _, s := range rep.Steps {
			if s.Status == "failed" {
				t.Errorf("step %s failed: %s", s.Name, s.Detail)
			}
		}
		r := e.run("", "check", img, "--ca-file", ca).mustSucceed(t)
		if !strings.Contains(r.out, "[ok  ] manifest") {
			t.Errorf("text report:\n%s", r.out)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.run("wrong-Pl4nted", "login", reg.Host, "-u", "alice", "--password-stdin", "--ca-file", ca, "--skip-verify").mustSucceed(t)
		rep := runCheck(t, e, ExitAuth, img, "--ca-file", ca)
		if st, _, hint := rep.step(t, "token"); st != "failed" || !strings.Contains(hint, "log in again") {
			t.Fatalf("token step: %s %s", st, hint)
		}
	})
	t.Run("no permission", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin", "--ca-file", ca).mustSucceed(t)
		rep := runCheck(t, e, ExitAuth, reg.Host+"/other/app:v1", "--ca-file", ca)
		if st, detail, _ := rep.step(t, "token"); st != "failed" || !strings.Contains(detail, "pull not allowed") {
			t.Fatalf("token step: %s %s", st, detail)
		}
		rep = runCheck(t, e, ExitAuth, img, "--ca-file", ca, "--push")
		if _, detail, _ := rep.step(t, "token"); !strings.Contains(detail, "push not allowed") {
			t.Fatalf("push check: %s", detail)
		}
	})
	t.Run("unknown CA", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		rep := runCheck(t, e, ExitError, img)
		st, _, hint := rep.step(t, "registry")
		if st != "failed" || !strings.Contains(hint, "certs.d/"+reg.Host+"/ca.crt") ||
			!strings.Contains(hint, `server = "https://`+reg.Host+`"`) || !strings.Contains(hint, `ca = "/etc/containerd/certs.d/`) {
			t.Fatalf("registry step: %s\n%s", st, hint)
		}
		if st, detail, hint := rep.step(t, "tls"); st != "warning" || !strings.Contains(detail, "127.0.0.1") || !strings.Contains(hint, "expires in less than two weeks") {
			t.Fatalf("tls step: %s %s", st, detail)
		}
		// The fix it names works: the CA in certs.d.
		dir := filepath.Join(e.etc, "docker", "certs.d", reg.Host)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		reg.WriteCA(t, dir)
		e.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin").mustSucceed(t)
		runCheck(t, e, ExitOK, img)
	})
	t.Run("credential under a key runtimes do not match", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		writeConfig(t, e.configPath(), `{"auths": {"https://`+reg.Host+`/team/other": {"auth": "YWxpY2U6UGw0bnRlZC1wdyE="}}}`)
		rep := runCheck(t, e, ExitAuth, img, "--ca-file", ca)
		if st, detail, _ := rep.step(t, "credential"); st != "warning" || !strings.Contains(detail, "near misses") {
			t.Fatalf("credential step: %s %s", st, detail)
		}
	})
	t.Run("secret file", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		src := newEnv(t)
		src.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin", "--ca-file", ca).mustSucceed(t)
		secret := src.runSecret("", "export", "-f", "kubesecret").mustSucceed(t).out
		path := t.TempDir() + "/regcred.yaml"
		writeConfig(t, path, secret)
		runCheck(t, e, ExitOK, img, "--ca-file", ca, "--secret", path)
	})
}

func TestCheckPlainHTTPAndSkew(t *testing.T) {
	t.Parallel()
	plain := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthHtpasswd, Users: users})
	e := newEnv(t)
	rep := runCheck(t, e, ExitError, plain.Host+"/app:v1")
	if st, _, hint := rep.step(t, "registry"); st != "failed" || !strings.Contains(hint, "--insecure") {
		t.Fatalf("plain HTTP: %s %s", st, hint)
	}
	skewed := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: users, TokenNotBefore: 10 * time.Minute})
	skewed.PushRandomImage(t, "app", "v1")
	e.run(pw, "login", skewed.Host, "-u", "alice", "--password-stdin", "--insecure", "--skip-verify").mustSucceed(t)
	rep = runCheck(t, e, ExitError, skewed.Host+"/app:v1", "--insecure")
	if st, detail, hint := rep.step(t, "token"); st != "failed" || !strings.Contains(detail, "not valid for another") || !strings.Contains(hint, "NTP") {
		t.Fatalf("skew: %s %s %s", st, detail, hint)
	}
	down := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: users, TokenServerDown: true})
	rep = runCheck(t, e, ExitError, down.Host+"/app:v1", "--insecure")
	if st, detail, _ := rep.step(t, "token"); st != "failed" || !strings.Contains(detail, "token") {
		t.Fatalf("token server down: %s %s", st, detail)
	}
}

// A registry answering 429 with Docker Hub's rate-limit headers: the
// manifest step shows them and explains.
func TestCheckRateLimited(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	reg.PushRandomImage(t, "library/app", "v1")
	target, _ := url.Parse(reg.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/manifests/") {
			w.Header().Set("RateLimit-Limit", "100;w=21600")
			w.Header().Set("RateLimit-Remaining", "0;w=21600")
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(limited.Close)
	host := strings.TrimPrefix(limited.URL, "http://")
	rep := runCheck(t, newEnv(t), ExitError, host+"/library/app:v1", "--insecure")
	for _, s := range rep.Steps {
		if s.Name == "manifest" {
			if s.Status != "failed" || s.Facts["ratelimit-remaining"] != "0;w=21600" || !strings.Contains(s.Hint, "Retry-After") {
				t.Fatalf("manifest step: %+v", s)
			}
			return
		}
	}
	t.Fatal("no manifest step")
}

func TestCheckTokenServerTimesOut(t *testing.T) {
	t.Parallel()
	slow := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: users, TokenDelay: time.Hour})
	e := newEnv(t)
	e.run(pw, "login", slow.Host, "-u", "alice", "--password-stdin", "--insecure", "--skip-verify").mustSucceed(t)
	rep := runCheck(t, e, ExitError, slow.Host+"/app:v1", "--insecure", "--timeout", "2s")
	if st, detail, hint := rep.step(t, "token"); st != "failed" || !strings.Contains(detail, "did not answer in time") || !strings.Contains(hint, "realm") {
		t.Fatalf("token step: %s %s %s", st, detail, hint)
	}
}
