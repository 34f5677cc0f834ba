package format

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// Marathon renders the app and pod JSON that points a task at docker
// credentials kept elsewhere. The snippets carry no secret, so Encode only
// checks that there are credentials to point at, and Decode returns no
// entries: it records each reference in Document.Objects instead, Kind
// "MarathonFetch" (Name = URI, Type = "fetch", "uris" or "artifacts") or
// "MarathonPullConfig" (Name = DC/OS secret path, Type = "service" or
// "pod"), with Namespace = the app or pod id.
//
// Forms, merged by the user into an app or pod definition:
//
//   - default: {"fetch": [{"uri": URI}]}, the tarball Mesos extracts into
//     the sandbox for the Docker containerizer (Legacy: {"uris": [URI]}).
//   - PullConfig: the Universal Container Runtime's
//     container.docker.pullConfig.secret with container.type MESOS and the
//     top-level "secrets" entry naming the DC/OS secret.
//   - Pod: the same for pods, containers[].image.pullConfig.
//
// Image, when set, is written where the form needs an image.
type Marathon struct {
	URI        string // default MarathonDefaultURI
	Legacy     bool   // "uris" instead of "fetch"
	PullConfig bool   // UCR pullConfig + secrets instead of fetch
	Pod        bool   // pod form; implies PullConfig
	Secret     string // DC/OS secret path; default MarathonDefaultSecret
	SecretName string // key in "secrets"; default "pullConfigSecret"
	Image      string
	Container  string // pod container name, written when set
}

var (
	_ Codec   = Marathon{}
	_ Sniffer = Marathon{}
	_ Linter  = Marathon{}
)

// Defaults, as in the DC/OS documentation.
const (
	MarathonDefaultURI    = "file:///etc/docker.tar.gz"
	MarathonDefaultSecret = "/mesos-docker/pullConfig"
	marathonSecretName    = "pullConfigSecret"
)

// Name implements Codec.
func (Marathon) Name() string { return "marathon" }

type marathonPull struct {
	Secret string `json:"secret"`
}

type marathonDocker struct {
	Image      string        `json:"image,omitempty"`
	PullConfig *marathonPull `json:"pullConfig,omitempty"`
}

type marathonContainer struct {
	Type   string          `json:"type,omitempty"`
	Docker *marathonDocker `json:"docker,omitempty"`
}

type marathonFetch struct {
	URI     string `json:"uri"`
	Extract *bool  `json:"extract,omitempty"`
}

type marathonSecret struct {
	Source string `json:"source"`
}

type marathonPodImage struct {
	Kind       string        `json:"kind,omitempty"`
	ID         string        `json:"id,omitempty"`
	PullConfig *marathonPull `json:"pullConfig,omitempty"`
}

type marathonPodContainer struct {
	Name      string            `json:"name,omitempty"`
	Image     *marathonPodImage `json:"image,omitempty"`
	Artifacts []marathonFetch   `json:"artifacts,omitempty"`
}

// marathonSpec is an app, a pod or a group; field order is output order.
type marathonSpec struct {
	ID         string                    `json:"id,omitempty"`
	Container  *marathonContainer        `json:"container,omitempty"`
	Containers []marathonPodContainer    `json:"containers,omitempty"`
	Fetch      []marathonFetch           `json:"fetch,omitempty"`
	URIs       []string                  `json:"uris,omitempty"`
	Secrets    map[string]marathonSecret `json:"secrets,omitempty"`
	Apps       []json.RawMessage         `json:"apps,omitempty"`
	Pods       []json.RawMessage         `json:"pods,omitempty"`
	Groups     []json.RawMessage         `json:"groups,omitempty"`
}

func (m Marathon) withDefaults() Marathon {
	if m.URI == "" {
		m.URI = MarathonDefaultURI
	}
	if m.Secret == "" {
		m.Secret = MarathonDefaultSecret
	}
	if m.SecretName == "" {
		m.SecretName = marathonSecretName
	}
	if m.Pod {
		m.PullConfig = true
	}
	return m
}

// Encode implements Encoder.
func (m Marathon) Encode(d *Document) ([]File, error) {
	if len(d.Entries()) == 0 {
		return nil, fmt.Errorf("marathon: %w to reference", ErrNoCredentials)
	}
	m = m.withDefaults()
	var s marathonSpec
	pull := &marathonPull{Secret: m.SecretName}
	switch {
	case m.Pod && m.Legacy:
		return nil, fmt.Errorf("marathon: pods have no \"uris\"; drop the legacy option")
	case m.Pod:
		s.Containers = []marathonPodContainer{{Name: m.Container, Image: &marathonPodImage{Kind: "DOCKER", ID: m.Image, PullConfig: pull}}}
		s.Secrets = map[string]marathonSecret{m.SecretName: {Source: m.Secret}}
	case m.PullConfig:
		s.Container = &marathonContainer{Type: "MESOS", Docker: &marathonDocker{Image: m.Image, PullConfig: pull}}
		s.Secrets = map[string]marathonSecret{m.SecretName: {Source: m.Secret}}
	default:
		if m.Image != "" {
			s.Container = &marathonContainer{Type: "DOCKER", Docker: &marathonDocker{Image: m.Image}}
		}
		if m.Legacy {
			s.URIs = []string{m.URI}
		} else {
			s.Fetch = []marathonFetch{{URI: m.URI}}
		}
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marathon: %w", err)
	}
	return []File{{Path: "", Mode: 0o644, Data: append(data, '\n')}}, nil
}

// marathonMaxDepth bounds group nesting so hostile input cannot recurse
// without end.
const marathonMaxDepth = 32

// marathonWalk calls fn for every app and pod in data (an app, a pod, a
// group, or an array of them), with the JSON path of each.
func marathonWalk(data []byte, at string, depth int, fn func(at string, s *marathonSpec)) error {
	if depth > marathonMaxDepth {
		return fmt.Errorf("%s: groups nested deeper than %d", at, marathonMaxDepth)
	}
	trimmed := strings.TrimSpace(string(data))
	if strings.HasPrefix(trimmed, "[") {
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil {
			return fmt.Errorf("%s: %s", at, jsonProblem(err))
		}
		for i, raw := range list {
			if err := marathonWalk(raw, fmt.Sprintf("%s[%d]", at, i), depth+1, fn); err != nil {
				return err
			}
		}
		return nil
	}
	var s marathonSpec
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("%s: %s", at, jsonProblem(err))
	}
	fn(at, &s)
	for _, sub := range []struct {
		name string
		list []json.RawMessage
	}{{"apps", s.Apps}, {"pods", s.Pods}, {"groups", s.Groups}} {
		for i, raw := range sub.list {
			if err := marathonWalk(raw, fmt.Sprintf("%s%s[%d]", marathonPrefix(at), sub.name, i), depth+1, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// marathonRef is one credential reference found in a spec.
type marathonRef struct {
	field  string // JSON path
	kind   string // MarathonFetch or MarathonPullConfig
	typ    string
	name   string // URI, or the secret's key in "secrets"
	source string // secret path, "" when undefined
	ok     bool   // secret defined
}

// marathonRefs lists the references of one app or pod.
func marathonRefs(at string, s *marathonSpec) []marathonRef {
	var out []marathonRef
	for i, f := range s.Fetch {
		out = append(out, marathonRef{field: fmt.Sprintf("%sfetch[%d].uri", at, i), kind: "MarathonFetch", typ: "fetch", name: f.URI})
	}
	for i, u := range s.URIs {
		out = append(out, marathonRef{field: fmt.Sprintf("%suris[%d]", at, i), kind: "MarathonFetch", typ: "uris", name: u})
	}
	secret := func(field, typ, name string) marathonRef {
		sec, ok := s.Secrets[name]
		return marathonRef{field: field, kind: "MarathonPullConfig", typ: typ, name: name, source: sec.Source, ok: ok && sec.Source != ""}
	}
	if c := s.Container; c != nil && c.Docker != nil && c.Docker.PullConfig != nil {
		out = append(out, secret(at+"container.docker.pullConfig.secret", "service", c.Docker.PullConfig.Secret))
	}
	for i, c := range s.Containers {
		for j, a := range c.Artifacts {
			out = append(out, marathonRef{field: fmt.Sprintf("%scontainers[%d].artifacts[%d].uri", at, i, j), kind: "MarathonFetch", typ: "artifacts", name: a.URI})
		}
		if c.Image != nil && c.Image.PullConfig != nil {
			out = append(out, secret(fmt.Sprintf("%scontainers[%d].image.pullConfig.secret", at, i), "pod", c.Image.PullConfig.Secret))
		}
	}
	return out
}

func marathonPrefix(at string) string {
	if at == "" {
		return ""
	}
	return at + "."
}

// Decode implements Decoder: an empty Set, and the references in Objects.
func (Marathon) Decode(files []File) (*Document, error) {
	doc := NewDocument()
	for _, f := range files {
		var bad error
		err := marathonWalk(f.Data, "", 0, func(at string, s *marathonSpec) {
			for _, r := range marathonRefs(marathonPrefix(at), s) {
				if r.kind == "MarathonPullConfig" {
					if !r.ok && bad == nil {
						bad = errorf(f.Path, r.field, "names secret %q, which \"secrets\" does not define with a source", r.name)
					}
					r.name = r.source
				}
				doc.Objects = append(doc.Objects, Object{Kind: r.kind, Name: r.name, Namespace: s.ID, Type: r.typ, File: f.Path})
			}
		})
		if err != nil {
			return nil, errorf(f.Path, "", "not a Marathon app or pod: %s", strings.TrimPrefix(err.Error(), ": "))
		}
		if bad != nil {
			return nil, bad
		}
	}
	if len(doc.Objects) == 0 {
		return nil, errorf(marathonDisplay(files), "", "%w: no fetch URI or pullConfig secret referenced", ErrNoCredentials)
	}
	return doc, nil
}

func marathonDisplay(files []File) string {
	if len(files) == 1 {
		return files[0].Path
	}
	return ""
}

// Sniff implements Sniffer: JSON naming fetch, uris or pullConfig.
func (Marathon) Sniff(f File) bool {
	s := strings.TrimSpace(string(f.Data))
	if !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "[") {
		return false
	}
	if !json.Valid(f.Data) {
		return false
	}
	return strings.Contains(s, `"pullConfig"`) || strings.Contains(s, `"fetch"`) || strings.Contains(s, `"uris"`)
}

// marathonLooksLikeCredentials guesses whether a fetched URI is meant to
// be the docker credentials, so other artifacts (jars, scripts) are left
// alone.
func marathonLooksLikeCredentials(uri string) bool {
	base := strings.ToLower(path.Base(strings.SplitN(uri, "?", 2)[0]))
	return strings.Contains(base, "docker") || base == "config.json" || strings.HasSuffix(base, ".dockercfg")
}

func marathonIsArchive(uri string) bool {
	base := strings.ToLower(strings.SplitN(uri, "?", 2)[0])
	return strings.HasSuffix(base, ".tar.gz") || strings.HasSuffix(base, ".tgz")
}

// Lint implements Linter. Rules: marathon-invalid-json,
// marathon-pullconfig-docker, marathon-pod-image-kind,
// marathon-secret-missing, marathon-fetch-not-archive,
// marathon-fetch-extract, marathon-fetch-ucr, marathon-no-reference.
func (Marathon) Lint(files []File) []Finding {
	var out []Finding
	for _, f := range files {
		add := func(sev Severity, rule, field, msg, hint string) {
			out = append(out, Finding{Severity: sev, Rule: rule, File: f.Path, Field: field, Message: msg, Hint: hint})
		}
		refs := 0
		err := marathonWalk(f.Data, "", 0, func(at string, s *marathonSpec) {
			at = marathonPrefix(at)
			rs := marathonRefs(at, s)
			refs += len(rs)
			for _, r := range rs {
				if r.kind == "MarathonPullConfig" && !r.ok {
					add(SevError, "marathon-secret-missing", r.field, fmt.Sprintf("names secret %q, which the top-level \"secrets\" does not define with a source, so Marathon rejects the definition", r.name),
						fmt.Sprintf("add \"secrets\": {%q: {\"source\": \"/path/in/dcos/secret/store\"}}", r.name))
				}
				if r.kind == "MarathonFetch" && marathonLooksLikeCredentials(r.name) && !marathonIsArchive(r.name) {
					add(SevWarning, "marathon-fetch-not-archive", r.field, "fetches docker credentials that are not a .tar.gz/.tgz archive; Mesos extracts only archives, so .docker/config.json never appears in the sandbox",
						"fetch docker.tar.gz made with `regauth export --format mesos` (or `tar -czf docker.tar.gz .docker`)")
				}
			}
			for i, fe := range s.Fetch {
				if fe.Extract != nil && !*fe.Extract && marathonIsArchive(fe.URI) {
					add(SevWarning, "marathon-fetch-extract", fmt.Sprintf("%sfetch[%d].extract", at, i), "is false, so the credential archive is not unpacked and docker never sees .docker/config.json", "remove \"extract\": false")
				}
			}
			c := s.Container
			if c != nil && c.Docker != nil && c.Docker.PullConfig != nil && !strings.EqualFold(c.Type, "MESOS") {
				typ := c.Type
				if typ == "" {
					typ = "DOCKER (the default)"
				}
				add(SevError, "marathon-pullconfig-docker", at+"container.type", "is "+typ+", but pullConfig works only with the Universal Container Runtime", "set \"container\": {\"type\": \"MESOS\", ...}, or use a fetched docker.tar.gz with the Docker containerizer")
			}
			if c != nil && strings.EqualFold(c.Type, "MESOS") && len(s.Fetch)+len(s.URIs) > 0 && (c.Docker == nil || c.Docker.PullConfig == nil) {
				for _, r := range rs {
					if r.kind == "MarathonFetch" && marathonLooksLikeCredentials(r.name) {
						add(SevWarning, "marathon-fetch-ucr", r.field, "a fetched credential archive is read by the Docker containerizer; with container.type MESOS (UCR) the image is pulled without it",
							"use container.docker.pullConfig with a DC/OS secret, or container.type DOCKER")
						break
					}
				}
			}
			for i, pc := range s.Containers {
				if pc.Image != nil && pc.Image.PullConfig != nil && !strings.EqualFold(pc.Image.Kind, "DOCKER") {
					add(SevError, "marathon-pod-image-kind", fmt.Sprintf("%scontainers[%d].image.kind", at, i), fmt.Sprintf("is %q, but pullConfig is supported only when image.kind is DOCKER", pc.Image.Kind), "set \"kind\": \"DOCKER\"")
				}
			}
		})
		if err != nil {
			add(SevError, "marathon-invalid-json", "", "is not a Marathon app or pod: "+strings.TrimPrefix(err.Error(), ": "), "the file must be the JSON you pass to `dcos marathon app add` or `pod add`")
			continue
		}
		if refs == 0 {
			add(SevWarning, "marathon-no-reference", "", "references no docker credentials (no fetch URI, uris or pullConfig)", "add the stanza from `regauth export --format marathon`")
		}
	}
	return out
}
