package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/format"
)

func newLintCmd(sys *Sys, g *globalOptions) *cobra.Command {
	var name string
	var out outputFlag
	var ff formatFlags
	c := &cobra.Command{
		Use:   "lint FILE|DIR|-",
		Short: "Find the mistakes that make pulls fail in credential files",
		Long: `Check a credential file in any supported format for the mistakes that make
runtimes ignore it or fail: base64 that does not decode (or encodes a
newline), a Secret whose data key does not match its type, content that is
not a docker config, Docker Hub keys docker will not match, paths and
schemes in keys, plaintext secrets beside a credential helper, and each
platform's own pitfalls. Exit 1 when there are errors, 0 with warnings only.`,
		Example: `  regauth lint secret.yaml
  kubectl get secret regcred -o yaml | regauth lint -
  regauth lint -o json ~/.docker/config.json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			if err := out.check(); err != nil {
				return err
			}
			files, err := readInput(sys, a[0])
			if err != nil {
				return err
			}
			var codec format.Codec
			if name != "" {
				codec, err = ff.codec(name)
			} else if codec, err = detect(&ff, files); err != nil {
				// Broken input often defeats detection, which is when lint
				// matters most: JSON-looking input is checked as config.json.
				if len(files) != 1 || !looksJSON(files[0].Data) {
					return err
				}
				codec, err = ff.codec("dockerconfig")
			}
			if err != nil {
				return err
			}
			linter, ok := codec.(format.Linter)
			if !ok {
				return fmt.Errorf("lint: no checks for the %s format", codec.Name())
			}
			findings := linter.Lint(files)
			if out.json() {
				if findings == nil {
					findings = []format.Finding{}
				}
				if err := writeJSON(sys.Out, map[string]any{"format": codec.Name(), "findings": findings}); err != nil {
					return err
				}
			} else {
				printFindings(sys, codec.Name(), a[0], findings)
			}
			if format.HasErrors(findings) {
				return &silentError{code: ExitError}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&name, "format", "f", "", "input format (default: detected)")
	out.add(c)
	return c
}

func printFindings(sys *Sys, codec, input string, findings []format.Finding) {
	if len(findings) == 0 {
		fmt.Fprintf(sys.Out, "%s: no problems found (%s)\n", input, codec)
		return
	}
	errs, warns := 0, 0
	tw := tabwriter.NewWriter(sys.Out, 0, 4, 1, ' ', 0)
	for _, f := range findings {
		if f.Severity == format.SevError {
			errs++
		} else {
			warns++
		}
		fmt.Fprintln(tw, f.String())
	}
	tw.Flush()
	fmt.Fprintf(sys.Out, "%s (%s): %d error(s), %d warning(s)\n", input, codec, errs, warns)
}

func looksJSON(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}
