package format

import (
	"bytes"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-cmp/cmp"
	"github.com/regauth/regauth/credential"
	"sigs.k8s.io/yaml"
)

var dcosUpdate = flag.Bool("update-dcos", false, "rewrite format/testdata/dcos golden files")

const dcosSecret = "s3cr3t-PLANTED-dcos"

func dcosTestDoc() *Document {
	return NewDocument(
		credential.Entry{Pattern: credential.MustPattern("https://index.docker.io/v1/"), Credential: credential.Credential{Username: "myuser@domain.com", Password: dcosSecret}, Email: "o'brien@example.com"},
		credential.Entry{Pattern: credential.MustPattern("some.docker.host.com"), Credential: credential.Credential{Username: "foo", Password: dcosSecret}},
	)
}

func TestDCOSEncodeGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		codec Codec
		file  string
		mode  uint32
	}{
		{"credentials", DCOSCredentials{}, "docker_credentials", 0o600},
		{"config", DCOSConfig{}, "config.yaml", 0o644},
		{"config-inline", DCOSConfig{Inline: true}, "config.yaml", 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, err := tt.codec.Encode(dcosTestDoc())
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 1 || uint32(files[0].Mode) != tt.mode {
				t.Fatalf("want one file mode %o, got %v", tt.mode, files)
			}
			rktGolden(t, *dcosUpdate, filepath.Join("testdata", "dcos", tt.name), tt.file, files)
			if findings := tt.codec.(Linter).Lint(files); tt.name != "config-inline" && len(findings) != 0 {
				t.Errorf("lint finds fault with our own output: %v", findings)
			}
		})
	}
}

// TestDCOSConfigValues checks the block parses to the strings DC/OS's
// validator wants, and that the inline value is the docker config docker
// itself loads.
func TestDCOSConfigValues(t *testing.T) {
	t.Parallel()
	for _, inline := range []bool{false, true} {
		files, err := DCOSConfig{Inline: inline}.Encode(dcosTestDoc())
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(files[0].Data, &m); err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]string{"cluster_docker_credentials_enabled": "true", "cluster_docker_credentials_write_to_etc": "true", "cluster_docker_credentials_dcos_owned": "false"} {
			if m[k] != want {
				t.Errorf("inline=%v: %s = %#v, want the string %q", inline, k, m[k], want)
			}
		}
		creds, _ := m["cluster_docker_credentials"].(string)
		if !inline {
			if creds != "{}" {
				t.Errorf("cluster_docker_credentials = %q, want \"{}\"", creds)
			}
			continue
		}
		cf := configfile.New("x")
		if err := cf.LoadFromReader(strings.NewReader(creds)); err != nil {
			t.Fatal(err)
		}
		if a := cf.GetAuthConfigs()[credential.DockerHubKey]; a.Password != dcosSecret {
			t.Errorf("docker does not read the inline Docker Hub entry (user %q)", a.Username)
		}
	}
}

func TestDCOSRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []Codec{DCOSCredentials{}, DCOSConfig{Inline: true}} {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			files, err := c.Encode(dcosTestDoc())
			if err != nil {
				t.Fatal(err)
			}
			files[0].Path = "in"
			doc, err := c.Decode(files)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(mesosSorted(dcosTestDoc().Entries()), mesosSorted(doc.Entries()), rktCmp); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, e := range doc.Entries() {
				if e.Source.Label != c.Name() || e.Source.File != "in" || e.Source.Key == "" {
					t.Errorf("source %+v", e.Source)
				}
			}
		})
	}
}

func TestDCOSDecode(t *testing.T) {
	t.Parallel()
	yamlMapping := "cluster_docker_credentials:\n  auths:\n    'https://index.docker.io/v1/':\n      auth: " + "Zm9vOnMzY3IzdC1QTEFOVEVELWRjb3M=" + "\n      email: foo@bar.com\ncluster_docker_credentials_enabled: 'true'\n"
	doc, err := DCOSConfig{}.Decode([]File{{Path: "config.yaml", Data: []byte(yamlMapping)}})
	if err != nil {
		t.Fatal(err)
	}
	if es := doc.Entries(); len(es) != 1 || !es[0].Pattern.IsDockerHub() || es[0].Credential.Password != dcosSecret || es[0].Email != "foo@bar.com" {
		t.Errorf("YAML-mapping form decoded to %v", es)
	}

	tests := []struct {
		name  string
		codec Codec
		data  string
		field string
		sent  error // sentinel, if any
		text  string
	}{
		{"empty credentials file", DCOSCredentials{}, "\n", "", nil, "prevents the DC/OS agent"},
		{"invalid credentials file", DCOSCredentials{}, `{"auths":{"x":{"auth":"` + dcosSecret + `"}}}`, "", nil, "auth"},
		{"blank credentials file", DCOSCredentials{}, "{}", "", ErrNoCredentials, ""},
		{"default block", DCOSConfig{}, `cluster_docker_credentials: "{}"`, "cluster_docker_credentials", ErrNoCredentials, ""},
		{"no block", DCOSConfig{}, "bootstrap_url: http://x\n", "cluster_docker_credentials", ErrNoCredentials, ""},
		{"broken yaml", DCOSConfig{}, "a: [\n" + dcosSecret, "", nil, "line"},
		{"scalar yaml", DCOSConfig{}, dcosSecret, "", nil, "YAML"},
		{"broken inline json", DCOSConfig{}, "cluster_docker_credentials: '{\"auths\": " + dcosSecret + "'", "cluster_docker_credentials", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.codec.Decode([]File{{Path: "f", Data: []byte(tt.data)}})
			var fe *Error
			if !errors.As(err, &fe) || fe.File != "f" || fe.Field != tt.field {
				t.Fatalf("err = %v, want *Error at f %q", err, tt.field)
			}
			if tt.sent != nil && !errors.Is(err, tt.sent) {
				t.Errorf("err = %v, want %v", err, tt.sent)
			}
			if !strings.Contains(err.Error(), tt.text) || strings.Contains(err.Error(), dcosSecret) {
				t.Errorf("err = %v, want %q and no secret", err, tt.text)
			}
		})
	}
}

func TestDCOSLint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		codec Linter
		data  string
		want  []string // "severity rule field"
	}{
		{"blank file is fine", DCOSCredentials{}, "{}", nil},
		{"empty file", DCOSCredentials{}, "", []string{"error dcos-credentials-empty "}},
		{"invalid file", DCOSCredentials{}, `{"auths":`, []string{"error dcos-credentials-invalid "}},
		{"not an object", DCOSCredentials{}, `["` + dcosSecret + `"]`, []string{"error dcos-credentials-invalid "}},
		{"newline in auth", DCOSCredentials{}, `{"auths":{"https://index.docker.io/v1/":{"auth":"Zm9vOmJhcgo="}}}`, []string{`error auth-trailing-newline auths["https://index.docker.io/v1/"].auth`}},
		{"helper", DCOSCredentials{}, `{"auths":{},"credHelpers":{"x.io":"ecr-login"}}`, []string{"warning dcos-helper "}},
		{"default block", DCOSConfig{}, "cluster_docker_credentials: \"{}\"\ncluster_docker_credentials_enabled: 'true'\n", nil},
		{"inline", DCOSConfig{}, "cluster_docker_credentials: '{\"auths\":{\"quay.io\":{\"auth\":\"Zm9vOnMzY3IzdC1QTEFOVEVELWRjb3M=\"}}}'\ncluster_docker_credentials_enabled: true\n",
			[]string{"warning dcos-inline-credentials cluster_docker_credentials"}},
		{"disabled", DCOSConfig{}, "cluster_docker_credentials: '{}'\n", []string{"warning dcos-config-disabled cluster_docker_credentials_enabled"}},
		{"bad value", DCOSConfig{}, "cluster_docker_credentials_write_to_etc: 'yes'\n", []string{"error dcos-config-value cluster_docker_credentials_write_to_etc"}},
		{"inline not json", DCOSConfig{}, "cluster_docker_credentials: 'auths: x'\ncluster_docker_credentials_enabled: 'true'\n", []string{"error dcos-config-credentials-invalid cluster_docker_credentials"}},
		{"inline empty", DCOSConfig{}, "cluster_docker_credentials: ''\ncluster_docker_credentials_enabled: 'true'\n", []string{"error dcos-config-credentials-empty cluster_docker_credentials"}},
		{"invalid yaml", DCOSConfig{}, "a: [\n", []string{"error dcos-config-invalid "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, f := range tt.codec.Lint([]File{{Path: "f", Data: []byte(tt.data)}}) {
				got = append(got, string(f.Severity)+" "+f.Rule+" "+f.Field)
				if f.File != "f" || f.Message == "" || f.Hint == "" || strings.Contains(f.String(), dcosSecret) {
					t.Errorf("bad finding %s", f)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDCOSSniff(t *testing.T) {
	t.Parallel()
	if !(DCOSCredentials{}).Sniff(File{Path: "/etc/mesosphere/docker_credentials"}) || (DCOSCredentials{}).Sniff(File{Path: "config.json"}) {
		t.Error("credentials file sniffed by the wrong name")
	}
	files, _ := DCOSConfig{}.Encode(dcosTestDoc())
	if !(DCOSConfig{}).Sniff(files[0]) || (DCOSConfig{}).Sniff(File{Data: []byte("bootstrap_url: x\n")}) {
		t.Error("config.yaml block not told apart")
	}
}

func dcosFuzzCheck(t *testing.T, c interface {
	Decoder
	Linter
}, data []byte) {
	in := []File{{Path: "f", Data: data}}
	if _, err := c.Decode(in); err != nil && strings.Contains(err.Error(), dcosSecret) {
		t.Errorf("error reveals the secret: %v", err)
	}
	for _, f := range c.Lint(in) {
		if strings.Contains(f.String(), dcosSecret) {
			t.Errorf("finding reveals the secret: %s", f)
		}
	}
}

func FuzzDecodeDCOSCredentials(f *testing.F) {
	files, _ := DCOSCredentials{}.Encode(dcosTestDoc())
	f.Add(files[0].Data)
	f.Add([]byte("{}"))
	f.Add([]byte(""))
	f.Add([]byte(`{"auths":{"x":{"auth":"` + dcosSecret + `"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) { dcosFuzzCheck(t, DCOSCredentials{}, data) })
}

func FuzzDecodeDCOSConfig(f *testing.F) {
	for _, inline := range []bool{false, true} {
		files, _ := DCOSConfig{Inline: inline}.Encode(dcosTestDoc())
		f.Add(files[0].Data)
	}
	f.Add([]byte("cluster_docker_credentials:\n  auths:\n    quay.io:\n      auth: " + dcosSecret + "\n"))
	f.Add([]byte("a: [\n" + dcosSecret))
	f.Add(bytes.Repeat([]byte("- "), 50))
	f.Fuzz(func(t *testing.T, data []byte) { dcosFuzzCheck(t, DCOSConfig{}, data) })
}
