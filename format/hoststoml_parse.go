package format

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// hoststomlSection mirrors containerd's hostFileConfig (core/remotes/docker/
// config/hosts.go), so strict decoding finds exactly the keys containerd
// would ignore.
type hoststomlSection struct {
	Capabilities []string       `toml:"capabilities"`
	CA           any            `toml:"ca"`
	Client       any            `toml:"client"`
	SkipVerify   *bool          `toml:"skip_verify"`
	Header       map[string]any `toml:"header"`
	OverridePath bool           `toml:"override_path"`
	DialTimeout  string         `toml:"dial_timeout"`
}

type hoststomlFile struct {
	hoststomlSection
	Server string                      `toml:"server"`
	Host   map[string]hoststomlSection `toml:"host"`
}

// hoststomlAnalyze parses one hosts.toml and returns the Host it describes
// plus every finding; Decode fails on the first error finding, Lint
// reports them all.
func (c HostsTOML) hoststomlAnalyze(dir string, hf File, byPath map[string]File) (Host, []Finding) {
	var out []Finding
	add := func(sev Severity, rule, field, msg, hint string) {
		out = append(out, Finding{Severity: sev, Rule: rule, File: hf.Path, Field: field, Message: msg, Hint: hint})
	}
	var cfg hoststomlFile
	if err := toml.Unmarshal(hf.Data, &cfg); err != nil {
		var de *toml.DecodeError
		field := ""
		if errors.As(err, &de) {
			row, col := de.Position()
			field = fmt.Sprintf("line %d, column %d", row, col)
		}
		add(SevError, "toml-syntax", field, "is not valid hosts.toml: "+strings.TrimPrefix(err.Error(), "toml: "),
			"fix the TOML; containerd logs the error and falls back to reading *.crt/*.cert files, so the settings are silently lost")
		return Host{}, out
	}
	var strict hoststomlFile
	err := toml.NewDecoder(bytes.NewReader(hf.Data)).DisallowUnknownFields().Decode(&strict)
	var sme *toml.StrictMissingError
	if errors.As(err, &sme) {
		for _, e := range sme.Errors {
			row, _ := e.Position()
			add(SevWarning, "unknown-key", fmt.Sprintf("line %d", row), fmt.Sprintf("key %q is not a hosts.toml setting; containerd ignores it silently", strings.Join(e.Key(), ".")),
				"use server, capabilities, ca, client, skip_verify, header, override_path or dial_timeout (credentials do not belong in hosts.toml)")
		}
	}

	h := Host{Host: certsdDefaultHost}
	var serverURL *url.URL
	if cfg.Server != "" {
		u, err := hoststomlParseURL(cfg.Server)
		if err != nil {
			add(SevError, "invalid-server", "server", err.Error(), `write server = "https://host[:port]"`)
			return Host{}, out
		}
		serverURL = u
		h.PlainHTTP = u.Scheme == "http"
		if host, err := certsdHostKey(u.Host); err == nil {
			h.Host = host
		}
	}
	if dir != "" {
		host, err := certsdDirHost(dir)
		if err != nil {
			add(SevError, "invalid-host-dir", "", "directory "+dir+" is not a registry host[:port]: "+err.Error(), "name the directory as the image reference's registry, e.g. registry.example.com:5000")
			return Host{}, out
		}
		h.Host = host
	}

	sections := []struct {
		field string
		s     hoststomlSection
	}{{"", cfg.hoststomlSection}}
	for _, k := range sortedKeys(cfg.Host) {
		field := fmt.Sprintf("host.%q", k)
		u, err := hoststomlParseURL(k)
		if err != nil {
			add(SevError, "invalid-server", field, err.Error(), `name the section [host."https://host[:port]"]`)
			continue
		}
		match := h.Host
		if serverURL != nil {
			match = serverURL.Host
		} else if dir == "" {
			match = ""
		}
		if strings.EqualFold(u.Host, match) {
			if serverURL == nil {
				h.PlainHTTP = u.Scheme == "http"
			} else if u.Scheme != serverURL.Scheme {
				add(SevWarning, "server-scheme-mismatch", field, fmt.Sprintf("uses %s:// but server uses %s://; containerd treats them as two endpoints and tries this one first", u.Scheme, serverURL.Scheme),
					"use the same scheme in server and the [host] section")
			}
			sections = append(sections, struct {
				field string
				s     hoststomlSection
			}{field, cfg.Host[k]})
		}
	}

	var caFiles, certFiles, keyFiles []string
	for _, sec := range sections {
		at := func(k string) string {
			if sec.field == "" {
				return k
			}
			return sec.field + "." + k
		}
		for _, capability := range sec.s.Capabilities {
			switch strings.ToLower(capability) {
			case "pull", "resolve", "push", "referrers":
			default:
				add(SevError, "invalid-capability", at("capabilities"), fmt.Sprintf("unknown capability %q; containerd rejects the whole file", capability), "use pull, resolve, push or referrers")
			}
		}
		if sec.s.DialTimeout != "" {
			if _, err := time.ParseDuration(sec.s.DialTimeout); err != nil {
				add(SevError, "invalid-value", at("dial_timeout"), fmt.Sprintf("%q is not a duration", sec.s.DialTimeout), `write e.g. dial_timeout = "5s"`)
			}
		}
		cas, ok := hoststomlStrings(sec.s.CA)
		if !ok {
			add(SevError, "invalid-value", at("ca"), "must be a path or a list of paths", `write ca = "ca.crt"`)
		}
		caFiles = append(caFiles, cas...)
		pairs, ok := hoststomlPairs(sec.s.Client)
		if !ok {
			add(SevError, "invalid-value", at("client"), "must be a path, a list of paths or a list of [cert, key] pairs", `write client = [["client.cert", "client.key"]]`)
		}
		for _, p := range pairs {
			certFiles, keyFiles = append(certFiles, p[0]), append(keyFiles, p[1])
		}
		if sec.s.SkipVerify != nil && *sec.s.SkipVerify {
			h.SkipVerify = true
		}
		if h.PlainHTTP && (sec.s.CA != nil || sec.s.Client != nil) {
			add(SevWarning, "server-scheme-mismatch", at("ca"), "TLS settings on an http:// server; containerd then tries HTTPS first and falls back to HTTP",
				"use https:// in server, or drop the TLS settings for a plain-HTTP registry")
		}
	}

	read := func(field, p string) ([]byte, bool) {
		rel, inside := c.hoststomlResolve(dir, p)
		if !inside {
			add(SevWarning, "file-outside-input", field, p+" is outside the directory being read, so it was neither checked nor imported", "copy the file next to hosts.toml and reference it by a relative path")
			return nil, false
		}
		f, found := byPath[rel]
		if !found {
			add(SevError, "missing-file", field, p+" does not exist (looked for "+rel+"); containerd fails every pull from "+h.Host, "put the file next to hosts.toml, or fix the path (relative paths are resolved against the hosts.toml directory)")
			return nil, false
		}
		return f.Data, true
	}
	for _, p := range caFiles {
		if data, ok := read("ca", p); ok {
			if _, err := certsdParseCerts(data); err != nil {
				add(SevError, "invalid-certificate", "ca", p+": "+err.Error(), "reference a PEM CA certificate")
				continue
			}
			h.CA = append(h.CA, data...)
		}
	}
	for i := range certFiles {
		cert, ok := read("client", certFiles[i])
		if !ok {
			continue
		}
		key := cert // containerd reads the key from the cert file when none is named
		if keyFiles[i] != "" {
			if key, ok = read("client", keyFiles[i]); !ok {
				continue
			}
		}
		if _, err := tls.X509KeyPair(cert, key); err != nil {
			add(SevError, "client-pair-mismatch", "client", certFiles[i]+": "+err.Error(), "reference a PEM client certificate and its matching private key")
			continue
		}
		if h.ClientCert == nil {
			h.ClientCert, h.ClientKey = hoststomlSplitPEM(cert, key)
		}
	}
	return h, out
}

// hoststomlResolve maps a referenced path into the input, as containerd
// resolves it: relative to the hosts.toml directory, absolute under Root.
func (c HostsTOML) hoststomlResolve(dir, p string) (string, bool) {
	if path.IsAbs(p) {
		return strings.CutPrefix(path.Clean(p), c.root()+"/")
	}
	rel := path.Join(dir, p)
	return rel, rel != ".." && !strings.HasPrefix(rel, "../")
}

// hoststomlParseURL parses a server the way containerd does: https://
// is assumed when no scheme is given.
func hoststomlParseURL(s string) (*url.URL, error) {
	if !strings.HasPrefix(s, "http") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", s)
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%q is not an http:// or https:// URL with a host", s)
	}
	if _, err := certsdHostKey(u.Host); err != nil {
		return nil, fmt.Errorf("%q does not name a registry host: %v", s, err)
	}
	return u, nil
}

// hoststomlStrings accepts containerd's string or []string forms.
func hoststomlStrings(v any) ([]string, bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case string:
		return []string{v}, true
	case []any:
		var out []string
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// hoststomlPairs accepts containerd's client forms: "file", ["file", ...]
// and [["cert", "key"], ...]; a lone file holds both cert and key.
func hoststomlPairs(v any) ([][2]string, bool) {
	if s, ok := v.(string); ok {
		return [][2]string{{s, ""}}, true
	}
	list, ok := v.([]any)
	if v == nil {
		return nil, true
	} else if !ok {
		return nil, false
	}
	var out [][2]string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, [2]string{s, ""})
			continue
		}
		pair, ok := hoststomlStrings(e)
		if !ok || len(pair) != 2 {
			return nil, false
		}
		out = append(out, [2]string{pair[0], pair[1]})
	}
	return out, true
}

// hoststomlSplitPEM separates certificate and key blocks when one file
// holds both, so the Host gets them apart.
func hoststomlSplitPEM(cert, key []byte) ([]byte, []byte) {
	if !bytes.Equal(cert, key) {
		return cert, key
	}
	var certs, keys []byte
	for rest := cert; ; {
		i := bytes.Index(rest, []byte("-----BEGIN "))
		if i < 0 {
			break
		}
		rest = rest[i:]
		end := bytes.Index(rest, []byte("-----END "))
		if end < 0 {
			break
		}
		nl := bytes.IndexByte(rest[end:], '\n')
		if nl < 0 {
			nl = len(rest) - end - 1
		}
		block := rest[:end+nl+1]
		if bytes.HasPrefix(block, []byte("-----BEGIN CERTIFICATE-----")) {
			certs = append(certs, block...)
		} else {
			keys = append(keys, block...)
		}
		rest = rest[end+nl+1:]
	}
	return certs, keys
}
