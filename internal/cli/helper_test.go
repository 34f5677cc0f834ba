package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// regauth serving the protocol: text in, text out, exactly as docker reads it.
func TestServeHelperProtocol(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"regauth", HelperName} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			call := func(stdin string, a ...string) result {
				if name == "regauth" {
					a = append([]string{"credential-helper"}, a...)
				}
				return e.runAs(name, true, stdin, a...)
			}
			steps := []struct {
				stdin, action, out string
				code               int
			}{
				{"quay.io\n", "get", "credentials not found in native keychain\n", 1},
				{`{"ServerURL":"quay.io","Username":"alice","Secret":"s3"}`, "store", "", 0},
				{`{"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"idt"}`, "store", "", 0},
				{"quay.io\n", "get", `{"ServerURL":"quay.io","Username":"alice","Secret":"s3"}` + "\n", 0},
				{"https://index.docker.io/v1/", "get", `{"ServerURL":"https://index.docker.io/v1/","Username":"\u003ctoken\u003e","Secret":"idt"}` + "\n", 0},
				{"", "list", `{"https://index.docker.io/v1/":"\u003ctoken\u003e","quay.io":"alice"}` + "\n", 0},
				{"quay.io", "erase", "", 0},
				{"quay.io", "get", "credentials not found in native keychain\n", 1},
				{"", "get", "no credentials server URL\n", 1},
				{"", "frobnicate", "", 1},
			}
			for _, s := range steps {
				r := call(s.stdin, s.action)
				if r.code != s.code || (s.out != "" && r.out != s.out) {
					t.Fatalf("%s %q: exit %d stdout %q stderr %q; want exit %d stdout %q", s.action, s.stdin, r.code, r.out, r.err, s.code, s.out)
				}
			}
			// What the helper stored lives in regauth's own file, 0600.
			own := filepath.Join(e.home, ".config", "regauth", "credentials.json")
			if st, err := os.Stat(own); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("own store %s: %v %v", own, st, err)
			}
		})
	}
	t.Run("wrong argument count", func(t *testing.T) {
		t.Parallel()
		r := newEnv(t).runAs(HelperName, true, "", "get", "extra")
		if r.code != 1 || !strings.HasPrefix(r.out, "Usage: docker-credential-regauth") {
			t.Fatalf("exit %d out %q", r.code, r.out)
		}
	})
}

// config.json delegating to an external helper: login stores there, get and
// list read through it, logout erases it.
func TestExternalHelperCredsStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	helperFile := e.installFakeHelper()
	writeConfig(t, e.configPath(), `{"credsStore": "test", "proxies": {"default": {"httpProxy": "http://proxy:3128"}}}`)

	e.run(pw, "login", "quay.io", "-u", "alice", "--password-stdin", "--skip-verify").mustSucceed(t)
	cfg := readFile(t, e.configPath())
	if strings.Contains(cfg, `"auth"`) || !strings.Contains(cfg, `"quay.io": {}`) || !strings.Contains(cfg, "http://proxy:3128") {
		t.Fatalf("config after helper login:\n%s", cfg)
	}
	if h := readFile(t, helperFile); !strings.Contains(h, "alice") {
		t.Fatalf("helper did not receive the credential: %s", h)
	}
	r := e.runSecret("", "get", "quay.io/org/app", "--show-secret").mustSucceed(t)
	if !strings.Contains(r.out, "secret:    "+pw) || !strings.Contains(r.out, "docker-credential-test") {
		t.Fatalf("get through helper:\n%s", r.out)
	}
	// A host with no key: docker asks the credsStore anyway, so do we.
	e.runSecret(`{"ServerURL":"ghcr.io","Username":"bob","Secret":"x"}`, "credential-helper", "store").mustSucceed(t) // into regauth's own file, not the fake
	if got := e.run("", "list").mustSucceed(t).out; !strings.Contains(got, "quay.io") || !strings.Contains(got, "alice") {
		t.Fatalf("list:\n%s", got)
	}
	e.run("", "logout", "quay.io").mustSucceed(t)
	if h := readFile(t, helperFile); strings.Contains(h, "alice") {
		t.Fatalf("logout left the credential in the helper: %s", h)
	}
	if cfg := readFile(t, e.configPath()); strings.Contains(cfg, "quay.io") {
		t.Fatalf("logout left the placeholder:\n%s", cfg)
	}
}

func TestExternalHelperCredHelpers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.installFakeHelper()
	writeConfig(t, e.configPath(), `{"credHelpers": {"gcr.io": "test"}, "auths": {"quay.io": {"auth": "cTpx"}}}`)
	e.run(pw, "login", "gcr.io", "-u", "_json_key", "--password-stdin", "--skip-verify").mustSucceed(t)
	r := e.runSecret("", "get", "gcr.io/proj/app", "-o", "json", "--show-secret").mustSucceed(t)
	if !strings.Contains(r.out, `"helper": "test"`) || !strings.Contains(r.out, pw) {
		t.Fatalf("get:\n%s", r.out)
	}
	// Unrelated inline entry still resolves inline.
	if r := e.run("", "get", "quay.io/x/y").mustSucceed(t); !strings.Contains(r.out, "username:  q") {
		t.Fatalf("inline entry:\n%s", r.out)
	}
}

// A missing helper is an error naming the binary and the key, never anonymous.
func TestMissingHelper(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	writeConfig(t, e.configPath(), `{"credsStore": "nope"}`)
	e.run("", "get", "quay.io/org/app").mustFail(t, ExitError, "docker-credential-nope", "credsStore", "hint:")
	writeConfig(t, e.configPath(), `{"credHelpers": {"gcr.io": "gone"}}`)
	e.run("", "get", "gcr.io/p/a").mustFail(t, ExitError, "docker-credential-gone", `credHelpers["gcr.io"]`)
	e.run(pw, "login", "gcr.io", "-u", "x", "--password-stdin", "--skip-verify").mustFail(t, ExitError, "docker-credential-gone")
}

// "credsStore": "regauth": docker hands secrets to regauth, which keeps them
// in its own file and answers with its own matching rules.
func TestSelfCredsStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	writeConfig(t, e.configPath(), `{"credsStore": "regauth"}`)
	e.run(pw, "login", "registry.example.com/team", "-u", "alice", "--password-stdin", "--skip-verify").mustSucceed(t)
	if cfg := readFile(t, e.configPath()); strings.Contains(cfg, `"auth"`) {
		t.Fatalf("secret written inline despite credsStore:\n%s", cfg)
	}
	r := e.runSecret("", "get", "registry.example.com/team/app", "--show-secret").mustSucceed(t)
	if !strings.Contains(r.out, pw) {
		t.Fatalf("get:\n%s", r.out)
	}
	e.run("", "get", "registry.example.com/other/app").mustFail(t, ExitError, "outside it")
}

// podman's auth.json files are read after docker's, with namespace keys.
func TestPodmanAuthFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := filepath.Join(e.home, "run")
	e.vars["XDG_RUNTIME_DIR"] = run
	writeConfig(t, filepath.Join(run, "containers", "auth.json"), `{"auths": {"registry.example.com/team": {"auth": "dGVhbTp4"}}}`)
	writeConfig(t, filepath.Join(e.home, ".config", "containers", "auth.json"), `{"auths": {"registry.example.com": {"auth": "aG9zdDp5"}, "quay.io": {"auth": "cG9kOno="}}}`)
	writeConfig(t, e.configPath(), `{"auths": {"quay.io": {"auth": "ZG9jOnc="}}}`)
	for ref, user := range map[string]string{
		"registry.example.com/team/app": "team",
		"registry.example.com/else/app": "host",
		"quay.io/a/b":                   "doc",
	} {
		if r := e.run("", "get", ref).mustSucceed(t); !strings.Contains(r.out, "username:  "+user) {
			t.Errorf("get %s:\n%s", ref, r.out)
		}
	}
	out := e.run("", "list").mustSucceed(t).out
	if !strings.Contains(out, "[shadowed]") {
		t.Errorf("podman's quay.io entry should be listed as shadowed:\n%s", out)
	}
	x := e.run("", "get", "registry.example.com", "--explain").mustSucceed(t).out
	if !strings.Contains(x, "only the host was asked for") {
		t.Errorf("explain:\n%s", x)
	}
}

func TestLoginKeepsUnknownFieldsAndAliases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	writeConfig(t, e.configPath(), `{"auths": {"docker.io": {"auth": "b2xkOnB3", "email": "a@b.c", "x-extra": [1, 2]}}, "psFormat": "{{.ID}}", "plugins": {"x": {"y": "z"}}}`)
	e.run(pw, "login", "-u", "alice", "--password-stdin", "--skip-verify").mustSucceed(t)
	cfg := readFile(t, e.configPath())
	for _, want := range []string{`"https://index.docker.io/v1/"`, `"email": "a@b.c"`, `"x-extra"`, `"psFormat": "{{.ID}}"`, `"plugins"`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lost %s:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, `"docker.io"`) {
		t.Errorf("alias key kept beside the canonical one:\n%s", cfg)
	}
}

func TestLoginFileRefusedBesideCredsStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	writeConfig(t, e.configPath(), `{"credsStore": "desktop"}`)
	e.run(pw, "login", "ghcr.io", "-u", "a", "--password-stdin", "--skip-verify", "--store", "file").mustFail(t, ExitError, "docker ignores inline secrets", "hint: drop --store file")
}

// After the host key goes, docker would use a path key for the whole host.
func TestLogoutWarnsAboutHostWidePathKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.run(pw, "login", "registry.example.com", "-u", "a", "--password-stdin", "--skip-verify").mustSucceed(t)
	r := e.run(pw, "login", "registry.example.com/team", "-u", "t", "--password-stdin", "--skip-verify").mustSucceed(t)
	if strings.Contains(r.err, "every repository") {
		t.Fatalf("note while the host key exists:\n%s", r.err)
	}
	r = e.run("", "logout", "registry.example.com").mustSucceed(t)
	if !strings.Contains(r.err, `credential of "registry.example.com/team" to every repository on registry.example.com`) {
		t.Fatalf("logout note:\n%s", r.err)
	}
}

func TestConfigErrorsHaveHints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	e.run("", "--config", dir, "list").mustFail(t, ExitError, "hint: --config and REGISTRY_AUTH_FILE name the file itself")
	bad := filepath.Join(dir, "config.json")
	writeConfig(t, bad, `{"auths": {"quay.io": {"auth": 42}}}`)
	e.run("", "--config", bad, "get", "quay.io").mustFail(t, ExitError, `auths["quay.io"].auth`, "hint: fix the file", "regauth lint")
	e.run(pw, "--config", bad, "login", "quay.io", "-u", "a", "--password-stdin", "--skip-verify").mustFail(t, ExitError)
	if got := readFile(t, bad); got != `{"auths": {"quay.io": {"auth": 42}}}` {
		t.Fatalf("a file that does not parse was rewritten:\n%s", got)
	}
}

// What docker stored through the helper protocol is visible to get and list
// even before config.json names regauth.
func TestOwnStoreVisibleToGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runSecret(`{"ServerURL":"registry:5000","Username":"compose","Secret":"x"}`, "credential-helper", "store").mustSucceed(t)
	if r := e.run("", "get", "registry:5000/app").mustSucceed(t); !strings.Contains(r.out, "compose") || !strings.Contains(r.out, "(regauth)") {
		t.Fatalf("get:\n%s", r.out)
	}
	if r := e.runSecret("registry:5000", "credential-helper", "get").mustSucceed(t); !strings.Contains(r.out, `"Username":"compose"`) {
		t.Fatalf("helper get of a dot-less host:\n%s", r.out)
	}
	if r := e.run("", "get", "node:20").mustFail(t, ExitError); !strings.Contains(r.err, "docker.io/library/node") {
		t.Fatalf("node:20 is an image:\n%s", r.err)
	}
}
