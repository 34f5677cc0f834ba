package format

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kubeListYAML wraps Secrets (YAML mappings indented by two) in a List.
func kubeListYAML(items ...string) string {
	s := "apiVersion: v1\nkind: List\nitems:\n"
	for _, it := range items {
		s += "- " + strings.ReplaceAll(strings.TrimSuffix(it, "\n"), "\n", "\n  ") + "\n"
	}
	return s
}

func kubeNamed(name, typ, key, content string) string {
	return strings.Replace(kubeSecretYAML(typ, key, content), "name: s\n", "name: "+name+"\n", 1)
}

func TestKubeSecretLint(t *testing.T) {
	t.Parallel()
	const (
		tJSON = "kubernetes.io/dockerconfigjson"
		tCfg  = "kubernetes.io/dockercfg"
	)
	good := kubeB64(`{"auths":{"quay.io":{"auth":"` + kubeB64("robot:"+kubePlanted) + `"}}}`)
	goodLegacy := kubeB64(`{"quay.io":{"auth":"` + kubeB64("robot:"+kubePlanted) + `"}}`)
	tests := []struct {
		name string
		in   string
		want []string // rule@field
	}{
		{"clean", kubeSecretYAML(tJSON, ".dockerconfigjson", good), nil},
		{"clean legacy", kubeSecretYAML(tCfg, ".dockercfg", goodLegacy), nil},
		{"dockercfg key under dockerconfigjson type", kubeSecretYAML(tJSON, ".dockercfg", goodLegacy),
			[]string{`secret-key-mismatch@data[".dockercfg"]`}},
		{"dockerconfigjson key under dockercfg type", kubeSecretYAML(tCfg, ".dockerconfigjson", good),
			[]string{`secret-key-mismatch@data[".dockerconfigjson"]`}},
		{"key missing", kubeSecretYAML(tJSON, "config.json", good), []string{"secret-key-mismatch@data"}},
		{"extra key", kubeSecretYAML(tJSON, ".dockerconfigjson", good) + "  .dockercfg: " + goodLegacy + "\n",
			[]string{`secret-key-mismatch@data[".dockercfg"]`}},
		{"opaque type", kubeSecretYAML("Opaque", ".dockerconfigjson", good), []string{"secret-key-mismatch@type"}},
		{"plain json under data", kubeSecretYAML(tJSON, ".dockerconfigjson", `'{"auths": {}}'`), []string{`invalid-base64@data[".dockerconfigjson"]`}},
		{"wrapped base64", kubeSecretYAML(tJSON, ".dockerconfigjson", good[:20]+" "+good[20:]), []string{`invalid-base64@data[".dockerconfigjson"]`}},
		{"not a docker config", kubeSecretYAML(tJSON, ".dockerconfigjson", kubeB64("robot:"+kubePlanted)), []string{`not-docker-config@data[".dockerconfigjson"]`}},
		{"json array", kubeSecretYAML(tJSON, ".dockerconfigjson", kubeB64("[]")), []string{`not-docker-config@data[".dockerconfigjson"]`}},
		{"auth with newline", kubeSecretYAML(tJSON, ".dockerconfigjson", kubeB64(`{"auths":{"quay.io":{"auth":"`+kubeB64("robot:"+kubePlanted+"\n")+`"}}}`)),
			[]string{`auth-trailing-newline@data[".dockerconfigjson"].auths["quay.io"].auth`}},
		{"legacy given config.json", kubeSecretYAML(tCfg, ".dockercfg", good), []string{`not-docker-config@data[".dockercfg"]`}},
		{"stringData", "kind: Secret\nmetadata:\n  name: s\ntype: " + tJSON + "\nstringData:\n  .dockerconfigjson: '{\"auths\": {\"quay.io\": {\"auth\": \"" + kubeB64(kubePlanted) + "\"}}}'\n",
			[]string{`auth-not-user-password@stringData[".dockerconfigjson"].auths["quay.io"].auth`}},
		{"name not dns-1123", kubeNamed("Reg_Cred", tJSON, ".dockerconfigjson", good), []string{"secret-name-invalid@metadata.name"}},
		{"name missing", strings.Replace(kubeSecretYAML(tJSON, ".dockerconfigjson", good), "  name: s\n", "  labels: {}\n", 1), []string{"secret-name-invalid@metadata.name"}},
		{"duplicate in list", kubeListYAML(kubeNamed("a", tJSON, ".dockerconfigjson", good), kubeNamed("b", tJSON, ".dockerconfigjson", good), kubeNamed("a", tJSON, ".dockerconfigjson", good)),
			[]string{"secret-name-duplicate@items[2].metadata.name"}},
		{"duplicate with an opaque secret", kubeNamed("a", "Opaque", "password", good) + "---\n" + kubeNamed("a", tJSON, ".dockerconfigjson", good),
			[]string{"secret-name-duplicate@document 2: metadata.name"}},
		{"same name in other namespaces", kubeListYAML(kubeNamed("a", tJSON, ".dockerconfigjson", good), strings.Replace(kubeNamed("a", tJSON, ".dockerconfigjson", good), "name: a\n", "name: a\n  namespace: x\n", 1)), nil},
		{"invalid yaml", "kind: Secret\n  data: [" + kubePlanted + "\n", []string{"invalid-yaml@"}},
		{"data not a map of strings", "kind: Secret\ntype: " + tJSON + "\ndata:\n  .dockerconfigjson: 5\n", []string{"invalid-object@data"}},
		{"no pull secret", kubeNamed("db", "Opaque", "password", kubeB64(kubePlanted)), []string{"no-pull-secret@"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			findings := KubeSecret{}.Lint([]File{{Path: "pull.yaml", Data: []byte(tt.in)}})
			var got []string
			for _, f := range findings {
				got = append(got, f.Rule+"@"+f.Field)
				if f.File != "pull.yaml" || f.Message == "" || f.Hint == "" {
					t.Errorf("finding lacks where, what or how to fix: %+v", f)
				}
				if strings.Contains(f.String(), kubePlanted) {
					t.Errorf("finding leaks the secret: %s", f)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s\nfindings: %v", diff, findings)
			}
		})
	}
}

// TestKubeSecretLintMessages pins the wording users act on.
func TestKubeSecretLintMessages(t *testing.T) {
	t.Parallel()
	good := kubeB64(`{"auths":{}}`)
	tests := []struct{ name, in, want string }{
		{"rancher", kubeListYAML(kubeNamed("a", "kubernetes.io/dockerconfigjson", ".dockerconfigjson", good), kubeNamed("a", "kubernetes.io/dockerconfigjson", ".dockerconfigjson", good)), "Rancher"},
		{"invalid value", kubeSecretYAML("kubernetes.io/dockerconfigjson", ".dockerconfigjson", kubeB64("nope")), "`Invalid value`"},
		{"plain json hint", kubeSecretYAML("kubernetes.io/dockerconfigjson", ".dockerconfigjson", `'{"auths": {}}'`), "stringData"},
		{"dns hint", kubeNamed("Reg_Cred", "kubernetes.io/dockerconfigjson", ".dockerconfigjson", good), "reg-cred"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			findings := KubeSecret{}.Lint([]File{{Path: "pull.yaml", Data: []byte(tt.in)}})
			if len(findings) != 1 || !strings.Contains(findings[0].String(), tt.want) {
				t.Errorf("findings = %v, want one mentioning %q", findings, tt.want)
			}
		})
	}
}
