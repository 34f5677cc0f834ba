package credential

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pattern, target string
		want                  bool
		reason                string // substring of the near-miss reason
	}{
		{"exact host", "quay.io", "quay.io/org/app", true, ""},
		{"host query", "quay.io", "quay.io", true, ""},
		{"hub key for official image", DockerHubKey, "ubuntu", true, ""},
		{"hub alias for official image", "docker.io", "library/ubuntu:latest", true, ""},
		{"hub alias index for user image", "index.docker.io", "janedoe/app", true, ""},
		{"port must match", "myreg.local:5000", "myreg.local/app", false, "port differs: key has port 5000, target has no port"},
		{"port must match other way", "myreg.example.com", "myreg.example.com:5000/app", false, "key has no port"},
		{"different host", "quay.io", "ghcr.io/org/app", false, "different host"},
		{"namespace key", "quay.io/coreos", "quay.io/coreos/etcd", true, ""},
		{"namespace key boundary", "quay.io/core", "quay.io/coreos/etcd", false, "outside it"},
		{"repository key exact", "r.example.com/team/app", "r.example.com/team/app:1.0", true, ""},
		{"repository key sibling", "r.example.com/team/app", "r.example.com/team/api", false, "outside it"},
		{"path key vs host query", "r.example.com/team", "r.example.com", false, "only the host was asked for"},
		{"seed v0 key", "https://registry.example.io/v0/", "registry.example.io/v0/giffee_lover_93/somerepo", true, ""},
		{"glob one label", "*.example.com", "r.example.com/app", true, ""},
		{"glob label count", "*.example.com", "a.b.example.com/app", false, "has 3 labels, a.b.example.com has 4"},
		{"glob apex", "*.example.com", "example.com/app", false, "labels"},
		{"glob port", "*.example.com:5000", "r.example.com:5000/app", true, ""},
		{"glob port mismatch", "*.example.com", "r.example.com:5000/app", false, "glob port differs"},
		{"glob partial label", "r*.example.com", "registry.example.com", true, ""},
		{"glob partial label miss", "r*.example.com", "quay.example.com", false, "does not match"},
		{"glob with path", "*.gcr.io/proj", "eu.gcr.io/proj/app", true, ""},
		{"glob with path miss", "*.gcr.io/proj", "eu.gcr.io/other/app", false, "outside it"},
		{"ipv6", "[::1]:5000", "[::1]:5000/foo", true, ""},
		{"ipv6 is not a glob", "[fd00::a]:5000", "a.example.com:5000/foo", false, "different host"},
		{"hub official image without library", "docker.io/ubuntu", "ubuntu", false, "docker.io/library/ubuntu"},
		{"ipv6 port", "[::1]:5000", "[::1]:5001/foo", false, "port differs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, why := Match(MustPattern(tt.pattern), MustTarget(tt.target))
			if got != tt.want {
				t.Fatalf("Match(%q, %q) = %v (%s), want %v", tt.pattern, tt.target, got, why, tt.want)
			}
			if !strings.Contains(why, tt.reason) {
				t.Errorf("reason %q does not contain %q", why, tt.reason)
			}
		})
	}
}

func basic(u string) Credential { return Credential{Username: u, Password: "pw-" + u} }

func entry(key, user string) Entry {
	return Entry{Pattern: MustPattern(key), Credential: basic(user), Source: Source{Key: key}}
}

func TestLookupOrder(t *testing.T) {
	t.Parallel()
	set := NewSet(
		entry("registry.example.com", "host"),
		entry("*.example.com", "glob"),
		entry("r*.example.com", "narrow-glob"),
		entry("registry.example.com/team", "team"),
		entry("registry.example.com/team/app", "app"),
		entry("*.example.com/team", "glob-team"),
		entry(DockerHubKey, "hub"),
		entry("docker.io/library", "hub-library"),
		entry("quay.io", "quay-first"),
		entry("quay.io", "quay-second"),
	)
	tests := []struct {
		target string
		want   []string // usernames in lookup order
	}{
		{"registry.example.com/team/app:v1", []string{"app", "team", "glob-team", "host", "narrow-glob", "glob"}},
		{"registry.example.com/team/other", []string{"team", "glob-team", "host", "narrow-glob", "glob"}},
		{"registry.example.com/x", []string{"host", "narrow-glob", "glob"}},
		{"registry.example.com", []string{"host", "narrow-glob", "glob"}},
		{"other.example.com/team/x", []string{"glob-team", "glob"}},
		{"ubuntu", []string{"hub-library", "hub"}},
		{"janedoe/app", []string{"hub"}},
		{"quay.io/org/app", []string{"quay-first", "quay-second"}},
		{"ghcr.io/org/app", nil},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, e := range set.LookupAll(MustTarget(tt.target)) {
				got = append(got, e.Credential.Username)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LookupAll(%q) (-want +got):\n%s", tt.target, diff)
			}
			e, ok := set.Lookup(MustTarget(tt.target))
			if ok != (len(tt.want) > 0) || ok && e.Credential.Username != tt.want[0] {
				t.Errorf("Lookup(%q) = %v, %v", tt.target, e.Credential.Username, ok)
			}
		})
	}
}

func TestSetPutRemove(t *testing.T) {
	t.Parallel()
	s := NewSet(entry("quay.io", "a"), entry("ghcr.io", "b"))
	s.Put(entry("https://quay.io/v2/", "c"))
	if s.Len() != 2 {
		t.Fatalf("Len = %d after Put of an equal pattern, want 2", s.Len())
	}
	if e, _ := s.Lookup(MustTarget("quay.io/x/y")); e.Credential.Username != "c" {
		t.Fatalf("Put did not replace: got %s", e.Credential.Username)
	}
	if !s.Remove(MustPattern("ghcr.io")) || s.Remove(MustPattern("ghcr.io")) {
		t.Fatal("Remove should report true once")
	}
	if _, ok := s.Lookup(MustTarget("ghcr.io/x")); ok {
		t.Fatal("removed entry still found")
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	s := NewSet(
		entry("docker.io", "alias"),
		entry("myreg.local:5000", "port"),
		entry("*.example.com", "glob"),
		entry("*.local", "local-glob"),
		entry("quay.io", "quay"),
		entry("myreg.local", "plain"),
	)
	x := s.Explain(MustTarget("myreg.local/app"))
	chosen, ok := x.Chosen()
	if !ok || chosen.Entry.Credential.Username != "plain" {
		t.Fatalf("chosen = %+v, %v", chosen, ok)
	}
	var order []string
	for _, c := range x.Candidates {
		order = append(order, c.Entry.Credential.Username+":"+c.Reason)
	}
	want := []string{
		"plain:",
		"local-glob:",
		"port:port differs: key has port 5000, target has no port",
		"alias:different host",
		"glob:different host",
		"quay:different host",
	}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("Explain order (-want +got):\n%s", diff)
	}
	hub := s.Explain(MustTarget("ubuntu"))
	c, _ := hub.Chosen()
	if len(c.Notes) == 0 || !strings.Contains(c.Notes[0], DockerHubKey) {
		t.Errorf("docker.io key should carry a docker-compatibility note, got %q", c.Notes)
	}
}

func TestDockerNotes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		want int
		sub  string
	}{
		{DockerHubKey, 0, ""},
		{"quay.io", 0, ""},
		{"https://ghcr.io/v2/", 0, ""},
		{"docker.io", 1, DockerHubKey},
		{"index.docker.io", 1, DockerHubKey},
		{"https://registry.example.io/v0/", 1, `ignore the path "/v0/"`},
		{"*.example.com", 1, "wildcards"},
		{"bad key!", 1, "not a valid registry"},
	}
	for _, tt := range tests {
		got := DockerNotes(tt.key)
		if len(got) != tt.want || tt.want > 0 && !strings.Contains(got[0], tt.sub) {
			t.Errorf("DockerNotes(%q) = %q, want %d note(s) containing %q", tt.key, got, tt.want, tt.sub)
		}
	}
}
