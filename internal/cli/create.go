package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/format"
)

func newCreateCmd(sys *Sys, g *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "create",
		Short: "Create platform objects from a credential",
	}
	c.AddCommand(newCreateSecretCmd(sys, g))
	return c
}

// create secret is kubectl's `create secret docker-registry` without the
// password on the command line: the same bytes, from stdin or the store.
func newCreateSecretCmd(sys *Sys, g *globalOptions) *cobra.Command {
	var server, email, output string
	var lo loginOptions
	var ff formatFlags
	c := &cobra.Command{
		Use:   "secret NAME --server S -u USER --password-stdin [-n NAMESPACE]",
		Short: "Print a Kubernetes image pull Secret (kubectl create secret docker-registry, safely)",
		Long: `Print the Secret 'kubectl create secret docker-registry NAME
--dry-run=client -o yaml' prints, byte for byte, without putting the password
on a command line. Without -u, the stored credential for --server is used.

The server is written under the key every runtime matches: Docker Hub as
https://index.docker.io/v1/ (whether given as docker.io, index.docker.io or
the URL), other registries as host[:port] without scheme or /v2/. kubectl
copies --docker-server as typed, so the bytes match kubectl's whenever the
server is given in that form.`,
		Example: `  printf '%s' "$TOKEN" | regauth create secret regcred --server ghcr.io -u octocat --password-stdin -n apps | kubectl apply -f -
  regauth create secret quay-pull --server quay.io -n apps --json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			if server == "" {
				return usagef("pass --server REGISTRY (https://index.docker.io/v1/ for Docker Hub)", "create secret: --server is required")
			}
			p, err := credential.ParsePattern(server)
			if err != nil {
				return &usageError{err: fmt.Errorf("create secret: --server: %w", err), hint: "give a registry host such as quay.io"}
			}
			entry := credential.Entry{Pattern: p, Email: email}
			if lo.username != "" || lo.passwordStdin || lo.password != "" {
				if entry.Credential, err = lo.readCredential(sys); err != nil {
					return err
				}
			} else {
				l, err := load(c, g.store(sys))
				if err != nil {
					return err
				}
				res, err := l.Resolve(c.Context(), credential.Target{Host: p.Host, Path: p.Path})
				if err != nil {
					return withHint(fmt.Errorf("create secret: no stored credential for %s", p), "log in first, or pass -u USER --password-stdin")
				}
				entry.Credential = res.Entry.Credential
				if entry.Email == "" {
					entry.Email = res.Entry.Email
				}
			}
			ff.secretName = a[0]
			codec, err := ff.kubeSecret()
			if err != nil {
				return &usageError{err: err}
			}
			files, err := codec.Encode(format.NewDocument(entry))
			if err != nil {
				return fmt.Errorf("create secret: %w", err)
			}
			return emit(c, sys, output, files)
		},
	}
	fl := c.Flags()
	fl.StringVar(&server, "server", "", "registry the Secret is for (kubectl's --docker-server)")
	fl.StringVar(&email, "email", "", "e-mail to record (kubectl's --docker-email)")
	fl.StringVarP(&lo.username, "username", "u", "", "username (default: the stored credential for --server)")
	fl.StringVarP(&lo.password, "password", "p", "", "password (insecure; prefer --password-stdin)")
	fl.BoolVar(&lo.passwordStdin, "password-stdin", false, "read the password or token from standard input")
	fl.StringVarP(&ff.namespace, "namespace", "n", "", "metadata.namespace")
	fl.StringArrayVar(&ff.labels, "label", nil, "KEY=VALUE label (repeatable)")
	fl.StringArrayVar(&ff.annotations, "annotation", nil, "KEY=VALUE annotation (repeatable)")
	fl.StringVar(&ff.secretType, "type", "dockerconfigjson", "dockerconfigjson or dockercfg")
	fl.BoolVar(&ff.json, "json", false, "JSON instead of YAML")
	fl.StringVarP(&output, "output", "o", "", "write to FILE instead of standard output")
	return c
}
