package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/store"
)

func newListCmd(sys *Sys, g *globalOptions) *cobra.Command {
	var out outputFlag
	c := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List stored credentials (never the secrets)",
		Args:    args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			l, err := load(c, g.store(sys))
			if err != nil {
				return err
			}
			for _, w := range l.Warnings {
				fmt.Fprintf(sys.Err, "warning: %s\n", w)
			}
			rows := l.List(c.Context())
			if out.json() {
				if rows == nil {
					rows = []store.Row{}
				}
				return writeJSON(sys.Out, rows)
			}
			tw := tabwriter.NewWriter(sys.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REGISTRY\tUSERNAME\tKIND\tSTORED IN")
			for _, r := range rows {
				where := r.File
				if r.Helper != "" {
					where = "docker-credential-" + r.Helper + " (" + r.Via + " in " + r.File + ")"
				}
				user := r.Username
				if r.Error != "" {
					user = "? (" + r.Error + ")"
				}
				if r.Shadowed {
					where += " [shadowed]"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Registry, dash(user), r.Kind, where)
			}
			return tw.Flush()
		},
	}
	out.add(c)
	return c
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
