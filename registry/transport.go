package registry

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
)

// TLSOptions says where the TLS settings of a registry host come from. No
// field defaults to a system path: the caller passes the directories.
type TLSOptions struct {
	CAFile string // --ca-file: PEM CA certificates trusted besides the system roots
	// CertsDirs are Docker certs.d roots, e.g. /etc/docker/certs.d and
	// ~/.config/docker/certs.d (rootless), each holding <host[:port]>/ with
	// *.crt CA files and *.cert/*.key client pairs.
	CertsDirs []string
	// HostsDirs are containerd certs.d roots holding <host[:port]>/hosts.toml,
	// e.g. /etc/containerd/certs.d and ~/.config/containerd/certs.d.
	HostsDirs []string
	// Insecure allows plain HTTP and skips TLS verification (--insecure).
	Insecure bool
}

// HostTLS is the TLS configuration found for one registry host.
type HostTLS struct {
	Host         string
	RootCAs      *x509.CertPool // system roots plus every CA found
	Certificates []tls.Certificate
	SkipVerify   bool
	// PlainHTTP is set when hosts.toml names an http:// server for the host,
	// containerd's way of marking a registry without TLS.
	PlainHTTP bool
	// Sources lists where each setting came from, for regauth check and
	// error messages, e.g. "ca /etc/docker/certs.d/h:5000/ca.crt (docker certs.d)".
	Sources []string

	extraCAs []*x509.Certificate // the CAs added to the system roots
}

// ErrInvalidHost is matched by errors for host arguments that are not
// "host", "host:port" or "[ipv6]:port".
var ErrInvalidHost = errors.New("invalid registry host")

// validateHost rejects URLs and paths where a registry host is expected;
// they would otherwise be joined into file paths and request URLs.
func validateHost(host string) error {
	if host == "" || strings.ContainsAny(host, "/\\ \t\r\n?#@") || strings.Contains(host, "..") {
		return fmt.Errorf("%w %q: want host, host:port or [ipv6]:port", ErrInvalidHost, host)
	}
	if strings.HasPrefix(host, "[") || strings.Count(host, ":") == 1 {
		h, port, err := net.SplitHostPort(host)
		if err != nil || h == "" || port == "" {
			return fmt.Errorf("%w %q: want host, host:port or [ipv6]:port", ErrInvalidHost, host)
		}
	} else if strings.Contains(host, ":") {
		return fmt.Errorf("%w %q: put an IPv6 address in brackets, as [::1]:5000", ErrInvalidHost, host)
	}
	return nil
}

// LoadHostTLS collects the TLS settings for host from the system roots,
// opts.CAFile, Docker's certs.d/<host>/ and containerd's hosts.toml. A file
// that cannot be used is an error naming it, never silently skipped.
func LoadHostTLS(host string, opts TLSOptions) (*HostTLS, error) {
	if err := validateHost(host); err != nil {
		return nil, err
	}
	ht := &HostTLS{Host: host}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
		ht.Sources = append(ht.Sources, "no system roots available")
	} else {
		ht.Sources = append(ht.Sources, "system roots")
	}
	ht.RootCAs = pool
	if opts.CAFile != "" {
		certs, err := readCAs(opts.CAFile)
		if err != nil {
			return nil, err
		}
		ht.addCAs(certs)
		ht.Sources = append(ht.Sources, "ca "+opts.CAFile+" (--ca-file)")
	}
	for _, root := range opts.CertsDirs {
		if err := loadCertsDir(ht, root, host); err != nil {
			return nil, err
		}
	}
	if err := loadHostsDirs(ht, opts.HostsDirs, host); err != nil {
		return nil, err
	}
	if opts.Insecure {
		ht.SkipVerify = true
		ht.Sources = append(ht.Sources, "skip verification and allow plain http (--insecure)")
	}
	return ht, nil
}

// TLSConfig returns a client TLS configuration with ht's settings.
func (ht *HostTLS) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		RootCAs:            ht.RootCAs,
		Certificates:       ht.Certificates,
		InsecureSkipVerify: ht.SkipVerify, //nolint:gosec // asked for by --insecure or skip_verify
	}
}

// TransportFor returns an http.RoundTripper for host ("host", "host:port",
// "[::1]:5000") configured as LoadHostTLS describes, and the sources of its
// settings. See HostTLS.Transport for base. Callers that also need to know
// whether hosts.toml marks the host plain HTTP use LoadHostTLS directly.
func TransportFor(host string, opts TLSOptions, base *http.Transport) (http.RoundTripper, []string, error) {
	ht, err := LoadHostTLS(host, opts)
	if err != nil {
		return nil, nil, err
	}
	return ht.Transport(base), ht.Sources, nil
}

// Transport returns a clone of base with ht's TLS settings; CAs the base
// already trusts are kept. A nil base is a clone of http.DefaultTransport
// without a proxy, because a library must not read HTTPS_PROXY itself: the
// caller sets Proxy on base to use one.
func (ht *HostTLS) Transport(base *http.Transport) *http.Transport {
	var t *http.Transport
	if base != nil {
		t = base.Clone()
	} else if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
		t.Proxy = nil
	} else {
		t = &http.Transport{}
	}
	cfg := ht.TLSConfig()
	if t.TLSClientConfig != nil {
		// Keep the base's other settings (ServerName, KeyLogWriter, ...).
		merged := t.TLSClientConfig.Clone()
		if merged.RootCAs != nil {
			// The base trusts CAs of its own (a test's CA, say): keep them.
			cfg.RootCAs = merged.RootCAs.Clone()
			for _, c := range ht.extraCAs {
				cfg.RootCAs.AddCert(c)
			}
		}
		merged.RootCAs = cfg.RootCAs
		merged.Certificates = append(slices.Clip(merged.Certificates), cfg.Certificates...)
		merged.InsecureSkipVerify = merged.InsecureSkipVerify || cfg.InsecureSkipVerify
		if merged.MinVersion == 0 {
			merged.MinVersion = tls.VersionTLS12
		}
		cfg = merged
	}
	t.TLSClientConfig = cfg
	return t
}

func (ht *HostTLS) addCAs(certs []*x509.Certificate) {
	for _, c := range certs {
		ht.RootCAs.AddCert(c)
	}
	ht.extraCAs = append(ht.extraCAs, certs...)
}

// readCAs reads the PEM certificates of a CA file; a file without any is an
// error, since a user who names it expects it to be trusted.
func readCAs(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ca file: %w", err) // *PathError names the file
	}
	var certs []*x509.Certificate
	for rest := data; len(rest) > 0; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("read ca file %s: %w", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("read ca file %s: no PEM certificate found", path)
	}
	return certs, nil
}
