package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// hostsFile is containerd's hosts.toml. Only the TLS settings are read;
// mirrors' capabilities, headers and paths do not affect a login check.
type hostsFile struct {
	Server     string                `toml:"server"`
	CA         any                   `toml:"ca"`
	Client     any                   `toml:"client"`
	SkipVerify *bool                 `toml:"skip_verify"`
	Host       map[string]hostsEntry `toml:"host"`
}

type hostsEntry struct {
	CA         any   `toml:"ca"`
	Client     any   `toml:"client"`
	SkipVerify *bool `toml:"skip_verify"`
}

// hostDirCandidates lists the directories containerd looks in for host, in
// its order: "host_port_" (its Windows-safe spelling), "host:port", and last
// "_default" in any root.
func hostDirCandidates(roots []string, host string) []string {
	var dirs []string
	for _, root := range roots {
		if i := strings.LastIndex(host, ":"); i > 0 && !strings.HasSuffix(host, "]") {
			dirs = append(dirs, filepath.Join(root, host[:i]+"_"+host[i+1:]+"_"))
		}
		dirs = append(dirs, filepath.Join(root, host))
	}
	for _, root := range roots {
		dirs = append(dirs, filepath.Join(root, "_default"))
	}
	return dirs
}

// loadHostsDirs applies the first containerd host directory found for host:
// its hosts.toml, or Docker-style certificate files when it has none.
func loadHostsDirs(ht *HostTLS, roots []string, host string) error {
	for _, dir := range hostDirCandidates(roots, host) {
		ok, err := isDir(dir)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		path := filepath.Join(dir, "hosts.toml")
		data, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("read hosts.toml: %w", err)
		}
		if len(data) == 0 {
			return loadCertFiles(ht, dir, "containerd certs.d")
		}
		return applyHostsTOML(ht, path, data, host)
	}
	return nil
}

func applyHostsTOML(ht *HostTLS, path string, data []byte, host string) error {
	var f hostsFile
	if err := toml.Unmarshal(data, &f); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return fmt.Errorf("parse %s:%d:%d: %s", path, row, col, de.Error())
		}
		return fmt.Errorf("parse %s: %w", path, err)
	}
	base := filepath.Dir(path)
	top := hostsEntry{CA: f.CA, Client: f.Client, SkipVerify: f.SkipVerify}
	if f.Server == "" {
		if err := applyHostsEntry(ht, path, "", top, base); err != nil {
			return err
		}
	} else {
		u, err := parseHostsURL(f.Server)
		if err != nil {
			return fmt.Errorf("parse %s: server %q: %w", path, f.Server, err)
		}
		if sameHost(u, host) {
			if u.Scheme == "http" {
				ht.PlainHTTP = true
				ht.Sources = append(ht.Sources, fmt.Sprintf("plain http: server = %q (%s)", f.Server, path))
			}
			if err := applyHostsEntry(ht, path, "", top, base); err != nil {
				return err
			}
		} else {
			ht.Sources = append(ht.Sources, fmt.Sprintf("top-level settings of %s are for server %s, not %s", path, f.Server, host))
		}
	}
	for key, entry := range f.Host {
		u, err := parseHostsURL(key)
		if err != nil {
			return fmt.Errorf("parse %s: [host.%q]: %w", path, key, err)
		}
		if !sameHost(u, host) {
			continue
		}
		section := fmt.Sprintf("[host.%q]", key)
		if u.Scheme == "http" {
			ht.PlainHTTP = true
			ht.Sources = append(ht.Sources, fmt.Sprintf("plain http: %s (%s)", section, path))
		}
		if err := applyHostsEntry(ht, path, section, entry, base); err != nil {
			return err
		}
	}
	return nil
}

// applyHostsEntry adds a section's ca, client and skip_verify settings.
// Relative paths are relative to the directory of hosts.toml, as in containerd.
func applyHostsEntry(ht *HostTLS, path, section string, e hostsEntry, base string) error {
	where := path
	if section != "" {
		where = path + " " + section
	}
	cas, err := stringList(e.CA)
	if err != nil {
		return fmt.Errorf("parse %s: ca: %w", where, err)
	}
	for _, ca := range cas {
		ca = absPath(ca, base)
		certs, err := readCAs(ca)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		ht.addCAs(certs)
		ht.Sources = append(ht.Sources, fmt.Sprintf("ca %s (%s)", ca, where))
	}
	pairs, err := clientPairs(e.Client)
	if err != nil {
		return fmt.Errorf("parse %s: client: %w", where, err)
	}
	for _, p := range pairs {
		certPath, keyPath := absPath(p[0], base), ""
		if p[1] != "" {
			keyPath = absPath(p[1], base)
		}
		cert, err := loadClientPair(certPath, keyPath)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		ht.Certificates = append(ht.Certificates, cert)
		ht.Sources = append(ht.Sources, fmt.Sprintf("client certificate %s (%s)", certPath, where))
	}
	if e.SkipVerify != nil && *e.SkipVerify {
		ht.SkipVerify = true
		ht.Sources = append(ht.Sources, fmt.Sprintf("skip_verify = true (%s)", where))
	}
	return nil
}

func absPath(p, base string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// stringList accepts containerd's forms for ca: a path or a list of paths.
func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("want a path or a list of paths, got %T in the list", x)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("want a path or a list of paths, got %T", v)
	}
}

// clientPairs accepts containerd's forms for client: "file" (certificate
// and key in one file), ["file", ...], and [["cert", "key"], ...].
func clientPairs(v any) ([][2]string, error) {
	list, ok := v.([]any)
	if !ok {
		single, err := stringList(v)
		if err != nil {
			return nil, err
		}
		list = make([]any, len(single))
		for i, s := range single {
			list[i] = s
		}
	}
	var out [][2]string
	for _, x := range list {
		switch x := x.(type) {
		case string:
			out = append(out, [2]string{x, ""})
		case []any:
			if len(x) == 0 || len(x) > 2 {
				return nil, fmt.Errorf("want [cert, key] pairs, got %d elements", len(x))
			}
			var pair [2]string
			for i, y := range x {
				s, ok := y.(string)
				if !ok {
					return nil, fmt.Errorf("want [cert, key] paths, got %T", y)
				}
				pair[i] = s
			}
			out = append(out, pair)
		default:
			return nil, fmt.Errorf("want a path, a list of paths or [cert, key] pairs, got %T", x)
		}
	}
	return out, nil
}

// parseHostsURL parses a server or [host."..."] key; containerd assumes
// https when the scheme is left out.
func parseHostsURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("no host")
	}
	return u, nil
}

// sameHost compares a URL's host with a registry host, treating the
// scheme's default port as equal to no port.
func sameHost(u *url.URL, host string) bool {
	def := "443"
	if u.Scheme == "http" {
		def = "80"
	}
	norm := func(h string) string {
		h = strings.ToLower(h)
		if name, port, err := net.SplitHostPort(h); err == nil && port == def {
			if strings.Contains(name, ":") {
				return "[" + name + "]"
			}
			return name
		}
		return h
	}
	return norm(u.Host) == norm(host)
}
