package format

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var certsdUpdate = flag.Bool("update-certsd", false, "rewrite testdata/certsd golden files")

// certsdFixture reads a fixed certificate or key shared by the TLS codec
// tests (testdata/certsd/fixtures, made once with openssl).
func certsdFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "certsd", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// certsdDump renders files as text for golden comparison.
func certsdDump(files []File) []byte {
	var b bytes.Buffer
	for _, f := range files {
		if f.Link != "" {
			fmt.Fprintf(&b, "-- %s -> %s --\n", f.Path, f.Link)
			continue
		}
		fmt.Fprintf(&b, "-- %s (%04o) --\n%s", f.Path, f.Mode.Perm(), f.Data)
	}
	return b.Bytes()
}

func certsdGolden(t *testing.T, name string, update bool, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with the -update flag)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", p, diff)
	}
}

// certsdWriteTree installs files under dir as a CLI would, links included.
func certsdWriteTree(t *testing.T, dir string, files []File) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if f.Link != "" {
			if err := os.Symlink(f.Link, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o600
		}
		if err := os.WriteFile(p, f.Data, mode); err != nil {
			t.Fatal(err)
		}
	}
}

// certsdReadTree reads a directory back into Files, links as links.
func certsdReadTree(t *testing.T, dir string) []File {
	t.Helper()
	var out []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		f := File{Path: filepath.ToSlash(rel), Mode: info.Mode().Perm()}
		if info.Mode()&fs.ModeSymlink != 0 {
			f.Link, err = os.Readlink(p)
		} else {
			f.Data, err = os.ReadFile(p)
		}
		out = append(out, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// certsdTLSDoc is a document with a CA-only host, a mutual-TLS host and a
// duplicate that must lose to the first.
func certsdTLSDoc(t testing.TB) *Document {
	d := NewDocument()
	d.Hosts = []Host{
		{Host: "registry.example.com:5000", CA: certsdFixture(t, "ca.pem"), ClientCert: certsdFixture(t, "client.pem"), ClientKey: certsdFixture(t, "client.key")},
		{Host: "https://Quay.Example.org", CA: certsdFixture(t, "ca2.pem")},
		{Host: "registry.example.com:5000", CA: certsdFixture(t, "ca2.pem")},
	}
	return d
}

var certsdIgnoreSource = cmpopts.EquateEmpty()

func TestCertsDGolden(t *testing.T) {
	t.Parallel()
	files, err := CertsD{}.Encode(certsdTLSDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	certsdGolden(t, "certsd/encode.golden", *certsdUpdate, certsdDump(files))
	for _, f := range files {
		if strings.HasSuffix(f.Path, ".key") && f.Mode != 0o600 {
			t.Errorf("%s: mode %o, want 0600", f.Path, f.Mode)
		}
	}
}

func TestCertsDRoundTrip(t *testing.T) {
	t.Parallel()
	files, err := CertsD{}.Encode(certsdTLSDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := CertsD{}.Decode(files)
	if err != nil {
		t.Fatal(err)
	}
	want := []Host{
		{Host: "quay.example.org", CA: certsdFixture(t, "ca2.pem")},
		{Host: "registry.example.com:5000", CA: certsdFixture(t, "ca.pem"), ClientCert: certsdFixture(t, "client.pem"), ClientKey: certsdFixture(t, "client.key")},
	}
	if diff := cmp.Diff(want, got.Hosts, certsdIgnoreSource); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// TestCertsDContainerdReadsDockerLayout loads the output with containerd's
// own loader, which falls back to Docker's layout without hosts.toml.
func TestCertsDContainerdReadsDockerLayout(t *testing.T) {
	t.Parallel()
	files, err := CertsD{}.Encode(certsdTLSDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certsdWriteTree(t, dir, files)
	hosts, err := config.ConfigureHosts(context.Background(), config.HostOptions{HostDir: config.HostDirFromRoot(dir)})("registry.example.com:5000")
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg := hosts[0].Client.Transport.(*http.Transport).TLSClientConfig
	if hosts[0].Scheme != "https" || len(tlsCfg.Certificates) != 1 || !certsdPoolHas(t, tlsCfg.RootCAs, certsdFixture(t, "ca.pem")) {
		t.Errorf("containerd host = %+v, tls certificates %d", hosts[0], len(tlsCfg.Certificates))
	}
}

func TestCertsDEncodeErrors(t *testing.T) {
	t.Parallel()
	key := certsdFixture(t, "client.key")
	tests := []struct {
		name string
		host Host
		want []string
	}{
		{"plain http", Host{Host: "reg.local:5000", PlainHTTP: true}, []string{"reg.local:5000", "insecure-registries", "daemon.json"}},
		{"skip verify", Host{Host: "reg.local", SkipVerify: true}, []string{"reg.local", "insecure-registries"}},
		{"key without cert", Host{Host: "reg.local", ClientKey: key}, []string{"needs both"}},
		{"cert and key mismatch", Host{Host: "reg.local", ClientCert: certsdFixture(t, "ca.pem"), ClientKey: key}, []string{"client certificate"}},
		{"invalid ca", Host{Host: "reg.local", CA: []byte("not pem")}, []string{"ca", "no PEM certificate"}},
		{"wildcard host", Host{Host: "*.example.com", CA: certsdFixture(t, "ca.pem")}, []string{"wildcards"}},
		{"host with path", Host{Host: "reg.local/team", CA: certsdFixture(t, "ca.pem")}, []string{"drop the path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := NewDocument()
			d.Hosts = []Host{tt.host}
			_, err := CertsD{}.Encode(d)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), certsdKeyLine(key)) {
				t.Errorf("error leaks the private key: %v", err)
			}
		})
	}
}

// certsdKeyLine is a line of the key's base64 body, the planted secret.
func certsdKeyLine(key []byte) string { return strings.Split(string(key), "\n")[1] }

func TestCertsDDecodeErrors(t *testing.T) {
	t.Parallel()
	ca, cert, key := certsdFixture(t, "ca.pem"), certsdFixture(t, "client.pem"), certsdFixture(t, "client.key")
	tests := []struct {
		name  string
		files []File
		want  string
	}{
		{"ca named .cert", []File{{Path: "reg:5000/ca.cert", Data: ca}}, "must use the extension .crt"},
		{"key alone", []File{{Path: "reg:5000/client.key", Data: key}}, "missing client certificate"},
		{"pair mismatch", []File{{Path: "reg:5000/client.cert", Data: ca}, {Path: "reg:5000/client.key", Data: key}}, "client certificate and"},
		{"broken crt", []File{{Path: "reg:5000/ca.crt", Data: key}}, "no PEM certificate"},
		{"no host dir", []File{{Path: "ca.crt", Data: ca}}, "certs.d root"},
		{"bad dir name", []File{{Path: "reg:99999/ca.crt", Data: ca}, {Path: "reg:99999/client.cert", Data: cert}}, "port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := CertsD{}.Decode(tt.files)
			var fe *Error
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want *Error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), certsdKeyLine(key)) {
				t.Errorf("error leaks the private key: %v", err)
			}
		})
	}
}

func TestCertsDLint(t *testing.T) {
	t.Parallel()
	ca, cert, key := certsdFixture(t, "ca.pem"), certsdFixture(t, "client.pem"), certsdFixture(t, "client.key")
	tests := []struct {
		name  string
		files []File
		rule  string
	}{
		{"missing-client-key", []File{{Path: "reg:5000/ca.cert", Data: ca}}, "missing-client-key"},
		{"missing-client-cert", []File{{Path: "reg:5000/client.key", Data: key, Mode: 0o600}}, "missing-client-cert"},
		{"client-pair-mismatch", []File{{Path: "reg:5000/client.cert", Data: ca}, {Path: "reg:5000/client.key", Data: key, Mode: 0o600}}, "client-pair-mismatch"},
		{"invalid-certificate", []File{{Path: "reg:5000/ca.crt", Data: []byte("junk")}}, "invalid-certificate"},
		{"key-permissions", []File{{Path: "reg:5000/client.cert", Data: cert}, {Path: "reg:5000/client.key", Data: key, Mode: 0o644}}, "key-permissions"},
		{"ignored-file", []File{{Path: "reg:5000/ca.pem", Data: ca}}, "ignored-file"},
		{"invalid-host-dir", []File{{Path: "https:reg/ca.crt", Data: ca}}, "invalid-host-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := CertsD{}.Lint(tt.files)
			if !certsdHasRule(fs, tt.rule) {
				t.Fatalf("findings %v lack rule %s", fs, tt.rule)
			}
			for _, f := range fs {
				if f.File == "" || f.Message == "" || f.Hint == "" || strings.Contains(f.String(), certsdKeyLine(key)) {
					t.Errorf("finding lacks where/what/how or leaks: %v", f)
				}
			}
		})
	}
	if fs := (CertsD{}).Lint([]File{{Path: "reg:5000/ca.crt", Data: ca}, {Path: "reg:5000/client.cert", Data: cert}, {Path: "reg:5000/client.key", Data: key, Mode: 0o600}}); len(fs) != 0 {
		t.Errorf("clean tree has findings: %v", fs)
	}
}

func certsdHasRule(fs []Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

func TestCertsDSniff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want bool
	}{
		{"registry.example.com:5000/ca.crt", true},
		{"reg_5000_/client.cert", true},
		{"reg/client.key", true},
		{"ca.crt", false},
		{"reg/hosts.toml", false},
		{"a/b/ca.crt", false},
	}
	for _, tt := range tests {
		if got := (CertsD{}).Sniff(File{Path: tt.path}); got != tt.want {
			t.Errorf("Sniff(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func FuzzDecodeCertsD(f *testing.F) {
	key := certsdFixture(f, "client.key")
	f.Add("reg:5000/ca.crt", certsdFixture(f, "ca.pem"), "reg:5000/client.cert", certsdFixture(f, "client.pem"))
	f.Add("reg/ca.cert", certsdFixture(f, "ca.pem"), "reg/x.key", key)
	f.Add("_default/a.crt", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "x/y", []byte{})
	f.Fuzz(func(t *testing.T, p1 string, d1 []byte, p2 string, d2 []byte) {
		files := []File{{Path: p1, Data: d1}, {Path: p2, Data: d2}, {Path: "reg:5000/client.key", Data: key}}
		_, err := CertsD{}.Decode(files)
		if err != nil && strings.Contains(err.Error(), certsdKeyLine(key)) {
			t.Fatalf("error leaks the planted key: %v", err)
		}
		_ = CertsD{}.Lint(files)
	})
}

// certsdPoolHas reports whether pool trusts the (self-signed) CA in caPEM.
func certsdPoolHas(t *testing.T, pool *x509.CertPool, caPEM []byte) bool {
	t.Helper()
	certs, err := certsdParseCerts(caPEM)
	if err != nil || pool == nil {
		return false
	}
	_, err = certs[0].Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err == nil
}
