package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// Kinds of HintError, for callers that branch on the cause.
const (
	KindPlainHTTP        = "plain-http"
	KindUnknownCA        = "unknown-ca"
	KindHostnameMismatch = "hostname-mismatch"
	KindExpired          = "expired-certificate"
	KindBadCertificate   = "bad-certificate"
	KindRefused          = "connection-refused"
	KindDNS              = "dns"
	KindTimeout          = "timeout"
	KindTokenServer      = "token-server-unreachable"
)

// classify turns a transport error talking to host into a HintError when it
// is one of the mistakes users make; other errors are returned wrapped in op.
func classify(op, host string, err error) error {
	err = redactURLError(err)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	h := &HintError{Op: op, Err: err}
	var (
		unknownCA  x509.UnknownAuthorityError
		unknownCAP *x509.UnknownAuthorityError
		hostname   x509.HostnameError
		hostnameP  *x509.HostnameError
		invalid    x509.CertificateInvalidError
		invalidP   *x509.CertificateInvalidError
		recordHdr  tls.RecordHeaderError
		dnsErr     *net.DNSError
		netErr     net.Error
	)
	switch {
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"),
		errors.As(err, &recordHdr) && looksLikeHTTP(recordHdr.RecordHeader[:]):
		h.Kind = KindPlainHTTP
		h.Fix = fmt.Sprintf("the registry %s speaks plain HTTP, not HTTPS. Give regauth --insecure; "+
			"for docker add \"insecure-registries\": [%q] to /etc/docker/daemon.json and restart dockerd; "+
			"for containerd put server = \"http://%s\" in /etc/containerd/certs.d/%s/hosts.toml. "+
			"Better: serve the registry over TLS", host, host, host, host)
	case errors.As(err, &unknownCA), errors.As(err, &unknownCAP):
		h.Kind = KindUnknownCA
		h.Fix = fmt.Sprintf("the certificate of %s is signed by an authority this machine does not trust. "+
			"Give regauth --ca-file FILE with the registry's CA certificate; "+
			"for docker install it as /etc/docker/certs.d/%s/ca.crt; "+
			"for containerd set ca = \"/path/to/ca.crt\" in ~/.config/containerd/certs.d/%s/hosts.toml "+
			"(/etc/containerd/certs.d/%s/hosts.toml when rootful). --insecure skips verification, which is unsafe",
			host, host, host, host)
	case errors.As(err, &hostname), errors.As(err, &hostnameP):
		if hostnameP == nil {
			hostnameP = &hostname
		}
		h.Kind = KindHostnameMismatch
		h.Fix = fmt.Sprintf("the certificate %s presents is not issued for that name%s. "+
			"Use a registry name the certificate lists, or reissue the certificate with %q in its subjectAltName",
			host, certNames(hostnameP.Certificate), hostOnly(host))
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired,
		errors.As(err, &invalidP) && invalidP.Reason == x509.Expired:
		h.Kind = KindExpired
		h.Fix = fmt.Sprintf("the certificate of %s has expired or is not valid yet. "+
			"Check this machine's clock (date -u) and renew the registry's certificate", host)
	case errors.As(err, &invalid), errors.As(err, &invalidP):
		h.Kind = KindBadCertificate
		h.Fix = fmt.Sprintf("the certificate chain of %s is not valid for a TLS server; "+
			"check the registry's certificate and the CA given with --ca-file or certs.d", host)
	case errors.Is(err, syscall.ECONNREFUSED):
		h.Kind = KindRefused
		h.Fix = fmt.Sprintf("nothing accepts connections at %s. Check the host and port "+
			"(registries commonly listen on 443 or 5000) and that the registry is running", host)
	case errors.As(err, &dnsErr):
		h.Kind = KindDNS
		h.Fix = fmt.Sprintf("the name %s does not resolve. Check its spelling, DNS and /etc/hosts", hostOnly(host))
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		h.Kind = KindTimeout
		h.Fix = fmt.Sprintf("%s did not answer in time. Check firewalls and any HTTP(S) proxy between here and the registry", host)
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
	return h
}

// looksLikeHTTP reports whether the first bytes a TLS client read are the
// start of an HTTP response.
func looksLikeHTTP(b []byte) bool { return string(b) == "HTTP/" }

func certNames(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	if len(names) == 0 {
		return ""
	}
	return " (it is for " + strings.Join(names, ", ") + ")"
}

// hostOnly strips the port from host ("[::1]:5000" → "::1").
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.Trim(host, "[]")
}

// tokenServerError reports that the token service named by a registry's
// challenge failed; the registry itself answered, so the hint must not send
// the user looking at the registry's address.
func tokenServerError(host string, realm *url.URL, err error) error {
	op := "fetch token from " + redactURL(realm)
	cerr := classify(op, realm.Host, err)
	if errors.Is(cerr, context.Canceled) {
		return cerr
	}
	realmText := redactURL(realm)
	unreachable := fmt.Sprintf("the registry %s answered and sent clients to its token service %s, "+
		"which could not be reached. Check that the token service runs and that the registry's "+
		"token realm (distribution's auth.token.realm) is an address reachable from here", host, realmText)
	var h *HintError
	if !errors.As(cerr, &h) {
		return &HintError{Op: op, Err: redactURLError(err), Kind: KindTokenServer, Fix: unreachable}
	}
	switch h.Kind {
	case KindRefused, KindDNS, KindTimeout:
		h.Kind, h.Fix = KindTokenServer, unreachable
	default: // a TLS problem of the token service: classify's advice, for its host
		h.Fix = fmt.Sprintf("the registry %s sends clients to the token service %s: %s", host, realmText, h.Fix)
	}
	return h
}
