package format

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/google/go-cmp/cmp"
)

var hoststomlUpdate = flag.Bool("update-hoststoml", false, "rewrite testdata/hoststoml golden files")

// hoststomlDoc covers every Host setting: CA, client pair, skip-verify,
// plain HTTP, Docker Hub and the _default directory.
func hoststomlDoc(t testing.TB) *Document {
	d := certsdTLSDoc(t)
	d.Hosts = append(d.Hosts,
		Host{Host: "insecure.example.com", SkipVerify: true},
		Host{Host: "10.0.0.7:5000", PlainHTTP: true},
		Host{Host: "index.docker.io", CA: certsdFixture(t, "ca.pem")},
		Host{Host: "_default", CA: certsdFixture(t, "ca2.pem"), SkipVerify: true},
	)
	return d
}

func TestHostsTOMLGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		codec HostsTOML
	}{
		{"relative", HostsTOML{}},
		{"root", HostsTOML{Root: "/etc/containerd/certs.d"}},
		{"underscore", HostsTOML{Underscore: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, err := tt.codec.Encode(hoststomlDoc(t))
			if err != nil {
				t.Fatal(err)
			}
			again, _ := tt.codec.Encode(hoststomlDoc(t))
			if !cmp.Equal(files, again) {
				t.Error("Encode is not deterministic")
			}
			certsdGolden(t, "hoststoml/"+tt.name+".golden", *hoststomlUpdate, certsdDump(files))
		})
	}
}

func TestHostsTOMLRoundTrip(t *testing.T) {
	t.Parallel()
	for _, codec := range []HostsTOML{{}, {Root: "/etc/containerd/certs.d"}, {Underscore: true}} {
		files, err := codec.Encode(hoststomlDoc(t))
		if err != nil {
			t.Fatal(err)
		}
		got, err := codec.Decode(files)
		if err != nil {
			t.Fatal(err)
		}
		want := []Host{
			{Host: "10.0.0.7:5000", PlainHTTP: true},
			{Host: "_default", CA: certsdFixture(t, "ca2.pem"), SkipVerify: true},
			{Host: "docker.io", CA: certsdFixture(t, "ca.pem")},
			{Host: "insecure.example.com", SkipVerify: true},
			{Host: "quay.example.org", CA: certsdFixture(t, "ca2.pem")},
			{Host: "registry.example.com:5000", CA: certsdFixture(t, "ca.pem"), ClientCert: certsdFixture(t, "client.pem"), ClientKey: certsdFixture(t, "client.key")},
		}
		if diff := cmp.Diff(want, got.Hosts, certsdIgnoreSource); diff != "" {
			t.Errorf("%+v round trip (-want +got):\n%s", codec, diff)
		}
	}
}

// TestHostsTOMLContainerdLoads installs the output and resolves every
// host with containerd's own loader.
func TestHostsTOMLContainerdLoads(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"relative", "root", "underscore"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			codec := HostsTOML{Underscore: mode == "underscore"}
			if mode == "root" {
				codec.Root = dir
			}
			files, err := codec.Encode(hoststomlDoc(t))
			if err != nil {
				t.Fatal(err)
			}
			certsdWriteTree(t, dir, files)
			resolve := config.ConfigureHosts(context.Background(), config.HostOptions{HostDir: config.HostDirFromRoot(dir)})
			tests := []struct {
				lookup, scheme, host string
				ca                   []byte
				clients              int
				skip                 bool
			}{
				{"registry.example.com:5000", "https", "registry.example.com:5000", certsdFixture(t, "ca.pem"), 1, false},
				{"quay.example.org", "https", "quay.example.org", certsdFixture(t, "ca2.pem"), 0, false},
				{"insecure.example.com", "https", "insecure.example.com", nil, 0, true},
				{"10.0.0.7:5000", "http", "10.0.0.7:5000", nil, 0, false},
				{"docker.io", "https", "registry-1.docker.io", certsdFixture(t, "ca.pem"), 0, false},
				{"elsewhere.example.net", "https", "elsewhere.example.net", certsdFixture(t, "ca2.pem"), 0, true},
			}
			for _, tt := range tests {
				hosts, err := resolve(tt.lookup)
				if err != nil {
					t.Fatalf("%s: %v", tt.lookup, err)
				}
				h := hosts[0]
				if h.Scheme != tt.scheme || h.Host != tt.host {
					t.Errorf("%s: containerd uses %s://%s, want %s://%s", tt.lookup, h.Scheme, h.Host, tt.scheme, tt.host)
				}
				tr, _ := h.Client.Transport.(*http.Transport)
				if tr == nil {
					t.Fatalf("%s: transport %T", tt.lookup, h.Client.Transport)
				}
				tc := tr.TLSClientConfig
				if tt.ca != nil && !certsdPoolHas(t, tc.RootCAs, tt.ca) {
					t.Errorf("%s: CA not in RootCAs", tt.lookup)
				}
				if len(tc.Certificates) != tt.clients || tc.InsecureSkipVerify != tt.skip {
					t.Errorf("%s: %d client certs, skip_verify %v; want %d, %v", tt.lookup, len(tc.Certificates), tc.InsecureSkipVerify, tt.clients, tt.skip)
				}
			}
		})
	}
}

func TestHostsTOMLDecode(t *testing.T) {
	t.Parallel()
	ca, cert, key := certsdFixture(t, "ca.pem"), certsdFixture(t, "client.pem"), certsdFixture(t, "client.key")
	tests := []struct {
		name  string
		files []File
		want  []Host
		err   string
	}{
		{"seed single file", []File{{Path: "", Data: []byte("server = \"https://192.168.12.34:5000\"\n[host.\"https://192.168.12.34:5000\"]\n  ca = \"/path/to/ca.crt\"\n")}},
			[]Host{{Host: "192.168.12.34:5000"}}, ""},
		{"combined client pem", []File{{Path: "reg/hosts.toml", Data: []byte("server = \"reg\"\nclient = \"both.pem\"\n")}, {Path: "reg/both.pem", Data: append(append([]byte{}, cert...), key...)}},
			[]Host{{Host: "reg", ClientCert: cert, ClientKey: key}}, ""},
		{"docker layout fallback", []File{{Path: "reg_5000_/ca.crt", Data: ca}}, []Host{{Host: "reg:5000", CA: ca}}, ""},
		{"missing ca", []File{{Path: "reg/hosts.toml", Data: []byte("server = \"https://reg\"\nca = \"ca.crt\"\n")}}, nil, "ca.crt does not exist"},
		{"syntax", []File{{Path: "reg/hosts.toml", Data: []byte("server = \n")}}, nil, "line 1"},
		{"planted key in bad pair", []File{{Path: "reg/hosts.toml", Data: []byte("client = [[\"c\", \"k\"]]\n")}, {Path: "reg/c", Data: ca}, {Path: "reg/k", Data: key}}, nil, "client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := HostsTOML{}.Decode(tt.files)
			if tt.err != "" {
				var fe *Error
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), certsdKeyLine(key)) {
					t.Fatalf("error = %v, want *Error containing %q and no key", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, d.Hosts, certsdIgnoreSource); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHostsTOMLLint(t *testing.T) {
	t.Parallel()
	ca, key := certsdFixture(t, "ca.pem"), certsdFixture(t, "client.key")
	toml := func(s string, more ...File) []File {
		return append([]File{{Path: "reg:5000/hosts.toml", Data: []byte(s)}}, more...)
	}
	tests := []struct {
		name, rule, field string
		files             []File
	}{
		{"toml-syntax", "toml-syntax", "line 2, column 7", toml("server = \"https://reg:5000\"\nca = [\n")},
		{"unknown-key", "unknown-key", "line 3", toml("server = \"https://reg:5000\"\n[host.\"https://reg:5000\"]\n  username = \"bob\"\n")},
		{"invalid-capability", "invalid-capability", `host."https://reg:5000".capabilities`, toml("server = \"https://reg:5000\"\n[host.\"https://reg:5000\"]\n  capabilities = [\"pull\", \"pul\"]\n")},
		{"invalid-value", "invalid-value", "ca", toml("server = \"https://reg:5000\"\nca = 5\n")},
		{"missing-file", "missing-file", "ca", toml("server = \"https://reg:5000\"\nca = \"ca.crt\"\n")},
		{"file-outside-input", "file-outside-input", "ca", toml("server = \"https://reg:5000\"\nca = \"/path/to/ca.crt\"\n")},
		{"scheme mismatch", "server-scheme-mismatch", `host."http://reg:5000"`, toml("server = \"https://reg:5000\"\n[host.\"http://reg:5000\"]\n")},
		{"tls on http", "server-scheme-mismatch", "ca", toml("server = \"http://reg:5000\"\nca = \"ca.crt\"\n", File{Path: "reg:5000/ca.crt", Data: ca})},
		{"invalid-certificate", "invalid-certificate", "ca", toml("server = \"https://reg:5000\"\nca = \"ca.crt\"\n", File{Path: "reg:5000/ca.crt", Data: []byte("x")})},
		{"client-pair-mismatch", "client-pair-mismatch", "client", toml("server = \"https://reg:5000\"\nclient = [[\"c\", \"k\"]]\n", File{Path: "reg:5000/c", Data: ca}, File{Path: "reg:5000/k", Data: key})},
		{"invalid-server", "invalid-server", "server", toml("server = \"ftp://reg:5000\"\n")},
		{"invalid-host-dir", "invalid-host-dir", "", []File{{Path: "https:reg/hosts.toml", Data: []byte("server = \"https://reg\"\n")}}},
		{"docker layout", "missing-client-key", "", []File{{Path: "reg/ca.cert", Data: ca}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := HostsTOML{}.Lint(tt.files)
			var hit *Finding
			for i := range fs {
				if fs[i].Rule == tt.rule {
					hit = &fs[i]
				}
				if strings.Contains(fs[i].String(), certsdKeyLine(key)) {
					t.Errorf("finding leaks the key: %v", fs[i])
				}
			}
			if hit == nil {
				t.Fatalf("findings %v lack rule %s", fs, tt.rule)
			}
			if hit.Field != tt.field || hit.File == "" || hit.Hint == "" {
				t.Errorf("finding %+v: want field %q, a file and a hint", *hit, tt.field)
			}
		})
	}
	files, _ := HostsTOML{}.Encode(hoststomlDoc(t))
	if fs := (HostsTOML{}).Lint(files); len(fs) != 0 {
		t.Errorf("our own output has findings: %v", fs)
	}
}

func TestHostsTOMLSniff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    File
		want bool
	}{
		{File{Path: "reg:5000/hosts.toml"}, true},
		{File{Path: "", Data: []byte("server = \"https://r\"\n[host.\"https://r\"]\n")}, true},
		{File{Path: "", Data: []byte("{\"auths\": {}}")}, false},
		{File{Path: "reg/ca.crt"}, false},
	}
	for _, tt := range tests {
		if got := (HostsTOML{}).Sniff(tt.f); got != tt.want {
			t.Errorf("Sniff(%q) = %v, want %v", tt.f.Path, got, tt.want)
		}
	}
}

func FuzzDecodeHostsTOML(f *testing.F) {
	key := certsdFixture(f, "client.key")
	files, _ := HostsTOML{}.Encode(hoststomlDoc(f))
	for _, fl := range files {
		if path.Base(fl.Path) == "hosts.toml" {
			f.Add(fl.Data)
		}
	}
	f.Add([]byte("client = [[\"client.key\", \"client.key\"]]\nca = [\"client.key\", \"../x\", \"/etc/containerd/certs.d/reg/client.key\"]\n"))
	f.Add([]byte("server = \"http://[::1\"\n[host.\"\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := []File{{Path: "reg/hosts.toml", Data: data}, {Path: "reg/client.key", Data: key}, {Path: "reg/client.cert", Data: certsdFixture(t, "client.pem")}}
		_, err := HostsTOML{}.Decode(in)
		if err != nil && strings.Contains(err.Error(), certsdKeyLine(key)) {
			t.Fatalf("error leaks the planted key: %v", err)
		}
		for _, fd := range (HostsTOML{}).Lint(in) {
			if strings.Contains(fd.String(), certsdKeyLine(key)) {
				t.Fatalf("finding leaks the planted key: %v", fd)
			}
		}
	})
}
