package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/format"
	"github.com/regauth/regauth/store"
)

type exportOptions struct {
	format     string
	registries []string
	output     string
	fmt        formatFlags
}

func newExportCmd(sys *Sys, g *globalOptions) *cobra.Command {
	o := &exportOptions{}
	c := &cobra.Command{
		Use:   "export --format FORMAT [--registry R ...] [-o FILE|DIR]",
		Short: "Render stored credentials in a platform's format",
		Long: `Render stored credentials in another platform's format. Secrets held by
credential helpers are resolved first, so the result is self-contained
("flattened") and works where no helper exists: CI jobs, containers,
Kubernetes, Mesos, rkt, Flatcar.

Formats: ` + strings.Join(formatNames(), ", ") + `. Single-file formats go to
standard output unless -o FILE is given; directory formats need -o DIR.`,
		Example: `  regauth export --format dockerconfig --registry quay.io > config.json
  regauth export --format kubesecret --name regcred -n apps -r quay.io | kubectl apply -f -
  regauth export --format mesos -o /etc/docker.tar.gz
  regauth export --format rkt -o /etc/rkt/auth.d
  regauth export --format butane -o config.bu
  regauth export --format hoststoml -r registry.example.com:5000 --ca-file ca.crt -o /etc/containerd/certs.d`,
		Args: args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error { return runExport(c, sys, g, o) },
	}
	c.Flags().StringVarP(&o.format, "format", "f", "dockerconfig", "output format")
	c.Flags().StringArrayVarP(&o.registries, "registry", "r", nil, "export only the credential for this registry or image (repeatable)")
	c.Flags().StringVarP(&o.output, "output", "o", "", "write to FILE (single-file formats) or DIR instead of standard output")
	o.fmt.add(c)
	o.fmt.addTLSFormatFlags(c)
	return c
}

func runExport(c *cobra.Command, sys *Sys, g *globalOptions, o *exportOptions) error {
	codec, err := o.fmt.codec(o.format)
	if err != nil {
		return err
	}
	if tlsFormats[codec.Name()] {
		hosts, err := o.fmt.hosts(o.registries)
		if err != nil {
			return err
		}
		files, err := codec.Encode(&format.Document{Hosts: hosts})
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return emit(c, sys, o.output, files)
	}
	l, err := load(c, g.store(sys))
	if err != nil {
		return err
	}
	for _, w := range l.Warnings {
		fmt.Fprintf(sys.Err, "warning: %s\n", w)
	}
	entries, err := selectEntries(c, l, o)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return withHint(errors.New("export: no stored credentials to export"), "log in first with 'regauth login', or check --config")
	}
	files, err := codec.Encode(format.NewDocument(entries...))
	if err != nil {
		return withHint(fmt.Errorf("export: %w", err), formatHint(err))
	}
	return emit(c, sys, o.output, files)
}

func selectEntries(c *cobra.Command, l *store.Loaded, o *exportOptions) ([]credential.Entry, error) {
	if len(o.registries) == 0 {
		entries, skipped, err := l.Flatten(c.Context(), o.fmt.keepHelpers)
		for _, s := range skipped {
			fmt.Fprintf(c.ErrOrStderr(), "note: %s\n", s)
		}
		return entries, err
	}
	var out []credential.Entry
	for _, r := range o.registries {
		t, err := credential.ParseTarget(r)
		if err != nil {
			return nil, &usageError{err: fmt.Errorf("export: --registry %w", err), hint: "give a host (quay.io) or an image (quay.io/org/app)"}
		}
		res, err := l.Resolve(c.Context(), t)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, withHint(fmt.Errorf("export: no credential for %s", t), "see 'regauth get "+r+" --explain'")
			}
			return nil, err
		}
		out = append(out, res.Entry)
	}
	return out, nil
}

// emit writes a codec's files to stdout, a file or a directory.
func emit(c *cobra.Command, sys *Sys, target string, files []format.File) error {
	single := len(files) == 1 && files[0].Path == ""
	if target == "" || target == "-" {
		if !single {
			return usagef("write them to a directory: -o DIR", "%v", format.ErrNeedsDirectory)
		}
		_, err := sys.Out.Write(withNewline(files[0].Data))
		return err
	}
	if err := format.WriteFiles(c.Context(), target, files); err != nil {
		return err
	}
	if single {
		fmt.Fprintf(sys.Err, "wrote %s\n", target)
	} else {
		fmt.Fprintf(sys.Err, "wrote %d file%s under %s\n", len(files), map[bool]string{true: "", false: "s"}[len(files) == 1], target)
	}
	return nil
}

// withNewline ends terminal output with a newline; files keep exact bytes.
func withNewline(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return append(b[:len(b):len(b)], '\n')
	}
	return b
}

func formatHint(err error) string {
	if errors.Is(err, format.ErrHelperEntry) {
		return "the helper's secret could not be resolved; check that the helper holds it ('regauth get HOST'), or use --keep-helpers for docker/podman"
	}
	return ""
}

func readInput(sys *Sys, name string) ([]format.File, error) {
	if name == "-" {
		data, err := io.ReadAll(io.LimitReader(sys.In, 16<<20))
		if err != nil {
			return nil, fmt.Errorf("read standard input: %w", err)
		}
		return []format.File{{Path: "-", Data: data}}, nil
	}
	files, err := format.ReadPath(name)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no files", name)
	}
	return files, nil
}
