package format

import (
	"encoding/json"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/regauth/regauth/credential"
)

var marathonUpdate = flag.Bool("update-marathon", false, "rewrite format/testdata/marathon golden files")

func marathonTestDoc() *Document {
	return NewDocument(credential.Entry{Pattern: credential.MustPattern("some.docker.host.com"), Credential: credential.Credential{Username: "foo", Password: "unused"}})
}

func TestMarathonEncode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		codec Marathon
		want  []Object // what Decode finds in the output
	}{
		{"fetch", Marathon{}, []Object{{Kind: "MarathonFetch", Name: MarathonDefaultURI, Type: "fetch"}}},
		{"fetch-image", Marathon{URI: "https://s3.example.com/b/docker.tar.gz", Image: "some.docker.host.com/namespace/repo"}, []Object{{Kind: "MarathonFetch", Name: "https://s3.example.com/b/docker.tar.gz", Type: "fetch"}}},
		{"uris", Marathon{Legacy: true}, []Object{{Kind: "MarathonFetch", Name: MarathonDefaultURI, Type: "uris"}}},
		{"pullconfig", Marathon{PullConfig: true, Image: "some.docker.host.com/namespace/repo"}, []Object{{Kind: "MarathonPullConfig", Name: MarathonDefaultSecret, Type: "service"}}},
		{"pod", Marathon{Pod: true, Secret: "/pod/pullConfig", Image: "some.docker.host.com/namespace/repo", Container: "simpletask1"}, []Object{{Kind: "MarathonPullConfig", Name: "/pod/pullConfig", Type: "pod"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, err := tt.codec.Encode(marathonTestDoc())
			if err != nil {
				t.Fatal(err)
			}
			rktGolden(t, *marathonUpdate, filepath.Join("testdata", "marathon", tt.name), "snippet.json", files)
			if files[0].Mode != 0o644 || strings.Contains(string(files[0].Data), "unused") {
				t.Errorf("snippet mode %o or content carries a credential", files[0].Mode)
			}
			doc, err := tt.codec.Decode(files)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Set.Len() != 0 {
				t.Errorf("decoded %d entries from a snippet", doc.Set.Len())
			}
			if diff := cmp.Diff(tt.want, doc.Objects); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if findings := tt.codec.Lint(files); len(findings) != 0 {
				t.Errorf("lint finds fault with our own output: %v", findings)
			}
		})
	}
}

func TestMarathonEncodeErrors(t *testing.T) {
	t.Parallel()
	if _, err := (Marathon{}).Encode(NewDocument()); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("empty set: err = %v", err)
	}
	if _, err := (Marathon{Pod: true, Legacy: true}).Encode(marathonTestDoc()); err == nil {
		t.Error("pod with uris accepted")
	}
}

// TestMarathonDecodeSeeds reads the definitions of seeds 000 and 002.
func TestMarathonDecodeSeeds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data string
		want       []Object
	}{
		{"seed 000 uris", `{"id":"/some/name/or/id","cpus":1,"mem":1024,"instances":1,"container":{"type":"DOCKER","docker":{"image":"https://registry.example.io/v0/giffee_lover_93/some-image","network":"HOST"}},"uris":["file:///path/to/registry.example.io.tar.gz"]}`,
			[]Object{{Kind: "MarathonFetch", Name: "file:///path/to/registry.example.io.tar.gz", Namespace: "/some/name/or/id", Type: "uris", File: "app.json"}}},
		{"seed 002 service", `{"id":"/mesos-docker","container":{"docker":{"image":"<your/private/image>","pullConfig":{"secret":"pullConfigSecret"}},"type":"MESOS"},"secrets":{"pullConfigSecret":{"source":"/mesos-docker/pullConfig"}},"args":["hello"],"cpus":0.2,"mem":16.0,"instances":1}`,
			[]Object{{Kind: "MarathonPullConfig", Name: "/mesos-docker/pullConfig", Namespace: "/mesos-docker", Type: "service", File: "app.json"}}},
		{"seed 002 pod", `{"id":"/simple-pod","containers":[{"name":"simpletask1","exec":{"command":{"shell":"env && sleep 1000"}},"resources":{"cpus":0.1,"mem":32},"image":{"kind":"DOCKER","id":"<your/private/image>","pullConfig":{"secret":"pullConfigSecret"}}}],"networks":[{"mode":"host"}],"secrets":{"pullConfigSecret":{"source":"/pod/pullConfig"}}}`,
			[]Object{{Kind: "MarathonPullConfig", Name: "/pod/pullConfig", Namespace: "/simple-pod", Type: "pod", File: "app.json"}}},
		{"group", `{"id":"/g","apps":[{"id":"/g/a","fetch":[{"uri":"file:///etc/docker.tar.gz"}]}],"groups":[{"id":"/g/h","pods":[{"id":"/g/h/p","containers":[{"name":"c","artifacts":[{"uri":"https://x/docker.tgz"}]}]}]}]}`,
			[]Object{{Kind: "MarathonFetch", Name: "file:///etc/docker.tar.gz", Namespace: "/g/a", Type: "fetch", File: "app.json"}, {Kind: "MarathonFetch", Name: "https://x/docker.tgz", Namespace: "/g/h/p", Type: "artifacts", File: "app.json"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Marathon{}.Decode([]File{{Path: "app.json", Data: []byte(tt.data)}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, doc.Objects); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarathonDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, data, field string }{
		{"not json", `{"id":`, ""},
		{"no reference", `{"id":"/x","cmd":"sleep 1"}`, ""},
		{"undefined secret", `{"id":"/x","container":{"type":"MESOS","docker":{"image":"i","pullConfig":{"secret":"s"}}}}`, "container.docker.pullConfig.secret"},
		{"deep groups", strings.Repeat(`{"groups":[`, 40) + strings.Repeat(`]}`, 40), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Marathon{}.Decode([]File{{Path: "app.json", Data: []byte(tt.data)}})
			var fe *Error
			if !errors.As(err, &fe) || fe.File != "app.json" || fe.Field != tt.field {
				t.Fatalf("err = %v, want *Error at app.json %q", err, tt.field)
			}
		})
	}
}

func TestMarathonLint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data string
		want       []string // "severity rule field"
	}{
		{"pullConfig with DOCKER", `{"id":"/a","container":{"type":"DOCKER","docker":{"image":"i","pullConfig":{"secret":"s"}}},"secrets":{"s":{"source":"/p"}}}`,
			[]string{"error marathon-pullconfig-docker container.type"}},
		{"pullConfig without type", `{"id":"/a","container":{"docker":{"image":"i","pullConfig":{"secret":"s"}}},"secrets":{"s":{"source":"/p"}}}`,
			[]string{"error marathon-pullconfig-docker container.type"}},
		{"secret missing", `{"id":"/a","container":{"type":"MESOS","docker":{"image":"i","pullConfig":{"secret":"s"}}},"secrets":{"t":{"source":"/p"}}}`,
			[]string{"error marathon-secret-missing container.docker.pullConfig.secret"}},
		{"pod kind", `{"id":"/p","containers":[{"name":"c","image":{"kind":"APPC","id":"i","pullConfig":{"secret":"s"}}}],"secrets":{"s":{"source":"/p"}}}`,
			[]string{"error marathon-pod-image-kind containers[0].image.kind"}},
		{"bare config fetched", `{"id":"/a","fetch":[{"uri":"https://x/config.json"}]}`,
			[]string{"warning marathon-fetch-not-archive fetch[0].uri"}},
		{"docker.zip in uris", `{"id":"/a","uris":["file:///etc/docker.zip"]}`,
			[]string{"warning marathon-fetch-not-archive uris[0]"}},
		{"unrelated artifact", `{"id":"/a","fetch":[{"uri":"https://x/app.jar"},{"uri":"file:///etc/docker.tar.gz"}]}`, nil},
		{"extract false", `{"id":"/a","fetch":[{"uri":"file:///etc/docker.tar.gz","extract":false}]}`,
			[]string{"warning marathon-fetch-extract fetch[0].extract"}},
		{"tarball with UCR", `{"id":"/a","container":{"type":"MESOS","docker":{"image":"i"}},"fetch":[{"uri":"file:///etc/docker.tar.gz"}]}`,
			[]string{"warning marathon-fetch-ucr fetch[0].uri"}},
		{"nothing", `{"id":"/a"}`, []string{"warning marathon-no-reference "}},
		{"invalid", `[1,`, []string{"error marathon-invalid-json "}},
		{"in a group", `{"id":"/g","apps":[{"id":"/g/a","container":{"type":"DOCKER","docker":{"pullConfig":{"secret":"s"}}},"secrets":{"s":{"source":"/p"}}}]}`,
			[]string{"error marathon-pullconfig-docker apps[0].container.type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, f := range (Marathon{}).Lint([]File{{Path: "app.json", Data: []byte(tt.data)}}) {
				got = append(got, string(f.Severity)+" "+f.Rule+" "+f.Field)
				if f.File != "app.json" || f.Message == "" || f.Hint == "" {
					t.Errorf("incomplete finding %s", f)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarathonSniff(t *testing.T) {
	t.Parallel()
	files, _ := Marathon{}.Encode(marathonTestDoc())
	if !(Marathon{}).Sniff(files[0]) {
		t.Error("own snippet not recognised")
	}
	if (Marathon{}).Sniff(File{Data: []byte(`{"auths":{}}`)}) {
		t.Error("docker config taken for marathon")
	}
}

func FuzzDecodeMarathon(f *testing.F) {
	for _, m := range []Marathon{{}, {Legacy: true}, {PullConfig: true}, {Pod: true}} {
		files, _ := m.Encode(marathonTestDoc())
		f.Add(files[0].Data)
	}
	f.Add([]byte(`{"apps":[{"id":"/a","fetch":[{"uri":"x"}]}],"groups":[{"pods":[{"containers":[{"image":{"pullConfig":{"secret":"s"}}}]}]}]}`))
	f.Add([]byte(`[{"uris":["file:///docker.tar.gz"]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := []File{{Path: "app.json", Data: data}}
		doc, err := (Marathon{}).Decode(in)
		if err == nil && doc.Set.Len() != 0 {
			t.Error("a snippet decoded to credentials")
		}
		if err == nil && !json.Valid(data) {
			t.Error("invalid JSON accepted")
		}
		_ = (Marathon{}).Lint(in)
	})
}
