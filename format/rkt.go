package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/regauth/regauth/credential"
)

// Rkt is rkt's auth.d directory (/etc/rkt/auth.d): one JSON file per
// registry, named after it ("registry.example.io.json"). rkt reads every
// *.json file of the directory, without recursing, and matches credentials
// by host only, so patterns with a repository path or a wildcard cannot be
// written.
//
// Kind "auth" (the default) is what rkt sends when fetching ACI images and
// signatures over HTTPS: type "basic" for a username and password, type
// "oauth" for a token, which rkt sends as "Authorization: Bearer <token>"
// exactly as given. That is docker's registry token, so oauth decodes to
// Credential.RegistryToken; an identity token is written as oauth too (rkt
// has no refresh-token exchange) and therefore comes back as a registry
// token.
//
// With DockerAuth, files are rktKind "dockerAuth", used when rkt fetches
// docker images; those carry a username and password only.
//
// File names: the host with every character other than letters, digits,
// '.' and '-' replaced by '_', so "registry.example.io:5000" is written
// to "registry.example.io_5000.json" (':' is not allowed in Windows file
// names and confuses scp). Docker Hub is written as "index.docker.io", the
// name rkt's docker fetcher uses.
type Rkt struct {
	DockerAuth bool
}

var (
	_ Codec   = Rkt{}
	_ Sniffer = Rkt{}
	_ Linter  = Rkt{}
)

// Name implements Codec.
func (Rkt) Name() string { return "rkt" }

const (
	rktKindAuth       = "auth"
	rktKindDockerAuth = "dockerAuth"
	rktDockerHubHost  = "index.docker.io"
)

// rktFile is one auth.d file, both kinds. Fields are pointers where lint
// must tell "missing" from "empty".
type rktFile struct {
	RktKind     string          `json:"rktKind"`
	RktVersion  string          `json:"rktVersion"`
	Domains     []string        `json:"domains,omitempty"`
	Registries  []string        `json:"registries,omitempty"`
	Type        string          `json:"type,omitempty"`
	Credentials *rktCredentials `json:"credentials,omitempty"`
}

type rktCredentials struct {
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	Token    string `json:"token,omitempty"`
}

// rktHost is the name rkt compares with a URL's host.
func rktHost(p credential.Pattern) string {
	if p.IsDockerHub() {
		return rktDockerHubHost
	}
	return p.Host
}

// rktFileName turns a host into a safe file name.
func rktFileName(host string) string {
	b := []byte(host)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b) + ".json"
}

// Encode implements Encoder: one file per registry, sorted by name.
func (r Rkt) Encode(d *Document) ([]File, error) {
	entries, err := flattened(d, "rkt")
	if err != nil {
		return nil, err
	}
	byName := map[string]File{}
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.Pattern.Key()] {
			continue
		}
		seen[e.Pattern.Key()] = true
		if e.Pattern.Path != "" || e.Pattern.IsGlob() {
			return nil, fmt.Errorf("rkt: %s: rkt matches credentials by exact host, so a repository path or wildcard cannot be expressed; export the bare host instead (--registry %s)", e.Pattern.Key(), e.Pattern.Host)
		}
		host := rktHost(e.Pattern)
		f := rktFile{RktVersion: "v1"}
		c := e.Credential
		token := c.RegistryToken
		if token == "" {
			token = c.IdentityToken
		}
		switch {
		case r.DockerAuth && token != "":
			return nil, fmt.Errorf("rkt: %s: rkt dockerAuth files hold a user and password only, and this credential is a token; use the auth kind or log in with a password", e.Pattern.Key())
		case r.DockerAuth:
			f.RktKind, f.Registries = rktKindDockerAuth, []string{host}
			f.Credentials = &rktCredentials{User: c.Username, Password: c.Password}
		case token != "":
			f.RktKind, f.Domains, f.Type = rktKindAuth, []string{host}, "oauth"
			f.Credentials = &rktCredentials{Token: token}
		default:
			f.RktKind, f.Domains, f.Type = rktKindAuth, []string{host}, "basic"
			f.Credentials = &rktCredentials{User: c.Username, Password: c.Password}
		}
		name := rktFileName(host)
		if _, dup := byName[name]; dup {
			return nil, fmt.Errorf("rkt: %s: two registries map to the file name %s; export them separately", e.Pattern.Key(), name)
		}
		data, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("rkt: %s: %w", e.Pattern.Key(), err)
		}
		byName[name] = File{Path: name, Mode: 0o600, Data: append(data, '\n')}
	}
	if len(byName) == 0 {
		return nil, fmt.Errorf("rkt: %w to write", ErrNoCredentials)
	}
	out := make([]File, 0, len(byName))
	for _, name := range sortedKeys(byName) {
		out = append(out, byName[name])
	}
	return out, nil
}

// rktInputs returns the files rkt itself would read: with several inputs
// (a directory) only top-level *.json files, as rkt neither recurses nor
// reads other extensions; a single file is read whatever its name.
func rktInputs(files []File) []File {
	if len(files) == 1 {
		return files
	}
	var out []File
	for _, f := range files {
		if f.Link == "" && !strings.Contains(f.Path, "/") && path.Ext(f.Path) == ".json" {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// rktParse reads one file strictly enough for Decode.
func rktParse(f File) (*rktFile, error) {
	var rf rktFile
	dec := json.NewDecoder(bytes.NewReader(f.Data))
	if err := dec.Decode(&rf); err != nil {
		return nil, errorf(f.Path, "", "not an rkt auth.d file: %s", jsonProblem(err))
	}
	if rf.RktVersion != "v1" {
		return nil, errorf(f.Path, "rktVersion", "unsupported version %s: rkt knows only \"v1\"", rktClip(rf.RktVersion))
	}
	switch rf.RktKind {
	case rktKindAuth, rktKindDockerAuth:
	default:
		return nil, errorf(f.Path, "rktKind", "unsupported kind %s: auth.d holds \"auth\" or \"dockerAuth\"", rktClip(rf.RktKind))
	}
	return &rf, nil
}

// rktClip quotes a kind, version or type so a typo is visible, but only
// when it looks like one: anything else may be a misplaced secret.
func rktClip(s string) string {
	if len(s) <= 16 && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0 {
		return fmt.Sprintf("%q", s)
	}
	return "a value"
}

// rktDomains returns the hosts a file names and the field they came from.
func rktDomains(rf *rktFile) ([]string, string) {
	if rf.RktKind == rktKindDockerAuth {
		return rf.Registries, "registries"
	}
	return rf.Domains, "domains"
}

// rktCredential turns a file's credentials into a Credential.
func rktCredential(f File, rf *rktFile) (credential.Credential, error) {
	c := rf.Credentials
	if c == nil {
		return credential.Credential{}, errorf(f.Path, "credentials", "missing")
	}
	kind := rf.Type
	if rf.RktKind == rktKindDockerAuth {
		kind = "basic"
	}
	switch kind {
	case "basic":
		if c.User == "" || c.Password == "" {
			return credential.Credential{}, errorf(f.Path, "credentials", "basic credentials need both user and password")
		}
		return credential.Credential{Username: c.User, Password: c.Password}, nil
	case "oauth":
		if c.Token == "" {
			return credential.Credential{}, errorf(f.Path, "credentials.token", "missing")
		}
		return credential.Credential{RegistryToken: c.Token}, nil
	}
	return credential.Credential{}, errorf(f.Path, "type", "unsupported type %s: rkt knows \"basic\" and \"oauth\"", rktClip(rf.Type))
}

// Decode implements Decoder. A domain listed in two files is kept from
// the first file by name (rkt itself refuses such a directory; Lint says
// so). Domains written as URLs are read like config keys
// ("https://registry.example.io/v0/" is registry.example.io/v0).
func (Rkt) Decode(files []File) (*Document, error) {
	doc := NewDocument()
	for _, f := range rktInputs(files) {
		rf, err := rktParse(f)
		if err != nil {
			return nil, err
		}
		cred, err := rktCredential(f, rf)
		if err != nil {
			return nil, err
		}
		domains, field := rktDomains(rf)
		if len(domains) == 0 {
			return nil, errorf(f.Path, field, "missing or empty")
		}
		for i, dom := range domains {
			p, err := credential.ParsePattern(dom)
			if err != nil {
				return nil, errorf(f.Path, fmt.Sprintf("%s[%d]", field, i), "%v", err)
			}
			doc.Set.Add(credential.Entry{Pattern: p, Credential: cred, Source: credential.Source{Label: "rkt", File: f.Path, Key: dom, Via: rf.RktKind}})
		}
	}
	if doc.Set.Len() == 0 {
		return nil, errorf(rktDisplay(files), "", "%w: no rkt auth.d *.json file found", ErrNoCredentials)
	}
	return doc, nil
}

func rktDisplay(files []File) string {
	if len(files) == 1 {
		return files[0].Path
	}
	return ""
}

// Sniff implements Sniffer: rkt files are the only JSON with "rktKind".
func (Rkt) Sniff(f File) bool {
	var probe struct {
		RktKind *string `json:"rktKind"`
	}
	return json.Unmarshal(f.Data, &probe) == nil && probe.RktKind != nil
}

// Lint implements Linter. Rules: rkt-invalid-json, rkt-kind, rkt-version,
// rkt-type, rkt-missing-credentials, rkt-no-domains, rkt-invalid-domain,
// rkt-domain-url, rkt-duplicate-domain, rkt-ignored-file.
func (Rkt) Lint(files []File) []Finding {
	var out []Finding
	add := func(sev Severity, rule, file, field, msg, hint string) {
		out = append(out, Finding{Severity: sev, Rule: rule, File: file, Field: field, Message: msg, Hint: hint})
	}
	inputs := rktInputs(files)
	if len(files) > 1 {
		for _, f := range files {
			if !slices.ContainsFunc(inputs, func(g File) bool { return g.Path == f.Path }) {
				add(SevWarning, "rkt-ignored-file", f.Path, "", "rkt ignores this file: it reads only *.json files directly in auth.d", "rename it to end in .json and move it to the top of the directory, or remove it")
			}
		}
	}
	type seenAt struct{ file, spelling string }
	exact := map[string]string{} // "kind\x00domain" -> first file
	hosts := map[string]seenAt{} // "kind\x00host" -> first file
	for _, f := range inputs {
		var rf rktFile
		if err := json.Unmarshal(f.Data, &rf); err != nil {
			add(SevError, "rkt-invalid-json", f.Path, "", "is not a JSON object: "+jsonProblem(err), "an auth.d file is {\"rktKind\": \"auth\", \"rktVersion\": \"v1\", ...}")
			continue
		}
		switch rf.RktKind {
		case rktKindAuth, rktKindDockerAuth:
		case "":
			add(SevError, "rkt-kind", f.Path, "rktKind", "is missing, so rkt refuses the file", "set \"rktKind\": \"auth\" (ACI fetches) or \"dockerAuth\" (docker images)")
			continue
		default:
			add(SevError, "rkt-kind", f.Path, "rktKind", fmt.Sprintf("%s is not a kind auth.d accepts", rktClip(rf.RktKind)), "use \"auth\" or \"dockerAuth\"; other kinds belong in other directories (paths.d, stage1.d)")
			continue
		}
		if rf.RktVersion != "v1" {
			add(SevError, "rkt-version", f.Path, "rktVersion", fmt.Sprintf("%s is not a version rkt knows, so rkt refuses the file", rktClip(rf.RktVersion)), "set \"rktVersion\": \"v1\"")
		}
		if rf.RktKind == rktKindAuth && rf.Type != "basic" && rf.Type != "oauth" {
			add(SevError, "rkt-type", f.Path, "type", fmt.Sprintf("%s is not an auth type rkt knows", rktClip(rf.Type)), "use \"basic\" (user and password) or \"oauth\" (token)")
		} else if _, err := rktCredential(f, &rf); err != nil {
			field := "credentials"
			if e, ok := err.(*Error); ok {
				field = e.Field
			}
			add(SevError, "rkt-missing-credentials", f.Path, field, "credentials are missing or incomplete, so rkt refuses the file", "basic and dockerAuth need \"credentials\": {\"user\": ..., \"password\": ...}; oauth needs {\"token\": ...}")
		}
		domains, field := rktDomains(&rf)
		if len(domains) == 0 {
			hint := fmt.Sprintf("list the registry hosts in %q", field)
			if rf.RktKind == rktKindDockerAuth && len(rf.Domains) > 0 {
				hint = "dockerAuth files name hosts in \"registries\", not \"domains\"; rename the field"
			}
			add(SevError, "rkt-no-domains", f.Path, field, "is missing or empty, so the credentials apply nowhere", hint)
		}
		for i, dom := range domains {
			at := fmt.Sprintf("%s[%d]", field, i)
			p, err := credential.ParsePattern(dom)
			if err != nil {
				add(SevError, "rkt-invalid-domain", f.Path, at, "is not a registry host: "+strings.TrimPrefix(err.Error(), "invalid registry host: "), "use host or host:port, e.g. registry.example.io")
				continue
			}
			if host := rktHost(p); dom != host && !strings.EqualFold(dom, host) {
				add(SevWarning, "rkt-domain-url", f.Path, at, fmt.Sprintf("%q is not a bare host: rkt compares each entry with the request's host exactly, so a scheme, path or alias never matches", dom), fmt.Sprintf("write %q", host))
			}
			if first, dup := exact[rf.RktKind+"\x00"+dom]; dup {
				add(SevError, "rkt-duplicate-domain", f.Path, at, fmt.Sprintf("%q is already listed in %s; rkt refuses a directory that names a %s twice", dom, first, strings.TrimSuffix(field, "s")), "keep one of the two files' entries")
				continue
			}
			exact[rf.RktKind+"\x00"+dom] = f.Path
			key := rf.RktKind + "\x00" + rktHost(p)
			if first, dup := hosts[key]; dup {
				add(SevWarning, "rkt-duplicate-domain", f.Path, at, fmt.Sprintf("%q names the same host as %q in %s; which one applies depends on spelling", dom, first.spelling, first.file), "keep one entry per host")
				continue
			}
			hosts[key] = seenAt{f.Path, dom}
		}
	}
	return out
}
