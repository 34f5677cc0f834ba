package format

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/dockerconfig"
	"github.com/regauth/regauth/provider"
)

// Severity of a lint finding: errors make `regauth lint` exit 1.
type Severity string

const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
)

// Finding is one mistake lint found: where, what and how to fix it. It
// never quotes a secret.
type Finding struct {
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"` // stable identifier, e.g. "invalid-base64"
	File     string   `json:"file,omitempty"`
	Field    string   `json:"field,omitempty"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

func (f Finding) String() string {
	where := f.File
	if f.Field != "" {
		if where != "" {
			where += ": "
		}
		where += f.Field
	}
	s := fmt.Sprintf("%s: %s: %s [%s]", where, f.Severity, f.Message, f.Rule)
	if f.Hint != "" {
		s += "\n  hint: " + f.Hint
	}
	return s
}

// Linter finds the mistakes of one format. Inputs are as for Decode: Path
// is the display name of a single file, or the path within a directory.
type Linter interface {
	Lint(files []File) []Finding
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SevError {
			return true
		}
	}
	return false
}

// LintDockerConfigJSON checks docker config JSON found in file at field
// (a Secret's data, a tarball member, a Butane inline file, ...). With
// legacy set it is the bare .dockercfg map. field prefixes every finding's
// field, e.g. `data[".dockerconfigjson"]`.
func LintDockerConfigJSON(file, field string, data []byte, legacy bool) []Finding {
	at := func(sub string) string {
		switch {
		case field == "":
			return sub
		case sub == "":
			return field
		}
		return field + "." + sub
	}
	var out []Finding
	add := func(sev Severity, rule, sub, msg, hint string) {
		out = append(out, Finding{Severity: sev, Rule: rule, File: file, Field: at(sub), Message: msg, Hint: hint})
	}
	if strings.TrimSpace(string(data)) == "" {
		add(SevError, "empty", "", "is empty", "a docker config needs at least {\"auths\": {}}")
		return out
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		add(SevError, "not-docker-config", "", "is not a JSON object: "+jsonProblem(err), "the content must be a docker config.json ({\"auths\": {...}}); kubectl reports this as `invalid value`")
		return out
	}
	if legacy {
		if _, ok := top["auths"]; ok {
			add(SevError, "not-docker-config", "", "is a config.json ({\"auths\": ...}), not the bare .dockercfg map", "use type kubernetes.io/dockerconfigjson with key .dockerconfigjson, or drop the \"auths\" wrapper")
			return out
		}
	} else {
		_, hasAuths := top["auths"]
		_, hasHelpers := top["credHelpers"]
		_, hasStore := top["credsStore"]
		if !hasAuths && !hasHelpers && !hasStore {
			add(SevError, "not-docker-config", "", "has no \"auths\" object, so no runtime finds a credential in it", "wrap the registries in {\"auths\": {...}}; a bare map is the legacy .dockercfg format")
			return out
		}
		// Shape errors (an auths that is not an object, a number where a
		// string belongs) end here; bad auth values are reported per entry.
		if _, err := dockerconfig.Parse(data); err != nil && !errors.Is(err, dockerconfig.ErrInvalidAuth) {
			add(SevError, "not-docker-config", "", err.Error(), "auths maps registry hosts to objects of strings: {\"auths\": {\"quay.io\": {\"auth\": \"...\"}}}")
			return out
		}
	}
	prefix := "auths"
	if legacy {
		prefix = ""
	}
	key := func(k, sub string) string {
		s := fmt.Sprintf("[%q]", k)
		if prefix != "" {
			s = prefix + s
		}
		if sub != "" {
			s += "." + sub
		}
		return s
	}
	helpers := hasHelpers(top)
	var plaintext []string
	for _, k := range sortedKeys(rawAuths(top, legacy)) {
		raw := rawAuths(top, legacy)[k]
		out = append(out, lintKey(k, func(sev Severity, rule, msg, hint string) Finding {
			return Finding{Severity: sev, Rule: rule, File: file, Field: at(key(k, "")), Message: msg, Hint: hint}
		})...)
		var e struct {
			Auth, Username, Password, IdentityToken, RegistryToken string
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			add(SevError, "not-docker-config", key(k, ""), "entry is not an object of strings", "each registry maps to {\"auth\": \"base64(user:password)\"}")
			continue
		}
		user, pass := e.Username, e.Password
		if e.Auth != "" {
			out = append(out, lintAuth(e.Auth, func(sev Severity, rule, msg, hint string) {
				add(sev, rule, key(k, "auth"), msg, hint)
			})...)
			user, pass, _ = dockerconfig.DecodeAuth(e.Auth)
		}
		if p, err := credential.ParsePattern(k); err == nil && user != "" {
			if info, ok := provider.Recognize(p.Host); ok {
				for _, problem := range info.CheckUsername(user, pass) {
					add(SevWarning, "provider-credential", key(k, ""), info.Title+": "+problem, "")
				}
			}
		}
		if e.Auth == "" && e.Username == "" && e.Password == "" && e.IdentityToken == "" && e.RegistryToken == "" && !helpers {
			add(SevWarning, "empty-entry", key(k, ""), "entry holds no credential", "remove it, or log in again: an empty entry means anonymous access")
		}
		if helpers && (e.Auth != "" || e.Password != "" || e.IdentityToken != "") {
			plaintext = append(plaintext, fmt.Sprintf("%q", k))
		}
	}
	if len(plaintext) > 0 {
		add(SevWarning, "plaintext-with-helper", prefix, fmt.Sprintf("%d entr%s (%s) keep a plain-text secret although this file names a credential helper", len(plaintext), plural(len(plaintext), "y", "ies"), strings.Join(plaintext, ", ")),
			"log in again with `regauth login --store helper` so the secret moves to the helper, then remove the inline auth")
	}
	return out
}

func hasHelpers(top map[string]json.RawMessage) bool {
	var store string
	_ = json.Unmarshal(top["credsStore"], &store)
	var helpers map[string]string
	_ = json.Unmarshal(top["credHelpers"], &helpers)
	return store != "" || len(helpers) > 0
}

func rawAuths(top map[string]json.RawMessage, legacy bool) map[string]json.RawMessage {
	if legacy {
		return top
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(top["auths"], &m)
	return m
}

// lintAuth checks an "auth" value the way docker decodes it, and names the
// classic mistakes: a newline encoded in (`echo` without -n, as the DC/OS
// seed warns), URL-safe or unpadded base64, no colon, empty username.
func lintAuth(auth string, add func(Severity, string, string, string)) []Finding {
	if _, _, err := dockerconfig.DecodeAuth(auth); err == nil {
		dec, _ := base64.StdEncoding.DecodeString(auth)
		if strings.HasSuffix(string(dec), "\n") {
			add(SevError, "auth-trailing-newline", "decodes to a password ending in a newline", "encode without the newline: `printf '%s' user:password | base64` or `echo -n`, never plain `echo`")
		}
		return nil
	}
	dec, err := base64.StdEncoding.DecodeString(auth)
	switch {
	case err != nil:
		hint := "auth must be standard base64 of user:password with padding: `printf '%s' user:password | base64`"
		if _, e2 := base64.RawStdEncoding.DecodeString(auth); e2 == nil {
			hint = "the value lacks its '=' padding; " + hint
		} else if _, e3 := base64.URLEncoding.DecodeString(auth); e3 == nil {
			hint = "the value uses URL-safe base64 ('-' '_'); " + hint
		} else if strings.ContainsAny(auth, "\n\r ") {
			hint = "the value contains line breaks or spaces (base64 -w0 avoids wrapping); " + hint
		}
		add(SevError, "invalid-base64", "is not valid base64", hint)
	case !strings.Contains(string(dec), ":"):
		add(SevError, "auth-not-user-password", "decodes to text without a ':' separator", "auth is base64 of user:password, not of the password alone")
	default:
		add(SevError, "empty-username", "decodes to an empty username", "put the username before the ':'")
	}
	return nil
}

// lintKey names keys that some runtime will not match.
func lintKey(k string, f func(sev Severity, rule, msg, hint string) Finding) []Finding {
	p, err := credential.ParsePattern(k)
	if err != nil {
		return []Finding{f(SevError, "invalid-key", "is not a valid registry: "+strings.TrimPrefix(err.Error(), "invalid registry host: "), "use host[:port] or host/namespace, e.g. quay.io or registry.example.com:5000")}
	}
	var out []Finding
	rest := k
	if i := strings.Index(rest, "://"); i >= 0 {
		scheme := strings.ToLower(rest[:i])
		rest = rest[i+3:]
		if scheme == "http" {
			out = append(out, f(SevWarning, "key-scheme", "uses http://; credential matching ignores the scheme, and HTTP is configured per runtime", "write the key without a scheme; mark the registry insecure in the runtime instead"))
		}
	}
	if p.IsDockerHub() && p.Path == "" && k != credential.DockerHubKey {
		out = append(out, f(SevWarning, "dockerhub-key", "Docker Hub is spelled "+fmt.Sprintf("%q", k)+"; docker and nerdctl only look up "+fmt.Sprintf("%q", credential.DockerHubKey), "use the key \""+credential.DockerHubKey+"\" (kubelet accepts both)"))
	}
	if p.Path != "" {
		out = append(out, f(SevWarning, "key-path", fmt.Sprintf("has the path /%s: kubelet, podman and regauth scope the credential to it; docker and nerdctl ignore the path and, when %s has no key of its own, send this credential to every repository on it", p.Path, p.Host), "use the bare host unless you mean to scope the credential to repositories under that path"))
	}
	if strings.ContainsAny(rest, "?#") || strings.HasSuffix(rest, "/v1") || strings.HasSuffix(rest, "/v2") {
		out = append(out, f(SevWarning, "key-scheme", "has a query, fragment or an API path without its trailing slash", "use host[:port]"))
	}
	return out
}

func jsonProblem(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		// encoding/json quotes the offending character, which may belong to
		// a secret; the offset says where it is.
		msg := se.Error()
		if strings.HasPrefix(msg, "invalid character '") {
			if i := strings.Index(msg[len("invalid character '"):], "' "); i >= 0 {
				msg = "unexpected character " + msg[len("invalid character '")+i+2:]
			}
		}
		return fmt.Sprintf("%s at byte %d", msg, se.Offset)
	}
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("a %s where an object was expected", te.Value)
	}
	return err.Error()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
