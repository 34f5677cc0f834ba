package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/diagnose"
	"github.com/regauth/regauth/store"
)

func newCheckCmd(sys *Sys, g *globalOptions) *cobra.Command {
	var push bool
	var secret string
	var out outputFlag
	var tls tlsFlags
	var ff formatFlags
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "check IMAGE [--push] [--secret FILE]",
		Short: "Explain why a pull (or push) of an image works or fails",
		Long: `Run the steps a container runtime runs to pull IMAGE and report each as
ok, warning or failed with its evidence and the fix: the reference, DNS and
TCP, TLS and GET /v2/ with its challenge, which stored credential applies
(and which near misses were passed over), the token exchange (requested
versus granted actions, clock skew) and the manifest (rate limits, 429).

--secret FILE checks with exactly the credentials in FILE (a Kubernetes
Secret or any format regauth imports), as a kubelet would with that pull
secret. Exit 0 when every step is ok, 4 for an authentication or permission
failure, 1 otherwise.`,
		Example: `  regauth check registry.example.com/team/app:1.0
  regauth check quay.io/org/app --push
  regauth check registry.example.com/team/app --secret regcred.yaml -o json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			if err := out.check(); err != nil {
				return err
			}
			creds, err := checkCredentials(c, sys, g, &ff, secret)
			if err != nil {
				return err
			}
			host := a[0]
			if ref, err := name.ParseReference(a[0], name.WeakValidation); err == nil {
				host = ref.Context().RegistryStr()
			}
			cl, err := tls.client(sys, host)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(c.Context(), timeout)
			defer cancel()
			rep := diagnose.Run(ctx, a[0], diagnose.Options{Client: cl, Credentials: creds, Push: push, Now: sys.Now, Proxy: sys.Transport.Proxy})
			if out.json() {
				if err := writeJSON(sys.Out, rep); err != nil {
					return err
				}
			} else {
				printReport(sys.Out, rep, sys.StdoutTTY)
			}
			switch {
			case rep.AuthFailure:
				return &silentError{code: ExitAuth}
			case rep.Failed():
				return &silentError{code: ExitError}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&push, "push", false, "check push access too (pull,push)")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up on the whole check after this long")
	c.Flags().StringVar(&secret, "secret", "", "use only the credentials in this file (Kubernetes Secret or any importable format)")
	addTLSFlags(c, &tls)
	out.add(c)
	return c
}

// checkCredentials resolves from the store, or only from a given file.
func checkCredentials(c *cobra.Command, sys *Sys, g *globalOptions, ff *formatFlags, secret string) (diagnose.Credentials, error) {
	if secret == "" {
		l, err := load(c, g.store(sys))
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, t credential.Target) (credential.Entry, credential.Explanation, error) {
			x := l.Set.Explain(t)
			res, err := l.Resolve(ctx, t)
			return res.Entry, x, err
		}, nil
	}
	doc, _, err := decodeInput(sys, ff, "", secret)
	if err != nil {
		return nil, err
	}
	set := doc.Set
	return func(_ context.Context, t credential.Target) (credential.Entry, credential.Explanation, error) {
		x := set.Explain(t)
		e, ok := set.Lookup(t)
		if !ok {
			return e, x, fmt.Errorf("%s: %w", t, store.ErrNotFound)
		}
		return e, x, nil
	}, nil
}

// printReport writes the readable report; on a terminal (and without
// NO_COLOR) the status marks are coloured.
func printReport(w io.Writer, r *diagnose.Report, color bool) {
	marks := map[diagnose.Status]string{diagnose.OK: "ok  ", diagnose.Warning: "warn", diagnose.Failed: "FAIL", diagnose.Skipped: "skip"}
	if color {
		marks = map[diagnose.Status]string{diagnose.OK: "\033[32mok  \033[0m", diagnose.Warning: "\033[33mwarn\033[0m", diagnose.Failed: "\033[31mFAIL\033[0m", diagnose.Skipped: "\033[2mskip\033[0m"}
	}
	fmt.Fprintf(w, "check %s\n", r.Image)
	for _, s := range r.Steps {
		fmt.Fprintf(w, "  [%s] %-10s %s\n", marks[s.Status], s.Name, s.Detail)
		for _, k := range sortedFactKeys(s.Facts) {
			fmt.Fprintf(w, "         %-10s %s: %s\n", "", k, s.Facts[k])
		}
		if s.Hint != "" {
			fmt.Fprintf(w, "         %-10s hint: %s\n", "", s.Hint)
		}
	}
}

func sortedFactKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}
