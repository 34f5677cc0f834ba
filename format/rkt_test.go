package format

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/regauth/regauth/credential"
)

var rktUpdate = flag.Bool("update-rkt", false, "rewrite format/testdata/rkt golden files")

const (
	rktSecretPassword = "s3cr3t-PLANTED-rkt-password"
	rktSecretToken    = "s3cr3t-PLANTED-rkt-token"
)

// rktTestDoc is the store the rkt tests export: a password entry, a
// host:port, Docker Hub and a token.
func rktTestDoc() *Document {
	return NewDocument(
		credential.Entry{Pattern: credential.MustPattern("registry.example.io"), Credential: credential.Credential{Username: "giffeeLover93", Password: rktSecretPassword}},
		credential.Entry{Pattern: credential.MustPattern("registry.example.io:5000"), Credential: credential.Credential{Username: "robot", Password: rktSecretPassword}},
		credential.Entry{Pattern: credential.MustPattern("docker.io"), Credential: credential.Credential{Username: "hubuser", Password: rktSecretPassword}},
		credential.Entry{Pattern: credential.MustPattern("tokens.example.io"), Credential: credential.Credential{RegistryToken: rktSecretToken}},
	)
}

// rktGolden compares files with the golden directory dir (every file in
// it, no more, no less); a single stream is stored as single.
func rktGolden(t *testing.T, update bool, dir, single string, files []File) {
	t.Helper()
	if update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, f := range files {
		name := f.Path
		if name == "" {
			name = single
		}
		names = append(names, name)
		p := filepath.Join(dir, filepath.FromSlash(name))
		if update {
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run go test ./format/ -update-%s)", err, filepath.Base(filepath.Dir(dir)))
		}
		if diff := cmp.Diff(string(want), string(f.Data)); diff != "" {
			t.Errorf("%s differs from golden (-want +got):\n%s", p, diff)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !slices.Contains(names, e.Name()) {
			t.Errorf("golden %s/%s was not produced", dir, e.Name())
		}
	}
}

// rktCmp compares entries ignoring where they were read from.
var rktCmp = cmpopts.IgnoreFields(credential.Entry{}, "Source")

func TestRktEncodeGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		codec Rkt
		doc   *Document
	}{
		{"auth", Rkt{}, rktTestDoc()},
		{"dockerauth", Rkt{DockerAuth: true}, NewDocument(rktTestDoc().Entries()[:3]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, err := tt.codec.Encode(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if f.Mode != 0o600 {
					t.Errorf("%s: mode %o, want 0600", f.Path, f.Mode)
				}
			}
			again, _ := tt.codec.Encode(tt.doc)
			if diff := cmp.Diff(files, again); diff != "" {
				t.Errorf("not deterministic:\n%s", diff)
			}
			rktGolden(t, *rktUpdate, filepath.Join("testdata", "rkt", tt.name), "", files)
		})
	}
}

func TestRktRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		codec Rkt
		in    []credential.Entry
		want  []credential.Entry // nil: same as in
	}{
		{"basic", Rkt{}, rktTestDoc().Entries()[:3], nil},
		{"oauth", Rkt{}, rktTestDoc().Entries()[3:], nil},
		{"dockerauth", Rkt{DockerAuth: true}, rktTestDoc().Entries()[:3], nil},
		{"identity token becomes the bearer token rkt sends",
			Rkt{},
			[]credential.Entry{{Pattern: credential.MustPattern("id.example.io"), Credential: credential.Credential{Username: credential.TokenUsername, IdentityToken: rktSecretToken}}},
			[]credential.Entry{{Pattern: credential.MustPattern("id.example.io"), Credential: credential.Credential{RegistryToken: rktSecretToken}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, err := tt.codec.Encode(NewDocument(tt.in...))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := tt.codec.Decode(files)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == nil {
				want = tt.in
			}
			got := doc.Entries()
			byKey := func(a, b credential.Entry) int { return strings.Compare(a.Pattern.String(), b.Pattern.String()) }
			slices.SortFunc(got, byKey)
			want = slices.Clone(want)
			slices.SortFunc(want, byKey)
			if diff := cmp.Diff(want, got, rktCmp); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			for _, e := range got {
				if e.Source.Label != "rkt" || e.Source.File == "" || e.Source.Key == "" {
					t.Errorf("%s: incomplete source %+v", e.Pattern, e.Source)
				}
			}
		})
	}
}

func TestRktEncodeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		codec Rkt
		entry credential.Entry
		want  string
	}{
		{"path", Rkt{}, credential.Entry{Pattern: credential.MustPattern("quay.io/team"), Credential: credential.Credential{Username: "u", Password: rktSecretPassword}}, "exact host"},
		{"glob", Rkt{}, credential.Entry{Pattern: credential.MustPattern("*.example.io"), Credential: credential.Credential{Username: "u", Password: rktSecretPassword}}, "wildcard"},
		{"token in dockerAuth", Rkt{DockerAuth: true}, credential.Entry{Pattern: credential.MustPattern("quay.io"), Credential: credential.Credential{RegistryToken: rktSecretToken}}, "user and password only"},
		{"helper", Rkt{}, credential.Entry{Pattern: credential.MustPattern("quay.io"), Helper: "pass"}, "credential helper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.codec.Encode(NewDocument(tt.entry))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			rktNoSecret(t, err.Error())
		})
	}
}

func rktNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{rktSecretPassword, rktSecretToken} {
		if strings.Contains(s, secret) {
			t.Errorf("text reveals a secret: %s", s)
		}
	}
}

// TestRktDecodeSeed reads the seed's file as written: the URL in domains is
// read like a config key.
func TestRktDecodeSeed(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "rkt", "seed", "registry.example.io.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Rkt{}.Decode([]File{{Path: "registry.example.io.json", Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	want := []credential.Entry{{
		Pattern:    credential.Pattern{Host: "registry.example.io", Path: "v0"},
		Credential: credential.Credential{Username: "giffeeLover93", Password: "passphrases are great!"},
		Source:     credential.Source{Label: "rkt", File: "registry.example.io.json", Key: "https://registry.example.io/v0/", Via: "auth"},
	}}
	if diff := cmp.Diff(want, doc.Entries()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRktDecodeDirectory(t *testing.T) {
	t.Parallel()
	files := []File{
		{Path: "README.md", Data: []byte("not json")},
		{Path: "sub/x.json", Data: []byte("{")},
		{Path: "a.json", Data: []byte(`{"rktKind":"dockerAuth","rktVersion":"v1","registries":["quay.io","gcr.io"],"credentials":{"user":"u","password":"` + rktSecretPassword + `"}}`)},
		{Path: "b.json", Data: []byte(`{"rktKind":"auth","rktVersion":"v1","domains":["quay.io"],"type":"oauth","credentials":{"token":"` + rktSecretToken + `"}}`)},
	}
	doc, err := Rkt{}.Decode(files)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range doc.Entries() {
		got = append(got, e.Source.File+":"+e.Pattern.String()+":"+e.Credential.Kind())
	}
	want := []string{"a.json:quay.io:" + (credential.Credential{Password: "x"}).Kind(), "a.json:gcr.io:" + (credential.Credential{Password: "x"}).Kind(), "b.json:quay.io:" + (credential.Credential{RegistryToken: "x"}).Kind()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRktDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, data, field string }{
		{"not json", `{"rktKind":`, ""},
		{"kind", `{"rktKind":"paths","rktVersion":"v1"}`, "rktKind"},
		{"version", `{"rktKind":"auth","rktVersion":"v2","domains":["a.io"],"type":"basic","credentials":{"user":"u","password":"` + rktSecretPassword + `"}}`, "rktVersion"},
		{"no credentials", `{"rktKind":"auth","rktVersion":"v1","domains":["a.io"],"type":"basic"}`, "credentials"},
		{"no password", `{"rktKind":"auth","rktVersion":"v1","domains":["a.io"],"type":"basic","credentials":{"user":"` + rktSecretPassword + `"}}`, "credentials"},
		{"type", `{"rktKind":"auth","rktVersion":"v1","domains":["a.io"],"type":"` + rktSecretPassword + `","credentials":{"token":"` + rktSecretToken + `"}}`, "type"},
		{"no domains", `{"rktKind":"dockerAuth","rktVersion":"v1","domains":["a.io"],"credentials":{"user":"u","password":"` + rktSecretPassword + `"}}`, "registries"},
		{"bad domain", `{"rktKind":"auth","rktVersion":"v1","domains":["a b"],"type":"oauth","credentials":{"token":"` + rktSecretToken + `"}}`, "domains[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Rkt{}.Decode([]File{{Path: "x.json", Data: []byte(tt.data)}})
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if fe.File != "x.json" || fe.Field != tt.field {
				t.Errorf("err = %v, want file x.json field %q", err, tt.field)
			}
			rktNoSecret(t, err.Error())
		})
	}
}

func TestRktLint(t *testing.T) {
	t.Parallel()
	ok := func(kind, list, dom string) string {
		if kind == "dockerAuth" {
			return `{"rktKind":"dockerAuth","rktVersion":"v1","` + list + `":["` + dom + `"],"credentials":{"user":"u","password":"` + rktSecretPassword + `"}}`
		}
		return `{"rktKind":"auth","rktVersion":"v1","` + list + `":["` + dom + `"],"type":"basic","credentials":{"user":"u","password":"` + rktSecretPassword + `"}}`
	}
	tests := []struct {
		name  string
		files []File
		want  []string // "severity rule file field"
	}{
		{"clean", []File{{Path: "a.json", Data: []byte(ok("auth", "domains", "quay.io"))}}, nil},
		{"duplicate across files", []File{
			{Path: "a.json", Data: []byte(ok("auth", "domains", "quay.io"))},
			{Path: "b.json", Data: []byte(ok("auth", "domains", "quay.io"))},
		}, []string{"error rkt-duplicate-domain b.json domains[0]"}},
		{"same host spelled twice", []File{
			{Path: "a.json", Data: []byte(ok("dockerAuth", "registries", "quay.io"))},
			{Path: "b.json", Data: []byte(ok("dockerAuth", "registries", "QUAY.io"))},
		}, []string{"warning rkt-duplicate-domain b.json registries[0]"}},
		{"kinds do not collide", []File{
			{Path: "a.json", Data: []byte(ok("auth", "domains", "quay.io"))},
			{Path: "b.json", Data: []byte(ok("dockerAuth", "registries", "quay.io"))},
		}, nil},
		{"seed url", []File{{Path: "s.json", Data: []byte(ok("auth", "domains", "https://registry.example.io/v0/"))}}, []string{"warning rkt-domain-url s.json domains[0]"}},
		{"kind", []File{{Path: "a.json", Data: []byte(`{"rktKind":"paths","rktVersion":"v1"}`)}}, []string{"error rkt-kind a.json rktKind"}},
		{"missing kind", []File{{Path: "a.json", Data: []byte(`{"rktVersion":"v1"}`)}}, []string{"error rkt-kind a.json rktKind"}},
		{"version", []File{{Path: "a.json", Data: []byte(strings.Replace(ok("auth", "domains", "a.io"), `"v1"`, `"v2"`, 1))}}, []string{"error rkt-version a.json rktVersion"}},
		{"type", []File{{Path: "a.json", Data: []byte(strings.Replace(ok("auth", "domains", "a.io"), `"basic"`, `"digest"`, 1))}}, []string{"error rkt-type a.json type"}},
		{"missing credentials", []File{{Path: "a.json", Data: []byte(`{"rktKind":"auth","rktVersion":"v1","domains":["a.io"],"type":"oauth"}`)}}, []string{"error rkt-missing-credentials a.json credentials"}},
		{"dockerAuth with domains", []File{{Path: "a.json", Data: []byte(ok("dockerAuth", "domains", "gcr.io"))}}, []string{"error rkt-no-domains a.json registries"}},
		{"invalid domain", []File{{Path: "a.json", Data: []byte(ok("auth", "domains", "a b"))}}, []string{"error rkt-invalid-domain a.json domains[0]"}},
		{"invalid json", []File{{Path: "a.json", Data: []byte(`{`)}}, []string{"error rkt-invalid-json a.json "}},
		{"ignored file", []File{
			{Path: "a.json", Data: []byte(ok("auth", "domains", "quay.io"))},
			{Path: "b.json.bak", Data: []byte(ok("auth", "domains", "quay.io"))},
		}, []string{"warning rkt-ignored-file b.json.bak "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			findings := Rkt{}.Lint(tt.files)
			var got []string
			for _, f := range findings {
				got = append(got, string(f.Severity)+" "+f.Rule+" "+f.File+" "+f.Field)
				if f.Message == "" || f.Hint == "" {
					t.Errorf("%s: finding lacks message or hint", f)
				}
				rktNoSecret(t, f.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRktSniff(t *testing.T) {
	t.Parallel()
	if !(Rkt{}).Sniff(File{Data: []byte(`{"rktKind":"auth"}`)}) {
		t.Error("rkt file not recognised")
	}
	if (Rkt{}).Sniff(File{Data: []byte(`{"auths":{}}`)}) {
		t.Error("docker config taken for rkt")
	}
}

func FuzzDecodeRkt(f *testing.F) {
	files, _ := Rkt{}.Encode(rktTestDoc())
	for _, file := range files {
		f.Add(file.Data)
	}
	f.Add([]byte(`{"rktKind":"dockerAuth","rktVersion":"v1","registries":["quay.io"],"credentials":{"user":"u","password":"` + rktSecretPassword + `"}}`))
	f.Add([]byte(`{"rktKind":"auth","rktVersion":"v1","domains":["https://registry.example.io/v0/"],"type":"basic","credentials":{"user":"u","password":"` + rktSecretPassword + `"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]File{{{Path: "x.json", Data: data}}, {{Path: "a.json", Data: data}, {Path: "b.json", Data: data}}} {
			_, err := Rkt{}.Decode(in)
			if err != nil {
				rktNoSecret(t, err.Error())
			}
			for _, finding := range (Rkt{}).Lint(in) {
				rktNoSecret(t, finding.String())
			}
		}
	})
}
