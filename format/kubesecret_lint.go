package format

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// kubeSecret is one Secret found in an input, of any type. Reading is
// shared by Decode, Sniff and Lint so that they agree on what a file holds.
type kubeSecret struct {
	file, loc            string // loc prefixes fields: "document 2: items[0]."
	name, namespace, typ string
	data, stringData     map[string]string
}

// kubeWire is the part of an object the codec reads; everything else
// (status, managedFields, uid, ...) is ignored, as kubectl apply would.
type kubeWire struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Type       string            `json:"type"`
	Data       map[string]string `json:"data"`
	StringData map[string]string `json:"stringData"`
	Items      []json.RawMessage `json:"items"`
}

func (s kubeSecret) has(key string) bool {
	_, d := s.data[key]
	_, sd := s.stringData[key]
	return d || sd
}

func (s kubeSecret) at(sub string) string { return s.loc + sub }

func (s kubeSecret) id() string {
	if s.namespace == "" {
		return s.name
	}
	return s.namespace + "/" + s.name
}

// value returns the content under key: stringData wins over data, as the
// API server merges it.
func (s kubeSecret) value(key string) ([]byte, string, error) {
	if v, ok := s.stringData[key]; ok {
		return []byte(v), s.at(fmt.Sprintf("stringData[%q]", key)), nil
	}
	field := s.at(fmt.Sprintf("data[%q]", key))
	b, err := base64.StdEncoding.DecodeString(s.data[key])
	if err != nil {
		// The base64 error names an offset only, never the value.
		return nil, field, errorf(s.file, field, "invalid base64 (%v): data values are base64 of the whole config", err)
	}
	return b, field, nil
}

var (
	kubeLineRE = regexp.MustCompile(`line \d+`)
	kubeDocRE  = regexp.MustCompile(`(?m)^---`)
)

// kubeScan returns every Secret in f in order: single objects, items of
// Lists, and each document of a multi-document YAML or JSON stream.
func kubeScan(f File) ([]kubeSecret, error) {
	file := f.Path
	if file == "" {
		file = "-"
	}
	var out []kubeSecret
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(f.Data), 4096)
	docs := 0
	// Documents are numbered in fields only where there are several.
	numbered := kubeDocRE.Match(f.Data)
	docLoc := func(sep string) string {
		if !numbered {
			return ""
		}
		return fmt.Sprintf("document %d%s", docs, sep)
	}
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		docs++
		if err != nil {
			// YAML errors can quote the input (a map key, a token), so only
			// the line survives.
			where := "invalid YAML or JSON"
			if l := kubeLineRE.FindString(err.Error()); l != "" {
				where += " at " + l
			}
			return nil, errorf(file, docLoc(""), "%s", where)
		}
		loc := docLoc(": ")
		if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
			continue
		}
		var w kubeWire
		if err := kubeUnmarshal(raw, &w, file, loc); err != nil {
			return nil, err
		}
		if strings.HasSuffix(w.Kind, "List") {
			for i, item := range w.Items {
				iloc := fmt.Sprintf("%sitems[%d].", loc, i)
				var iw kubeWire
				if err := kubeUnmarshal(item, &iw, file, iloc); err != nil {
					return nil, err
				}
				if iw.Kind == "Secret" {
					out = append(out, kubeSecret{file, iloc, iw.Metadata.Name, iw.Metadata.Namespace, iw.Type, iw.Data, iw.StringData})
				}
			}
		} else if w.Kind == "Secret" {
			out = append(out, kubeSecret{file, loc, w.Metadata.Name, w.Metadata.Namespace, w.Type, w.Data, w.StringData})
		}
	}
	return out, nil
}

func kubeUnmarshal(raw []byte, w *kubeWire, file, loc string) error {
	err := json.Unmarshal(raw, w)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "":
		field := te.Field
		// encoding/json joins map keys with dots: data..dockerconfigjson.
		if head, key, ok := strings.Cut(field, "."); ok && (head == "data" || head == "stringData") {
			field = fmt.Sprintf("%s[%q]", head, key)
		}
		return errorf(file, loc+field, "is %s, expected %s", kubeA(te.Value), kubeA(te.Type.Kind().String()))
	}
	return errorf(file, strings.TrimSuffix(strings.TrimSuffix(loc, ": "), "."), "not a Kubernetes object: %s", kubeJSONProblem(err))
}

// Lint finds the mistakes that keep a pull secret from working: a data key
// that does not match the type, a value that is not base64 or not a docker
// config (then every entry of the config), an invalid or repeated name.
func (KubeSecret) Lint(files []File) []Finding {
	var out []Finding
	for _, f := range files {
		out = append(out, kubeLintFile(f)...)
	}
	return out
}

func kubeLintFile(f File) []Finding {
	secrets, err := kubeScan(f)
	if err != nil {
		var e *Error
		errors.As(err, &e)
		rule, hint := "invalid-yaml", "check indentation and quoting; `kubectl apply --dry-run=client -f FILE` shows the parser's view"
		if !strings.HasPrefix(e.Err.Error(), "invalid YAML") {
			rule, hint = "invalid-object", "a Secret's data and stringData map keys to strings (base64 under data, plain text under stringData)"
		}
		return []Finding{{Severity: SevError, Rule: rule, File: e.File, Field: e.Field, Message: e.Err.Error(), Hint: hint}}
	}
	var out []Finding
	add := func(s kubeSecret, sev Severity, rule, field, msg, hint string) {
		out = append(out, Finding{Severity: sev, Rule: rule, File: s.file, Field: s.at(field), Message: msg, Hint: hint})
	}
	type seenAs struct {
		loc    string
		docker bool
	}
	seen := map[string]seenAs{}
	pull := 0
	for _, s := range secrets {
		docker := kubeIsDocker(s.typ) || s.has(corev1.DockerConfigJsonKey) || s.has(corev1.DockerConfigKey)
		id := s.namespace + "/" + s.name
		first, dup := seen[id]
		if !dup {
			seen[id] = seenAs{s.loc, docker}
		} else {
			seen[id] = seenAs{first.loc, first.docker || docker}
		}
		if dup && s.name != "" && (docker || first.docker) {
			add(s, SevError, "secret-name-duplicate", "metadata.name",
				fmt.Sprintf("Secret %q is defined again (first at %s); applying the file keeps only the last one", s.id(), kubeWhere(first.loc)),
				"give each Secret its own name; Rancher also requires registry secret names to be unique among all Secrets in a namespace")
		}
		if !docker {
			continue
		}
		pull++
		if s.name == "" {
			add(s, SevError, "secret-name-invalid", "metadata.name", "is missing; the API server rejects a Secret without a name", "set metadata.name, e.g. regcred")
		} else if errs := validation.IsDNS1123Subdomain(s.name); len(errs) > 0 {
			add(s, SevError, "secret-name-invalid", "metadata.name", fmt.Sprintf("%q is not a DNS-1123 subdomain: %s", s.name, strings.Join(errs, "; ")),
				"use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, e.g. "+kubeSuggestName(s.name))
		}
		out = append(out, kubeLintData(s)...)
	}
	if pull == 0 {
		out = append(out, Finding{Severity: SevWarning, Rule: "no-pull-secret", File: kubeFileName(f),
			Message: "holds no Secret of type kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg",
			Hint:    "create one with `regauth export --format kubesecret --name NAME`"})
	}
	return out
}

// kubeLintData checks the data key against the type, then the content.
func kubeLintData(s kubeSecret) []Finding {
	var out []Finding
	add := func(sev Severity, rule, field, msg, hint string) {
		out = append(out, Finding{Severity: sev, Rule: rule, File: s.file, Field: s.at(field), Message: msg, Hint: hint})
	}
	jsonKey, cfgKey := corev1.DockerConfigJsonKey, corev1.DockerConfigKey
	want, other := jsonKey, cfgKey
	wantType, otherType := corev1.SecretTypeDockerConfigJson, corev1.SecretTypeDockercfg
	if s.typ == string(corev1.SecretTypeDockercfg) || (!kubeIsDocker(s.typ) && !s.has(jsonKey)) {
		want, other, wantType, otherType = cfgKey, jsonKey, otherType, wantType
	}
	switch {
	case !kubeIsDocker(s.typ):
		add(SevError, "secret-key-mismatch", "type", fmt.Sprintf("is %q but the Secret holds %q; kubelet uses only Secrets of type %s as pull secrets", kubeOr(s.typ, "Opaque"), want, wantType),
			fmt.Sprintf("set type: %s", wantType))
	case !s.has(want) && s.has(other):
		add(SevError, "secret-key-mismatch", fmt.Sprintf("data[%q]", other), fmt.Sprintf("is the key of type %s, but the Secret's type is %s, which needs %q (the API server answers `Required value`)", otherType, wantType, want),
			fmt.Sprintf("set type: %s, or rename the key to %q and convert the content (%s)", otherType, want, kubeConvertHint(want)))
		return out
	case !s.has(want):
		add(SevError, "secret-key-mismatch", "data", fmt.Sprintf("has no %q key, which type %s requires (the API server answers `Required value`)", want, wantType),
			fmt.Sprintf("put the base64 of the docker config under data[%q], e.g. with `regauth export --format kubesecret`", want))
		return out
	case s.has(other):
		add(SevWarning, "secret-key-mismatch", fmt.Sprintf("data[%q]", other), fmt.Sprintf("is ignored: a Secret of type %s is read only from %q", wantType, want), "remove the extra key")
	}
	raw, field, err := s.value(want)
	if err != nil {
		hint := "encode the whole file without line breaks, `base64 -w0 config.json`, or put the plain JSON under stringData"
		if strings.HasPrefix(strings.TrimSpace(s.data[want]), "{") {
			hint = "the value is plain JSON; data values must be base64 (`base64 -w0 config.json`), or move it to stringData"
		}
		add(SevError, "invalid-base64", strings.TrimPrefix(field, s.loc), err.(*Error).Err.Error(), hint)
		return out
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		add(SevError, "not-docker-config", strings.TrimPrefix(field, s.loc), "decodes to something that is not a docker config ("+kubeJSONProblem(err)+"); kubectl and the API server reject it as `Invalid value`",
			"the value must be base64 of a config.json ({\"auths\": {...}}), or for .dockercfg of the bare map; check you encoded the file, not its path or an empty file")
		return out
	}
	return append(out, LintDockerConfigJSON(s.file, field, raw, want == cfgKey)...)
}

func kubeConvertHint(want string) string {
	if want == corev1.DockerConfigJsonKey {
		return `wrap the map in {"auths": ...}`
	}
	return `drop the {"auths": ...} wrapper`
}

// kubeWhere names a location prefix in a message.
func kubeWhere(loc string) string {
	if loc = strings.TrimSuffix(strings.TrimSuffix(loc, "."), ": "); loc == "" {
		return "the top of the file"
	}
	return loc
}

func kubeA(noun string) string {
	if strings.ContainsAny(noun[:1], "aeiou") {
		return "an " + noun
	}
	return "a " + noun
}

func kubeOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// kubeSuggestName turns a name into a valid one for the hint.
func kubeSuggestName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-.")
	if s == "" || len(s) > validation.DNS1123SubdomainMaxLength {
		return "regcred"
	}
	return s
}

func kubeFileName(f File) string {
	if f.Path == "" {
		return "-"
	}
	return f.Path
}

func kubeFileNames(files []File) string {
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, kubeFileName(f))
	}
	return strings.Join(names, ", ")
}
