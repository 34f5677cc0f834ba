package dockerconfig

import "path/filepath"

// Labels saying why a file is read; see ReadPaths.
const (
	SourceFlag           = "--config"
	SourceRegistryAuth   = "REGISTRY_AUTH_FILE"
	SourceDockerConfig   = "DOCKER_CONFIG"
	SourceDocker         = "docker"
	SourcePodmanRuntime  = "podman-runtime"
	SourcePodmanUser     = "podman-user"
	envRegistryAuthFile  = "REGISTRY_AUTH_FILE"
	envDockerConfig      = "DOCKER_CONFIG"
	envXDGRuntimeDir     = "XDG_RUNTIME_DIR"
	envXDGConfigHome     = "XDG_CONFIG_HOME"
	containersAuthSuffix = "containers/auth.json"
)

// Env is the part of the process environment discovery depends on. The CLI
// fills it from the real process; tests fill it by hand and run in parallel.
type Env struct {
	// Get returns an environment variable, "" if unset; nil means none set.
	Get func(string) string
	// Home is the user's home directory, resolved by the caller.
	Home string
	// UID is the numeric user id as text, used for podman's
	// /run/containers/$UID/auth.json when XDG_RUNTIME_DIR is unset (Linux).
	// Leave it empty to skip that file (other systems, or unknown).
	UID string
}

func (e Env) get(k string) string {
	if e.Get == nil {
		return ""
	}
	return e.Get(k)
}

// Source is a file to read credentials from, and why.
type Source struct {
	Label string
	Path  string
}

// WritePath returns the file a login writes to: the --config flag (a file
// path, unlike docker's --config which names a directory), else
// REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, else
// ~/.docker/config.json.
func WritePath(flag string, env Env) string {
	return dockerSource(flag, env)[0].Path
}

// dockerSource is the single file both WritePath and ReadPaths start from.
func dockerSource(flag string, env Env) []Source {
	if flag != "" {
		return []Source{{SourceFlag, flag}}
	}
	if p := env.get(envRegistryAuthFile); p != "" {
		return []Source{{SourceRegistryAuth, p}}
	}
	if d := env.get(envDockerConfig); d != "" {
		return []Source{{SourceDockerConfig, filepath.Join(d, "config.json")}}
	}
	return []Source{{SourceDocker, filepath.Join(env.Home, ".docker", "config.json")}}
}

// ReadPaths returns the files consulted for credentials, first match wins.
//
// An explicit file (--config, or REGISTRY_AUTH_FILE) is the only file read:
// podman, buildah and skopeo treat REGISTRY_AUTH_FILE as the whole auth store
// (containers/image sets SystemContext.AuthFilePath from it, and
// getAuthFilePaths then adds none of the default files).
//
// Otherwise the docker config comes first because that is where regauth
// writes, so a fresh login must win over stale podman files. Podman's own
// files follow in containers/image's order (pkg/docker/config
// getAuthFilePaths and getPathToAuthWithOS): the runtime file
// ${XDG_RUNTIME_DIR}/containers/auth.json (or /run/containers/$UID/auth.json
// without XDG_RUNTIME_DIR, on Linux), then
// ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json. Podman reads docker's
// config.json after those and the legacy ~/.dockercfg last; regauth does not
// read .dockercfg, which the docker CLI no longer reads either.
func ReadPaths(flag string, env Env) []Source {
	srcs := dockerSource(flag, env)
	if srcs[0].Label == SourceFlag || srcs[0].Label == SourceRegistryAuth {
		return srcs
	}
	if rt := env.get(envXDGRuntimeDir); rt != "" {
		srcs = append(srcs, Source{SourcePodmanRuntime, filepath.Join(rt, containersAuthSuffix)})
	} else if env.UID != "" {
		srcs = append(srcs, Source{SourcePodmanRuntime, filepath.Join("/run/containers", env.UID, "auth.json")})
	}
	cfg := env.get(envXDGConfigHome)
	if cfg == "" && env.Home != "" {
		cfg = filepath.Join(env.Home, ".config")
	}
	if cfg != "" {
		srcs = append(srcs, Source{SourcePodmanUser, filepath.Join(cfg, containersAuthSuffix)})
	}
	return dedupe(srcs)
}

// dedupe drops a file listed twice (XDG_RUNTIME_DIR equal to XDG_CONFIG_HOME,
// say): reading it again could only repeat an answer.
func dedupe(srcs []Source) []Source {
	seen := map[string]bool{}
	out := srcs[:0]
	for _, s := range srcs {
		c := filepath.Clean(s.Path)
		if seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, s)
	}
	return out
}
