package credential

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     Pattern
		key      string
	}{
		{"docker hub v1 url", "https://index.docker.io/v1/", Pattern{Host: "docker.io"}, DockerHubKey},
		{"docker hub bare", "docker.io", Pattern{Host: "docker.io"}, DockerHubKey},
		{"docker hub index", "index.docker.io", Pattern{Host: "docker.io"}, DockerHubKey},
		{"docker hub registry-1", "registry-1.docker.io", Pattern{Host: "docker.io"}, DockerHubKey},
		{"docker hub upper case scheme", "HTTPS://Index.Docker.IO/v1/", Pattern{Host: "docker.io"}, DockerHubKey},
		{"docker hub namespace", "docker.io/library", Pattern{Host: "docker.io", Path: "library"}, "docker.io/library"},
		{"docker hub with port is not docker hub", "docker.io:443", Pattern{Host: "docker.io:443"}, "docker.io:443"},
		{"plain host", "quay.io", Pattern{Host: "quay.io"}, "quay.io"},
		{"http scheme", "http://localhost:5000", Pattern{Host: "localhost:5000"}, "localhost:5000"},
		{"v2 suffix", "https://ghcr.io/v2/", Pattern{Host: "ghcr.io"}, "ghcr.io"},
		{"seed v0 path is a prefix", "https://registry.example.io/v0/", Pattern{Host: "registry.example.io", Path: "v0"}, "registry.example.io/v0"},
		{"repository key", "registry.example.com/team/app", Pattern{Host: "registry.example.com", Path: "team/app"}, "registry.example.com/team/app"},
		{"v2 then namespace", "https://r.example.com/v2/team/", Pattern{Host: "r.example.com", Path: "team"}, "r.example.com/team"},
		{"double slash", "r.example.com/a//b", Pattern{Host: "r.example.com", Path: "a/b"}, "r.example.com/a/b"},
		{"glob", "*.example.com", Pattern{Host: "*.example.com"}, "*.example.com"},
		{"glob port", "*.Example.com:5000", Pattern{Host: "*.example.com:5000"}, "*.example.com:5000"},
		{"ipv6 port", "[::1]:5000", Pattern{Host: "[::1]:5000"}, "[::1]:5000"},
		{"ipv6 bracket no port", "[fe80::1]", Pattern{Host: "[fe80::1]"}, "[fe80::1]"},
		{"ipv6 bare", "::1", Pattern{Host: "[::1]"}, "[::1]"},
		{"ipv6 url", "https://[2001:db8::1]:443/v2/", Pattern{Host: "[2001:db8::1]:443"}, "[2001:db8::1]:443"},
		{"ipv4 port", "192.168.12.34:5000", Pattern{Host: "192.168.12.34:5000"}, "192.168.12.34:5000"},
		{"whitespace trimmed", "  quay.io  ", Pattern{Host: "quay.io"}, "quay.io"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePattern(tt.in)
			if err != nil {
				t.Fatalf("ParsePattern(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePattern(%q) (-want +got):\n%s", tt.in, diff)
			}
			if got.Key() != tt.key {
				t.Errorf("Key() = %q, want %q", got.Key(), tt.key)
			}
			again, err := ParsePattern(got.Key())
			if err != nil || again != got {
				t.Errorf("ParsePattern(Key()) = %v, %v; want %v", again, err, got)
			}
		})
	}
}

func TestParsePatternErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "https://", "host:0", "host:99999", "host:abc", "ho st", "a..b", ".a", "[::1", "[::1]x", "[zz::1]:5", "r.io/a?b", "r.io/team/*", "user@r.io", ":5000", "host:", "r.io/app:v1", "r.io/Team"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			if p, err := ParsePattern(in); err == nil {
				t.Fatalf("ParsePattern(%q) = %v, want error", in, p)
			} else if !errors.Is(err, ErrInvalidHost) {
				t.Fatalf("error %v does not wrap ErrInvalidHost", err)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     Target
	}{
		{"official image", "ubuntu", Target{"docker.io", "library/ubuntu"}},
		{"official image tag", "ubuntu:22.04", Target{"docker.io", "library/ubuntu"}},
		{"hub user image", "janedoe/app:v1", Target{"docker.io", "janedoe/app"}},
		{"hub explicit", "docker.io/ubuntu", Target{"docker.io", "library/ubuntu"}},
		{"hub index alias", "index.docker.io/janedoe/app", Target{"docker.io", "janedoe/app"}},
		{"hub url", "https://index.docker.io/v1/", Target{"docker.io", ""}},
		{"host only", "quay.io", Target{"quay.io", ""}},
		{"host port only", "myreg.example.com:5000", Target{"myreg.example.com:5000", ""}},
		{"dotless host port needs a slash", "myreg:5000/", Target{"myreg:5000", ""}},
		{"official image with numeric tag", "node:20", Target{"docker.io", "library/node"}},
		{"ip host port", "10.0.0.1:5000", Target{"10.0.0.1:5000", ""}},
		{"localhost port", "localhost:5000", Target{"localhost:5000", ""}},
		{"localhost", "localhost", Target{"localhost", ""}},
		{"localhost image", "localhost/app", Target{"localhost", "app"}},
		{"quay image", "quay.io/coreos/etcd:v3.5", Target{"quay.io", "coreos/etcd"}},
		{"digest", "r.example.com/team/app@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Target{"r.example.com", "team/app"}},
		{"tag and digest", "r.example.com:5000/app:1@sha256:abc", Target{"r.example.com:5000", "app"}},
		{"ipv6", "[::1]:5000/foo", Target{"[::1]:5000", "foo"}},
		{"ip", "192.168.12.34:5000/foo", Target{"192.168.12.34:5000", "foo"}},
		{"seed v0 image", "registry.example.io/v0/giffee_lover_93/somerepo", Target{"registry.example.io", "v0/giffee_lover_93/somerepo"}},
		{"seed marathon image url", "https://registry.example.io/v0/giffee_lover_93/some-image", Target{"registry.example.io", "v0/giffee_lover_93/some-image"}},
		{"upper case host", "Quay.IO/org/app", Target{"quay.io", "org/app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTarget(tt.in)
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseTarget(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseServer(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Target{
		"registry:5000":               {"registry:5000", ""},
		"https://index.docker.io/v1/": {"docker.io", ""},
		"quay.io":                     {"quay.io", ""},
		"https://r.example.com/team":  {"r.example.com", "team"},
		"[::1]:5000":                  {"[::1]:5000", ""},
	} {
		got, err := ParseServer(in)
		if err != nil || got != want {
			t.Errorf("ParseServer(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestParseTargetErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "quay.io/Org/app", "quay.io//app", "r.io/a b", "https://"} {
		if got, err := ParseTarget(in); err == nil {
			t.Errorf("ParseTarget(%q) = %v, want error", in, got)
		}
	}
}

func TestCredentialNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	const secret = "planted-S3cret"
	creds := []Credential{
		{Username: "u", Password: secret},
		{Username: TokenUsername, IdentityToken: secret},
		{RegistryToken: secret},
	}
	for _, c := range creds {
		for _, s := range []string{
			c.String(), c.GoString(),
			sprintf("%v", c), sprintf("%+v", c), sprintf("%#v", c), sprintf("%s", c), sprintf("%q", c),
			sprintf("%v", Entry{Credential: c}), sprintf("%+v", []Entry{{Credential: c}}),
		} {
			if contains(s, secret) {
				t.Errorf("formatted credential leaks the secret: %s", s)
			}
		}
	}
}
