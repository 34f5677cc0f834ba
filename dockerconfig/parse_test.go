package dockerconfig

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// seedConfig is the example from the Flatcar registry-authentication guide.
const seedConfig = `{
    "auths": {
        "https://index.docker.io/v1/": {
            "auth": "dXNlcjpwYXNz"
        },
        "quay.io": {
            "xxxx": "xxxxxxxxxxxxxxxxxxxxxxxx"
        },
        "https://registry.example.io/v0/": {
            "auth": "Z2lmZmVlTG92ZXI5MzpwYXNzcGhyYXNlcyBhcmUgZ3JlYXQh"
        }
    }
}`

const dockerShaped = `{
	"auths": {
		"ghcr.io": {
			"auth": "b2N0b2NhdDpnaHBfc2VjcmV0"
		},
		"registry.example.io:5000": {
			"auth": "Ym9iOg==",
			"identitytoken": "refresh-token"
		}
	},
	"HttpHeaders": {
		"X-Meta": "yes"
	},
	"psFormat": "table {{.ID}}",
	"credsStore": "desktop",
	"credHelpers": {
		"123456789012.dkr.ecr.us-east-1.amazonaws.com": "ecr-login",
		"gcr.io": "gcloud"
	},
	"proxies": {
		"default": {
			"httpProxy": "http://proxy:3128",
			"noProxy": "localhost"
		}
	},
	"currentContext": "colima",
	"x-vendor": {
		"nested": [
			1,
			2.50,
			{
				"deep": null
			}
		],
		"flag": true
	}
}`

const podmanShaped = `{
	"auths": {
		"quay.io": {
			"auth": "cm9ib3Q6dG9rZW4="
		},
		"quay.io/team/app": {
			"auth": "cm9ib3QyOnRva2VuMg=="
		}
	}
}`

// cmpFile compares parsed Files including their unexported layout.
var cmpFile = []cmp.Option{
	cmp.AllowUnexported(File{}, AuthEntry{}, member{}),
	cmpopts.EquateEmpty(),
}

// asAny decodes JSON for comparing meaning rather than bytes.
func asAny(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, data)
	}
	return v
}

func TestRoundTripKeepsMeaning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{"seed example", seedConfig},
		{"docker with unknown fields", dockerShaped},
		{"podman auth.json", podmanShaped},
		{"unknown per-entry fields", `{"auths":{"r.io":{"auth":"dTpw","email":"a@b.c","serveraddress":"r.io","x":{"y":[true,null]}}}}`},
		{"only unknowns", `{"auths":{},"plugins":{"buildx":{"k":"v"}},"aliases":{"builder":"buildx"},"features":{"hooks":"true"}}`},
		{"unicode and escapes", `{"auths":{"r\u00e9g.io":{"auth":"dTpw"}},"x":"\u003c\u2028tab\there"}`},
		{"big numbers kept exactly", `{"auths":{},"x":12345678901234567890123,"y":1e400,"z":-0.0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			out, err := f.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if diff := cmp.Diff(asAny(t, []byte(tt.in)), asAny(t, out)); diff != "" {
				t.Errorf("meaning changed (-in +out):\n%s", diff)
			}
			// Numbers must survive as written, not through float64.
			for _, lit := range []string{"12345678901234567890123", "1e400", "-0.0", "2.50"} {
				if strings.Contains(tt.in, lit) && !bytes.Contains(out, []byte(lit)) {
					t.Errorf("number %s rewritten:\n%s", lit, out)
				}
			}
			g, err := Parse(out)
			if err != nil {
				t.Fatalf("Parse(Marshal): %v", err)
			}
			if diff := cmp.Diff(f, g, cmpFile...); diff != "" {
				t.Errorf("second parse differs (-first +second):\n%s", diff)
			}
		})
	}
}

// A file docker wrote comes back byte for byte: same order, same layout.
func TestMarshalMatchesDockerBytes(t *testing.T) {
	t.Parallel()
	cf := configfile.New("")
	if err := cf.LoadFromReader(strings.NewReader(dockerShaped)); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := cf.SaveToWriter(&want); err != nil {
		t.Fatal(err)
	}
	f, err := Parse(want.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), string(got)); diff != "" {
		t.Errorf("Marshal differs from docker's output (-docker +ours):\n%s", diff)
	}
}

func TestMarshalNew(t *testing.T) {
	t.Parallel()
	f := New()
	f.Auths["b.io"] = &AuthEntry{}
	f.Auths["a.io"] = nil
	f.Auths["b.io"].SetCredentials("u", "p", "", "")
	f.CredHelpers = map[string]string{"gcr.io": "gcloud"}
	got, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n\t\"auths\": {\n\t\t\"a.io\": {},\n\t\t\"b.io\": {\n\t\t\t\"auth\": \"dTpw\"\n\t\t}\n\t},\n\t\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\"\n\t}\n}"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Parse resolves fields exactly as docker's loader does, including its
// case-insensitive matching, duplicate keys and nulls.
func TestParseAgreesWithDocker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ``},
		{"whitespace", " \n\t "},
		{"null", `null`},
		{"empty object", `{}`},
		{"auths null", `{"auths":null}`},
		{"entry null", `{"auths":{"r.io":null}}`},
		{"case variants", `{"Auths":{"r.io":{"AUTH":"dTpw","IdentityToken":"t"}},"CREDSSTORE":"osxkeychain"}`},
		{"duplicate auths merge", `{"auths":{"a.io":{"auth":"dTpw"}},"auths":{"b.io":{"auth":"djp3"}}}`},
		{"duplicate host replaces", `{"auths":{"a.io":{"username":"x"},"a.io":{"password":"y"}}}`},
		{"null string ignored", `{"auths":{"a.io":{"username":"x","username":null}},"credsStore":"s","credsStore":null}`},
		{"auth wins over username", `{"auths":{"a.io":{"auth":"dTpw","username":"other","password":"pw"}}}`},
		{"username without auth", `{"auths":{"a.io":{"username":"other","password":"pw"}}}`},
		{"registry token", `{"auths":{"a.io":{"registrytoken":"bearer"}}}`},
		{"broken auth replaced by duplicate", `{"auths":{"a.io":{"auth":"!!"},"a.io":{"auth":"dTpw"}}}`},
		{"broken auth overwritten in entry", `{"auths":{"a.io":{"auth":"!!","auth":""}}}`},
		{"cred helpers null reset", `{"credHelpers":{"a":"x"},"credHelpers":null,"credHelpers":{"b":"y"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cf := configfile.New("")
			if err := cf.LoadFromReader(strings.NewReader(tt.in)); err != nil {
				t.Fatalf("docker: %v", err)
			}
			f, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(dockerView(t, cf), ourView(t, f), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-docker +ours):\n%s", diff)
			}
			// And what we write back still means the same to docker.
			out, err := f.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			cf2 := configfile.New("")
			if err := cf2.LoadFromReader(bytes.NewReader(out)); err != nil {
				t.Fatalf("docker on our output: %v", err)
			}
			if diff := cmp.Diff(dockerView(t, cf), dockerView(t, cf2), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("docker reads our output differently (-before +after):\n%s", diff)
			}
		})
	}
}

// view is the credential-relevant content of a config, in docker's terms.
type view struct {
	Auths       map[string][4]string // user, pass, identity token, registry token
	CredsStore  string
	CredHelpers map[string]string
}

func dockerView(t *testing.T, cf *configfile.ConfigFile) view {
	t.Helper()
	v := view{Auths: map[string][4]string{}, CredsStore: cf.CredentialsStore, CredHelpers: cf.CredentialHelpers}
	for k, a := range cf.AuthConfigs {
		v.Auths[k] = [4]string{a.Username, a.Password, a.IdentityToken, a.RegistryToken}
	}
	return v
}

func ourView(t *testing.T, f *File) view {
	t.Helper()
	v := view{Auths: map[string][4]string{}, CredsStore: f.CredsStore, CredHelpers: f.CredHelpers}
	for k, e := range f.Auths {
		u, p, it, rt, err := e.Credentials()
		if err != nil {
			t.Fatalf("Credentials(%q): %v", k, err)
		}
		v.Auths[k] = [4]string{u, p, it, rt}
	}
	return v
}
