package format

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// HostsTOML writes and reads containerd's registry host directory
// (/etc/containerd/certs.d, or ~/.config/containerd/certs.d for rootless
// nerdctl): <host[:port]>/hosts.toml naming the server and its CA, client
// pair and skip_verify, with the certificate files beside it.
//
// Paths inside hosts.toml are relative by default. containerd resolves a
// relative "ca" or "client" path against the directory holding hosts.toml
// (makeAbsPath(p, hostDir) in core/remotes/docker/config), so the tree works
// unchanged wherever it is installed, rootful or rootless. Set Root to write
// absolute paths instead (Root/<dir>/ca.crt), as the nerdctl docs do.
//
// A Host named "_default" becomes certs.d/_default/hosts.toml without a
// server: containerd applies it to every registry that has no directory.
type HostsTOML struct {
	// Root, when set, makes referenced paths absolute under it, e.g.
	// "/etc/containerd/certs.d". Decode and Lint use it (default
	// HostsTOMLDefaultRoot) to find absolute paths inside the input.
	Root string
	// Underscore names directories "host_port_" instead of "host:port".
	// containerd tries both; Windows cannot have ':' in a file name.
	Underscore bool
}

var (
	_ Codec   = HostsTOML{}
	_ Sniffer = HostsTOML{}
	_ Linter  = HostsTOML{}
)

// HostsTOMLDefaultRoot is containerd's rootful certs.d directory.
const HostsTOMLDefaultRoot = "/etc/containerd/certs.d"

// hoststomlCapabilities are what the registry itself can do; "referrers"
// is left out on purpose, as in the seed and containerd's docs.
const hoststomlCapabilities = `["pull", "resolve", "push"]`

func (HostsTOML) Name() string { return "hoststoml" }

func (c HostsTOML) root() string {
	if c.Root == "" {
		return HostsTOMLDefaultRoot
	}
	return strings.TrimSuffix(path.Clean(c.Root), "/")
}

// hoststomlDir is the directory containerd looks up for host.
func (c HostsTOML) hoststomlDir(host string) string {
	if i := strings.LastIndex(host, ":"); c.Underscore && i > 0 && !strings.HasSuffix(host, "]") {
		return host[:i] + "_" + host[i+1:] + "_"
	}
	return host
}

// hoststomlServer is the endpoint URL containerd talks to for host.
func hoststomlServer(h Host) string {
	scheme := "https"
	if h.PlainHTTP {
		scheme = "http"
	}
	host := h.Host
	if host == "docker.io" {
		host = "registry-1.docker.io" // what containerd itself uses for docker.io
	}
	return scheme + "://" + host
}

// Encode writes <dir>/hosts.toml (0644), <dir>/ca.crt (0644),
// <dir>/client.cert (0644) and <dir>/client.key (0600), sorted by path.
func (c HostsTOML) Encode(d *Document) ([]File, error) {
	hosts, err := certsdHosts(d, "hoststoml")
	if err != nil {
		return nil, err
	}
	var out []File
	for _, h := range hosts {
		dir := c.hoststomlDir(h.Host)
		files, err := certsdHostFiles("hoststoml", dir, h)
		if err != nil {
			return nil, err
		}
		ref := func(name string) string {
			if c.Root != "" {
				return path.Join(c.root(), dir, name)
			}
			return name
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# containerd registry host configuration for %s, written by regauth.\n", h.Host)
		fmt.Fprintf(&b, "# See https://github.com/containerd/containerd/blob/main/docs/hosts.md\n")
		indent := "  "
		if h.Host == certsdDefaultHost {
			indent = "" // no server: top-level settings apply to any registry
		} else {
			server := hoststomlServer(h)
			fmt.Fprintf(&b, "server = %s\n\n[host.%s]\n", hoststomlQuote(server), hoststomlQuote(server))
			fmt.Fprintf(&b, "%scapabilities = %s\n", indent, hoststomlCapabilities)
		}
		if len(h.CA) > 0 {
			fmt.Fprintf(&b, "%sca = %s\n", indent, hoststomlQuote(ref("ca.crt")))
		}
		if len(h.ClientCert) > 0 {
			fmt.Fprintf(&b, "%sclient = [[%s, %s]]\n", indent, hoststomlQuote(ref("client.cert")), hoststomlQuote(ref("client.key")))
		}
		if h.SkipVerify {
			fmt.Fprintf(&b, "%sskip_verify = true\n", indent)
		}
		out = append(out, File{Path: dir + "/hosts.toml", Mode: 0o644, Data: []byte(b.String())})
		out = append(out, files...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// hoststomlQuote writes a TOML basic string.
func hoststomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hoststomlGroup splits the input into host directories. A lone hosts.toml
// (Path "" or "hosts.toml") is the directory "".
func hoststomlGroup(files []File) map[string][]File {
	groups := map[string][]File{}
	for _, f := range files {
		p := strings.TrimPrefix(f.Path, "./")
		switch dir, name, ok := strings.Cut(p, "/"); {
		case p == "" || p == "hosts.toml":
			groups[""] = append(groups[""], File{Path: "hosts.toml", Mode: f.Mode, Data: f.Data})
		case ok && !strings.Contains(name, "/"):
			groups[dir] = append(groups[dir], f)
		}
	}
	return groups
}

// Decode reads every host directory. Like containerd, a directory without
// hosts.toml is read in Docker's certs.d layout. Certificate files that
// hosts.toml references outside the input are left out (Lint reports them).
func (c HostsTOML) Decode(files []File) (*Document, error) {
	groups := hoststomlGroup(files)
	if len(groups) == 0 {
		return nil, errorf("", "", "hoststoml: no <host[:port]>/hosts.toml found; point at the certs.d root (e.g. /etc/containerd/certs.d)")
	}
	byPath := map[string]File{}
	for _, g := range groups {
		for _, f := range g {
			byPath[f.Path] = f
		}
	}
	d := NewDocument()
	for _, dir := range sortedKeys(groups) {
		tomlPath := path.Join(dir, "hosts.toml")
		hf, ok := byPath[tomlPath]
		if !ok || len(hf.Data) == 0 {
			host, err := certsdDirHost(dir)
			if err != nil {
				return nil, errorf(dir, "", "%v", err)
			}
			h, err := certsdReadDir(host, groups[dir])
			if err != nil {
				return nil, err
			}
			d.Hosts = append(d.Hosts, h)
			continue
		}
		h, findings := c.hoststomlAnalyze(dir, hf, byPath)
		for _, f := range findings {
			if f.Severity == SevError {
				return nil, &Error{File: f.File, Field: f.Field, Err: fmt.Errorf("%s", f.Message)}
			}
		}
		d.Hosts = append(d.Hosts, h)
	}
	return d, nil
}

// Sniff recognises a hosts.toml by name or by its server/host keys.
func (HostsTOML) Sniff(f File) bool {
	if path.Base(f.Path) == "hosts.toml" {
		return true
	}
	s := string(f.Data)
	return (strings.Contains(s, "server =") || strings.Contains(s, "server=")) && strings.Contains(s, "[host.")
}

// Lint reports what containerd would reject (it then silently falls back
// to the Docker certs.d layout) or silently ignore.
func (c HostsTOML) Lint(files []File) []Finding {
	groups := hoststomlGroup(files)
	byPath := map[string]File{}
	for _, g := range groups {
		for _, f := range g {
			byPath[f.Path] = f
		}
	}
	var out []Finding
	for _, dir := range sortedKeys(groups) {
		hf, ok := byPath[path.Join(dir, "hosts.toml")]
		if !ok {
			out = append(out, CertsD{}.Lint(groups[dir])...)
			continue
		}
		_, fs := c.hoststomlAnalyze(dir, hf, byPath)
		out = append(out, fs...)
	}
	return out
}
