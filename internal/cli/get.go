package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/store"
)

type getOptions struct {
	explain    bool
	showSecret bool
	out        outputFlag
}

// getResult is `regauth get -o json`. Secret fields appear only with --show-secret.
type getResult struct {
	Target        string      `json:"target"`
	Registry      string      `json:"registry"`
	Username      string      `json:"username,omitempty"`
	Kind          string      `json:"kind"`
	Source        string      `json:"source"`
	File          string      `json:"file,omitempty"`
	Key           string      `json:"key,omitempty"`
	Helper        string      `json:"helper,omitempty"`
	Secret        string      `json:"secret,omitempty"`
	IdentityToken string      `json:"identitytoken,omitempty"`
	RegistryToken string      `json:"registrytoken,omitempty"`
	Candidates    []candidate `json:"candidates,omitempty"`
}

type candidate struct {
	Key     string   `json:"key"`
	File    string   `json:"file"`
	Matched bool     `json:"matched"`
	Chosen  bool     `json:"chosen,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

func newGetCmd(sys *Sys, g *globalOptions) *cobra.Command {
	o := &getOptions{}
	c := &cobra.Command{
		Use:   "get IMAGE|HOST",
		Short: "Show which stored credential applies to an image or registry",
		Long: `Resolve the credential a client would use for IMAGE or HOST, with regauth's
matching rules (docs/matching.md): repository keys, namespace prefixes,
*.domain globs, host, Docker Hub. The secret is printed only with
--show-secret. --explain lists every entry and why it did or did not match.`,
		Example: `  regauth get quay.io/org/app:1.0 --explain
  regauth get ubuntu -o json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error { return runGet(c, sys, g, o, a[0]) },
	}
	c.Flags().BoolVar(&o.explain, "explain", false, "list every entry and why it matched or not")
	c.Flags().BoolVar(&o.showSecret, "show-secret", false, "print the password or token too")
	o.out.add(c)
	return c
}

func runGet(c *cobra.Command, sys *Sys, g *globalOptions, o *getOptions, ref string) error {
	if err := o.out.check(); err != nil {
		return err
	}
	t, err := credential.ParseTarget(ref)
	if err != nil {
		return &usageError{err: fmt.Errorf("get: %w", err), hint: "give an image reference (quay.io/org/app:tag) or a registry host (quay.io)"}
	}
	l, err := load(c, g.store(sys))
	if err != nil {
		return err
	}
	for _, w := range l.Warnings {
		fmt.Fprintf(sys.Err, "warning: %s\n", w)
	}
	res, rerr := l.Resolve(c.Context(), t)
	if rerr != nil && !errors.Is(rerr, store.ErrNotFound) {
		return fmt.Errorf("get %s: %w", t, rerr)
	}
	r := getResult{Target: t.String()}
	if rerr == nil {
		e := res.Entry
		r.Registry, r.Username, r.Kind = e.Pattern.Key(), e.Credential.Username, e.Credential.Kind()
		r.Source, r.File, r.Key, r.Helper = e.Source.Label, e.Source.File, e.Source.Key, e.Helper
		if o.showSecret {
			r.Secret, r.IdentityToken, r.RegistryToken = e.Credential.Password, e.Credential.IdentityToken, e.Credential.RegistryToken
		}
	}
	// Explaining evaluates every entry; do it only when asked or needed.
	var x credential.Explanation
	if o.explain || rerr != nil {
		x = l.Set.Explain(t)
	}
	if o.explain {
		for _, cd := range x.Candidates {
			r.Candidates = append(r.Candidates, candidate{Key: cd.Entry.Source.Key, File: cd.Entry.Source.File, Matched: cd.Matched, Chosen: cd.Chosen, Reason: cd.Reason, Notes: cd.Notes})
		}
	}
	if o.out.json() {
		if err := writeJSON(sys.Out, r); err != nil {
			return err
		}
	} else {
		printGet(sys.Out, r, res, o.explain)
	}
	if rerr != nil {
		return withHint(fmt.Errorf("get: no credential for %s", t), notFoundHint(t, x))
	}
	return nil
}

func printGet(w io.Writer, r getResult, res store.Resolution, explain bool) {
	if r.Kind != "" {
		fmt.Fprintf(w, "target:    %s\nregistry:  %s\nusername:  %s\nkind:      %s\n", r.Target, r.Registry, dash(r.Username), r.Kind)
		src := fmt.Sprintf("%s (%s)", r.File, r.Source)
		if r.Key != "" {
			src += fmt.Sprintf(" key %q", r.Key)
		}
		if r.Helper != "" {
			src += " via docker-credential-" + r.Helper
		}
		fmt.Fprintf(w, "source:    %s\n", src)
		for _, s := range []struct{ k, v string }{{"secret", r.Secret}, {"identitytoken", r.IdentityToken}, {"registrytoken", r.RegistryToken}} {
			if s.v != "" {
				fmt.Fprintf(w, "%-10s %s\n", s.k+":", s.v)
			}
		}
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(w, "skipped:   %s\n", s)
	}
	if !explain {
		return
	}
	fmt.Fprintf(w, "\ncandidates for %s (most specific first):\n", r.Target)
	if len(r.Candidates) == 0 {
		fmt.Fprintln(w, "  (no stored credentials)")
	}
	for _, c := range r.Candidates {
		mark := "  "
		switch {
		case c.Chosen:
			mark = "=>"
		case c.Matched:
			mark = " +"
		default:
			mark = " -"
		}
		line := fmt.Sprintf("%s %-40s %s", mark, c.Key, c.File)
		if c.Reason != "" {
			line += ": " + c.Reason
		} else if c.Matched && !c.Chosen {
			line += ": matches, less specific or lower precedence"
		}
		fmt.Fprintln(w, line)
		for _, n := range c.Notes {
			fmt.Fprintf(w, "     note: %s\n", n)
		}
	}
}

// notFoundHint names the closest near miss, which is usually the mistake.
func notFoundHint(t credential.Target, x credential.Explanation) string {
	var near []string
	for _, c := range x.Candidates {
		if !c.Matched && c.Reason != "different host" {
			near = append(near, fmt.Sprintf("key %q in %s: %s", c.Entry.Source.Key, c.Entry.Source.File, c.Reason))
		}
	}
	login := "regauth login " + credential.Pattern{Host: t.Host}.Key()
	if len(near) == 0 {
		return fmt.Sprintf("log in first: %s", login)
	}
	return fmt.Sprintf("near misses:\n  %s\nlog in to the exact registry with: %s (or run 'regauth get %s --explain')", strings.Join(near, "\n  "), login, t)
}
