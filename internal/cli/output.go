package cli

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"
)

type outputFlag struct{ format string }

func (o *outputFlag) add(c *cobra.Command) {
	c.Flags().StringVarP(&o.format, "output", "o", "", "output format: json (default: human-readable text)")
}

func (o *outputFlag) check() error {
	switch o.format {
	case "", "text", "json":
		return nil
	}
	return usagef("use -o json, or leave -o out for text", "unknown output format %q", o.format)
}

func (o *outputFlag) json() bool { return o.format == "json" }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
