package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/dockerconfig"
)

// KubeSecret is a Kubernetes image pull Secret. Its output is byte for byte
// what `kubectl create secret docker-registry NAME --docker-server=...
// --dry-run=client -o yaml|json` prints, with one auths key per registry.
type KubeSecret struct {
	// Type is corev1.SecretTypeDockerConfigJson (the default, data key
	// .dockerconfigjson) or corev1.SecretTypeDockercfg (key .dockercfg,
	// the bare legacy map).
	Type corev1.SecretType
	// Output is "yaml" (the default) or "json".
	Output string
	// SecretName is metadata.name; required to encode. (The field cannot be
	// called Name: that is the Codec method.)
	SecretName  string
	Namespace   string
	Labels      map[string]string
	Annotations map[string]string
	// Snippet, when "pod" or "serviceaccount", makes Encode print only the
	// imagePullSecrets stanza naming the Secret, which carries no
	// credentials: it goes under a Pod's spec, or at the top of a
	// ServiceAccount (it is also a valid `kubectl patch serviceaccount
	// --patch-file`).
	Snippet string
	// OmitCreationTimestamp drops `creationTimestamp: null`, matching
	// kubectl 1.34 and later; older kubectl (the default) prints it.
	OmitCreationTimestamp bool
}

var (
	_ Codec   = KubeSecret{}
	_ Sniffer = KubeSecret{}
	_ Linter  = KubeSecret{}
)

const kubeName = "kubesecret"

func (KubeSecret) Name() string { return kubeName }

// kubeDockerEntry is kubectl's DockerConfigEntry (create_secret_docker.go):
// its field order and encoding/json's HTML escaping make the embedded config
// byte-identical to kubectl's. dockerconfig.Marshal writes docker's order
// (auth only, tab-indented), which kubectl does not use. The token fields
// are docker's and only appear for token credentials, which kubectl cannot
// create.
type kubeDockerEntry struct {
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	Email         string `json:"email,omitempty"`
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
	RegistryToken string `json:"registrytoken,omitempty"`
}

// kubeView is corev1.Secret as kubectl 1.33 and older render it: their
// apimachinery printed a zero creationTimestamp as null, which the omitzero
// tag of the apimachinery we build with drops.
type kubeView struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        kubeViewMeta      `json:"metadata"`
	Data            map[string][]byte `json:"data,omitempty"`
	Type            corev1.SecretType `json:"type,omitempty"`
}

type kubeViewMeta struct {
	Name              string            `json:"name,omitempty"`
	Namespace         string            `json:"namespace,omitempty"`
	CreationTimestamp *metav1.Time      `json:"creationTimestamp"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
}

// Encode renders d as one Secret, or as the snippet when Snippet is set.
func (k KubeSecret) Encode(d *Document) ([]File, error) {
	if err := k.kubeCheckOptions(); err != nil {
		return nil, err
	}
	if k.Snippet != "" {
		out, err := yaml.Marshal(struct {
			ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets"`
		}{[]corev1.LocalObjectReference{{Name: k.SecretName}}})
		if err != nil {
			return nil, fmt.Errorf("%s: snippet: %w", kubeName, err)
		}
		return []File{{Mode: 0o644, Data: out}}, nil
	}
	entries, err := flattened(d, kubeName)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: %w to put in the Secret", kubeName, ErrNoCredentials)
	}
	auths := map[string]kubeDockerEntry{}
	for _, e := range entries {
		key := e.Pattern.Key()
		if _, dup := auths[key]; dup {
			continue // the first entry has precedence, as in the Set
		}
		c := e.Credential
		auths[key] = kubeDockerEntry{
			Username: c.Username, Password: c.Password, Email: e.Email,
			Auth:          dockerconfig.EncodeAuth(c.Username, c.Password),
			IdentityToken: c.IdentityToken, RegistryToken: c.RegistryToken,
		}
	}
	var inner any = struct {
		Auths map[string]kubeDockerEntry `json:"auths"`
	}{auths}
	typ, key := k.kubeType()
	if typ == corev1.SecretTypeDockercfg {
		inner = auths
	}
	cfg, err := json.Marshal(inner) // map keys sorted: deterministic
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kubeName, err)
	}
	// The corev1 object is the model; kubeView only restores kubectl's
	// creationTimestamp rendering.
	s := corev1.Secret{
		TypeMeta:   metav1.TypeMeta{Kind: "Secret", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: k.SecretName, Namespace: k.Namespace, Labels: k.Labels, Annotations: k.Annotations},
		Data:       map[string][]byte{key: cfg},
		Type:       typ,
	}
	var view any = kubeView{s.TypeMeta, kubeViewMeta{s.Name, s.Namespace, nil, s.Labels, s.Annotations}, s.Data, s.Type}
	if k.OmitCreationTimestamp {
		view = s
	}
	var out []byte
	if k.Output == "json" {
		// kubectl's JSONPrinter: four-space indent and a final newline.
		out, err = json.MarshalIndent(view, "", "    ")
		out = append(out, '\n')
	} else {
		out, err = yaml.Marshal(view)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kubeName, err)
	}
	return []File{{Mode: 0o600, Data: out}}, nil
}

// kubeType returns the Secret type and its data key.
func (k KubeSecret) kubeType() (corev1.SecretType, string) {
	if k.Type == corev1.SecretTypeDockercfg {
		return k.Type, corev1.DockerConfigKey
	}
	return corev1.SecretTypeDockerConfigJson, corev1.DockerConfigJsonKey
}

// kubeCheckOptions rejects what the API server would reject, before the
// user finds out from `kubectl apply`.
func (k KubeSecret) kubeCheckOptions() error {
	bad := func(field, format string, a ...any) error {
		return errorf(kubeName, field, format, a...)
	}
	switch {
	case k.SecretName == "":
		return bad("metadata.name", "required: the Secret needs a name (pods reference it in imagePullSecrets)")
	case k.Type != "" && k.Type != corev1.SecretTypeDockerConfigJson && k.Type != corev1.SecretTypeDockercfg:
		return bad("type", "%q is not a pull secret type: use %s or %s", k.Type, corev1.SecretTypeDockerConfigJson, corev1.SecretTypeDockercfg)
	case k.Output != "" && k.Output != "yaml" && k.Output != "json":
		return bad("output", "%q is not yaml or json", k.Output)
	case k.Snippet != "" && k.Snippet != "pod" && k.Snippet != "serviceaccount":
		return bad("snippet", "%q is not pod or serviceaccount", k.Snippet)
	}
	if errs := validation.IsDNS1123Subdomain(k.SecretName); len(errs) > 0 {
		return bad("metadata.name", "%q is not a valid Secret name: %s", k.SecretName, strings.Join(errs, "; "))
	}
	if k.Namespace != "" {
		if errs := validation.IsDNS1123Label(k.Namespace); len(errs) > 0 {
			return bad("metadata.namespace", "%q is not a valid namespace: %s", k.Namespace, strings.Join(errs, "; "))
		}
	}
	for _, l := range sortedKeys(k.Labels) {
		errs := append(validation.IsQualifiedName(l), validation.IsValidLabelValue(k.Labels[l])...)
		if len(errs) > 0 {
			return bad(fmt.Sprintf("metadata.labels[%q]", l), "invalid label: %s", strings.Join(errs, "; "))
		}
	}
	for _, a := range sortedKeys(k.Annotations) {
		if errs := validation.IsQualifiedName(strings.ToLower(a)); len(errs) > 0 {
			return bad(fmt.Sprintf("metadata.annotations[%q]", a), "invalid annotation key: %s", strings.Join(errs, "; "))
		}
	}
	return nil
}

// Decode reads every pull Secret in the files: single objects, Lists and
// multi-document YAML, in YAML or JSON, with or without the metadata
// `kubectl get` adds. Secrets of other types are skipped.
func (KubeSecret) Decode(files []File) (*Document, error) {
	d := NewDocument()
	for _, f := range files {
		secrets, err := kubeScan(f)
		if err != nil {
			return nil, err
		}
		for _, s := range secrets {
			if !kubeIsDocker(s.typ) {
				continue
			}
			entries, err := kubeEntries(s)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				d.Set.Add(e)
			}
			d.Objects = append(d.Objects, Object{Kind: "Secret", Name: s.name, Namespace: s.namespace, Type: s.typ, File: s.file})
		}
	}
	if len(d.Objects) == 0 {
		return nil, errorf(kubeFileNames(files), "", "%w: no Secret of type %s or %s found", ErrNoCredentials, corev1.SecretTypeDockerConfigJson, corev1.SecretTypeDockercfg)
	}
	return d, nil
}

// Sniff reports a Secret (or List of them) that is or looks like a pull
// secret by type or data key.
func (KubeSecret) Sniff(f File) bool {
	secrets, err := kubeScan(f)
	if err != nil {
		return false
	}
	for _, s := range secrets {
		if kubeIsDocker(s.typ) || s.has(corev1.DockerConfigJsonKey) || s.has(corev1.DockerConfigKey) {
			return true
		}
	}
	return false
}

func kubeIsDocker(typ string) bool {
	return typ == string(corev1.SecretTypeDockerConfigJson) || typ == string(corev1.SecretTypeDockercfg)
}

// kubeEntries reads the docker config of one pull Secret.
func kubeEntries(s kubeSecret) ([]credential.Entry, error) {
	key, legacy := corev1.DockerConfigJsonKey, false
	if s.typ == string(corev1.SecretTypeDockercfg) {
		key, legacy = corev1.DockerConfigKey, true
	}
	if !s.has(key) {
		return nil, errorf(s.file, s.at("data"), "Secret %q of type %s has no %q key; kubelet reads only that key", s.name, s.typ, key)
	}
	raw, field, err := s.value(key)
	if err != nil {
		return nil, err
	}
	cfg, err := kubeParseConfig(raw, legacy)
	if err != nil {
		return nil, errorf(s.file, field, "%w", err)
	}
	entries, problems := cfg.AuthEntries(dockerconfig.Source{Label: kubeName, Path: s.file}, "")
	if len(problems) > 0 {
		msg := strings.TrimPrefix(problems[0].Error(), s.file+": ")
		if legacy {
			msg = strings.TrimPrefix(msg, "auths")
		}
		return nil, errorf(s.file, field, "%s", msg)
	}
	for i := range entries {
		entries[i].Source.Via = "Secret " + s.id()
	}
	return entries, nil
}

// kubeParseConfig parses the embedded config with dockerconfig; the bare
// .dockercfg map is parsed as the auths object it becomes in config.json.
// Wrapping adds no newline, so error lines stay right.
func kubeParseConfig(raw []byte, legacy bool) (*dockerconfig.File, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return nil, fmt.Errorf("not a docker config (kubectl rejects it as `Invalid value`): %s", kubeJSONProblem(err))
	}
	if legacy {
		raw = append(append([]byte(`{"auths":`), raw...), '}')
	}
	cfg, err := dockerconfig.Parse(raw)
	if err != nil {
		msg := err.Error()
		if legacy {
			msg = strings.TrimPrefix(msg, "auths")
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return cfg, nil
}

// kubeJSONProblem describes a JSON error without quoting the input:
// encoding/json's syntax errors quote the offending character, which here
// is part of a secret.
func kubeJSONProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return "null, not an object"
	case errors.As(err, &se):
		return fmt.Sprintf("not JSON: syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s, not an object", kubeA(te.Value))
	}
	return "not JSON"
}
