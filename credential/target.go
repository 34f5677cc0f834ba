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
// without a '/', "quay.io", "10.0.0.1:5000" and "localhost:5000" are hosts,
// while "ubuntu:22.04" and "node:20" are Docker Hub images with a tag (as
// docker reads them). A dot-less host with a port is named with a trailing
// slash or a scheme: "myreg:5000/", "https://myreg:5000".
func looksLikeHost(first string, hasSlash bool) bool {
	if first == "localhost" || strings.HasPrefix(first, "localhost:") || strings.HasPrefix(first, "[") {
		return true
	}
	if hasSlash {
		return strings.ContainsAny(first, ".:") || strings.ToLower(first) != first
	}
	name, _, _ := strings.Cut(first, ":")
	return strings.Contains(name, ".") || strings.Count(first, ":") > 1
}

// ParseServer reads what the credential-helper protocol and docker pass as
// a server: a host, host:port or URL, never an image reference, so
// "registry:5000" is that host (docker-compose style names have no dot).
func ParseServer(s string) (Target, error) {
	orig := s
	s = strings.TrimSpace(s)
	rest, _ := stripScheme(s)
	first, path, _ := strings.Cut(rest, "/")
	h, err := normalizeHost(first, false)
	if err != nil {
		return Target{}, err
	}
	repo, err := repository(cleanPath(path), orig)
	if err != nil {
		return Target{}, err
	}
	return Target{Host: h, Path: repo}, nil
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
