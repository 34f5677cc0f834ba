package credential

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// DockerHub is the canonical host regauth uses for Docker Hub in patterns and
// targets; DockerHubKey is the config.json key docker writes and looks up.
const (
	DockerHub    = "docker.io"
	DockerHubKey = "https://index.docker.io/v1/"
)

// dockerHubAliases all name Docker Hub. docker itself only looks up
// DockerHubKey, so entries stored under the others are near-misses for docker
// even though regauth (and kubelet) match them.
var dockerHubAliases = map[string]bool{
	"docker.io":               true,
	"index.docker.io":         true,
	"registry-1.docker.io":    true,
	"registry.hub.docker.com": true,
}

// IsDockerHubAlias reports whether host (already lower-cased, no scheme) names Docker Hub.
func IsDockerHubAlias(host string) bool { return dockerHubAliases[host] }

// ErrInvalidHost is wrapped by every host or pattern parse error.
var ErrInvalidHost = errors.New("invalid registry host")

// stripScheme removes an http:// or https:// prefix (any case) and reports which.
func stripScheme(s string) (rest, scheme string) {
	for _, sch := range []string{"https://", "http://"} {
		if len(s) >= len(sch) && strings.EqualFold(s[:len(sch)], sch) {
			return s[len(sch):], sch[:len(sch)-3]
		}
	}
	return s, ""
}

// normalizeHost lower-cases host, validates it, brackets a bare IPv6 literal
// and maps Docker Hub aliases to DockerHub. glob allows '*', '?' and '[...]'
// inside labels (kubelet's filepath.Match semantics).
func normalizeHost(h string, glob bool) (string, error) {
	if h == "" {
		return "", fmt.Errorf("%w: empty host", ErrInvalidHost)
	}
	h = strings.ToLower(h)
	name, port, err := splitHostPort(h)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fmt.Errorf("%w: %q: empty host name", ErrInvalidHost, h)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", fmt.Errorf("%w: %q: port %q is not a number between 1 and 65535", ErrInvalidHost, h, port)
		}
	}
	if strings.HasPrefix(h, "[") || strings.Contains(name, ":") {
		ip := net.ParseIP(strings.SplitN(name, "%", 2)[0])
		if ip == nil {
			return "", fmt.Errorf("%w: %q is not a valid IPv6 address", ErrInvalidHost, name)
		}
		name = "[" + name + "]"
	} else if err := checkLabels(name, glob); err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrInvalidHost, h, err)
	}
	if port == "" && IsDockerHubAlias(name) {
		return DockerHub, nil
	}
	if port != "" {
		return name + ":" + port, nil
	}
	return name, nil
}

// splitHostPort splits "host", "host:port", "[v6]", "[v6]:port" and a bare
// IPv6 literal "::1" (which has no port).
func splitHostPort(h string) (name, port string, err error) {
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", "", fmt.Errorf("%w: %q: missing ']' in IPv6 literal", ErrInvalidHost, h)
		}
		name, rest := h[1:end], h[end+1:]
		switch {
		case rest == "":
			return name, "", nil
		case strings.HasPrefix(rest, ":") && len(rest) > 1:
			return name, rest[1:], nil
		default:
			return "", "", fmt.Errorf("%w: %q: unexpected %q after IPv6 literal", ErrInvalidHost, h, rest)
		}
	}
	switch strings.Count(h, ":") {
	case 0:
		return h, "", nil
	case 1:
		i := strings.IndexByte(h, ':')
		if i == 0 || i == len(h)-1 {
			return "", "", fmt.Errorf("%w: %q: empty host or port", ErrInvalidHost, h)
		}
		return h[:i], h[i+1:], nil
	default:
		return h, "", nil // bare IPv6 literal, validated by the caller
	}
}

func checkLabels(name string, glob bool) error {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return errors.New("empty label")
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
		case glob && (r == '*' || r == '?' || r == '[' || r == ']' || r == '^'):
		default:
			return fmt.Errorf("character %q is not allowed in a host name", r)
		}
	}
	return nil
}

// isGlob reports whether host has wildcards; a bracketed IPv6 literal's
// brackets are not a character class.
func isGlob(host string) bool {
	return !strings.HasPrefix(host, "[") && strings.ContainsAny(host, "*?[")
}

// hostPort splits a normalised host into labels and port for glob matching.
func hostPort(h string) (labels []string, port string) {
	name, port, _ := splitHostPort(h)
	if strings.HasPrefix(h, "[") {
		return []string{"[" + name + "]"}, port
	}
	return strings.Split(name, "."), port
}
