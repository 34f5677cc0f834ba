package format

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/regauth/regauth/credential"
)

// CertsD writes and reads Docker's per-registry TLS directory,
// /etc/docker/certs.d/<host[:port]>/ (also read by containerd and nerdctl
// when no hosts.toml is present): ca.crt, client.cert and client.key. Docker
// takes every *.crt as a CA root and every *.cert with the *.key of the same
// name as a client pair; a *.cert without its *.key fails the pull.
//
// Plain HTTP and skip-verify have no file in this layout (docker configures
// them in daemon.json "insecure-registries"), so Encode refuses them with an
// error that names the daemon.json fix rather than dropping them silently.
// Docker Hub is written as docker.io, the name containerd looks up; dockerd
// itself reads no certs.d directory for Docker Hub. Likewise "_default" is
// only meaningful to containerd (its fallback directory).
type CertsD struct{}

var (
	_ Codec   = CertsD{}
	_ Sniffer = CertsD{}
	_ Linter  = CertsD{}
)

// certsdDefaultHost names the directory containerd uses for every registry
// without one of its own; it is also how pki documents say "all registries".
const certsdDefaultHost = "_default"

func (CertsD) Name() string { return "certsd" }

// Encode writes <host>/ca.crt (0644), <host>/client.cert (0644) and
// <host>/client.key (0600) for every host, sorted by host.
func (CertsD) Encode(d *Document) ([]File, error) {
	hosts, err := certsdHosts(d, "certsd")
	if err != nil {
		return nil, err
	}
	var out []File
	for _, h := range hosts {
		if h.PlainHTTP || h.SkipVerify {
			return nil, fmt.Errorf("certsd: %s: docker's certs.d cannot express plain HTTP or skip-verify; add %q to \"insecure-registries\" in /etc/docker/daemon.json and restart dockerd, or export --format hoststoml for containerd", h.Host, h.Host)
		}
		files, err := certsdHostFiles("certsd", h.Host, h)
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	return out, nil
}

// certsdHostFiles renders a host's CA and client pair into dir, checking
// them first so a broken PEM never reaches a runtime.
func certsdHostFiles(codec, dir string, h Host) ([]File, error) {
	var out []File
	if len(h.CA) > 0 {
		if _, err := certsdParseCerts(h.CA); err != nil {
			return nil, fmt.Errorf("%s: %s: ca: %w", codec, h.Host, err)
		}
		out = append(out, File{Path: dir + "/ca.crt", Mode: 0o644, Data: h.CA})
	}
	switch {
	case len(h.ClientCert) == 0 && len(h.ClientKey) == 0:
	case len(h.ClientCert) == 0 || len(h.ClientKey) == 0:
		return nil, fmt.Errorf("%s: %s: a client certificate needs both the certificate and its key", codec, h.Host)
	default:
		if _, err := tls.X509KeyPair(h.ClientCert, h.ClientKey); err != nil {
			return nil, fmt.Errorf("%s: %s: client certificate: %w", codec, h.Host, err)
		}
		out = append(out,
			File{Path: dir + "/client.cert", Mode: 0o644, Data: h.ClientCert},
			File{Path: dir + "/client.key", Mode: 0o600, Data: h.ClientKey})
	}
	return out, nil
}

// Decode reads <host>/*.crt, *.cert and *.key the way docker does.
func (CertsD) Decode(files []File) (*Document, error) {
	groups := certsdGroup(files)
	if len(groups) == 0 {
		return nil, errorf("", "", "certsd: no <host[:port]>/ directory with .crt, .cert or .key files; point at the certs.d root (e.g. /etc/docker/certs.d)")
	}
	d := NewDocument()
	for _, dir := range sortedKeys(groups) {
		host, err := certsdDirHost(dir)
		if err != nil {
			return nil, errorf(dir, "", "%v", err)
		}
		h, err := certsdReadDir(host, groups[dir])
		if err != nil {
			return nil, err
		}
		d.Hosts = append(d.Hosts, h)
	}
	return d, nil
}

// certsdGroup collects <dir>/<file> inputs by dir; docker reads no deeper.
func certsdGroup(files []File) map[string][]File {
	groups := map[string][]File{}
	for _, f := range files {
		dir, name, ok := strings.Cut(f.Path, "/")
		if ok && !strings.Contains(name, "/") {
			groups[dir] = append(groups[dir], f)
		}
	}
	return groups
}

// certsdReadDir turns one host directory into a Host.
func certsdReadDir(host string, files []File) (Host, error) {
	h := Host{Host: host}
	byName := map[string]File{}
	for _, f := range files {
		byName[path.Base(f.Path)] = f
	}
	for _, name := range sortedKeys(byName) {
		f := byName[name]
		switch {
		case strings.HasSuffix(name, ".crt"):
			if _, err := certsdParseCerts(f.Data); err != nil {
				return Host{}, errorf(f.Path, "", "%v", err)
			}
			h.CA = append(h.CA, f.Data...)
		case strings.HasSuffix(name, ".cert"):
			key, ok := byName[strings.TrimSuffix(name, ".cert")+".key"]
			if !ok {
				return Host{}, errorf(f.Path, "", "missing key %s.key for this client certificate (CA certificates must use the extension .crt)", strings.TrimSuffix(name, ".cert"))
			}
			if _, err := tls.X509KeyPair(f.Data, key.Data); err != nil {
				return Host{}, errorf(f.Path, "", "client certificate and %s: %v", key.Path, err)
			}
			if h.ClientCert == nil { // Host holds one pair; the first by name wins
				h.ClientCert, h.ClientKey = f.Data, key.Data
			}
		case strings.HasSuffix(name, ".key"):
			if _, ok := byName[strings.TrimSuffix(name, ".key")+".cert"]; !ok {
				return Host{}, errorf(f.Path, "", "missing client certificate %s.cert for this key", strings.TrimSuffix(name, ".key"))
			}
		}
	}
	return h, nil
}

// Sniff recognises <host>/<name>.crt|.cert|.key.
func (CertsD) Sniff(f File) bool {
	dir, name, ok := strings.Cut(f.Path, "/")
	if !ok || strings.Contains(name, "/") {
		return false
	}
	if _, err := certsdDirHost(dir); err != nil {
		return false
	}
	return strings.HasSuffix(name, ".crt") || strings.HasSuffix(name, ".cert") || strings.HasSuffix(name, ".key")
}

// Lint names the mistakes docker reports only at pull time, or never.
func (CertsD) Lint(files []File) []Finding {
	var out []Finding
	add := func(sev Severity, rule, file, msg, hint string) {
		out = append(out, Finding{Severity: sev, Rule: rule, File: file, Message: msg, Hint: hint})
	}
	groups := certsdGroup(files)
	for _, dir := range sortedKeys(groups) {
		if _, err := certsdDirHost(dir); err != nil {
			add(SevError, "invalid-host-dir", dir, "is not a registry host[:port], so no runtime ever reads it: "+err.Error(), "name the directory exactly as the image reference's registry, e.g. registry.example.com:5000 (no scheme, no path)")
		}
		byName := map[string]File{}
		for _, f := range groups[dir] {
			byName[path.Base(f.Path)] = f
		}
		for _, name := range sortedKeys(byName) {
			f := byName[name]
			stem := strings.TrimSuffix(name, path.Ext(name))
			switch path.Ext(name) {
			case ".crt":
				if _, err := certsdParseCerts(f.Data); err != nil {
					add(SevError, "invalid-certificate", f.Path, "is not a PEM CA certificate: "+err.Error(), "write the registry's CA certificate in PEM form (-----BEGIN CERTIFICATE-----)")
				}
			case ".cert":
				key, ok := byName[stem+".key"]
				if !ok {
					add(SevError, "missing-client-key", f.Path, "is a client certificate without "+stem+".key; docker fails every pull from "+dir, "a CA certificate must be named *.crt (e.g. ca.crt), not *.cert; a client certificate needs its key as "+stem+".key")
				} else if _, err := tls.X509KeyPair(f.Data, key.Data); err != nil {
					add(SevError, "client-pair-mismatch", f.Path, "does not load with "+key.Path+": "+err.Error(), "put the PEM certificate in "+name+" and its matching private key in "+stem+".key")
				}
			case ".key":
				if _, ok := byName[stem+".cert"]; !ok {
					add(SevError, "missing-client-cert", f.Path, "is a key without "+stem+".cert; docker fails every pull from "+dir, "name the client certificate "+stem+".cert, or remove the key")
				}
				if f.Mode != 0 && f.Mode.Perm()&0o077 != 0 {
					add(SevWarning, "key-permissions", f.Path, fmt.Sprintf("is readable by others (mode %04o)", f.Mode.Perm()), "chmod 0600 "+f.Path)
				}
			default:
				add(SevWarning, "ignored-file", f.Path, "is ignored: docker reads only *.crt, *.cert and *.key", "rename a CA certificate to "+stem+".crt")
			}
		}
	}
	return out
}

// certsdHosts returns d's hosts normalised, sorted by host, first one
// kept when two name the same host.
func certsdHosts(d *Document, codec string) ([]Host, error) {
	var out []Host
	seen := map[string]bool{}
	if d == nil {
		return nil, nil
	}
	for _, h := range d.Hosts {
		key, err := certsdHostKey(h.Host)
		if err != nil {
			return nil, fmt.Errorf("%s: host %q: %w", codec, h.Host, err)
		}
		if !seen[key] {
			seen[key] = true
			h.Host = key
			out = append(out, h)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out, nil
}

// certsdHostKey normalises a Host.Host to the directory name runtimes
// look up: lower case, no scheme, port kept, Docker Hub as docker.io.
func certsdHostKey(h string) (string, error) {
	h = strings.TrimSpace(h)
	if h == certsdDefaultHost {
		return h, nil
	}
	p, err := credential.ParsePattern(h)
	switch {
	case err != nil:
		return "", err
	case p.Path != "":
		return "", fmt.Errorf("TLS settings apply to a whole registry host; drop the path /%s", p.Path)
	case p.IsGlob():
		return "", errors.New("runtimes look TLS directories up by exact host; wildcards are not supported")
	}
	return p.Host, nil
}

// certsdDirHost maps a directory name to its host, accepting containerd's
// "host_port_" spelling of "host:port" as well.
func certsdDirHost(dir string) (string, error) {
	if strings.HasSuffix(dir, "_") && dir != certsdDefaultHost {
		if i := strings.LastIndex(dir[:len(dir)-1], "_"); i > 0 && certsdDigits(dir[i+1:len(dir)-1]) {
			dir = dir[:i] + ":" + dir[i+1:len(dir)-1]
		}
	}
	if strings.Contains(dir, "://") {
		return "", errors.New("a directory name has no scheme")
	}
	return certsdHostKey(dir)
}

func certsdDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// certsdParseCerts returns the certificates of PEM data; other blocks are
// skipped, as x509.CertPool.AppendCertsFromPEM does.
func certsdParseCerts(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate (-----BEGIN CERTIFICATE-----) found")
	}
	return out, nil
}
