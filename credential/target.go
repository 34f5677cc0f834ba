package credential

import (
	"fmt"
	"strings"
)

// Target is what a client is about to contact: a registry host and, for an
// image reference, the repository path on it.
type Target struct {
	Host string // normalised like Pattern.Host (never a glob)
	Path string // repository, "" when only a host was given
}

func (t Target) String() string {
	if t.Path == "" {
		return t.Host
	}
	return t.Host + "/" + t.Path
}

// ParseTarget accepts what users type: an image reference
// ("ubuntu", "quay.io/org/app:1.0", "localhost:5000/x@sha256:…"), a host
// ("quay.io", "myreg:5000", "[::1]:5000") or a server URL
// ("https://index.docker.io/v1/"). Image references follow docker's rules:
// a first component without '.' or ':' (other than "localhost") is a Docker
// Hub repository, and one-component Docker Hub names live under "library/".
func ParseTarget(s string) (Target, error) {
	orig := s
	s = strings.TrimSpace(s)
	rest, scheme := stripScheme(s)
	if rest == "" {
		return Target{}, fmt.Errorf("%w: empty reference", ErrInvalidHost)
	}
	first, path, hasSlash := strings.Cut(rest, "/")
	if scheme != "" || looksLikeHost(first, hasSlash) {
		h, err := normalizeHost(first, false)
		if err != nil {
			return Target{}, err
		}
		if scheme != "" {
			path = cleanPath(path) // a URL's path may carry /v1/ or /v2/
		}
		repo, err := repository(path, orig)
		if err != nil {
			return Target{}, err
		}
		if h == DockerHub && repo != "" && !strings.Contains(repo, "/") {
			repo = "library/" + repo
		}
		return Target{Host: h, Path: repo}, nil
	}
	repo, err := repository(rest, orig)
	if err != nil {
		return Target{}, err
	}
	if !strings.Contains(repo, "/") {
		repo = "library/" + repo
	}
	return Target{Host: DockerHub, Path: repo}, nil
}

// MustTarget is ParseTarget for literals in code and tests.
func MustTarget(s string) Target {
	t, err := ParseTarget(s)
	if err != nil {
		panic(err)
	}
	return t
}

// looksLikeHost applies docker's domain rule, extended for host-only input:
// without a '/', "quay.io" and "myreg:5000" are hosts but "ubuntu:22.04"
// is an image with a tag.
func looksLikeHost(first string, hasSlash bool) bool {
	if first == "localhost" || strings.HasPrefix(first, "localhost:") || strings.HasPrefix(first, "[") {
		return true
	}
	if hasSlash {
		return strings.ContainsAny(first, ".:") || strings.ToLower(first) != first
	}
	if i := strings.LastIndexByte(first, ':'); i >= 0 {
		return isDigits(first[i+1:]) || strings.Count(first, ":") > 1
	}
	return strings.Contains(first, ".")
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// repository strips ":tag" and "@digest" and validates the path components.
func repository(path, orig string) (string, error) {
	if i := strings.IndexByte(path, '@'); i >= 0 {
		path = path[:i]
	}
	if i := strings.LastIndexByte(path, ':'); i >= 0 && !strings.Contains(path[i:], "/") {
		path = path[:i]
	}
	path = strings.TrimRight(path, "/") // "quay.io/" means the host
	if path == "" {
		return "", nil
	}
	for _, c := range strings.Split(path, "/") {
		if c == "" {
			return "", fmt.Errorf("%w: %q: empty path component", ErrInvalidHost, orig)
		}
		for _, r := range c {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
				return "", fmt.Errorf("%w: %q: repository names use lower-case letters, digits and . _ - only (found %q)", ErrInvalidHost, orig, r)
			}
		}
	}
	return path, nil
}
