package diagnose

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/regauth/regauth/format"
	"github.com/regauth/regauth/registry"
)

// tlsStep looks at the certificate chain the registry presents, without
// trusting it: who it is for, who issued it, when it expires. Whether it is
// trusted is the registry step's business (it uses the configured CAs).
func (d *run) tlsStep(ctx context.Context, host string) {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		h, port = host, "443"
	}
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: d.o.DialTimeout}, Config: &tls.Config{InsecureSkipVerify: true, ServerName: h}} //nolint:gosec // inspection only
	dctx, cancel := context.WithTimeout(ctx, d.o.DialTimeout)
	defer cancel()
	conn, err := dialer.DialContext(dctx, "tcp", net.JoinHostPort(h, port))
	if err != nil {
		var rhe tls.RecordHeaderError
		if errors.As(err, &rhe) {
			d.add(Step{Name: "tls", Status: Warning, Detail: "the registry answers in plain HTTP, not TLS"})
			return
		}
		d.add(Step{Name: "tls", Status: Failed, Detail: fmt.Sprintf("TLS handshake with %s: %v", host, err)})
		return
	}
	chain := conn.(*tls.Conn).ConnectionState().PeerCertificates
	conn.Close()
	if len(chain) == 0 {
		d.add(Step{Name: "tls", Status: Failed, Detail: "the registry presented no certificate"})
		return
	}
	leaf, top := chain[0], chain[len(chain)-1]
	d.presented = top
	s := Step{Name: "tls", Status: OK,
		Detail: fmt.Sprintf("certificate for %s issued by %s, valid until %s", names(leaf), top.Issuer.String(), leaf.NotAfter.UTC().Format(time.DateOnly)),
		Facts:  map[string]string{"subject": leaf.Subject.String(), "issuer": leaf.Issuer.String(), "not_after": leaf.NotAfter.UTC().Format(time.RFC3339), "chain_length": fmt.Sprint(len(chain))}}
	now := d.o.Now()
	switch {
	case now.After(leaf.NotAfter) || now.Before(leaf.NotBefore):
		s.Status, s.Hint = Failed, "the certificate is outside its validity period: renew it (or fix this machine's clock)"
	case leaf.NotAfter.Sub(now) < 14*24*time.Hour:
		s.Status, s.Hint = Warning, "the certificate expires in less than two weeks: renew it"
	}
	if err := leaf.VerifyHostname(h); err != nil {
		s.Status, s.Hint = Failed, fmt.Sprintf("the certificate is not for %s (%v): use the name it was issued for, or reissue it with this name in its SANs", h, err)
	}
	d.add(s)
}

func names(c *x509.Certificate) string {
	n := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		n = append(n, ip.String())
	}
	if len(n) == 0 {
		return c.Subject.CommonName
	}
	return strings.Join(n, ", ")
}

// caFiles renders, with the format codecs, the files that make docker and
// containerd trust the CA the registry presented.
func caFiles(host string, ca *x509.Certificate) string {
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
	doc := &format.Document{Hosts: []format.Host{{Host: host, CA: caPEM}}}
	var b strings.Builder
	if files, err := (format.HostsTOML{Root: "/etc/containerd/certs.d"}).Encode(doc); err == nil {
		for _, f := range files {
			if strings.HasSuffix(f.Path, "hosts.toml") {
				fmt.Fprintf(&b, "containerd/nerdctl: /etc/containerd/certs.d/%s (and ca.crt beside it):\n%s", f.Path, f.Data)
			}
		}
	}
	fmt.Fprintf(&b, "docker: /etc/docker/certs.d/%s/ca.crt holding the registry's CA (issuer %q).\n", host, ca.Subject.String())
	fmt.Fprintf(&b, "Only if you trust it: save the CA and run regauth export -f certsd -r %s --ca-file CA -o /etc/docker/certs.d (or -f hoststoml), or pass --ca-file CA", host)
	return b.String()
}

// isUnknownCA reports whether err is the registry step's unknown-CA failure.
func isUnknownCA(err error) bool {
	var h *registry.HintError
	return errors.As(err, &h) && h.Kind == registry.KindUnknownCA
}
