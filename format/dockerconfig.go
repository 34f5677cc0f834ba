package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/dockerconfig"
)

// DockerConfig is docker's config.json, and with Podman set, podman's
// containers auth.json (the same JSON; podman also honours namespace keys
// such as "registry.example.com/team").
type DockerConfig struct {
	// KeepHelpers writes entries whose secret lives in a credential helper
	// as credHelpers references instead of refusing them. The default is a
	// flattened, self-contained file for CI jobs and containers.
	KeepHelpers bool
	Podman      bool
}

var _ Codec = DockerConfig{}
var _ Sniffer = DockerConfig{}
var _ Linter = DockerConfig{}

// Name is "dockerconfig" or "podman".
func (c DockerConfig) Name() string {
	if c.Podman {
		return "podman"
	}
	return "dockerconfig"
}

// Encode renders config.json, 0600.
func (c DockerConfig) Encode(d *Document) ([]File, error) {
	f := dockerconfig.New()
	seen := map[credential.Pattern]bool{}
	for _, e := range d.Entries() {
		if seen[e.Pattern] {
			continue // the earlier entry has precedence
		}
		seen[e.Pattern] = true
		key := e.Pattern.Key()
		if e.Helper != "" && e.Credential.IsEmpty() {
			if !c.KeepHelpers {
				return nil, fmt.Errorf("%s: %s: %w docker-credential-%s; export resolves helpers, or pass --keep-helpers", c.Name(), key, ErrHelperEntry, e.Helper)
			}
			if f.CredHelpers == nil {
				f.CredHelpers = map[string]string{}
			}
			f.CredHelpers[key] = e.Helper
			continue
		}
		a := &dockerconfig.AuthEntry{Email: e.Email}
		a.SetCredentials(e.Credential.Username, e.Credential.Password, e.Credential.IdentityToken, e.Credential.RegistryToken)
		f.Auths[key] = a
	}
	data, err := f.Marshal()
	if err != nil {
		return nil, err
	}
	return []File{{Mode: 0o600, Data: data}}, nil
}

// Decode reads one config.json or auth.json. Helper references come back as
// helper entries (export resolves them; import keeps them as references).
func (c DockerConfig) Decode(files []File) (*Document, error) {
	if len(files) != 1 {
		return nil, fmt.Errorf("%s: expected one file, got %d", c.Name(), len(files))
	}
	return decodeDockerConfig(c.Name(), files[0].Path, files[0].Data)
}

func decodeDockerConfig(label, path string, data []byte) (*Document, error) {
	f, err := dockerconfig.Parse(data)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	src := dockerconfig.Source{Label: label, Path: path}
	helpers, problems := f.HelperEntries(src)
	auths, more := f.AuthEntries(src, f.CredsStore)
	if problems = append(problems, more...); len(problems) > 0 {
		return nil, problems[0] // names the file and the key already
	}
	return NewDocument(append(helpers, auths...)...), nil
}

// Sniff recognises a JSON object with auths, credsStore or credHelpers.
func (c DockerConfig) Sniff(f File) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(f.Data, &top) != nil {
		return false
	}
	for _, k := range []string{"auths", "credsStore", "credHelpers"} {
		if _, ok := top[k]; ok {
			return true
		}
	}
	return false
}

// Lint checks every entry.
func (c DockerConfig) Lint(files []File) []Finding {
	var out []Finding
	for _, f := range files {
		out = append(out, LintDockerConfigJSON(f.Path, "", f.Data, false)...)
	}
	return out
}

// Dockercfg is the legacy ~/.dockercfg: a bare map from registry to entry,
// still the payload of Kubernetes Secrets of type kubernetes.io/dockercfg.
type Dockercfg struct{}

var _ Codec = Dockercfg{}
var _ Sniffer = Dockercfg{}
var _ Linter = Dockercfg{}

// Name is "dockercfg".
func (Dockercfg) Name() string { return "dockercfg" }

// Encode renders the bare map, 0600. It cannot reference helpers.
func (c Dockercfg) Encode(d *Document) ([]File, error) {
	data, err := encodeDockercfg(d, c.Name())
	if err != nil {
		return nil, err
	}
	return []File{{Mode: 0o600, Data: data}}, nil
}

// encodeDockercfg renders entries as the legacy map, shared with the
// kubernetes.io/dockercfg Secret.
func encodeDockercfg(d *Document, name string) ([]byte, error) {
	entries, err := flattened(d, name)
	if err != nil {
		return nil, err
	}
	wrapped := NewDocument(entries...)
	files, err := DockerConfig{}.Encode(wrapped)
	if err != nil {
		return nil, err
	}
	var top struct {
		Auths json.RawMessage `json:"auths"`
	}
	if err := json.Unmarshal(files[0].Data, &top); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, top.Auths, "", "\t"); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Decode reads the bare map.
func (c Dockercfg) Decode(files []File) (*Document, error) {
	if len(files) != 1 {
		return nil, fmt.Errorf("dockercfg: expected one file, got %d", len(files))
	}
	return decodeDockercfg(files[0].Path, files[0].Data)
}

func decodeDockercfg(path string, data []byte) (*Document, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, errorf(path, "", "not a .dockercfg map: %s", jsonProblem(err))
	}
	if _, ok := m["auths"]; ok {
		return nil, errorf(path, "", "this is a config.json ({\"auths\": ...}), not a legacy .dockercfg map")
	}
	wrapped, err := json.Marshal(map[string]any{"auths": m})
	if err != nil {
		return nil, err
	}
	doc, err := decodeDockerConfig("dockercfg", path, wrapped)
	if err != nil {
		return nil, err
	}
	for _, e := range doc.Entries() {
		if e.Helper != "" {
			return nil, errorf(path, "", "unexpected helper entry")
		}
	}
	return doc, nil
}

// Sniff recognises a JSON object whose values are all objects made only of
// docker's entry fields.
func (Dockercfg) Sniff(f File) bool {
	var m map[string]map[string]json.RawMessage
	if json.Unmarshal(f.Data, &m) != nil || len(m) == 0 {
		return false
	}
	for _, v := range m {
		if len(v) == 0 {
			return false
		}
		for k := range v {
			switch strings.ToLower(k) {
			case "auth", "username", "password", "email", "identitytoken", "registrytoken":
			default:
				return false
			}
		}
	}
	return true
}

// Lint checks every entry.
func (Dockercfg) Lint(files []File) []Finding {
	var out []Finding
	for _, f := range files {
		out = append(out, LintDockerConfigJSON(f.Path, "", f.Data, true)...)
	}
	return out
}
