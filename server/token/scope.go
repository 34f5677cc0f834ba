// Package token speaks the registry side of the docker distribution token
// protocol: it parses scopes and token-endpoint requests, signs JWTs a
// distribution registry accepts, and keeps the signing keys on disk together
// with the files (rootcertbundle, jwks) and config block the registry needs.
package token

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/regauth/regauth/server/model"
)

// ErrInvalidScope is wrapped by every scope parsing error.
var ErrInvalidScope = errors.New("invalid scope")

const (
	// MaxScopes bounds how many scopes one token request may carry, so a
	// hostile request cannot make the policy engine do unbounded work.
	MaxScopes = 256
	// maxRepositoryName is distribution's limit on a repository name.
	maxRepositoryName = 255
	// maxScopeLen bounds one scope string (type, name and actions).
	maxScopeLen = 1024
)

// ParseScope parses one resource scope, "type:name:action[,action...]".
// The type ends at the first ':' and the actions start after the last one,
// so the name in between may itself hold colons (it is then rejected if it
// is a repository name, because a registry host is never part of one).
// Actions are de-duplicated and sorted; actions the token server does not
// know are dropped without error, as the token spec asks.
func ParseScope(s string) (model.Scope, error) {
	if len(s) > maxScopeLen {
		return model.Scope{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidScope, maxScopeLen)
	}
	typ, rest, ok := strings.Cut(s, ":")
	i := strings.LastIndexByte(rest, ':')
	if !ok || i < 0 {
		return model.Scope{}, fmt.Errorf("%w %q: want type:name:actions", ErrInvalidScope, s)
	}
	name, actions := rest[:i], rest[i+1:]
	base, _, err := splitType(typ)
	if err != nil {
		return model.Scope{}, fmt.Errorf("%w %q: %w", ErrInvalidScope, s, err)
	}
	if base == "repository" {
		if err := ValidateRepository(name); err != nil {
			return model.Scope{}, fmt.Errorf("%w %q: %w", ErrInvalidScope, s, err)
		}
	} else if err := validateOtherName(name); err != nil {
		return model.Scope{}, fmt.Errorf("%w %q: %w", ErrInvalidScope, s, err)
	}
	return model.Scope{Type: typ, Name: name, Actions: parseActions(actions)}, nil
}

// ParseScopes parses every scope in values. Each value may hold several
// scopes separated by spaces: docker repeats the scope parameter, OAuth2
// clients such as containerd join them with spaces. Scopes naming the same
// resource are merged, keeping the order in which resources first appear.
func ParseScopes(values []string) ([]model.Scope, error) {
	var out []model.Scope
	for _, v := range values {
		for f := range strings.FieldsSeq(v) {
			sc, err := ParseScope(f)
			if err != nil {
				return nil, err
			}
			i := slices.IndexFunc(out, func(o model.Scope) bool { return o.Type == sc.Type && o.Name == sc.Name })
			if i >= 0 {
				out[i].Actions = mergeActions(out[i].Actions, sc.Actions)
				continue
			}
			if len(out) == MaxScopes {
				return nil, fmt.Errorf("%w: more than %d scopes", ErrInvalidScope, MaxScopes)
			}
			out = append(out, sc)
		}
	}
	return out, nil
}

// FormatScope renders s the way it appears on the wire.
func FormatScope(s model.Scope) string {
	var b strings.Builder
	b.Grow(len(s.Type) + len(s.Name) + 2 + 6*len(s.Actions))
	b.WriteString(s.Type)
	b.WriteByte(':')
	b.WriteString(s.Name)
	b.WriteByte(':')
	for i, a := range s.Actions {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(a))
	}
	return b.String()
}

// FormatScopes renders scopes space separated, as in a token response's
// "scope" field or an audit record.
func FormatScopes(scopes []model.Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = FormatScope(s)
	}
	return strings.Join(parts, " ")
}

// splitType splits "repository(plugin)" into its base type and class and
// checks both against the spec's /[a-z0-9]+/.
func splitType(t string) (base, class string, err error) {
	base = t
	if open := strings.IndexByte(t, '('); open >= 0 {
		if !strings.HasSuffix(t, ")") {
			return "", "", errors.New("resource class must end with ')'")
		}
		base, class = t[:open], t[open+1:len(t)-1]
		if !isAlnum(class) {
			return "", "", errors.New("resource class must be lower-case letters and digits")
		}
	}
	if !isAlnum(base) {
		return "", "", errors.New("resource type must be lower-case letters and digits")
	}
	return base, class, nil
}

func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLowerAlnum(s[i]) {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// validateOtherName accepts any printable name for non-repository types
// ("registry:catalog"); the policy engine decides what they mean.
func validateOtherName(name string) error {
	if name == "" {
		return errors.New("resource name is empty")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f {
			return errors.New("resource name holds a space or non-printable byte")
		}
	}
	return nil
}

// ValidateRepository checks name against distribution's reference grammar
// for a repository path: components matching
// [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)* joined by '/', at most 255 bytes.
// It is hand-written rather than a regexp because it runs on every scope of
// every token request; the fuzz test checks it against the regexp.
func ValidateRepository(name string) error {
	if name == "" {
		return errors.New("repository name is empty")
	}
	if len(name) > maxRepositoryName {
		return fmt.Errorf("repository name longer than %d bytes", maxRepositoryName)
	}
	if strings.Contains(name, ":") {
		return errors.New("repository name must not hold ':' (a registry host is not part of it)")
	}
	for comp := range strings.SplitSeq(name, "/") {
		if !validComponent(comp) {
			return fmt.Errorf("repository path component %q must be lower-case letters and digits separated by '.', '_', '__' or '-'", comp)
		}
	}
	return nil
}

func validComponent(c string) bool {
	i := 0
	for {
		// alpha-numeric run
		start := i
		for i < len(c) && isLowerAlnum(c[i]) {
			i++
		}
		if i == start {
			return false
		}
		if i == len(c) {
			return true
		}
		// separator: '.', '_', '__' or one or more '-'
		switch c[i] {
		case '.':
			i++
		case '_':
			i++
			if i < len(c) && c[i] == '_' {
				i++
			}
		case '-':
			for i < len(c) && c[i] == '-' {
				i++
			}
		default:
			return false
		}
	}
}

// knownActions are the actions a grant can carry; anything else a client
// asks for is ignored.
var knownActions = map[string]model.Action{
	"pull": model.Pull, "push": model.Push, "delete": model.Delete, "*": model.All,
}

func parseActions(s string) []model.Action {
	var out []model.Action
	for a := range strings.SplitSeq(s, ",") {
		if act, ok := knownActions[a]; ok && !slices.Contains(out, act) {
			out = append(out, act)
		}
	}
	slices.Sort(out)
	return out
}

func mergeActions(a, b []model.Action) []model.Action {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}
