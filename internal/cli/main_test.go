package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/helper"
)

// plantedSecrets are passwords and tokens the tests use; no command output,
// log line or error may contain them unless the test asks for the secret.
var plantedSecrets = []string{"Pl4nted-pw!", "wrong-Pl4nted", "tok-Pl4nted"}

// TestMain turns the test binary into a fake external credential helper when
// run as docker-credential-test: a real program speaking the real protocol
// over a JSON file named by $FAKE_HELPER_FILE.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "docker-credential-test" {
		os.Exit(fakeHelper())
	}
	os.Exit(m.Run())
}

func fakeHelper() int {
	if len(os.Args) != 2 {
		return 1
	}
	b := &fileBackend{path: os.Getenv("FAKE_HELPER_FILE")}
	if err := helper.Serve(context.Background(), os.Args[1], os.Stdin, os.Stdout, b); err != nil {
		os.Stdout.WriteString(err.Error() + "\n")
		return 1
	}
	return 0
}

type fileBackend struct{ path string }

type fakeCred struct{ User, Secret string }

func (b *fileBackend) load() map[string]fakeCred {
	m := map[string]fakeCred{}
	if data, err := os.ReadFile(b.path); err == nil {
		_ = json.Unmarshal(data, &m)
	}
	return m
}

func (b *fileBackend) save(m map[string]fakeCred) error {
	data, _ := json.Marshal(m)
	return os.WriteFile(b.path, data, 0o600)
}

func (b *fileBackend) Get(_ context.Context, url string) (credential.Credential, error) {
	c, ok := b.load()[url]
	if !ok {
		return credential.Credential{}, helper.ErrNotFound
	}
	if c.User == credential.TokenUsername {
		return credential.Credential{Username: c.User, IdentityToken: c.Secret}, nil
	}
	return credential.Credential{Username: c.User, Password: c.Secret}, nil
}

func (b *fileBackend) Store(_ context.Context, url string, c credential.Credential) error {
	m := b.load()
	if c.IdentityToken != "" {
		m[url] = fakeCred{credential.TokenUsername, c.IdentityToken}
	} else {
		m[url] = fakeCred{c.Username, c.Password}
	}
	return b.save(m)
}

func (b *fileBackend) Erase(_ context.Context, url string) error {
	m := b.load()
	if _, ok := m[url]; !ok {
		return helper.ErrNotFound
	}
	delete(m, url)
	return b.save(m)
}

func (b *fileBackend) List(context.Context) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range b.load() {
		out[k] = v.User
	}
	return out, nil
}

// env is one isolated user: a home directory, an /etc, an environment.
type env struct {
	t    *testing.T
	home string
	etc  string
	vars map[string]string
	bin  string // PATH directory for helpers
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, home: filepath.Join(dir, "home"), etc: filepath.Join(dir, "etc"), bin: filepath.Join(dir, "bin"), vars: map[string]string{}}
	for _, d := range []string{e.home, e.etc, e.bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.vars["HOME"] = e.home
	e.vars["PATH"] = e.bin
	return e
}

func (e *env) configPath() string { return filepath.Join(e.home, ".docker", "config.json") }

// installFakeHelper puts docker-credential-test on PATH, backed by a file.
func (e *env) installFakeHelper() string {
	e.t.Helper()
	self, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(e.bin, "docker-credential-test")); err != nil {
		e.t.Fatal(err)
	}
	store := filepath.Join(e.home, "fake-helper.json")
	e.vars["FAKE_HELPER_FILE"] = store
	return store
}

type result struct {
	out, err string
	code     int
}

func (e *env) sys(stdin string) (*Sys, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	environ := make([]string, 0, len(e.vars))
	for k, v := range e.vars {
		environ = append(environ, k+"="+v)
	}
	return &Sys{
		Name:      "regauth",
		In:        strings.NewReader(stdin),
		Out:       &out,
		Err:       &errb,
		Getenv:    func(k string) string { return e.vars[k] },
		Environ:   environ,
		Home:      e.home,
		EtcDir:    e.etc,
		Now:       time.Now,
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
	}, &out, &errb
}

// run executes regauth in-process. Unless allowSecret is set, no planted
// secret may appear in its output.
func (e *env) run(stdin string, args ...string) result {
	e.t.Helper()
	return e.runAs("regauth", false, stdin, args...)
}

func (e *env) runSecret(stdin string, args ...string) result {
	e.t.Helper()
	return e.runAs("regauth", true, stdin, args...)
}

func (e *env) runAs(name string, allowSecret bool, stdin string, args ...string) result {
	e.t.Helper()
	sys, out, errb := e.sys(stdin)
	sys.Name = name
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := Main(ctx, args, sys)
	r := result{out.String(), errb.String(), code}
	if !allowSecret {
		assertNoSecret(e.t, r.out+r.err)
	}
	return r
}

func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, p := range plantedSecrets {
		if strings.Contains(s, p) {
			t.Fatalf("output leaks planted secret %q:\n%s", p, s)
		}
	}
}

func (r result) mustSucceed(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.out, r.err)
	}
	return r
}

func (r result) mustFail(t *testing.T, code int, stderrHas ...string) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.out, r.err)
	}
	for _, s := range stderrHas {
		if !strings.Contains(r.err, s) {
			t.Errorf("stderr does not contain %q:\n%s", s, r.err)
		}
	}
	return r
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}
