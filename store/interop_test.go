package store

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config/configfile"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/helper"
)

// TestMain makes the test binary a real credential helper when it runs as
// docker-credential-fake: a JSON file ($FAKE_HELPER_FILE) of url -> [user, secret].
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "docker-credential-fake" {
		os.Exit(fakeHelperMain())
	}
	os.Exit(m.Run())
}

type fakeBackend map[string][2]string

func (b fakeBackend) Get(_ context.Context, url string) (credential.Credential, error) {
	c, ok := b[url]
	if !ok {
		return credential.Credential{}, helper.ErrNotFound
	}
	return credential.Credential{Username: c[0], Password: c[1]}, nil
}
func (b fakeBackend) Store(context.Context, string, credential.Credential) error {
	return errors.New("read-only")
}
func (b fakeBackend) Erase(context.Context, string) error { return errors.New("read-only") }
func (b fakeBackend) List(context.Context) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range b {
		out[k] = v[0]
	}
	return out, nil
}

func fakeHelperMain() int {
	b := fakeBackend{}
	if data, err := os.ReadFile(os.Getenv("FAKE_HELPER_FILE")); err == nil {
		_ = json.Unmarshal(data, &b)
	}
	if err := helper.Serve(context.Background(), os.Args[1], os.Stdin, os.Stdout, b); err != nil {
		os.Stdout.WriteString(err.Error() + "\n")
		return 1
	}
	return 0
}

// regauth must hand out, for every host, exactly the credential docker's own
// configfile package does, whatever mix of auths, credsStore and credHelpers
// the file has. (regauth additionally matches paths and globs, which docker
// cannot express; those are not in this table.)
func TestAgreesWithDocker(t *testing.T) {
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(dir, "docker-credential-fake")); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	helperFile := filepath.Join(dir, "helper.json")
	held := `{"https://index.docker.io/v1/": ["hub-helper", "h1"], "x.io": ["x-helper", "h2"], "y.io": ["y-helper", "h3"]}`
	if err := os.WriteFile(helperFile, []byte(held), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH")) // for docker's exec
	t.Setenv("FAKE_HELPER_FILE", helperFile)
	t.Setenv("DOCKER_AUTH_CONFIG", "")

	configs := map[string]string{
		"inline only":                  `{"auths": {"x.io": {"auth": "aW5saW5lOnA="}, "docker.io": {"auth": "YWxpYXM6cA=="}, "https://index.docker.io/v1/": {"auth": "aHViOnA="}}}`,
		"credsStore ignores inline":    `{"credsStore": "fake", "auths": {"x.io": {"auth": "aW5saW5lOnA="}, "z.io": {"auth": "ejpw"}}}`,
		"credsStore placeholders":      `{"credsStore": "fake", "auths": {"x.io": {}, "https://index.docker.io/v1/": {}}}`,
		"credHelpers exact key":        `{"credHelpers": {"docker.io": "fake", "y.io": "fake"}, "auths": {"https://index.docker.io/v1/": {"auth": "aHViOnA="}}}`,
		"credHelpers beats credsStore": `{"credsStore": "missing-helper", "credHelpers": {"y.io": "fake"}, "auths": {"y.io": {}}}`,
		"credHelpers beats inline":     `{"credHelpers": {"z.io": "fake"}, "auths": {"z.io": {"auth": "ejpw"}}}`,
	}
	hosts := []string{"x.io", "y.io", "z.io", "docker.io"}
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			cf := configfile.New(path)
			if err := cf.LoadFromReader(strings.NewReader(cfg)); err != nil {
				t.Fatal(err)
			}
			s := New(Options{ConfigFlag: path, Helper: helper.Env{Path: dir, Environ: []string{"FAKE_HELPER_FILE=" + helperFile}}})
			l, err := s.Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, host := range hosts {
				dockerHost := host
				if host == "docker.io" {
					dockerHost = credential.DockerHubKey
				}
				want, derr := cf.GetAuthConfig(dockerHost)
				res, rerr := l.Resolve(context.Background(), credential.MustTarget(host+"/org/app"))
				got := res.Entry.Credential
				if derr != nil {
					if rerr == nil || errors.Is(rerr, ErrNotFound) {
						t.Errorf("%s: docker fails (%v), regauth gives %v", host, derr, got)
					}
					continue
				}
				if errors.Is(rerr, ErrNotFound) {
					got = credential.Credential{}
				} else if rerr != nil {
					t.Errorf("%s: regauth: %v; docker gives user %q", host, rerr, want.Username)
					continue
				}
				if got.Username != want.Username || got.Password != want.Password {
					t.Errorf("%s: regauth gives %q/%q, docker %q/%q", host, got.Username, got.Password, want.Username, want.Password)
				}
			}
		})
	}
}
