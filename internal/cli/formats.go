package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/format"
)

// formatFlags are the per-format options of export, convert and create.
type formatFlags struct {
	keepHelpers bool // dockerconfig
}

// codecs maps a --format name to its codec built from the flags. Adding a
// format is one line here plus its flags.
var codecs = map[string]func(f *formatFlags) format.Codec{
	"dockerconfig": func(f *formatFlags) format.Codec { return format.DockerConfig{KeepHelpers: f.keepHelpers} },
	"podman": func(f *formatFlags) format.Codec {
		return format.DockerConfig{Podman: true, KeepHelpers: f.keepHelpers}
	},
	"dockercfg": func(*formatFlags) format.Codec { return format.Dockercfg{} },
}

// formatAliases accept the names people use.
var formatAliases = map[string]string{
	"docker": "dockerconfig", "config.json": "dockerconfig", "auth.json": "podman", ".dockercfg": "dockercfg",
}

func formatNames() []string {
	names := make([]string, 0, len(codecs))
	for n := range codecs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (f *formatFlags) codec(name string) (format.Codec, error) {
	if a, ok := formatAliases[strings.ToLower(name)]; ok {
		name = a
	}
	mk, ok := codecs[strings.ToLower(name)]
	if !ok {
		return nil, usagef("formats: "+strings.Join(formatNames(), ", "), "unknown format %q", name)
	}
	return mk(f), nil
}

func (f *formatFlags) add(c *cobra.Command) {
	c.Flags().BoolVar(&f.keepHelpers, "keep-helpers", false, "dockerconfig/podman: keep credHelpers references instead of resolving them")
}

// detect picks the codec whose Sniff accepts the input, in an order where
// the more specific formats are tried first.
func detect(f *formatFlags, files []format.File) (format.Codec, error) {
	order := []string{"dockerconfig", "dockercfg"}
	for _, name := range order {
		c, _ := f.codec(name)
		s, ok := c.(format.Sniffer)
		if !ok {
			continue
		}
		for _, file := range files {
			if s.Sniff(file) {
				return c, nil
			}
		}
	}
	return nil, usagef("pass --format with one of: "+strings.Join(formatNames(), ", "), "cannot tell the format of %s", describe(files))
}

func describe(files []format.File) string {
	if len(files) == 1 {
		return files[0].Path
	}
	return fmt.Sprintf("%d files", len(files))
}
