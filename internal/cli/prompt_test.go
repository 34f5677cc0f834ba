package cli

import (
	"context"
	"strings"
	"testing"
)

// On a terminal, login asks for the username with echo and the password
// without (through Sys.ReadPassword, which is term.ReadPassword for real).
func TestLoginPromptsOnTTY(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sys, out, errb := e.sys("alice\n")
	sys.StdinTTY = true
	asked := 0
	sys.ReadPassword = func() ([]byte, error) { asked++; return []byte(pw), nil }
	if code := Main(context.Background(), []string{"login", "registry.invalid", "--skip-verify"}, sys); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if asked != 1 || !strings.Contains(errb.String(), "Username: ") || !strings.Contains(errb.String(), "Password: ") {
		t.Fatalf("prompts: asked=%d stderr=%q", asked, errb)
	}
	assertNoSecret(t, out.String()+errb.String())
	r := e.runSecret("", "get", "registry.invalid", "--show-secret").mustSucceed(t)
	if !strings.Contains(r.out, "username:  alice") || !strings.Contains(r.out, pw) {
		t.Fatalf("stored:\n%s", r.out)
	}
}

func TestVersionAndCompletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.run("", "version").mustSucceed(t); !strings.HasPrefix(r.out, "regauth ") {
		t.Errorf("version: %q", r.out)
	}
	if r := e.run("", "--version").mustSucceed(t); !strings.HasPrefix(r.out, "regauth ") {
		t.Errorf("--version: %q", r.out)
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		if r := e.run("", "completion", sh).mustSucceed(t); !strings.Contains(r.out, "regauth") {
			t.Errorf("completion %s: %q", sh, r.out[:min(len(r.out), 200)])
		}
	}
	e.run("", "version", "extra").mustFail(t, ExitUsage)
	e.run("", "list", "-o", "yaml").mustFail(t, ExitUsage, "unknown output format")
}
