package format

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/dockerconfig"
)

// Butane is a Flatcar Butane config (`variant: flatcar`, `version: 1.0.0`)
// that writes the docker config.json on first boot, as the seed does by
// hand. Translate it with `butane --files-dir . config.bu` (or without
// --files-dir for the inline form).
type Butane struct {
	// Path is where the node gets the docker config; default
	// /home/core/.docker/config.json.
	Path string
	// User and Group own the file and the directories regauth creates for
	// it. Under /home/NAME/ both default to NAME: Ignition creates files
	// and missing directories as root, so `docker` run as core (the seed
	// tells units to use User=core) could neither read the 0600 file nor
	// write ~/.docker on a later login.
	User, Group string
	// SourceURL, when set, makes the node download config.json from that
	// URL and verify it with a sha512 hash instead of embedding it. Encode
	// then also returns the exact config.json to upload there.
	SourceURL string
	// RktFiles also writes the rkt codec's auth.d files, inline, to
	// /etc/rkt/auth.d/ (root's, 0600: rkt runs as root), as the seed
	// suggests. Entries rkt cannot express (paths, wildcards) fail.
	RktFiles bool
}

var _ Codec = Butane{}
var _ Sniffer = Butane{}
var _ Linter = Butane{}

const (
	butaneDefaultPath = "/home/core/.docker/config.json"
	// butaneConfigName and butaneSourceName name the outputs of source
	// mode: `butane --files-dir . config.bu` finds nothing it needs in
	// config.json, which is the file to upload to SourceURL.
	butaneConfigName = "config.bu"
	butaneSourceName = "config.json"
	butaneRktDir     = "/etc/rkt/auth.d"
)

// Name is "butane".
func (Butane) Name() string { return "butane" }

func (c Butane) path() string {
	if c.Path == "" {
		return butaneDefaultPath
	}
	return c.Path
}

// owner returns the user and group the file and its directories get.
func (c Butane) owner() (user, group string) {
	user, group = c.User, c.Group
	if home, name := butaneHome(c.path()); home != "" && user == "" && name != "root" {
		user = name
		if group == "" {
			group = name
		}
	}
	return user, group
}

// butaneHome returns the home directory holding p and its owner's name,
// or "" when p is not in a home directory.
func butaneHome(p string) (home, name string) {
	parts := strings.Split(path.Clean(p), "/")
	switch {
	case len(parts) > 3 && parts[1] == "home" && parts[2] != "":
		return "/home/" + parts[2], parts[2]
	case len(parts) > 2 && parts[1] == "root":
		return "/root", "root"
	}
	return "", ""
}

// Encode renders the Butane config: config.bu alone (Path "", 0600: it
// holds the credentials inline), or with SourceURL config.bu (0644, no
// secrets) plus config.json (0600) to upload.
func (c Butane) Encode(d *Document) ([]File, error) {
	p := c.path()
	if !path.IsAbs(p) || path.Clean(p) != p || strings.HasSuffix(p, "/") {
		return nil, fmt.Errorf("butane: path %q: must be an absolute, clean file path", p)
	}
	for _, s := range []string{p, c.User, c.Group, c.SourceURL} {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("butane: %q is not UTF-8 text, which YAML cannot carry", s)
		}
	}
	if c.SourceURL != "" && !butaneURL.MatchString(c.SourceURL) {
		return nil, fmt.Errorf("butane: source URL %q: Ignition fetches http, https, tftp, s3, gs, arn and data URLs", c.SourceURL)
	}
	entries, err := flattened(d, c.Name())
	if err != nil {
		return nil, err
	}
	config, err := butaneDockerConfig(entries)
	if err != nil {
		return nil, err
	}
	var rkt []File
	if c.RktFiles {
		if rkt, err = (Rkt{}).Encode(NewDocument(entries...)); err != nil {
			return nil, fmt.Errorf("butane: rkt auth.d files: %w", err)
		}
	}
	user, group := c.owner()
	var b strings.Builder
	if c.SourceURL == "" {
		b.WriteString("# Written by regauth; holds registry passwords: keep it private.\n")
	} else {
		b.WriteString("# Written by regauth; upload config.json to the source URL, byte for byte.\n")
	}
	b.WriteString("variant: flatcar\nversion: 1.0.0\nstorage:\n")
	if home, _ := butaneHome(p); home != "" && path.Dir(p) != home {
		// Every directory between the home and the file, so none of
		// them is created root-owned.
		b.WriteString("  directories:\n")
		var dirs []string
		for dir := path.Dir(p); dir != home; dir = path.Dir(dir) {
			dirs = append([]string{dir}, dirs...)
		}
		for _, dir := range dirs {
			butaneNode(&b, dir, "0700", user, group)
		}
	}
	b.WriteString("  files:\n")
	butaneNode(&b, p, "0600", user, group)
	b.WriteString("      contents:\n")
	if c.SourceURL == "" {
		b.WriteString("        inline: " + butaneBlock(string(config), "          ") + "\n")
	} else {
		sum := sha512.Sum512(config)
		b.WriteString("        source: " + butaneScalar(c.SourceURL) + "\n")
		b.WriteString("        verification:\n")
		b.WriteString("          hash: sha512-" + hex.EncodeToString(sum[:]) + "\n")
	}
	for _, f := range rkt {
		butaneNode(&b, path.Join(butaneRktDir, f.Path), "0600", "", "")
		b.WriteString("      contents:\n        inline: " + butaneBlock(string(f.Data), "          ") + "\n")
	}
	if c.SourceURL == "" {
		return []File{{Mode: 0o600, Data: []byte(b.String())}}, nil
	}
	if len(rkt) > 0 {
		// The rkt files hold passwords inline, so config.bu is secret too.
		return []File{
			{Path: butaneConfigName, Mode: 0o600, Data: []byte(b.String())},
			{Path: butaneSourceName, Mode: 0o600, Data: config},
		}, nil
	}
	return []File{
		{Path: butaneConfigName, Mode: 0o644, Data: []byte(b.String())},
		{Path: butaneSourceName, Mode: 0o600, Data: config},
	}, nil
}

// butaneURL is what Ignition 3.3 can fetch (data URLs would put the secret
// back inline, which the inline mode does more readably, but are valid).
var butaneURL = regexp.MustCompile(`^(https?|tftp|s3|gs|arn|data):\S+$`)

// butaneDockerConfig renders entries as docker writes config.json.
func butaneDockerConfig(entries []credential.Entry) ([]byte, error) {
	f := dockerconfig.New()
	for _, e := range entries {
		key := e.Pattern.Key()
		if _, ok := f.Auths[key]; ok {
			continue // the earlier entry has precedence
		}
		a := &dockerconfig.AuthEntry{Email: e.Email}
		a.SetCredentials(e.Credential.Username, e.Credential.Password, e.Credential.IdentityToken, e.Credential.RegistryToken)
		f.Auths[key] = a
	}
	return f.Marshal()
}

// butaneNode writes one storage.files or storage.directories item up to
// its contents.
func butaneNode(b *strings.Builder, p, mode, user, group string) {
	b.WriteString("    - path: " + butaneScalar(p) + "\n")
	b.WriteString("      mode: " + mode + "\n")
	if user != "" {
		b.WriteString("      user:\n        name: " + butaneScalar(user) + "\n")
	}
	if group != "" {
		b.WriteString("      group:\n        name: " + butaneScalar(group) + "\n")
	}
}

var (
	butanePlain    = regexp.MustCompile(`^[A-Za-z0-9/_][A-Za-z0-9/._@+:%=&~-]*$`)
	butaneNotPlain = regexp.MustCompile(`(?i)^(y|n|yes|no|true|false|on|off|null|~|[-+.0-9][-+.0-9a-fox_:]*)$`)
)

// butaneScalar writes s as a YAML scalar: plain when it cannot be read as
// anything but that string, double-quoted otherwise.
func butaneScalar(s string) string {
	if butanePlain.MatchString(s) && !butaneNotPlain.MatchString(s) && !strings.Contains(s, ": ") {
		return s
	}
	return butaneQuote(s)
}

// butaneQuote is a YAML double-quoted scalar that escapes everything
// outside printable ASCII, so no character can be rejected or folded.
func butaneQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// butaneBlock writes s as a literal block scalar that YAML reads back
// byte for byte (so a hash of the inline text is the hash of config.json),
// falling back to a quoted scalar for text a block cannot carry.
func butaneBlock(s, indent string) string {
	chomp := "-"
	body := s
	if strings.HasSuffix(s, "\n") {
		chomp, body = "", s[:len(s)-1]
	}
	if body == "" || strings.HasSuffix(body, "\n") || strings.ContainsAny(body[:1], " \t\n#") || !utf8.ValidString(s) {
		return butaneQuote(s)
	}
	for _, r := range body {
		if r != '\n' && r != '\t' && (!unicode.IsPrint(r) || r == 0xfeff) {
			return butaneQuote(s)
		}
	}
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			return butaneQuote(s) // blank or whitespace-only lines fold badly
		}
		lines[i] = indent + l
	}
	return "|" + chomp + "\n" + strings.Join(lines, "\n")
}
