package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// export resolves helper-held secrets, so the output stands alone.
func TestExportFlattensHelpers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.installFakeHelper()
	writeConfig(t, e.configPath(), `{"credHelpers": {"gcr.io": "test"}, "auths": {"quay.io": {"auth": "cTpx", "email": "q@example.com"}}}`)
	e.run(pw, "login", "gcr.io", "-u", "_json_key", "--password-stdin", "--skip-verify").mustSucceed(t)

	r := e.runSecret("", "export").mustSucceed(t)
	var cfg struct {
		Auths       map[string]map[string]string
		CredHelpers map[string]string
	}
	if err := json.Unmarshal([]byte(r.out), &cfg); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	if cfg.Auths["gcr.io"]["auth"] == "" || cfg.CredHelpers != nil || cfg.Auths["quay.io"]["email"] != "q@example.com" {
		t.Fatalf("export not flattened:\n%s", r.out)
	}
	kept := e.run("", "export", "--keep-helpers").mustSucceed(t).out
	if !strings.Contains(kept, `"gcr.io": "test"`) || strings.Contains(kept, pw) {
		t.Fatalf("--keep-helpers:\n%s", kept)
	}

	out := filepath.Join(t.TempDir(), "sub", "one.json")
	e.run("", "export", "-r", "quay.io/org/app", "-f", "dockercfg", "-o", out).mustSucceed(t)
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v %v", st, err)
	}
	if got := readFile(t, out); !strings.Contains(got, `"quay.io"`) || strings.Contains(got, "gcr.io") {
		t.Fatalf("-r selection:\n%s", got)
	}
	e.run("", "export", "-r", "ghcr.io").mustFail(t, ExitError, "no credential for ghcr.io")
	e.run("", "export", "-f", "nope").mustFail(t, ExitUsage, "unknown format")
}

func TestImportConvertRoundTrip(t *testing.T) {
	t.Parallel()
	src := newEnv(t)
	src.run(pw, "login", "registry.example.com:5000", "-u", "alice", "--password-stdin", "--skip-verify").mustSucceed(t)
	src.run("tok-Pl4nted", "login", "quay.io", "-u", "robot", "--password-stdin", "--skip-verify").mustSucceed(t)
	legacy := src.runSecret("", "export", "-f", "dockercfg").mustSucceed(t).out

	dst := newEnv(t)
	writeConfig(t, dst.configPath(), `{"auths": {"ghcr.io": {"auth": "Z2g6eA=="}}, "detachKeys": "ctrl-e,e"}`)
	r := dst.run(legacy, "import", "-").mustSucceed(t)
	if !strings.Contains(r.out, "registry.example.com:5000 (alice)") || !strings.Contains(r.err, "imported 2 credential(s)") {
		t.Fatalf("import output:\n%s\n%s", r.out, r.err)
	}
	got := readFile(t, dst.configPath())
	for _, want := range []string{"ghcr.io", "registry.example.com:5000", "quay.io", `"detachKeys": "ctrl-e,e"`} {
		if !strings.Contains(got, want) {
			t.Errorf("after import the config lacks %s:\n%s", want, got)
		}
	}
	if r := dst.run("", "get", "registry.example.com:5000/app").mustSucceed(t); !strings.Contains(r.out, "alice") {
		t.Fatalf("imported credential not found:\n%s", r.out)
	}

	in := filepath.Join(t.TempDir(), "legacy.cfg")
	writeConfig(t, in, legacy)
	conv := dst.runSecret("", "convert", "--to", "dockerconfig", in).mustSucceed(t).out
	if !strings.Contains(conv, `"auths"`) || !strings.Contains(conv, "quay.io") {
		t.Fatalf("convert:\n%s", conv)
	}
	dst.run("", "convert", in).mustFail(t, ExitUsage, "--to is required")
	dst.run("{}", "import", "-").mustFail(t, ExitUsage, "cannot tell the format")
	dst.run(`{"auths":{"q.io":{"auth":"%%"}}}`, "import", "-").mustFail(t, ExitError, `auths["q.io"].auth`, "regauth lint")
}

func TestLintCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bad := `{"auths": {"docker.io": {"auth": "dXNlcjpQbDRudGVkLXB3IQo="}}}` // user:Pl4nted-pw!\n
	r := e.run(bad, "lint", "-").mustFail(t, ExitError)
	if !strings.Contains(r.out, "auth-trailing-newline") || !strings.Contains(r.out, "dockerhub-key") || !strings.Contains(r.out, "1 error(s), 1 warning(s)") {
		t.Fatalf("lint output:\n%s", r.out)
	}
	warnOnly := `{"auths": {"docker.io": {"auth": "dXNlcjpwdw=="}}}`
	if r := e.run(warnOnly, "lint", "-").mustSucceed(t); !strings.Contains(r.out, "0 error(s), 1 warning(s)") {
		t.Fatalf("warnings only:\n%s", r.out)
	}
	r = e.run(bad, "lint", "-o", "json", "-")
	var out struct {
		Format   string
		Findings []struct{ Severity, Rule, Field string }
	}
	if r.code != ExitError || json.Unmarshal([]byte(r.out), &out) != nil || out.Format != "dockerconfig" || len(out.Findings) != 2 {
		t.Fatalf("lint -o json: exit %d\n%s", r.code, r.out)
	}
	if r := e.run("", "lint", "-").mustFail(t, ExitUsage); !strings.Contains(r.err, "cannot tell") {
		t.Fatalf("empty input: %s", r.err)
	}
}
