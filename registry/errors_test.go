package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"no query", "https://auth.example/token", "https://auth.example/token"},
		{"keeps ordinary params", "https://a/token?service=reg&scope=repository%3Aa%3Apull", "https://a/token?scope=repository%3Aa%3Apull&service=reg"},
		{"token params", "https://a/blob?token=abc&access_token=def&X-Amz-Signature=sig", "https://a/blob?X-Amz-Signature=REDACTED&access_token=REDACTED&token=REDACTED"},
		{"password in user info", "https://bob:hunter2@a/v2/", "https://bob:REDACTED@a/v2/"},
		{"password param", "https://a/?password=hunter2&account=bob", "https://a/?account=bob&password=REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := redactURL(u); got != tt.want {
				t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactURLError(t *testing.T) {
	t.Parallel()
	err := redactURLError(&url.Error{Op: "Get", URL: "https://a/x?token=s3cr3t", Err: errors.New("boom")})
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("redactURLError kept the token: %v", err)
	}
}

func TestDiagnostic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, code, msg string
	}{
		{"distribution", `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}`, "UNAUTHORIZED", "authentication required"},
		{"distribution code only", `{"errors":[{"code":"DENIED"}]}`, "DENIED", "denied"},
		{"oauth2", `{"error":"invalid_grant","error_description":"incorrect username or password"}`, "invalid_grant", "incorrect username or password"},
		{"oauth2 without description", `{"error":"invalid_client"}`, "invalid_client", "invalid_client"},
		{"docker hub details", `{"details":"incorrect username or password"}`, "", "incorrect username or password"},
		{"plain text", "401 Unauthorized\nmore lines\n", "", "401 Unauthorized"},
		{"html page", "<html><body>nginx</body></html>", "", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, msg := diagnostic([]byte(tt.body))
			if diff := cmp.Diff([2]string{tt.code, tt.msg}, [2]string{code, msg}); diff != "" {
				t.Errorf("diagnostic(%q) mismatch (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func TestResponseErrorIsUnauthorized(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *ResponseError
		want bool
	}{
		{"401", &ResponseError{StatusCode: 401}, true},
		{"403", &ResponseError{StatusCode: 403}, true},
		{"400 invalid_grant", &ResponseError{StatusCode: 400, Code: "invalid_grant"}, true},
		{"400 invalid_request", &ResponseError{StatusCode: 400, Code: "invalid_request"}, false},
		{"404", &ResponseError{StatusCode: 404}, false},
		{"500", &ResponseError{StatusCode: 500}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wrapped := fmt.Errorf("log in to x: %w", tt.err)
			if got := errors.Is(wrapped, ErrUnauthorized); got != tt.want {
				t.Errorf("errors.Is(%v, ErrUnauthorized) = %v, want %v", wrapped, got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	const host = "reg.example:5000"
	tests := []struct {
		name     string
		err      error
		wantKind string // "" = no HintError
		wantHint []string
	}{
		{
			name:     "plain http",
			err:      &url.Error{Op: "Get", URL: "https://reg.example:5000/v2/", Err: errors.New("http: server gave HTTP response to HTTPS client")},
			wantKind: KindPlainHTTP,
			wantHint: []string{"--insecure", "/etc/docker/daemon.json", `server = "http://reg.example:5000"`},
		},
		{
			name:     "unknown authority inside verification error",
			err:      &url.Error{Op: "Get", URL: "https://x/v2/", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}},
			wantKind: KindUnknownCA,
			wantHint: []string{"--ca-file FILE", "/etc/docker/certs.d/reg.example:5000/ca.crt", "~/.config/containerd/certs.d/reg.example:5000/hosts.toml"},
		},
		{
			name:     "hostname mismatch",
			err:      x509.HostnameError{Certificate: &x509.Certificate{DNSNames: []string{"other.example"}}, Host: "reg.example"},
			wantKind: KindHostnameMismatch,
			wantHint: []string{"other.example", `"reg.example"`},
		},
		{
			name:     "expired",
			err:      x509.CertificateInvalidError{Reason: x509.Expired},
			wantKind: KindExpired,
			wantHint: []string{"clock"},
		},
		{
			name:     "refused",
			err:      &net.OpError{Op: "dial", Net: "tcp", Err: &net.OpError{Err: syscall.ECONNREFUSED}},
			wantKind: KindRefused,
		},
		{
			name:     "dns",
			err:      &net.DNSError{Err: "no such host", Name: "reg.example", IsNotFound: true},
			wantKind: KindDNS,
			wantHint: []string{"reg.example does not resolve"},
		},
		{
			name:     "timeout",
			err:      fmt.Errorf("get: %w", context.DeadlineExceeded),
			wantKind: KindTimeout,
		},
		{
			name: "canceled",
			err:  context.Canceled,
		},
		{
			name: "other",
			err:  errors.New("something else"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := classify("ping "+host, host, tt.err)
			var h *HintError
			if !errors.As(err, &h) {
				if tt.wantKind != "" {
					t.Fatalf("classify() = %v, want a HintError of kind %s", err, tt.wantKind)
				}
				if !strings.HasPrefix(err.Error(), "ping "+host+": ") {
					t.Errorf("classify() = %q, want it prefixed with the operation", err)
				}
				return
			}
			if h.Kind != tt.wantKind {
				t.Fatalf("classify() kind = %q, want %q", h.Kind, tt.wantKind)
			}
			for _, s := range tt.wantHint {
				if !strings.Contains(h.Hint(), s) {
					t.Errorf("Hint() = %q, want it to contain %q", h.Hint(), s)
				}
			}
			cause := tt.err
			if ue, ok := cause.(*url.Error); ok {
				cause = ue.Err // the *url.Error itself is replaced by a redacted copy
			}
			if !errors.Is(err, cause) {
				t.Errorf("classify() does not wrap the cause")
			}
		})
	}
}

// TestPingCertificateProblems uses real TLS handshakes for the certificate
// failures a registry cannot be configured to produce.
func TestPingCertificateProblems(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	tests := []struct {
		name     string
		leaf     leafOptions
		wantKind string
	}{
		{"valid", leafOptions{ips: []net.IP{net.IPv4(127, 0, 0, 1)}}, ""},
		{"hostname mismatch", leafOptions{dns: []string{"other.example"}}, KindHostnameMismatch},
		{"expired", leafOptions{ips: []net.IP{net.IPv4(127, 0, 0, 1)}, notAfter: time.Now().Add(-time.Hour)}, KindExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
			}))
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.serverTLS(t, tt.leaf)}, MinVersion: tls.VersionTLS12}
			srv.Config.ErrorLog = quietLog()
			srv.StartTLS()
			t.Cleanup(srv.Close)
			host := strings.TrimPrefix(srv.URL, "https://")
			c := &Client{HTTP: &http.Client{Transport: &http.Transport{TLSClientConfig: ca.clientConfigTrusting(t)}}}
			res, err := c.Ping(context.Background(), host)
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("Ping(): %v", err)
				}
				want := &PingResult{Scheme: "https", StatusCode: 401, Challenges: []Challenge{{Scheme: "basic", Params: map[string]string{"realm": "test"}}}}
				if diff := cmp.Diff(want, res); diff != "" {
					t.Errorf("Ping() mismatch (-want +got):\n%s", diff)
				}
				return
			}
			wantHint(t, err, tt.wantKind)
		})
	}
}
