package credential

import (
	"fmt"
	"strings"
)

// Pattern says which registry, or which part of it, a credential opens:
//
//	registry.example.com            every repository on that host
//	registry.example.com:5000       that host and port only
//	registry.example.com/team       repositories under team/ (podman namespace key)
//	registry.example.com/team/app   exactly that repository (and anything below it)
//	*.example.com                   one label wildcard, kubelet semantics
//
// Scheme, Docker Hub aliases and the "/v1/" "/v2/" API suffixes are
// normalised away, so every spelling of one place yields one Pattern.
type Pattern struct {
	Host string // lower case, port kept, IPv6 bracketed, Docker Hub = "docker.io"
	Path string // repository prefix without leading/trailing '/'; "" = whole host
}

// ParsePattern normalises a config key, a login server argument or a
// `--registry` value into a Pattern.
func ParsePattern(s string) (Pattern, error) {
	orig := s
	s = strings.TrimSpace(s)
	s, _ = stripScheme(s)
	if strings.ContainsAny(s, "?#@ \t") {
		return Pattern{}, fmt.Errorf("%w: %q: registry keys cannot contain a query, fragment, '@' or spaces", ErrInvalidHost, orig)
	}
	host, path, _ := strings.Cut(s, "/")
	h, err := normalizeHost(host, true)
	if err != nil {
		return Pattern{}, err
	}
	path = cleanPath(path)
	if strings.ContainsAny(path, "*?[") {
		return Pattern{}, fmt.Errorf("%w: %q: wildcards are allowed in the host only", ErrInvalidHost, orig)
	}
	if r, err := repository(path, orig); err != nil {
		return Pattern{}, err
	} else if r != path {
		return Pattern{}, fmt.Errorf("%w: %q: a registry key names a repository, not a tag or digest", ErrInvalidHost, orig)
	}
	return Pattern{Host: h, Path: path}, nil
}

// MustPattern is ParsePattern for literals in code and tests.
func MustPattern(s string) Pattern {
	p, err := ParsePattern(s)
	if err != nil {
		panic(err)
	}
	return p
}

// cleanPath trims slashes and the registry API version docker and kubelet
// treat as "the host itself" ("https://index.docker.io/v1/").
func cleanPath(p string) string {
	p = strings.Trim(p, "/")
	for _, v := range []string{"v1", "v2"} {
		if p == v {
			return ""
		}
		if strings.HasPrefix(p, v+"/") {
			p = strings.Trim(p[len(v)+1:], "/")
		}
	}
	// Collapse accidental "//" so "a//b" and "a/b" are one pattern.
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	return p
}

// IsGlob reports whether the host has wildcards.
func (p Pattern) IsGlob() bool { return isGlob(p.Host) }

// IsDockerHub reports whether the pattern is (part of) Docker Hub.
func (p Pattern) IsDockerHub() bool { return p.Host == DockerHub }

// String is the canonical, scheme-less spelling ("docker.io/library").
func (p Pattern) String() string {
	if p.Path == "" {
		return p.Host
	}
	return p.Host + "/" + p.Path
}

// Key is the config.json key docker-compatible tools look up for this
// pattern: Docker Hub's host is written as "https://index.docker.io/v1/".
func (p Pattern) Key() string {
	if p.IsDockerHub() && p.Path == "" {
		return DockerHubKey
	}
	return p.String()
}

// segments counts path components: the primary measure of specificity.
func (p Pattern) segments() int {
	if p.Path == "" {
		return 0
	}
	return strings.Count(p.Path, "/") + 1
}
