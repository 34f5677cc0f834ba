package format

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// PKI writes and reads the DC/OS agent trust directory
// (/var/lib/dcos/pki/tls/certs): each CA certificate in its own PEM file
// plus a symbolic link `<subject-hash>.N` to it, which is how OpenSSL's
// hash-directory lookup (and so the Mesos fetcher and UCR) finds it. The
// seed creates that link by hand with `openssl x509 -hash`; we compute the
// same hash (SubjectHash) so nobody has to.
//
// The directory holds trust only: client certificates, skip-verify and
// plain HTTP cannot be expressed and make Encode fail.
type PKI struct {
	// CAFile names the first certificate file; further certificates get
	// "-2", "-3", ... before the extension. Default "docker-registry-ca.crt".
	CAFile string
	// Dir is where the directory is installed; Decode and Lint use it to
	// resolve absolute link targets such as the seed's
	// `ln -s /var/lib/dcos/pki/tls/certs/docker-registry-ca.crt`.
	// Default "/var/lib/dcos/pki/tls/certs".
	Dir string
	// Host is the registry Decode attaches the CAs to, since the directory
	// does not say. Default "_default": every registry, as containerd's
	// certs.d/_default.
	Host string
}

var (
	_ Codec   = PKI{}
	_ Sniffer = PKI{}
	_ Linter  = PKI{}
)

// PKIDefaultDir is the DC/OS agent's trust directory.
const PKIDefaultDir = "/var/lib/dcos/pki/tls/certs"

// pkiLinkName matches OpenSSL hash-directory entries for certificates.
var pkiLinkName = regexp.MustCompile(`^([0-9a-f]{8})\.([0-9]+)$`)

func (PKI) Name() string { return "pki" }

func (c PKI) caFile() string {
	if c.CAFile == "" {
		return "docker-registry-ca.crt"
	}
	return c.CAFile
}

func (c PKI) dir() string {
	if c.Dir == "" {
		return PKIDefaultDir
	}
	return strings.TrimSuffix(c.Dir, "/")
}

// Encode writes one file per distinct CA certificate (sorted by host,
// then by order in the host's PEM) and a relative link per certificate;
// relative links keep working wherever the directory is copied to.
func (c PKI) Encode(d *Document) ([]File, error) {
	var certs []*x509.Certificate
	seen := map[string]bool{}
	hosts, err := certsdHosts(d, "pki")
	if err != nil {
		return nil, err
	}
	for _, h := range hosts {
		if len(h.ClientCert) > 0 || len(h.ClientKey) > 0 || h.SkipVerify || h.PlainHTTP {
			return nil, fmt.Errorf("pki: %s: the DC/OS pki directory holds CA certificates only; client certificates, skip-verify and plain HTTP go to the runtime (export --format certsd or hoststoml for them)", h.Host)
		}
		if len(h.CA) == 0 {
			continue
		}
		cs, err := certsdParseCerts(h.CA)
		if err != nil {
			return nil, fmt.Errorf("pki: %s: ca: %w", h.Host, err)
		}
		for _, cert := range cs {
			if !seen[string(cert.Raw)] {
				seen[string(cert.Raw)] = true
				certs = append(certs, cert)
			}
		}
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("pki: no CA certificate to write: the document has no host with a CA")
	}
	ext := path.Ext(c.caFile())
	stem := strings.TrimSuffix(c.caFile(), ext)
	used := map[uint32]int{}
	var out []File
	for i, cert := range certs {
		name := c.caFile()
		if i > 0 {
			name = stem + "-" + strconv.Itoa(i+1) + ext
		}
		h, err := SubjectHash(cert)
		if err != nil {
			return nil, fmt.Errorf("pki: %s: %w", name, err)
		}
		out = append(out,
			File{Path: name, Mode: 0o644, Data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})},
			File{Path: fmt.Sprintf("%08x.%d", h, used[h]), Mode: 0o777, Link: name})
		used[h]++ // a second CA with the same subject hash takes the next suffix
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Decode returns the certificates of every regular file as the CA of one
// Host (c.Host). Links are only an index and are checked by Lint.
func (c PKI) Decode(files []File) (*Document, error) {
	var ca []byte
	seen := map[string]bool{}
	for _, f := range files {
		if f.Link != "" {
			continue
		}
		certs, err := certsdParseCerts(f.Data)
		if err != nil {
			if pkiCertName(f.Path) {
				return nil, errorf(f.Path, "", "%v", err)
			}
			continue // other files may share the directory
		}
		for _, cert := range certs {
			if !seen[string(cert.Raw)] {
				seen[string(cert.Raw)] = true
				ca = append(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})...)
			}
		}
	}
	if len(ca) == 0 {
		return nil, errorf("", "", "pki: no CA certificate found: expected PEM files such as %s", c.caFile())
	}
	host := c.Host
	if host == "" {
		host = certsdDefaultHost
	}
	d := NewDocument()
	d.Hosts = []Host{{Host: host, CA: ca}}
	return d, nil
}

// pkiCertName reports whether a file is meant to hold certificates.
func pkiCertName(p string) bool {
	b := path.Base(p)
	return strings.HasSuffix(b, ".crt") || strings.HasSuffix(b, ".pem") || pkiLinkName.MatchString(b)
}

// Sniff recognises a hash link or the seed's file name.
func (c PKI) Sniff(f File) bool {
	b := path.Base(f.Path)
	if pkiLinkName.MatchString(b) {
		return f.Link != "" || bytes.Contains(f.Data, []byte("-----BEGIN CERTIFICATE-----"))
	}
	return f.Path == c.caFile() && bytes.Contains(f.Data, []byte("-----BEGIN CERTIFICATE-----"))
}

// Lint checks what OpenSSL's hash-directory lookup needs: every link named
// by its target's subject hash, no gaps in the .0, .1, ... suffixes (the
// lookup stops at the first missing one) and a link for every CA.
func (c PKI) Lint(files []File) []Finding {
	var out []Finding
	add := func(sev Severity, rule, file, msg, hint string) {
		out = append(out, Finding{Severity: sev, Rule: rule, File: file, Message: msg, Hint: hint})
	}
	byPath := map[string]File{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	indexed := map[string]bool{}   // "<dir>/<hash>" -> cert DERs reachable by it
	suffixes := map[string][]int{} // "<dir>/<hash>" -> suffixes present
	lnHint := func(target string) string {
		return fmt.Sprintf("recreate it: ln -sf %s \"$(openssl x509 -hash -noout -in %s).0\" (or let `regauth export --format pki` write the directory)", target, target)
	}
	for _, f := range files {
		m := pkiLinkName.FindStringSubmatch(path.Base(f.Path))
		if m == nil {
			continue
		}
		dir := path.Dir(f.Path)
		n, _ := strconv.Atoi(m[2])
		suffixes[dir+"/"+m[1]] = append(suffixes[dir+"/"+m[1]], n)
		data, target := f.Data, f.Link
		if f.Link != "" {
			t, ok := c.pkiResolve(dir, f.Link)
			if !ok {
				add(SevWarning, "link-outside-input", f.Path, "links to "+f.Link+", which is outside "+c.dir()+" and was not checked", "link to a certificate in the same directory")
				continue
			}
			tf, found := byPath[t]
			if !found {
				add(SevError, "dangling-link", f.Path, "links to "+f.Link+", which does not exist", "copy the CA certificate there, or "+lnHint(c.caFile()))
				continue
			}
			data = tf.Data
		} else {
			target = f.Path
		}
		certs, err := certsdParseCerts(data)
		if err != nil {
			add(SevError, "invalid-certificate", f.Path, "does not lead to a PEM certificate: "+err.Error(), "the link must point at the registry's CA certificate in PEM form")
			continue
		}
		match := false
		var want uint32
		for i, cert := range certs {
			h, err := SubjectHash(cert)
			if i == 0 {
				want = h
			}
			if err == nil && fmt.Sprintf("%08x", h) == m[1] {
				match = true
				indexed[dir+"/"+m[1]+"/"+string(cert.Raw)] = true
			}
		}
		if !match {
			add(SevError, "hash-mismatch", f.Path, fmt.Sprintf("is named for subject hash %s, but %s has subject hash %08x, so OpenSSL never finds this CA", m[1], target, want), lnHint(target))
		}
	}
	for key, ns := range suffixes {
		sort.Ints(ns)
		for i, n := range ns {
			if n != i {
				add(SevError, "hash-suffix-gap", key+"."+strconv.Itoa(n), fmt.Sprintf("suffix .%d exists but .%d does not; OpenSSL stops at the first missing suffix", n, i), fmt.Sprintf("rename it to %s.%d", path.Base(key), i))
				break
			}
		}
	}
	for _, f := range files {
		if f.Link != "" || pkiLinkName.MatchString(path.Base(f.Path)) {
			continue
		}
		certs, err := certsdParseCerts(f.Data)
		if err != nil {
			if pkiCertName(f.Path) {
				add(SevError, "invalid-certificate", f.Path, "is not a PEM certificate: "+err.Error(), "write the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)")
			}
			continue
		}
		for _, cert := range certs {
			h, err := SubjectHash(cert)
			if err != nil {
				add(SevError, "invalid-certificate", f.Path, err.Error(), "OpenSSL cannot load this certificate either")
				continue
			}
			if !indexed[fmt.Sprintf("%s/%08x/%s", path.Dir(f.Path), h, cert.Raw)] {
				add(SevError, "missing-hash-link", f.Path, fmt.Sprintf("CA %q has no link %08x.N, so OpenSSL's directory lookup never loads it", cert.Subject.String(), h), lnHint(path.Base(f.Path)))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// pkiResolve maps a link target to a path within the input.
func (c PKI) pkiResolve(dir, link string) (string, bool) {
	if path.IsAbs(link) {
		rel, ok := strings.CutPrefix(path.Clean(link), c.dir()+"/")
		return rel, ok
	}
	return path.Join(dir, link), true
}
