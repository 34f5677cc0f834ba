package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/store"
)

func newLogoutCmd(sys *Sys, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Remove stored credentials for a registry",
		Long: `Remove the credential for SERVER (Docker Hub when omitted) from the config
file and from the credential helper it names, including keys that are
aliases of the same registry (docker.io, index.docker.io, ...).`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			server := credential.DockerHubKey
			if len(a) == 1 {
				server = a[0]
			}
			p, err := credential.ParsePattern(server)
			if err != nil {
				return &usageError{err: fmt.Errorf("logout: %w", err), hint: "give the registry as you logged in to it, e.g. quay.io"}
			}
			st := g.store(sys)
			out, err := st.Erase(c.Context(), p)
			for _, w := range out.Warnings {
				fmt.Fprintf(sys.Err, "WARNING! could not erase credentials: %s\n", w)
			}
			if err != nil {
				return fmt.Errorf("logout %s: %w", p, err)
			}
			if len(out.Keys) == 0 && len(out.Helpers) == 0 {
				fmt.Fprintf(sys.Out, "Not logged in to %s\n", p.Key())
				return nil
			}
			fmt.Fprintf(sys.Out, "Removing login credentials for %s\n", p.Key())
			warnHostWidePathKeys(c, sys, st)
			// Other files regauth reads (podman's) may still hold one: say so
			// rather than let the user believe they are logged out everywhere.
			if l, err := st.Load(c.Context()); err == nil {
				for _, e := range l.Set.Entries() {
					if e.Pattern == p && e.Source.File != st.WritePath() && e.Source.Label != "regauth" {
						fmt.Fprintf(sys.Err, "note: %s still holds a credential for %s (key %q)\n", e.Source.File, p, e.Source.Key)
					}
				}
			}
			return nil
		},
	}
}

// warnHostWidePathKeys points out path-scoped keys in the write file that
// have no key for their host: docker and nerdctl fall back to any key on the
// same host, so they send that credential to every repository there.
func warnHostWidePathKeys(c *cobra.Command, sys *Sys, st *store.Store) {
	l, err := st.Load(c.Context())
	if err != nil {
		return
	}
	hostKey := map[string]bool{}
	var scoped []credential.Entry
	for _, e := range l.Set.Entries() {
		if e.Source.File != st.WritePath() || e.Helper == "" && e.Credential.IsEmpty() {
			continue
		}
		if e.Pattern.Path == "" {
			hostKey[e.Pattern.Host] = true
		} else {
			scoped = append(scoped, e)
		}
	}
	for _, e := range scoped {
		if !hostKey[e.Pattern.Host] {
			fmt.Fprintf(sys.Err, "note: %s has no key for %s itself, so docker and nerdctl will send the credential of %q to every repository on %s (regauth, kubelet and podman keep it to %s/)\n",
				st.WritePath(), e.Pattern.Host, e.Source.Key, e.Pattern.Host, e.Pattern)
			hostKey[e.Pattern.Host] = true // one note per host
		}
	}
}
