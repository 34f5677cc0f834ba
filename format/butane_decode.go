package format

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/dockerconfig"
	"sigs.k8s.io/yaml"
)

// butaneConfig is the part of a Butane config regauth reads.
type butaneConfig struct {
	Variant *string `json:"variant"`
	Version *string `json:"version"`
	Storage struct {
		Directories []butaneFile `json:"directories"`
		Files       []butaneFile `json:"files"`
	} `json:"storage"`
}

type butaneFile struct {
	Path     string      `json:"path"`
	Mode     *butaneMode `json:"mode"`
	User     butaneOwner `json:"user"`
	Group    butaneOwner `json:"group"`
	Contents struct {
		Source       *string `json:"source"`
		Inline       *string `json:"inline"`
		Local        *string `json:"local"`
		Verification struct {
			Hash *string `json:"hash"`
		} `json:"verification"`
	} `json:"contents"`
}

type butaneOwner struct {
	Name string `json:"name"`
	ID   *int   `json:"id"`
}

// butaneMode accepts what Butane's YAML reader does: 0600 (read as octal by
// YAML 1.1), 384 and the YAML 1.2 spelling 0o600. Anything else is -1,
// reported by butaneParse, which knows the field's index.
type butaneMode int

func (m *butaneMode) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		s = string(b)
	}
	v, err := strconv.ParseInt(s, 0, 32)
	if err != nil || v < 0 || v > 0o7777 {
		v = -1
	}
	*m = butaneMode(v)
	return nil
}

// butaneParse reads a Butane config. Its errors never quote the input: a
// value in a YAML or JSON error could be a password.
func butaneParse(file string, data []byte) (*butaneConfig, error) {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, errorf(file, "", "not YAML: %s", butaneYAMLProblem(err))
	}
	var c butaneConfig
	if err := json.Unmarshal(j, &c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			kind, _, _ := strings.Cut(te.Value, " ")
			return nil, errorf(file, te.Field, "is a %s, expected %s", kind, te.Type)
		}
		return nil, errorf(file, "", "not a Butane config: the top level must be a mapping")
	}
	for kind, nodes := range map[string][]butaneFile{"files": c.Storage.Files, "directories": c.Storage.Directories} {
		for i, n := range nodes {
			if n.Mode != nil && *n.Mode < 0 {
				return nil, errorf(file, fmt.Sprintf("storage.%s[%d].mode", kind, i), "must be an octal permission such as 0600")
			}
		}
	}
	return &c, nil
}

// butaneYAMLLine is a YAML scanner or parser error: a line number and
// words. Other YAML errors can quote keys, anchors or values.
var butaneYAMLLine = regexp.MustCompile(`^yaml: line (\d+): ([a-zA-Z ,]+)$`)

// butaneYAMLProblem describes a YAML error without quoting the input.
func butaneYAMLProblem(err error) string {
	if m := butaneYAMLLine.FindStringSubmatch(err.Error()); m != nil {
		return "line " + m[1] + ": " + m[2]
	}
	return "unsupported YAML (such as a key that is not a string, or an unknown anchor)"
}

// butaneKind tells which node paths hold credentials: "docker" for
// ~/.docker/config.json, containers auth.json (podman) or config.json, and
// the DC/OS agent's /etc/mesosphere/docker_credentials; "rkt" for rkt's
// auth.d files; "" for anything else.
func (c Butane) butaneKind(p string) string {
	dir, base := path.Split(path.Clean(p))
	switch {
	case p == c.path() || p == "/etc/mesosphere/docker_credentials":
		return "docker"
	case base == "config.json" && (strings.HasSuffix(dir, "/.docker/") || strings.Contains(dir, "/containers/")):
		return "docker"
	case base == "auth.json" && strings.Contains(dir, "/containers/"):
		return "docker"
	case dir == butaneRktDir+"/" && path.Ext(base) == ".json":
		return "rkt"
	}
	return ""
}

// butaneSplit separates Butane configs from the files they reference.
func (c Butane) butaneSplit(files []File) (configs, others []File) {
	if len(files) == 1 {
		return files, nil
	}
	for _, f := range files {
		if c.Sniff(f) {
			configs = append(configs, f)
		} else {
			others = append(others, f)
		}
	}
	return configs, others
}

// butaneHash returns the Ignition hash ("sha512-…" or "sha256-…") of data
// in the function of spec.
func butaneHash(spec string, data []byte) string {
	if strings.HasPrefix(spec, "sha256-") {
		sum := sha256.Sum256(data)
		return "sha256-" + hex.EncodeToString(sum[:])
	}
	sum := sha512.Sum512(data)
	return "sha512-" + hex.EncodeToString(sum[:])
}

// butaneContent returns the bytes a file entry writes when regauth can know
// them: inline text, a `local` file given alongside, or a source whose hash
// matches a file given alongside (the config.json Encode returned).
func butaneContent(f butaneFile, others []File) ([]byte, bool) {
	ct := f.Contents
	switch {
	case ct.Inline != nil:
		return []byte(*ct.Inline), true
	case ct.Local != nil:
		for _, o := range others {
			if o.Path == path.Clean(*ct.Local) {
				return o.Data, true
			}
		}
	case ct.Source != nil && ct.Verification.Hash != nil:
		for _, o := range others {
			if butaneHash(*ct.Verification.Hash, o.Data) == strings.ToLower(*ct.Verification.Hash) {
				return o.Data, true
			}
		}
	}
	return nil, false
}

// Decode reads the docker configs a Butane config writes. Contents
// downloaded from a URL hold nothing to read unless the file served there
// is given too (matched by its verification hash); otherwise the URL is
// returned as an Object of kind ButaneSource. rkt auth.d files are read
// only when there is no docker config, as they repeat its credentials.
func (c Butane) Decode(files []File) (*Document, error) {
	configs, others := c.butaneSplit(files)
	if len(configs) == 0 {
		return nil, fmt.Errorf("butane: no Butane config among %d files", len(files))
	}
	doc := NewDocument()
	var rkt []credential.Entry
	for _, cf := range configs {
		bc, err := butaneParse(cf.Path, cf.Data)
		if err != nil {
			return nil, err
		}
		for i, f := range bc.Storage.Files {
			kind := c.butaneKind(f.Path)
			if kind == "" {
				continue
			}
			field := fmt.Sprintf("storage.files[%d].contents", i)
			data, ok := butaneContent(f, others)
			switch {
			case !ok && f.Contents.Source == nil:
				return nil, errorf(cf.Path, field, "no inline or source contents for %s", f.Path)
			case !ok:
				doc.Objects = append(doc.Objects, Object{Kind: "ButaneSource", Name: butaneRedactURL(*f.Contents.Source), File: cf.Path})
				continue
			case f.Contents.Inline != nil:
				field += ".inline"
			}
			entries, err := butaneDecodeFile(kind, cf.Path, field, f.Path, data)
			if err != nil {
				return nil, err
			}
			if kind == "rkt" {
				rkt = append(rkt, entries...)
				continue
			}
			for _, e := range entries {
				doc.Set.Add(e)
			}
		}
	}
	if doc.Set.Len() == 0 && len(doc.Objects) == 0 {
		for _, e := range rkt {
			doc.Set.Add(e)
		}
	}
	if doc.Set.Len() == 0 && len(doc.Objects) == 0 {
		return nil, errorf(configs[0].Path, "storage.files", "%w: no docker config.json among the files it writes", ErrNoCredentials)
	}
	return doc, nil
}

// butaneDecodeFile reads one embedded docker config or rkt auth.d file.
func butaneDecodeFile(kind, file, field, nodePath string, data []byte) ([]credential.Entry, error) {
	var out []credential.Entry
	if kind == "rkt" {
		d, err := (Rkt{}).Decode([]File{{Path: nodePath, Data: data}})
		if err != nil {
			return nil, &Error{File: file, Field: field, Err: err}
		}
		out = d.Entries()
	} else {
		var err error
		if out, err = butaneDecodeDocker(file, field, nodePath, data); err != nil {
			return nil, err
		}
	}
	for i := range out {
		out[i].Source.Label = "butane"
		out[i].Source.File = file
		out[i].Source.Via = field + " (" + nodePath + ")"
	}
	return out, nil
}

// butaneDecodeDocker reads one embedded docker config.
func butaneDecodeDocker(file, field, nodePath string, data []byte) ([]credential.Entry, error) {
	f, err := dockerconfig.Parse(data)
	if err != nil {
		return nil, &Error{File: file, Field: field, Err: err}
	}
	src := dockerconfig.Source{Label: "butane", Path: nodePath}
	helpers, problems := f.HelperEntries(src)
	auths, more := f.AuthEntries(src, f.CredsStore)
	if problems = append(problems, more...); len(problems) > 0 {
		return nil, &Error{File: file, Field: field, Err: problems[0]}
	}
	return append(helpers, auths...), nil
}

// butaneRedactURL drops user information, query and fragment from a URL:
// Ignition fetches without user information, but people paste tokens there,
// and a presigned query is a credential too.
func butaneRedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = nil, "", "", "", false
	return u.String()
}

// Sniff recognises YAML with a top-level `variant:` and `version:`, the two
// keys every Butane config starts with.
func (Butane) Sniff(f File) bool {
	if !bytes.Contains(f.Data, []byte("variant")) || !bytes.Contains(f.Data, []byte("version")) {
		return false
	}
	var top struct {
		Variant any `json:"variant"`
		Version any `json:"version"`
	}
	if yaml.Unmarshal(f.Data, &top) != nil {
		return false
	}
	_, v1 := top.Variant.(string)
	_, v2 := top.Version.(string)
	return v1 && v2
}
