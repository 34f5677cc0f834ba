package dockerconfig

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func envOf(vars map[string]string, home, uid string) Env {
	return Env{Get: func(k string) string { return vars[k] }, Home: home, UID: uid}
}

func TestWritePath(t *testing.T) {
	t.Parallel()
	home := filepath.FromSlash("/home/u")
	tests := []struct {
		name string
		flag string
		vars map[string]string
		want string
	}{
		{"default", "", nil, filepath.Join(home, ".docker", "config.json")},
		{"DOCKER_CONFIG", "", map[string]string{"DOCKER_CONFIG": "/etc/d"}, filepath.Join("/etc/d", "config.json")},
		{"REGISTRY_AUTH_FILE beats DOCKER_CONFIG", "", map[string]string{"DOCKER_CONFIG": "/etc/d", "REGISTRY_AUTH_FILE": "/r/auth.json"}, "/r/auth.json"},
		{"flag beats all", "/f.json", map[string]string{"DOCKER_CONFIG": "/etc/d", "REGISTRY_AUTH_FILE": "/r/auth.json"}, "/f.json"},
		{"podman dirs do not matter", "", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1"}, filepath.Join(home, ".docker", "config.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := WritePath(tt.flag, envOf(tt.vars, home, "")); got != tt.want {
				t.Errorf("WritePath = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadPaths(t *testing.T) {
	t.Parallel()
	home := "/home/u"
	j := filepath.Join
	tests := []struct {
		name string
		flag string
		vars map[string]string
		uid  string
		want []Source
	}{
		{"defaults", "", nil, "", []Source{
			{SourceDocker, j(home, ".docker", "config.json")},
			{SourcePodmanUser, j(home, ".config", "containers", "auth.json")},
		}},
		{"all podman files", "", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "XDG_CONFIG_HOME": "/cfg"}, "1000", []Source{
			{SourceDocker, j(home, ".docker", "config.json")},
			{SourcePodmanRuntime, j("/run/user/1000", "containers", "auth.json")},
			{SourcePodmanUser, j("/cfg", "containers", "auth.json")},
		}},
		{"runtime fallback by uid", "", nil, "1000", []Source{
			{SourceDocker, j(home, ".docker", "config.json")},
			{SourcePodmanRuntime, j("/run/containers", "1000", "auth.json")},
			{SourcePodmanUser, j(home, ".config", "containers", "auth.json")},
		}},
		{"DOCKER_CONFIG", "", map[string]string{"DOCKER_CONFIG": "/d"}, "", []Source{
			{SourceDockerConfig, j("/d", "config.json")},
			{SourcePodmanUser, j(home, ".config", "containers", "auth.json")},
		}},
		{"REGISTRY_AUTH_FILE alone", "", map[string]string{"REGISTRY_AUTH_FILE": "/a.json", "XDG_RUNTIME_DIR": "/run/user/1"}, "1", []Source{
			{SourceRegistryAuth, "/a.json"},
		}},
		{"flag alone", "/f.json", map[string]string{"REGISTRY_AUTH_FILE": "/a.json"}, "", []Source{
			{SourceFlag, "/f.json"},
		}},
		{"same dir twice", "", map[string]string{"XDG_RUNTIME_DIR": "/x", "XDG_CONFIG_HOME": "/x/"}, "", []Source{
			{SourceDocker, j(home, ".docker", "config.json")},
			{SourcePodmanRuntime, j("/x", "containers", "auth.json")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ReadPaths(tt.flag, envOf(tt.vars, home, tt.uid))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNilEnvGet(t *testing.T) {
	t.Parallel()
	got := ReadPaths("", Env{Home: "/h"})
	if len(got) != 2 || got[0].Label != SourceDocker {
		t.Errorf("ReadPaths with nil Get = %v", got)
	}
}
