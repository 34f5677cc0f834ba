package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regauth/regauth/internal/testregistry"
)

const pw = "Pl4nted-pw!"

var users = map[string]string{"alice": pw}

// pullWithStored resolves the stored credential with `regauth get` and pulls
// the manifest of ref with it, as any client reading the store would.
func pullWithStored(t *testing.T, e *env, reg *testregistry.Registry, repo, digest string) {
	t.Helper()
	r := e.runSecret("", "get", reg.Host+"/"+repo, "-o", "json", "--show-secret").mustSucceed(t)
	var got getResult
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("get -o json: %v\n%s", err, r.out)
	}
	cfg := authn.AuthConfig{Username: got.Username, Password: got.Secret, IdentityToken: got.IdentityToken}
	opts := []name.Option{}
	if !strings.HasPrefix(reg.URL, "https") {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(reg.Host+"/"+repo+"@"+digest, opts...)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if reg.CAPool != nil {
		tr.TLSClientConfig.RootCAs = reg.CAPool
	}
	desc, err := remote.Head(ref, remote.WithAuth(authn.FromConfig(cfg)), remote.WithTransport(tr))
	if err != nil {
		t.Fatalf("pull manifest with stored credential: %v", err)
	}
	if desc.Digest.String() != digest {
		t.Fatalf("digest %s, want %s", desc.Digest, digest)
	}
}

func TestLoginHtpasswdTLS(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthHtpasswd, Users: users, TLS: true})
	digest := reg.PushRandomImage(t, "team/app", "v1")
	e := newEnv(t)
	ca := reg.WriteCA(t, t.TempDir())

	// Wrong password: exit 4 and nothing written.
	e.run("wrong-Pl4nted\n", "login", reg.Host, "-u", "alice", "--password-stdin", "--ca-file", ca).
		mustFail(t, ExitAuth, "unauthorized", "hint: check the username and password")
	if got := readFile(t, e.configPath()); got != "" {
		t.Fatalf("failed login wrote the config:\n%s", got)
	}

	r := e.run(pw+"\n", "login", reg.Host, "-u", "alice", "--password-stdin", "--ca-file", ca).mustSucceed(t)
	if r.out != "Login Succeeded\n" {
		t.Errorf("stdout = %q", r.out)
	}
	pullWithStored(t, e, reg, "team/app", digest)

	// docker's own loader reads what we wrote.
	cf := configfile.New(e.configPath())
	f, err := os.Open(e.configPath())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := cf.LoadFromReader(f); err != nil {
		t.Fatal(err)
	}
	if a := cf.AuthConfigs[reg.Host]; a.Username != "alice" || a.Password != pw {
		t.Fatalf("docker reads %q/%q", a.Username, "<redacted>")
	}
	st, err := os.Stat(e.configPath())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config mode = %v, %v; want 0600", st.Mode(), err)
	}
}

func TestLoginTokenAuthStoresIdentityToken(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: users, TLS: true, RefreshTokens: true})
	digest := reg.PushRandomImage(t, "team/app", "v1")
	e := newEnv(t)
	ca := reg.WriteCA(t, t.TempDir())

	e.run("wrong-Pl4nted", "login", reg.Host, "-u", "alice", "--password-stdin", "--ca-file", ca).mustFail(t, ExitAuth)
	e.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin", "--ca-file", ca).mustSucceed(t)
	cfg := readFile(t, e.configPath())
	if !strings.Contains(cfg, `"identitytoken"`) {
		t.Fatalf("refresh token not stored as identitytoken:\n%s", cfg)
	}
	if strings.Contains(cfg, pw) {
		t.Fatal("password stored although an identity token replaced it")
	}
	pullWithStored(t, e, reg, "team/app", digest)
}

func TestLoginTokenGETFallback(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: users, DisableOAuthPOST: true})
	digest := reg.PushRandomImage(t, "app", "v1")
	e := newEnv(t)
	e.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin", "--insecure").mustSucceed(t)
	pullWithStored(t, e, reg, "app", digest)
	e.run("wrong-Pl4nted", "login", reg.Host, "-u", "alice", "--password-stdin", "--insecure").mustFail(t, ExitAuth)
}

func TestLoginTLSUnknownAuthority(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthHtpasswd, Users: users, TLS: true})
	e := newEnv(t)
	e.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin").mustFail(t, ExitError, "--ca-file", "certs.d/"+reg.Host+"/ca.crt")
	if readFile(t, e.configPath()) != "" {
		t.Fatal("failed login wrote the config")
	}
	// The fix the hint names works: the CA in /etc/docker/certs.d/HOST/ca.crt.
	dir := filepath.Join(e.etc, "docker", "certs.d", reg.Host)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	reg.WriteCA(t, dir)
	e.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin").mustSucceed(t)
}

func TestLoginPlainHTTP(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthHtpasswd, Users: users})
	digest := reg.PushRandomImage(t, "app", "v1")
	e := newEnv(t)
	e.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin").mustFail(t, ExitError, "--insecure")
	e.run("wrong-Pl4nted", "login", reg.Host, "-u", "alice", "--password-stdin", "--insecure").mustFail(t, ExitAuth)
	if readFile(t, e.configPath()) != "" {
		t.Fatal("failed login wrote the config")
	}
	e.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin", "--insecure").mustSucceed(t)
	pullWithStored(t, e, reg, "app", digest)
}

func TestLoginSkipVerifyAndUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.run(pw, "login", "registry.invalid", "-u", "alice", "--password-stdin", "--skip-verify").mustSucceed(t)
	r := e.run("", "login", "registry.invalid", "-u", "alice", "-p", pw, "--skip-verify")
	_ = r // -p prints the password nowhere but warns
	if r.code != 0 || !strings.Contains(r.err, "WARNING! Using --password") {
		t.Fatalf("-p: exit %d, stderr %q", r.code, r.err)
	}
	e.run("", "login", "registry.invalid", "--skip-verify").mustFail(t, ExitUsage, "not a terminal")
	e.run("", "login", "registry.invalid", "-u", "a").mustFail(t, ExitUsage, "--password-stdin")
	e.run("", "login", "a", "b").mustFail(t, ExitUsage, "usage:")
	e.run("", "login", "--nope").mustFail(t, ExitUsage, "unknown flag")
	e.run("", "login", "*.example.com", "-u", "a", "--password-stdin").mustFail(t, ExitUsage, "wildcard")
	e.run("", "login", "bad host", "-u", "a", "--password-stdin").mustFail(t, ExitUsage)
	e.run("\n", "login", "r.invalid", "-u", "a", "--password-stdin").mustFail(t, ExitUsage, "empty password")
}
