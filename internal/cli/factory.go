package cli

import (
	"errors"
	"io/fs"
	"net/http"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/dockerconfig"
	"github.com/regauth/regauth/helper"
	"github.com/regauth/regauth/registry"
	"github.com/regauth/regauth/store"
)

// store builds the credential store from flags and the injected environment.
func (o *globalOptions) store(sys *Sys) *store.Store {
	return store.New(store.Options{
		ConfigFlag: o.config,
		Env:        dockerconfig.Env{Get: sys.Getenv, Home: sys.Home, UID: sys.UID},
		Helper:     helper.Env{Path: sys.Getenv("PATH"), Environ: sys.Environ},
		OwnFile:    ownFile(sys),
		// docker v28+ reads credentials from this variable before any file.
		EnvAuthConfig: sys.Getenv("DOCKER_AUTH_CONFIG"),
	})
}

// ownFile is where regauth keeps credentials it holds as a credential helper
// ("credsStore": "regauth"): $REGAUTH_CREDENTIALS, else
// ${XDG_CONFIG_HOME:-~/.config}/regauth/credentials.json.
func ownFile(sys *Sys) string {
	if p := sys.Getenv("REGAUTH_CREDENTIALS"); p != "" {
		return p
	}
	base := sys.Getenv("XDG_CONFIG_HOME")
	if base == "" {
		base = filepath.Join(sys.Home, ".config")
	}
	return filepath.Join(base, "regauth", "credentials.json")
}

// tlsFlags are the transport settings commands that contact a registry share.
type tlsFlags struct {
	caFile   string
	certDirs []string
	insecure bool
}

// options returns the TLS options with the standard certificate directories
// of docker, podman and containerd, user-level first, after any --certs-dir.
func (f *tlsFlags) options(sys *Sys) registry.TLSOptions {
	etc := sys.EtcDir
	if etc == "" {
		etc = "/etc"
	}
	certs := append([]string{}, f.certDirs...)
	certs = append(certs,
		filepath.Join(sys.Home, ".config", "docker", "certs.d"),
		filepath.Join(sys.Home, ".config", "containers", "certs.d"),
		filepath.Join(etc, "docker", "certs.d"),
		filepath.Join(etc, "containers", "certs.d"),
	)
	hosts := []string{
		filepath.Join(sys.Home, ".config", "containerd", "certs.d"),
		filepath.Join(etc, "containerd", "certs.d"),
	}
	return registry.TLSOptions{CAFile: f.caFile, CertsDirs: certs, HostsDirs: hosts, Insecure: f.insecure}
}

// client returns a registry client for host with TLS configured for it.
func (f *tlsFlags) client(sys *Sys, host string) (*registry.Client, error) {
	opts := f.options(sys)
	ht, err := registry.LoadHostTLS(host, opts)
	if err != nil {
		return nil, err
	}
	// hosts.toml may declare the host plain HTTP (server = "http://..."),
	// which is containerd's way of saying --insecure for it.
	return &registry.Client{
		HTTP:      &http.Client{Transport: ht.Transport(sys.Transport)},
		Insecure:  opts.Insecure || ht.PlainHTTP,
		UserAgent: "regauth/" + versionShort(),
	}, nil
}

// load reads every credential source, adding the fix to errors users hit.
func load(c *cobra.Command, st *store.Store) (*store.Loaded, error) {
	l, err := st.Load(c.Context())
	if err != nil {
		return nil, withHint(err, loadHint(err))
	}
	return l, nil
}

func loadHint(err error) string {
	var pe *dockerconfig.ParseError
	switch {
	case errors.As(err, &pe):
		return "fix the file by hand or restore it from a backup; 'regauth lint FILE' lists every problem in it. regauth never rewrites a file it cannot parse"
	case errors.Is(err, syscall.EISDIR):
		return "--config and REGISTRY_AUTH_FILE name the file itself (unlike docker's --config, which names a directory): use DIR/config.json"
	case errors.Is(err, fs.ErrPermission):
		return "check the file's owner and mode (ls -l); it should belong to you and be 0600"
	}
	return ""
}
