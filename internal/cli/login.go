package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/registry"
	"github.com/regauth/regauth/store"
)

type loginOptions struct {
	username      string
	password      string
	passwordStdin bool
	storeMode     string
	skipVerify    bool
	tls           tlsFlags
}

func newLoginCmd(sys *Sys, g *globalOptions) *cobra.Command {
	o := &loginOptions{}
	c := &cobra.Command{
		Use:   "login [SERVER]",
		Short: "Verify credentials against a registry and store them",
		Long: `Log in to a registry (Docker Hub when SERVER is omitted). The credential is
verified against the registry before anything is stored, then written where
docker, podman, nerdctl, crane and kubelet-style tools find it.

SERVER may be a host ("quay.io", "localhost:5000"), a URL, or a repository
prefix ("registry.example.com/team") to scope the credential to it.`,
		Example: `  printf '%s' "$TOKEN" | regauth login ghcr.io -u octocat --password-stdin
  regauth login registry.example.com:5000 -u robot --ca-file ca.crt
  regauth login localhost:5000 --insecure -u dev`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(c *cobra.Command, a []string) error { return runLogin(c, sys, g, o, a) },
	}
	f := c.Flags()
	f.StringVarP(&o.username, "username", "u", "", "username")
	f.StringVarP(&o.password, "password", "p", "", "password (insecure: visible to other users; prefer --password-stdin)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password or token from standard input")
	f.StringVar(&o.storeMode, "store", "auto", "where to keep the secret: auto (the helper config.json names, else the file), file, helper")
	f.BoolVar(&o.skipVerify, "skip-verify", false, "store without contacting the registry (air-gapped setups)")
	addTLSFlags(c, &o.tls)
	return c
}

func addTLSFlags(c *cobra.Command, t *tlsFlags) {
	c.Flags().StringVar(&t.caFile, "ca-file", "", "PEM file of extra certificate authorities to trust")
	c.Flags().StringArrayVar(&t.certDirs, "certs-dir", nil, "extra certs.d root holding <host[:port]>/ca.crt (repeatable)")
	c.Flags().BoolVar(&t.insecure, "insecure", false, "allow plain HTTP and unverified TLS for this registry")
}

func runLogin(c *cobra.Command, sys *Sys, g *globalOptions, o *loginOptions, a []string) error {
	server := credential.DockerHubKey
	if len(a) == 1 {
		server = a[0]
	}
	p, err := credential.ParsePattern(server)
	if err != nil {
		return &usageError{err: fmt.Errorf("login: %w", err), hint: "give a registry host such as quay.io, localhost:5000 or registry.example.com/team"}
	}
	if p.IsGlob() {
		return usagef("log in to one host; put the glob key in a file and 'regauth import' it", "login: %s: cannot log in to a wildcard pattern", server)
	}
	mode := o.storeMode
	switch mode {
	case "auto":
		mode = store.ModeAuto
	case store.ModeFile, store.ModeHelper:
	default:
		return usagef("use --store auto, file or helper", "login: unknown --store %q", o.storeMode)
	}
	cred, err := o.readCredential(sys)
	if err != nil {
		return err
	}
	if !o.skipVerify {
		cl, err := o.tls.client(sys, p.Host)
		if err != nil {
			return err
		}
		res, err := cl.Login(c.Context(), registryHost(p), cred)
		if err != nil {
			// The registry package names the host and the step that failed.
			if errors.Is(err, registry.ErrUnauthorized) {
				return withHint(err, "check the username and password (or token and its scopes); nothing was stored")
			}
			return err
		}
		if res.IdentityToken != "" {
			cred.Password, cred.IdentityToken = "", res.IdentityToken
		}
	}
	st := g.store(sys)
	saved, err := st.Save(c.Context(), p, cred, mode)
	if errors.Is(err, store.ErrInlineIgnored) {
		return withHint(fmt.Errorf("login %s: %w", p, err), "drop --store file to keep the secret in that helper, or remove the helper from config.json first; nothing was stored")
	}
	if err != nil {
		return fmt.Errorf("login %s: store: %w", p, err)
	}
	for _, d := range saved.Dropped {
		fmt.Fprintf(sys.Err, "note: %s differed from the kept entry and was removed with its alias key\n", d)
	}
	where := saved.File
	if saved.Helper != "" {
		where = "docker-credential-" + saved.Helper
		if saved.Helper == store.SelfHelper {
			where = st.OwnFile()
		}
	}
	fmt.Fprintf(sys.Err, "Credentials for %s saved in %s\n", saved.Key, where)
	warnHostWidePathKeys(c, sys, st)
	_, err = fmt.Fprintln(sys.Out, "Login Succeeded")
	return err
}

// registryHost is the host login contacts: Docker Hub's registry answers at
// registry-1.docker.io, everything else at its own host.
func registryHost(p credential.Pattern) string {
	if p.IsDockerHub() {
		return "registry-1.docker.io"
	}
	return p.Host
}

func (o *loginOptions) readCredential(sys *Sys) (credential.Credential, error) {
	if o.password != "" && o.passwordStdin {
		return credential.Credential{}, usagef("use one of them", "login: --password and --password-stdin are mutually exclusive")
	}
	if o.passwordStdin && o.username == "" {
		return credential.Credential{}, usagef("pass -u USER with --password-stdin", "login: --password-stdin needs --username")
	}
	in := bufio.NewReader(sys.In)
	user := o.username
	if user == "" {
		if !sys.StdinTTY {
			return credential.Credential{}, usagef("pass -u USER, and the password with --password-stdin", "login: no username given and standard input is not a terminal")
		}
		fmt.Fprint(sys.Err, "Username: ")
		line, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return credential.Credential{}, fmt.Errorf("login: read username: %w", err)
		}
		user = strings.TrimSpace(line)
		if user == "" {
			return credential.Credential{}, usagef("type a username, or pass -u USER", "login: empty username")
		}
	}
	pass := o.password
	switch {
	case o.passwordStdin:
		b, err := io.ReadAll(in)
		if err != nil {
			return credential.Credential{}, fmt.Errorf("login: read password from stdin: %w", err)
		}
		pass = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	case pass != "":
		fmt.Fprintln(sys.Err, "WARNING! Using --password via the CLI is insecure: other users can read it in the process list and shell history. Use --password-stdin.")
	default:
		if !sys.StdinTTY || sys.ReadPassword == nil {
			return credential.Credential{}, usagef("pipe the password with --password-stdin", "login: no password given and standard input is not a terminal")
		}
		fmt.Fprint(sys.Err, "Password: ")
		b, err := sys.ReadPassword()
		fmt.Fprintln(sys.Err)
		if err != nil {
			return credential.Credential{}, fmt.Errorf("login: read password: %w", err)
		}
		pass = string(b)
	}
	if pass == "" {
		return credential.Credential{}, usagef("give the password or token", "login: empty password")
	}
	return credential.Credential{Username: user, Password: pass}, nil
}
