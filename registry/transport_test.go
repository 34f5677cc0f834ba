package registry

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadHostTLS(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	clientCert, clientKey := ca.issue(t, leafOptions{client: true})
	combined := append(append([]byte{}, clientCert...), clientKey...)
	const host = "reg.example:5000"

	docker := []string{"ROOT/docker"}
	containerd := []string{"ROOT/containerd"}
	tests := []struct {
		name        string
		host        string // default host
		files       map[string][]byte
		opts        TLSOptions // ROOT in paths is replaced by the test's directory
		wantTrust   bool
		wantCerts   int
		wantSkip    bool
		wantPlain   bool
		wantSources []string // after "system roots"
		wantErr     string   // substring; ROOT replaced
	}{
		{
			name:  "nothing configured",
			opts:  TLSOptions{CertsDirs: docker, HostsDirs: containerd},
			files: map[string][]byte{"docker/other:5000/ca.crt": ca.pem},
		},
		{
			name:        "ca file",
			files:       map[string][]byte{"ca.pem": ca.pem},
			opts:        TLSOptions{CAFile: "ROOT/ca.pem"},
			wantTrust:   true,
			wantSources: []string{"ca ROOT/ca.pem (--ca-file)"},
		},
		{
			name:    "ca file missing",
			opts:    TLSOptions{CAFile: "ROOT/nope.pem"},
			wantErr: "read ca file: open ROOT/nope.pem: no such file or directory",
		},
		{
			name:    "ca file without certificates",
			files:   map[string][]byte{"ca.pem": []byte("not a certificate\n")},
			opts:    TLSOptions{CAFile: "ROOT/ca.pem"},
			wantErr: "read ca file ROOT/ca.pem: no PEM certificate found",
		},
		{
			name: "docker certs.d ca and client pair",
			files: map[string][]byte{
				"docker/reg.example:5000/ca.crt":      ca.pem,
				"docker/reg.example:5000/client.cert": clientCert,
				"docker/reg.example:5000/client.key":  clientKey,
			},
			opts:      TLSOptions{CertsDirs: []string{"ROOT/missing", "ROOT/docker"}},
			wantTrust: true,
			wantCerts: 1,
			wantSources: []string{
				"ca ROOT/docker/reg.example:5000/ca.crt (docker certs.d)",
				"client certificate ROOT/docker/reg.example:5000/client.cert + ROOT/docker/reg.example:5000/client.key (docker certs.d)",
			},
		},
		{
			name:    "docker client cert without key",
			files:   map[string][]byte{"docker/reg.example:5000/ca.cert": ca.pem},
			opts:    TLSOptions{CertsDirs: docker},
			wantErr: "load client certificate ROOT/docker/reg.example:5000/ca.cert: missing key ROOT/docker/reg.example:5000/ca.key (CA certificates must end in .crt, not .cert)",
		},
		{
			name:    "docker key without cert",
			files:   map[string][]byte{"docker/reg.example:5000/client.key": clientKey},
			opts:    TLSOptions{CertsDirs: docker},
			wantErr: "load client key ROOT/docker/reg.example:5000/client.key: missing client certificate ROOT/docker/reg.example:5000/client.cert",
		},
		{
			name: "docker mismatched pair",
			files: map[string][]byte{
				"docker/reg.example:5000/client.cert": clientCert,
				"docker/reg.example:5000/client.key":  []byte("garbage"),
			},
			opts:    TLSOptions{CertsDirs: docker},
			wantErr: "load client certificate ROOT/docker/reg.example:5000/client.cert with key ROOT/docker/reg.example:5000/client.key: ",
		},
		{
			name:    "docker bad crt",
			files:   map[string][]byte{"docker/reg.example:5000/ca.crt": []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")},
			opts:    TLSOptions{CertsDirs: docker},
			wantErr: "read ca file ROOT/docker/reg.example:5000/ca.crt: x509: ",
		},
		{
			name: "hosts.toml server and host section",
			files: map[string][]byte{
				"containerd/reg.example:5000/ca.crt": ca.pem,
				"containerd/reg.example:5000/hosts.toml": []byte(`server = "https://reg.example:5000"
[host."https://reg.example:5000"]
  capabilities = ["pull", "resolve", "push"]
  ca = "ca.crt"
  client = [["ROOT/client.cert", "ROOT/client.key"]]
[host."https://mirror.example"]
  ca = "/does/not/matter.crt"
`),
				"client.cert": clientCert,
				"client.key":  clientKey,
			},
			opts:      TLSOptions{HostsDirs: containerd},
			wantTrust: true,
			wantCerts: 1,
			wantSources: []string{
				`ca ROOT/containerd/reg.example:5000/ca.crt (ROOT/containerd/reg.example:5000/hosts.toml [host."https://reg.example:5000"])`,
				`client certificate ROOT/client.cert (ROOT/containerd/reg.example:5000/hosts.toml [host."https://reg.example:5000"])`,
			},
		},
		{
			name: "hosts.toml top level with combined client file and skip_verify",
			files: map[string][]byte{
				"containerd/reg.example:5000/hosts.toml": []byte("ca = [\"ROOT/ca.pem\"]\nclient = \"ROOT/combined.pem\"\nskip_verify = true\n"),
				"ca.pem":                                 ca.pem,
				"combined.pem":                           combined,
			},
			opts:      TLSOptions{HostsDirs: containerd},
			wantTrust: true,
			wantCerts: 1,
			wantSkip:  true,
			wantSources: []string{
				"ca ROOT/ca.pem (ROOT/containerd/reg.example:5000/hosts.toml)",
				"client certificate ROOT/combined.pem (ROOT/containerd/reg.example:5000/hosts.toml)",
				"skip_verify = true (ROOT/containerd/reg.example:5000/hosts.toml)",
			},
		},
		{
			name:        "hosts.toml plain http server",
			files:       map[string][]byte{"containerd/reg.example:5000/hosts.toml": []byte(`server = "http://reg.example:5000"` + "\n")},
			opts:        TLSOptions{HostsDirs: containerd},
			wantPlain:   true,
			wantSources: []string{`plain http: server = "http://reg.example:5000" (ROOT/containerd/reg.example:5000/hosts.toml)`},
		},
		{
			name:        "hosts.toml for another server",
			files:       map[string][]byte{"containerd/reg.example:5000/hosts.toml": []byte("server = \"https://upstream.example\"\nca = \"/nope\"\n")},
			opts:        TLSOptions{HostsDirs: containerd},
			wantSources: []string{"top-level settings of ROOT/containerd/reg.example:5000/hosts.toml are for server https://upstream.example, not reg.example:5000"},
		},
		{
			name: "containerd host_port_ spelling wins over host:port",
			files: map[string][]byte{
				"containerd/reg.example_5000_/hosts.toml": []byte("skip_verify = true\n"),
				"containerd/reg.example:5000/hosts.toml":  []byte("ca = \"/nope\"\n"),
			},
			opts:        TLSOptions{HostsDirs: containerd},
			wantSkip:    true,
			wantSources: []string{"skip_verify = true (ROOT/containerd/reg.example_5000_/hosts.toml)"},
		},
		{
			name: "containerd _default fallback",
			files: map[string][]byte{
				"containerd/_default/hosts.toml": []byte("ca = \"ca.crt\"\n"),
				"containerd/_default/ca.crt":     ca.pem,
			},
			opts:        TLSOptions{HostsDirs: []string{"ROOT/other", "ROOT/containerd"}},
			wantTrust:   true,
			wantSources: []string{"ca ROOT/containerd/_default/ca.crt (ROOT/containerd/_default/hosts.toml)"},
		},
		{
			name:        "containerd dir without hosts.toml uses docker rules",
			files:       map[string][]byte{"containerd/reg.example:5000/my-ca.crt": ca.pem},
			opts:        TLSOptions{HostsDirs: containerd},
			wantTrust:   true,
			wantSources: []string{"ca ROOT/containerd/reg.example:5000/my-ca.crt (containerd certs.d)"},
		},
		{
			name:        "host with default https port matches server without port",
			host:        "reg.example:443",
			files:       map[string][]byte{"containerd/reg.example:443/hosts.toml": []byte("server = \"https://reg.example\"\nskip_verify = true\n")},
			opts:        TLSOptions{HostsDirs: containerd},
			wantSkip:    true,
			wantSources: []string{"skip_verify = true (ROOT/containerd/reg.example:443/hosts.toml)"},
		},
		{
			name:    "hosts.toml syntax error",
			files:   map[string][]byte{"containerd/reg.example:5000/hosts.toml": []byte("server = \n")},
			opts:    TLSOptions{HostsDirs: containerd},
			wantErr: "parse ROOT/containerd/reg.example:5000/hosts.toml:1:",
		},
		{
			name:    "hosts.toml ca of wrong type",
			files:   map[string][]byte{"containerd/reg.example:5000/hosts.toml": []byte("ca = 3\n")},
			opts:    TLSOptions{HostsDirs: containerd},
			wantErr: "parse ROOT/containerd/reg.example:5000/hosts.toml: ca: want a path or a list of paths, got int64",
		},
		{
			name:    "hosts.toml ca missing",
			files:   map[string][]byte{"containerd/reg.example:5000/hosts.toml": []byte("ca = \"gone.crt\"\n")},
			opts:    TLSOptions{HostsDirs: containerd},
			wantErr: "ROOT/containerd/reg.example:5000/hosts.toml: read ca file: open ROOT/containerd/reg.example:5000/gone.crt: no such file or directory",
		},
		{
			name:    "hosts.toml bad client pair",
			files:   map[string][]byte{"containerd/reg.example:5000/hosts.toml": []byte("client = [[\"a\", \"b\", \"c\"]]\n")},
			opts:    TLSOptions{HostsDirs: containerd},
			wantErr: "parse ROOT/containerd/reg.example:5000/hosts.toml: client: want [cert, key] pairs, got 3 elements",
		},
		{
			name:    "hosts.toml bad host key",
			files:   map[string][]byte{"containerd/reg.example:5000/hosts.toml": []byte("[host.\"ftp://x\"]\n")},
			opts:    TLSOptions{HostsDirs: containerd},
			wantErr: `parse ROOT/containerd/reg.example:5000/hosts.toml: [host."ftp://x"]: scheme "ftp" is not http or https`,
		},
		{
			name:        "insecure",
			opts:        TLSOptions{Insecure: true},
			wantSkip:    true,
			wantSources: []string{"skip verification and allow plain http (--insecure)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			fix := func(s string) string { return strings.ReplaceAll(s, "ROOT", root) }
			m := map[string][]byte{}
			for k, v := range tt.files {
				m[k] = []byte(fix(string(v)))
			}
			files(t, root, m)
			opts := tt.opts
			opts.CAFile = fix(opts.CAFile)
			opts.CertsDirs = fixAll(fix, opts.CertsDirs)
			opts.HostsDirs = fixAll(fix, opts.HostsDirs)
			h := host
			if tt.host != "" {
				h = tt.host
			}

			got, err := LoadHostTLS(h, opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), fix(tt.wantErr)) {
					t.Fatalf("LoadHostTLS() error = %v, want one containing %q", err, fix(tt.wantErr))
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadHostTLS(): %v", err)
			}
			wantSources := append([]string{"system roots"}, fixAll(fix, tt.wantSources)...)
			if diff := cmp.Diff(wantSources, got.Sources); diff != "" {
				t.Errorf("Sources mismatch (-want +got):\n%s", diff)
			}
			if trusted := trusts(t, got.RootCAs, ca); trusted != tt.wantTrust {
				t.Errorf("trusts test CA = %v, want %v", trusted, tt.wantTrust)
			}
			if len(got.Certificates) != tt.wantCerts {
				t.Errorf("client certificates = %d, want %d", len(got.Certificates), tt.wantCerts)
			}
			if got.SkipVerify != tt.wantSkip || got.PlainHTTP != tt.wantPlain {
				t.Errorf("SkipVerify, PlainHTTP = %v, %v; want %v, %v", got.SkipVerify, got.PlainHTTP, tt.wantSkip, tt.wantPlain)
			}
		})
	}
}

func fixAll(fix func(string) string, in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, fix(s))
	}
	return out
}

func TestValidateHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		ok   bool
	}{
		{"registry.example", true},
		{"registry.example:5000", true},
		{"[::1]:5000", true},
		{"127.0.0.1:5000", true},
		{"", false},
		{"::1", false},
		{"https://registry.example", false},
		{"registry.example/path", false},
		{"../etc", false},
		{"registry.example:", false},
		{"user@registry.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			err := validateHost(tt.host)
			if (err == nil) != tt.ok {
				t.Fatalf("validateHost(%q) = %v, want ok=%v", tt.host, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidHost) {
				t.Errorf("validateHost(%q) = %v, want ErrInvalidHost", tt.host, err)
			}
		})
	}
}

func TestTransportForKeepsBase(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	base := &http.Transport{MaxIdleConns: 7}
	base.TLSClientConfig = ca.clientConfigTrusting(t)
	rt, sources, err := TransportFor("reg.example", TLSOptions{Insecure: true}, base)
	if err != nil {
		t.Fatal(err)
	}
	tr := rt.(*http.Transport)
	if tr == base || tr.MaxIdleConns != 7 {
		t.Errorf("TransportFor did not clone the base transport")
	}
	if !tr.TLSClientConfig.InsecureSkipVerify || base.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("InsecureSkipVerify: got %v on the result, %v on the base; want true, false",
			tr.TLSClientConfig.InsecureSkipVerify, base.TLSClientConfig.InsecureSkipVerify)
	}
	if !trusts(t, tr.TLSClientConfig.RootCAs, ca) {
		t.Errorf("the base's root CAs were dropped")
	}
	if len(sources) != 2 {
		t.Errorf("sources = %q, want system roots and --insecure", sources)
	}
}
