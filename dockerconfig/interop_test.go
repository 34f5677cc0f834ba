package dockerconfig

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// A file we write is read identically by docker's configfile and by
// go-containerregistry's DefaultKeychain. Not parallel: the keychain reads
// the process environment.
func TestInteropReadersSeeOurCredentials(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("HOME", t.TempDir()) // no ~/.docker/config.json to shadow ours
	t.Setenv("USERPROFILE", os.Getenv("HOME"))
	t.Setenv("DOCKER_AUTH_CONFIG", "")
	t.Setenv("REGISTRY_AUTH_FILE", "")

	tests := []struct {
		name     string
		host     string // what a user types; ggcr resolves it
		key      string // key in auths
		user     string
		pass     string
		identity string
	}{
		{"basic", "basic.example.com", "basic.example.com", "alice", "s3cret:with:colons", ""},
		{"identity token", "token.example.com:5000", "token.example.com:5000", "bob", "", "refresh-xyz"},
		{"docker hub legacy key", "index.docker.io", "https://index.docker.io/v1/", "hubuser", "hubpw", ""},
	}
	err := Update(context.Background(), filepath.Join(dir, "config.json"), func(f *File) error {
		for _, tt := range tests {
			e := &AuthEntry{}
			e.SetCredentials(tt.user, tt.pass, tt.identity, "")
			f.Auths[tt.key] = e
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := config.Load(dir)
	if err != nil {
		t.Fatalf("docker config.Load: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := authn.AuthConfig{Username: tt.user, Password: tt.pass, IdentityToken: tt.identity}

			reg, err := name.NewRegistry(tt.host)
			if err != nil {
				t.Fatal(err)
			}
			a, err := authn.DefaultKeychain.Resolve(reg)
			if err != nil {
				t.Fatalf("keychain: %v", err)
			}
			got, err := a.Authorization()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, *got); diff != "" {
				t.Errorf("go-containerregistry (-want +got):\n%s", diff)
			}

			dc, err := cf.GetAuthConfig(tt.key)
			if err != nil {
				t.Fatal(err)
			}
			gotDocker := authn.AuthConfig{Username: dc.Username, Password: dc.Password, IdentityToken: dc.IdentityToken}
			if diff := cmp.Diff(want, gotDocker); diff != "" {
				t.Errorf("docker (-want +got):\n%s", diff)
			}
		})
	}
}

// A config.json docker saved, edited by Update, still loads in docker with
// every original entry and setting; hand-written unknown fields survive too.
func TestInteropUpdateKeepsDockerContent(t *testing.T) {
	t.Parallel()
	dockerSaved := func(t *testing.T, path string) {
		cf := configfile.New(path)
		cf.AuthConfigs["registry.example.io"] = types.AuthConfig{Username: "u", Password: "p:w"}
		cf.AuthConfigs["token.example.io"] = types.AuthConfig{Username: "t", IdentityToken: "refresh"}
		cf.AuthConfigs["https://index.docker.io/v1/"] = types.AuthConfig{Username: "hub", Password: "hubpw"}
		cf.HTTPHeaders["X-Meta"] = "1"
		cf.PsFormat = "table {{.ID}}"
		cf.CredentialsStore = "pass"
		cf.CredentialHelpers = map[string]string{"gcr.io": "gcloud"}
		cf.Proxies = map[string]configfile.ProxyConfig{"default": {HTTPProxy: "http://p:3128", NoProxy: "localhost"}}
		cf.CurrentContext = "colima"
		cf.Aliases["builder"] = "buildx"
		cf.Plugins["buildx"] = map[string]string{"k": "v"}
		cf.Features = map[string]string{"hooks": "true"}
		cf.CLIPluginsExtraDirs = []string{"/opt/plugins"}
		if err := cf.Save(); err != nil {
			t.Fatal(err)
		}
	}
	handWritten := func(t *testing.T, path string) {
		writeFile(t, path, dockerShaped)
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"saved by docker", dockerSaved},
		{"hand written with unknown fields", handWritten},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "config.json")
			tt.setup(t, path)
			before := []byte(readFile(t, path))

			if err := Update(context.Background(), path, addEntry("new.example.io", "n", "np")); err != nil {
				t.Fatal(err)
			}
			after := []byte(readFile(t, path))

			want := dockerLoad(t, before)
			got := dockerLoad(t, after)
			if a := got.AuthConfigs["new.example.io"]; a.Username != "n" || a.Password != "np" {
				t.Errorf("docker sees new entry as %+v", a)
			}
			delete(got.AuthConfigs, "new.example.io")
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("docker's view changed (-before +after):\n%s", diff)
			}

			// Meaning of every byte, including what docker does not know.
			raw := asAny(t, after)
			delete(raw.(map[string]any)["auths"].(map[string]any), "new.example.io")
			if diff := cmp.Diff(asAny(t, before), raw); diff != "" {
				t.Errorf("content changed (-before +after):\n%s", diff)
			}
		})
	}
}

func dockerLoad(t *testing.T, data []byte) *configfile.ConfigFile {
	t.Helper()
	cf := configfile.New("")
	if err := cf.LoadFromReader(bytes.NewReader(data)); err != nil {
		t.Fatalf("docker LoadFromReader: %v", err)
	}
	return cf
}
