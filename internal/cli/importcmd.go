package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/format"
	"github.com/regauth/regauth/store"
)

type importOptions struct {
	format    string
	storeMode string
	fmt       formatFlags
}

func newImportCmd(sys *Sys, g *globalOptions) *cobra.Command {
	o := &importOptions{}
	c := &cobra.Command{
		Use:   "import FILE|DIR|-",
		Short: "Merge credentials from any supported format into the store",
		Long: `Read credentials in any supported format (detected from the content, or
--format) and merge them into the store, as 'regauth login --skip-verify'
would for each: existing entries for other registries are kept, entries for
the same registry are replaced. Nothing is written if the input does not
decode completely.`,
		Example: `  kubectl get secret regcred -o yaml | regauth import -
  regauth import ~/.dockercfg`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			doc, codec, err := decodeInput(sys, &o.fmt, o.format, a[0])
			if err != nil {
				return err
			}
			mode := o.storeMode
			if mode == "auto" {
				mode = store.ModeAuto
			}
			st := g.store(sys)
			n := 0
			for _, e := range doc.Entries() {
				if e.Helper != "" && e.Credential.IsEmpty() {
					if err := st.SaveHelperRef(c.Context(), e.Pattern, e.Helper); err != nil {
						return err
					}
					fmt.Fprintf(sys.Out, "%s -> docker-credential-%s\n", e.Pattern.Key(), e.Helper)
					n++
					continue
				}
				saved, err := st.Save(c.Context(), e.Pattern, e.Credential, mode)
				if err != nil {
					return fmt.Errorf("import %s: %w", e.Pattern, err)
				}
				fmt.Fprintf(sys.Out, "%s (%s)\n", saved.Key, dash(e.Credential.Username))
				n++
			}
			if n == 0 {
				return withHint(fmt.Errorf("import: %s (%s) holds no credentials", a[0], codec.Name()), "nothing was changed")
			}
			fmt.Fprintf(sys.Err, "imported %d credential(s) from %s (%s) into %s\n", n, a[0], codec.Name(), st.WritePath())
			return nil
		},
	}
	c.Flags().StringVarP(&o.format, "format", "f", "", "input format (default: detected)")
	c.Flags().StringVar(&o.storeMode, "store", "auto", "where to keep secrets: auto, file, helper (as for login)")
	return c
}

func newConvertCmd(sys *Sys, g *globalOptions) *cobra.Command {
	var from, to, output string
	var ff formatFlags
	c := &cobra.Command{
		Use:   "convert --to FORMAT FILE|DIR|-",
		Short: "Convert credentials between formats without touching the store",
		Example: `  regauth convert --to dockerconfig ~/.dockercfg
  regauth convert --to podman config.json -o auth.json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			if to == "" {
				return usagef("formats: "+strings.Join(formatNames(), ", "), "convert: --to is required")
			}
			out, err := ff.codec(to)
			if err != nil {
				return err
			}
			doc, in, err := decodeInput(sys, &ff, from, a[0])
			if err != nil {
				return err
			}
			// Credentials and TLS settings are separate models: converting
			// one into a format of the other would write an empty file.
			if tlsFormats[out.Name()] && len(doc.Hosts) == 0 {
				return withHint(fmt.Errorf("convert: %s (%s) holds no TLS host settings for %s", a[0], in.Name(), out.Name()), "render TLS settings from flags instead: regauth export --format "+out.Name()+" -r HOST --ca-file CA")
			}
			if !tlsFormats[out.Name()] && doc.Set.Len() == 0 {
				return withHint(fmt.Errorf("convert: %s (%s) holds no credentials for %s", a[0], in.Name(), out.Name()), "hosts.toml, certs.d and pki files carry TLS settings only")
			}
			files, err := out.Encode(doc)
			if err != nil {
				return withHint(fmt.Errorf("convert: %w", err), formatHint(err))
			}
			return emit(c, sys, output, files)
		},
	}
	c.Flags().StringVar(&from, "from", "", "input format (default: detected)")
	c.Flags().StringVarP(&to, "to", "t", "", "output format")
	c.Flags().StringVarP(&output, "output", "o", "", "write to FILE or DIR instead of standard output")
	ff.add(c)
	return c
}

// decodeInput reads name (a file, a directory or - for stdin) and decodes
// it with the named or detected format.
func decodeInput(sys *Sys, ff *formatFlags, name, input string) (*format.Document, format.Codec, error) {
	files, err := readInput(sys, input)
	if err != nil {
		return nil, nil, err
	}
	var codec format.Codec
	if name != "" {
		codec, err = ff.codec(name)
	} else {
		codec, err = detect(ff, files)
	}
	if err != nil {
		return nil, nil, err
	}
	doc, err := codec.Decode(files)
	if err != nil {
		return nil, nil, withHint(err, "run 'regauth lint "+input+"' for every problem in the file")
	}
	return doc, codec, nil
}
