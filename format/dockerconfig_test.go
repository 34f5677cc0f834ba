package format

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/regauth/regauth/credential"
)

var updateDocker = flag.Bool("update-docker", false, "rewrite testdata/dockerconfig golden files")

const dockerPlanted = "Pl4nted-docker-pw"

func dockerSampleDoc() *Document {
	return NewDocument(
		credential.Entry{Pattern: credential.MustPattern("quay.io"), Credential: credential.Credential{Username: "robot+ci", Password: dockerPlanted}, Email: "ci@example.com"},
		credential.Entry{Pattern: credential.MustPattern("docker.io"), Credential: credential.Credential{Username: "jane", Password: "p:w"}},
		credential.Entry{Pattern: credential.MustPattern("registry.example.com/team"), Credential: credential.Credential{Username: "team", IdentityToken: "refresh-tok"}},
		credential.Entry{Pattern: credential.MustPattern("localhost:5000"), Credential: credential.Credential{RegistryToken: "bearer-tok"}},
		credential.Entry{Pattern: credential.MustPattern("quay.io"), Credential: credential.Credential{Username: "shadowed", Password: "x"}},
	)
}

// dockerCmp compares what survives a round trip: patterns, credentials, emails.
var dockerCmp = cmp.Options{cmpopts.IgnoreFields(credential.Entry{}, "Source")}

func dockerGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "dockerconfig", name)
	if *updateDocker {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-docker)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func TestDockerConfigCodecs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		codec  Codec
		golden string
	}{
		{DockerConfig{}, "config.json"},
		{DockerConfig{Podman: true}, "auth.json"},
		{Dockercfg{}, "dockercfg"},
	}
	for _, tt := range tests {
		t.Run(tt.codec.Name(), func(t *testing.T) {
			t.Parallel()
			files, err := tt.codec.Encode(dockerSampleDoc())
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 1 || files[0].Path != "" || files[0].Mode != 0o600 {
				t.Fatalf("files = %+v", files)
			}
			dockerGolden(t, tt.golden, files[0].Data)
			doc, err := tt.codec.Decode([]File{{Path: tt.golden, Data: files[0].Data}})
			if err != nil {
				t.Fatal(err)
			}
			want := dockerSampleDoc().Entries()[:4] // the shadowed duplicate is not written
			if diff := cmp.Diff(sortEntries(want), sortEntries(doc.Entries()), dockerCmp); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if s, ok := tt.codec.(Sniffer); !ok || !s.Sniff(files[0]) {
				t.Error("Sniff does not recognise the codec's own output")
			}
		})
	}
}

func sortEntries(es []credential.Entry) []credential.Entry {
	out := append([]credential.Entry(nil), es...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Pattern.String() < out[i].Pattern.String() {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// Real consumers: docker's loader and go-containerregistry's keychain read
// the exported config.json and find the same credentials.
func TestDockerConfigRealConsumers(t *testing.T) {
	files, err := DockerConfig{}.Encode(dockerSampleDoc())
	if err != nil {
		t.Fatal(err)
	}
	cf := configfile.New("")
	if err := cf.LoadFromReader(bytes.NewReader(files[0].Data)); err != nil {
		t.Fatal(err)
	}
	if a := cf.AuthConfigs["quay.io"]; a.Username != "robot+ci" || a.Password != dockerPlanted {
		t.Errorf("docker reads quay.io as %q", a.Username)
	}
	if a := cf.AuthConfigs[credential.DockerHubKey]; a.Username != "jane" || a.Password != "p:w" {
		t.Errorf("docker reads Docker Hub as %q", a.Username)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), files[0].Data, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	for host, want := range map[string]authn.AuthConfig{
		"quay.io":         {Username: "robot+ci", Password: dockerPlanted},
		"index.docker.io": {Username: "jane", Password: "p:w"},
		"localhost:5000":  {RegistryToken: "bearer-tok"},
	} {
		reg, err := name.NewRegistry(host)
		if err != nil {
			t.Fatal(err)
		}
		auth, err := authn.DefaultKeychain.Resolve(reg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := auth.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, *got, cmpopts.IgnoreFields(authn.AuthConfig{}, "Auth")); diff != "" {
			t.Errorf("%s (-want +got):\n%s", host, diff)
		}
	}
}

func TestDockerConfigHelpers(t *testing.T) {
	t.Parallel()
	doc := NewDocument(credential.Entry{Pattern: credential.MustPattern("gcr.io"), Helper: "gcloud"})
	if _, err := (DockerConfig{}).Encode(doc); err == nil || !strings.Contains(err.Error(), "docker-credential-gcloud") {
		t.Fatalf("flattened export of a helper entry: %v", err)
	}
	files, err := DockerConfig{KeepHelpers: true}.Encode(doc)
	if err != nil || !strings.Contains(string(files[0].Data), `"gcr.io": "gcloud"`) {
		t.Fatalf("keep helpers: %v\n%s", err, files[0].Data)
	}
	back, err := DockerConfig{}.Decode([]File{{Path: "c.json", Data: files[0].Data}})
	if err != nil || back.Entries()[0].Helper != "gcloud" {
		t.Fatalf("decode helper reference: %v %+v", err, back.Entries())
	}
	if _, err := (Dockercfg{}).Encode(doc); err == nil {
		t.Fatal(".dockercfg cannot reference helpers")
	}
}

func TestDockerConfigDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		codec Codec
		data  string
		want  string
	}{
		{"bad auth", DockerConfig{}, `{"auths":{"quay.io":{"auth":"` + dockerPlanted + `"}}}`, `auths["quay.io"].auth`},
		{"bad key", DockerConfig{}, `{"auths":{"bad key":{"auth":"YTpi"}}}`, `auths["bad key"]`},
		{"not json", DockerConfig{}, `{"auths":`, "in.json"},
		{"config.json as dockercfg", Dockercfg{}, `{"auths":{}}`, "not a legacy .dockercfg"},
		{"dockercfg not a map", Dockercfg{}, `[1]`, "not a .dockercfg map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.codec.Decode([]File{{Path: "in.json", Data: []byte(tt.data)}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), dockerPlanted) {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
}

func FuzzDecodeDockerConfig(f *testing.F) {
	for _, seed := range []string{
		`{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz","email":"a@b"}},"credsStore":"desktop"}`,
		`{"auths":{"quay.io":{"auth":"` + dockerPlanted + `"}}}`,
		`{"credHelpers":{"gcr.io":"gcloud"}}`,
		`{"quay.io":{"auth":"dXNlcjpwYXNz"}}`,
		``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		for _, c := range []Codec{DockerConfig{}, Dockercfg{}} {
			doc, err := c.Decode([]File{{Path: "f", Data: []byte(data)}})
			if err != nil {
				if strings.Contains(err.Error(), dockerPlanted) {
					t.Fatalf("error leaks the secret: %v", err)
				}
				continue
			}
			if _, err := (DockerConfig{KeepHelpers: true}).Encode(doc); err != nil {
				t.Fatalf("re-encoding a decoded document: %v", err)
			}
			_ = c.(Linter).Lint([]File{{Path: "f", Data: []byte(data)}})
		}
	})
}
