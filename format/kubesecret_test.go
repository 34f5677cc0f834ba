package format

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/yaml"

	"github.com/regauth/regauth/credential"
)

var updateKube = flag.Bool("update-kube", false, "rewrite testdata/kubesecret golden files (from kubectl where kubectl can produce them)")

const kubePlanted = "Pl4nted-kube-pw"

// kubeCred is one credential as kubectl's flags take it.
type kubeCred struct{ server, user, pass, email string }

func (c kubeCred) entry() credential.Entry {
	return credential.Entry{Pattern: credential.MustPattern(c.server), Credential: credential.Credential{Username: c.user, Password: c.pass}, Email: c.email}
}

func kubeDoc(creds ...kubeCred) *Document {
	d := NewDocument()
	for _, c := range creds {
		d.Set.Add(c.entry())
	}
	return d
}

// kubeSample has every kind of credential and a shadowed duplicate.
func kubeSample() *Document {
	return NewDocument(
		credential.Entry{Pattern: credential.MustPattern("quay.io"), Credential: credential.Credential{Username: "robot+ci", Password: kubePlanted}, Email: "ci@example.com"},
		credential.Entry{Pattern: credential.MustPattern("docker.io"), Credential: credential.Credential{Username: "jane", Password: "p:w<&>"}},
		credential.Entry{Pattern: credential.MustPattern("registry.example.com/team"), Credential: credential.Credential{Username: "team", IdentityToken: "refresh-tok"}},
		credential.Entry{Pattern: credential.MustPattern("localhost:5000"), Credential: credential.Credential{RegistryToken: "bearer-tok"}},
		credential.Entry{Pattern: credential.MustPattern("quay.io"), Credential: credential.Credential{Username: "shadowed", Password: "x"}},
	)
}

var kubeCmp = cmp.Options{cmpopts.IgnoreFields(credential.Entry{}, "Source")}

func kubeSorted(es []credential.Entry) []credential.Entry {
	out := append([]credential.Entry(nil), es...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pattern.String() < out[j].Pattern.String() })
	return out
}

// kubectlCreate runs the real `kubectl create secret docker-registry
// --dry-run=client`, adding labels and annotations the only way kubectl
// can, with `label --local` and `annotate --local` (YAML only: their JSON
// output is unstructured, with sorted keys). The passwords are test values.
func kubectlCreate(t *testing.T, k KubeSecret, c kubeCred) []byte {
	t.Helper()
	out := k.Output
	if out == "" {
		out = "yaml"
	}
	args := []string{"create", "secret", "docker-registry", k.SecretName, "--docker-server=" + c.server,
		"--docker-username=" + c.user, "--docker-password=" + c.pass, "--dry-run=client", "-o", out}
	if c.email != "" {
		args = append(args, "--docker-email="+c.email)
	}
	if k.Namespace != "" {
		args = append(args, "--namespace="+k.Namespace)
	}
	data := kubectl(t, nil, args...)
	if len(k.Labels) > 0 {
		args := []string{"label", "--local", "-f", "-", "-o", out}
		for _, l := range sortedKeys(k.Labels) {
			args = append(args, l+"="+k.Labels[l])
		}
		data = kubectl(t, data, args...)
	}
	if len(k.Annotations) > 0 {
		args := []string{"annotate", "--local", "-f", "-", "-o", out}
		for _, a := range sortedKeys(k.Annotations) {
			args = append(args, a+"="+k.Annotations[a])
		}
		data = kubectl(t, data, args...)
	}
	return data
}

func kubectl(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("kubectl", args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl %s: %v: %s", args[0], err, stderr.String())
	}
	return out
}

var kubeGoldenCases = []struct {
	name    string
	k       KubeSecret
	creds   []kubeCred
	kubectl bool // kubectl can produce this output
}{
	{"basic.yaml", KubeSecret{SecretName: "my-secret"}, []kubeCred{{"quay.io", "robot+ci", kubePlanted, "ci@example.com"}}, true},
	{"basic.json", KubeSecret{SecretName: "my-secret", Output: "json"}, []kubeCred{{"quay.io", "robot+ci", kubePlanted, "ci@example.com"}}, true},
	{"escaping.json", KubeSecret{SecretName: "pull", Namespace: "team", Output: "json"}, []kubeCred{{"registry.example.com:5000", "robot$ci", `p<>&"\ü'x`, ""}}, true},
	{"dockerhub.yaml", KubeSecret{SecretName: "hub", Namespace: "default"}, []kubeCred{{"https://index.docker.io/v1/", "jane", "s3cret", "jane@example.com"}}, true},
	{"labels.yaml", KubeSecret{SecretName: "regcred", Namespace: "apps", Labels: map[string]string{"app.kubernetes.io/managed-by": "regauth", "tier": "web"},
		Annotations: map[string]string{"regauth.io/source": "store <main> & more"}}, []kubeCred{{"ghcr.io", "octo", "ghp_x", ""}}, true},
	{"multi.yaml", KubeSecret{SecretName: "all"}, []kubeCred{{"quay.io", "a", "1", "a@example.com"}, {"ghcr.io", "b", "2", ""}, {"docker.io", "c", "3", ""}}, false},
	{"multi.json", KubeSecret{SecretName: "all", Output: "json", Labels: map[string]string{"x": "y"}}, []kubeCred{{"quay.io", "a", "1", ""}, {"ghcr.io", "b", "2", ""}}, false},
	{"dockercfg.yaml", KubeSecret{SecretName: "legacy", Type: corev1.SecretTypeDockercfg}, []kubeCred{{"quay.io", "a", "1", "a@example.com"}, {"ghcr.io", "b", "2", ""}}, false},
	{"dockercfg.json", KubeSecret{SecretName: "legacy", Type: corev1.SecretTypeDockercfg, Output: "json"}, []kubeCred{{"quay.io", "a", "1", ""}}, false},
	{"no-timestamp.yaml", KubeSecret{SecretName: "new", OmitCreationTimestamp: true}, []kubeCred{{"quay.io", "a", "1", ""}}, false},
	{"snippet-pod.yaml", KubeSecret{SecretName: "regcred", Snippet: "pod"}, nil, false},
	{"snippet-serviceaccount.yaml", KubeSecret{SecretName: "regcred", Snippet: "serviceaccount"}, nil, false},
}

func TestKubeSecretGolden(t *testing.T) {
	t.Parallel()
	_, lookErr := exec.LookPath("kubectl")
	for _, tt := range kubeGoldenCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, err := tt.k.Encode(kubeDoc(tt.creds...))
			if err != nil {
				t.Fatal(err)
			}
			wantMode := os.FileMode(0o600)
			if tt.k.Snippet != "" {
				wantMode = 0o644
			}
			if len(files) != 1 || files[0].Path != "" || files[0].Mode != wantMode {
				t.Fatalf("files = %+v", files)
			}
			got := files[0].Data
			path := filepath.Join("testdata", "kubesecret", tt.name)
			if *updateKube {
				want := got
				if tt.kubectl {
					want = kubectlCreate(t, tt.k, tt.creds[0])
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update-kube)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("golden %s (-want +got):\n%s", tt.name, diff)
			}
			if !tt.kubectl || lookErr != nil {
				return
			}
			// Also against the kubectl on this machine, whichever version:
			// 1.34 and later print no creationTimestamp.
			live := kubectlCreate(t, tt.k, tt.creds[0])
			k := tt.k
			k.OmitCreationTimestamp = !bytes.Contains(live, []byte(`creationTimestamp`))
			files, err = k.Encode(kubeDoc(tt.creds...))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(live), string(files[0].Data)); diff != "" {
				t.Errorf("kubectl (-kubectl +regauth):\n%s", diff)
			}
		})
	}
}

func TestKubeSecretRoundTrip(t *testing.T) {
	t.Parallel()
	for _, typ := range []corev1.SecretType{"", corev1.SecretTypeDockercfg} {
		for _, out := range []string{"", "json"} {
			k := KubeSecret{SecretName: "pull", Namespace: "ci", Type: typ, Output: out}
			t.Run(string(typ)+"/"+out, func(t *testing.T) {
				t.Parallel()
				files, err := k.Encode(kubeSample())
				if err != nil {
					t.Fatal(err)
				}
				doc, err := k.Decode([]File{{Path: "pull.yaml", Data: files[0].Data}})
				if err != nil {
					t.Fatal(err)
				}
				want := kubeSample().Entries()[:4] // the shadowed duplicate is not written
				if diff := cmp.Diff(kubeSorted(want), kubeSorted(doc.Entries()), kubeCmp); diff != "" {
					t.Errorf("entries (-want +got):\n%s", diff)
				}
				wantType, _ := k.kubeType()
				wantObj := []Object{{Kind: "Secret", Name: "pull", Namespace: "ci", Type: string(wantType), File: "pull.yaml"}}
				if diff := cmp.Diff(wantObj, doc.Objects); diff != "" {
					t.Errorf("objects (-want +got):\n%s", diff)
				}
				src := doc.Entries()[0].Source
				if src.Label != kubeName || src.File != "pull.yaml" || src.Via != "Secret ci/pull" || src.Key == "" {
					t.Errorf("source = %+v", src)
				}
			})
		}
	}
}

// TestKubeSecretRealConsumers decodes the output with the API machinery's
// strict serializer, as the API server does, and loads the embedded config
// with docker's own configfile.
func TestKubeSecretRealConsumers(t *testing.T) {
	t.Parallel()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []corev1.SecretType{corev1.SecretTypeDockerConfigJson, corev1.SecretTypeDockercfg} {
		for _, out := range []string{"yaml", "json"} {
			k := KubeSecret{SecretName: "pull", Type: typ, Output: out, Labels: map[string]string{"a": "b"}}
			t.Run(string(typ)+"/"+out, func(t *testing.T) {
				t.Parallel()
				files, err := k.Encode(kubeSample())
				if err != nil {
					t.Fatal(err)
				}
				ser := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Yaml: out == "yaml", Strict: true})
				obj, _, err := ser.Decode(files[0].Data, nil, nil)
				if err != nil {
					t.Fatalf("strict decode: %v", err)
				}
				sec, ok := obj.(*corev1.Secret)
				if !ok {
					t.Fatalf("decoded a %T", obj)
				}
				_, key := k.kubeType()
				if sec.Type != typ || len(sec.Data) != 1 || sec.Data[key] == nil || sec.Name != "pull" || sec.Labels["a"] != "b" {
					t.Fatalf("secret = type %q, keys %v, meta %+v", sec.Type, sortedKeys(sec.Data), sec.ObjectMeta)
				}
				cfg := sec.Data[key]
				if typ == corev1.SecretTypeDockercfg {
					cfg = append(append([]byte(`{"auths":`), cfg...), '}') // what docker's legacy loader did
				}
				cf := configfile.New("config.json")
				if err := cf.LoadFromReader(bytes.NewReader(cfg)); err != nil {
					t.Fatalf("docker configfile: %v", err)
				}
				for _, e := range kubeSample().Entries()[:4] {
					ac, err := cf.GetAuthConfig(e.Pattern.Key())
					if err != nil {
						t.Fatal(err)
					}
					c := e.Credential
					if ac.Username != c.Username || ac.Password != c.Password || ac.IdentityToken != c.IdentityToken || ac.RegistryToken != c.RegistryToken {
						t.Errorf("%s: docker reads user %q, tokens %q %q (password equal: %v)", e.Pattern.Key(), ac.Username, ac.IdentityToken, ac.RegistryToken, ac.Password == c.Password)
					}
				}
			})
		}
	}
	t.Run("snippets", func(t *testing.T) {
		t.Parallel()
		for _, snip := range []string{"pod", "serviceaccount"} {
			files, err := KubeSecret{SecretName: "regcred", Snippet: snip}.Encode(NewDocument())
			if err != nil {
				t.Fatal(err)
			}
			var refs []corev1.LocalObjectReference
			if snip == "pod" {
				var spec corev1.PodSpec
				err = yaml.UnmarshalStrict(files[0].Data, &spec)
				refs = spec.ImagePullSecrets
			} else {
				var sa corev1.ServiceAccount
				err = yaml.UnmarshalStrict(files[0].Data, &sa)
				refs = sa.ImagePullSecrets
			}
			if err != nil || len(refs) != 1 || refs[0].Name != "regcred" {
				t.Errorf("%s: %v %+v", snip, err, refs)
			}
		}
	})
}

func TestKubeSecretDecodeInputs(t *testing.T) {
	t.Parallel()
	quay := credential.Entry{Pattern: credential.MustPattern("quay.io"), Credential: credential.Credential{Username: "robot+ci", Password: kubePlanted}, Email: "ci@example.com"}
	ghcr := credential.Entry{Pattern: credential.MustPattern("ghcr.io"), Credential: credential.Credential{Username: "octo", Password: "ghp_x"}}
	hub := credential.Entry{Pattern: credential.MustPattern("docker.io"), Credential: credential.Credential{Username: "jane", Password: "s3cret"}, Email: "jane@example.com"}
	tests := []struct {
		file    string
		want    []credential.Entry
		objects []string // namespace/name type
	}{
		{"get.yaml", []credential.Entry{quay}, []string{"ci/regcred kubernetes.io/dockerconfigjson"}},
		{"get.json", []credential.Entry{quay}, []string{"ci/regcred kubernetes.io/dockerconfigjson"}},
		{"list.yaml", []credential.Entry{ghcr, hub, quay}, []string{"apps/ghcr kubernetes.io/dockerconfigjson", "apps/legacy kubernetes.io/dockercfg", "apps/quay kubernetes.io/dockerconfigjson"}},
		{"multidoc.yaml", []credential.Entry{ghcr, quay}, []string{"/plain kubernetes.io/dockerconfigjson", "/legacy kubernetes.io/dockercfg"}},
		{"basic.json", []credential.Entry{quay}, []string{"/my-secret kubernetes.io/dockerconfigjson"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", "kubesecret", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f := File{Path: tt.file, Data: data}
			if !(KubeSecret{}).Sniff(f) {
				t.Error("Sniff = false")
			}
			doc, err := KubeSecret{}.Decode([]File{f})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(kubeSorted(tt.want), kubeSorted(doc.Entries()), kubeCmp); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			var objs []string
			for _, o := range doc.Objects {
				if o.Kind != "Secret" || o.File != tt.file {
					t.Errorf("object %+v", o)
				}
				objs = append(objs, o.Namespace+"/"+o.Name+" "+o.Type)
			}
			if diff := cmp.Diff(tt.objects, objs); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func kubeB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// kubeSecretYAML is a pull Secret with content under key.
func kubeSecretYAML(typ, key, content string) string {
	return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ntype: " + typ + "\ndata:\n  " + key + ": " + content + "\n"
}

var kubeBadInputs = []struct{ name, in, want string }{
	{"not yaml", "kind: Secret\n  data: [" + kubePlanted + "\n", "invalid YAML or JSON"},
	{"yaml map key", "{" + kubePlanted + ": 1}: x\n", "invalid YAML or JSON"},
	{"not json", `{"kind": "Secret", "data": "` + kubePlanted, "invalid YAML or JSON"},
	{"data not a map", "kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata: " + kubePlanted + "\n", "data: is a string"},
	{"bad base64", kubeSecretYAML("kubernetes.io/dockerconfigjson", ".dockerconfigjson", "'{\"auths\": \""+kubePlanted+"\"}'"), "invalid base64"},
	{"not a config", kubeSecretYAML("kubernetes.io/dockerconfigjson", ".dockerconfigjson", kubeB64("robot:"+kubePlanted)), "Invalid value"},
	{"auth no colon", kubeSecretYAML("kubernetes.io/dockerconfigjson", ".dockerconfigjson", kubeB64(`{"auths":{"quay.io":{"auth":"`+kubeB64(kubePlanted)+`"}}}`)), `auths["quay.io"].auth`},
	{"legacy auth no colon", kubeSecretYAML("kubernetes.io/dockercfg", ".dockercfg", kubeB64(`{"quay.io":{"auth":"`+kubeB64(kubePlanted)+`"}}`)), `["quay.io"].auth`},
	{"key mismatch", kubeSecretYAML("kubernetes.io/dockerconfigjson", ".dockercfg", kubeB64(`{"quay.io":{"password":"`+kubePlanted+`"}}`)), `has no ".dockerconfigjson" key`},
	{"opaque only", kubeSecretYAML("Opaque", "password", kubeB64(kubePlanted)), "no credentials"},
	{"empty", "", "no credentials"},
}

func TestKubeSecretDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range kubeBadInputs {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := KubeSecret{}.Decode([]File{{Path: "bad.yaml", Data: []byte(tt.in)}})
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || !strings.HasPrefix(msg, "bad.yaml: ") || strings.Contains(msg, kubePlanted) {
				t.Errorf("err = %q, want %q, file name, no secret", msg, tt.want)
			}
			if tt.want == "no credentials" && !errors.Is(err, ErrNoCredentials) {
				t.Errorf("err = %v, want ErrNoCredentials", err)
			}
		})
	}
}

func TestKubeSecretEncodeErrors(t *testing.T) {
	t.Parallel()
	hub := kubeDoc(kubeCred{"quay.io", "u", kubePlanted, ""})
	helper := NewDocument(credential.Entry{Pattern: credential.MustPattern("quay.io"), Helper: "pass"})
	tests := []struct {
		name string
		k    KubeSecret
		doc  *Document
		want string
	}{
		{"no name", KubeSecret{}, hub, "metadata.name: required"},
		{"bad name", KubeSecret{SecretName: "Reg_Cred"}, hub, "not a valid Secret name"},
		{"bad namespace", KubeSecret{SecretName: "a", Namespace: "a.b"}, hub, "metadata.namespace"},
		{"bad label", KubeSecret{SecretName: "a", Labels: map[string]string{"a": "b c"}}, hub, `metadata.labels["a"]`},
		{"bad annotation", KubeSecret{SecretName: "a", Annotations: map[string]string{"a b": "c"}}, hub, `metadata.annotations["a b"]`},
		{"bad type", KubeSecret{SecretName: "a", Type: corev1.SecretTypeOpaque}, hub, "not a pull secret type"},
		{"bad output", KubeSecret{SecretName: "a", Output: "toml"}, hub, "output"},
		{"bad snippet", KubeSecret{SecretName: "a", Snippet: "deployment"}, hub, "snippet"},
		{"no entries", KubeSecret{SecretName: "a"}, NewDocument(), "no credentials"},
		{"helper entry", KubeSecret{SecretName: "a"}, helper, "credential helper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.k.Encode(tt.doc)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), kubePlanted) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestKubeSecretSniff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"pull secret", kubeSecretYAML("kubernetes.io/dockerconfigjson", ".dockerconfigjson", "e30="), true},
		{"opaque with docker key", kubeSecretYAML("Opaque", ".dockercfg", "e30="), true},
		{"opaque", kubeSecretYAML("Opaque", "token", "e30="), false},
		{"config.json", `{"auths": {"quay.io": {"auth": "dTpw"}}}`, false},
		{"configmap", "kind: ConfigMap\ndata:\n  .dockerconfigjson: x\n", false},
		{"garbage", "\x00\x01[", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (KubeSecret{}).Sniff(File{Data: []byte(tt.in)}); got != tt.want {
				t.Errorf("Sniff = %v", got)
			}
		})
	}
}

func FuzzDecodeKubeSecret(f *testing.F) {
	for _, tt := range kubeBadInputs {
		f.Add([]byte(tt.in))
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "kubesecret", "*"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := []File{{Path: "fuzz.yaml", Data: data}}
		KubeSecret{}.Sniff(in[0])
		if _, err := (KubeSecret{}).Decode(in); err != nil && strings.Contains(err.Error(), kubePlanted) {
			t.Fatalf("error leaks the secret: %v", err)
		}
		for _, fd := range (KubeSecret{}).Lint(in) {
			if strings.Contains(fd.String(), kubePlanted) {
				t.Fatalf("finding leaks the secret: %v", fd)
			}
		}
	})
}
