package format

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var pkiUpdate = flag.Bool("update-pki", false, "rewrite testdata/pki golden files")

func pkiDoc(t testing.TB, cas ...[]byte) *Document {
	d := NewDocument()
	for i, ca := range cas {
		d.Hosts = append(d.Hosts, Host{Host: []string{"registry.mycompany.com:5000", "quay.example.org", "third.example"}[i], CA: ca})
	}
	return d
}

func TestPKIGolden(t *testing.T) {
	t.Parallel()
	files, err := PKI{}.Encode(pkiDoc(t, certsdFixture(t, "ca.pem"), certsdFixture(t, "ca2.pem")))
	if err != nil {
		t.Fatal(err)
	}
	certsdGolden(t, "pki/encode.golden", *pkiUpdate, certsdDump(files))
}

func TestPKIRoundTrip(t *testing.T) {
	t.Parallel()
	ca, ca2 := certsdFixture(t, "ca.pem"), certsdFixture(t, "ca2.pem")
	files, err := PKI{CAFile: "registry.pem"}.Encode(pkiDoc(t, ca, ca2))
	if err != nil {
		t.Fatal(err)
	}
	d, err := PKI{Host: "registry.mycompany.com:5000"}.Decode(files)
	if err != nil {
		t.Fatal(err)
	}
	// Hosts sort quay.example.org first, so its CA (ca2) is registry.pem
	// and ca is registry-2.pem, which Decode reads first.
	want := []Host{{Host: "registry.mycompany.com:5000", CA: append(append([]byte{}, ca...), ca2...)}}
	if diff := cmp.Diff(want, d.Hosts, certsdIgnoreSource); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if fs := (PKI{}).Lint(files); len(fs) != 0 {
		t.Errorf("our own output has findings: %v", fs)
	}
}

// TestPKIOpenSSLUsesDirectory installs the output and lets the real
// openssl find the CA through the hash links, as the DC/OS agent does.
func TestPKIOpenSSLUsesDirectory(t *testing.T) {
	t.Parallel()
	pkiNeedOpenSSL(t)
	files, err := PKI{}.Encode(pkiDoc(t, certsdFixture(t, "ca.pem"), certsdFixture(t, "ca2.pem")))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certsdWriteTree(t, filepath.Join(dir, "certs"), files)
	for _, f := range files {
		if f.Link == "" {
			continue
		}
		target, _ := os.ReadFile(filepath.Join(dir, "certs", f.Link))
		if h, err := pkiOpenSSLHash(t, target); err != nil || !strings.HasPrefix(f.Path, h+".") {
			t.Errorf("link %s -> %s, openssl hash %s (%v)", f.Path, f.Link, h, err)
		}
	}
	leaf := filepath.Join(dir, "client.pem")
	if err := os.WriteFile(leaf, certsdFixture(t, "client.pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "verify", "-CApath", filepath.Join(dir, "certs"), "-no-CAfile", "-no-CAstore", leaf).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte(": OK")) {
		t.Fatalf("openssl verify with the directory: %v\n%s", err, out)
	}
}

// TestPKIHashCollision gives two different CAs with one subject: the
// second link takes suffix .1.
func TestPKIHashCollision(t *testing.T) {
	t.Parallel()
	mk := func(serial int64) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "Same CA"},
			NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(2000000000, 0), IsCA: true, BasicConstraintsValid: true}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &pkiTestKey().PublicKey, pkiTestKey())
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	files, err := PKI{}.Encode(pkiDoc(t, mk(1), mk(2)))
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	for _, f := range files {
		if f.Link != "" {
			links = append(links, f.Path[9:]+"->"+f.Link)
		}
	}
	if diff := cmp.Diff([]string{"0->docker-registry-ca.crt", "1->docker-registry-ca-2.crt"}, links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

func TestPKIEncodeErrors(t *testing.T) {
	t.Parallel()
	key := certsdFixture(t, "client.key")
	tests := []struct {
		name string
		host Host
		want string
	}{
		{"client cert", Host{Host: "r", CA: certsdFixture(t, "ca.pem"), ClientCert: certsdFixture(t, "client.pem"), ClientKey: key}, "CA certificates only"},
		{"plain http", Host{Host: "r", PlainHTTP: true}, "CA certificates only"},
		{"no ca", Host{Host: "r"}, "no CA certificate"},
		{"bad ca", Host{Host: "r", CA: key}, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := NewDocument()
			d.Hosts = []Host{tt.host}
			_, err := PKI{}.Encode(d)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), certsdKeyLine(key)) {
				t.Fatalf("error = %v, want %q and no key", err, tt.want)
			}
		})
	}
}

func TestPKIDecodeErrors(t *testing.T) {
	t.Parallel()
	key := certsdFixture(t, "client.key")
	for _, files := range [][]File{
		{{Path: "docker-registry-ca.crt", Data: key}},
		{{Path: "README", Data: []byte("x")}},
	} {
		_, err := PKI{}.Decode(files)
		var fe *Error
		if !errors.As(err, &fe) || strings.Contains(err.Error(), certsdKeyLine(key)) {
			t.Errorf("error = %v, want *Error without the key", err)
		}
	}
}

// TestPKILint plants each mistake of the seed's manual `ln -s` step.
func TestPKILint(t *testing.T) {
	t.Parallel()
	ca, ca2 := certsdFixture(t, "ca.pem"), certsdFixture(t, "ca2.pem")
	crt := File{Path: "docker-registry-ca.crt", Data: ca, Mode: 0o644}
	tests := []struct {
		name, rule string
		files      []File
	}{
		{"hash-mismatch", "hash-mismatch", []File{crt, {Path: "47fc0eff.0", Link: "docker-registry-ca.crt"}}},
		{"hash-mismatch copied file", "hash-mismatch", []File{crt, {Path: "47fc0eff.0", Data: ca}}},
		{"dangling-link", "dangling-link", []File{crt, {Path: "f89790fc.0", Link: "docker-registry-ca.crt"}, {Path: "47fc0eff.0", Link: "gone.crt"}}},
		{"link-outside-input", "link-outside-input", []File{{Path: "f89790fc.0", Link: "/tmp/ca.crt"}}},
		{"missing-hash-link", "missing-hash-link", []File{crt}},
		{"hash-suffix-gap", "hash-suffix-gap", []File{crt, {Path: "f89790fc.1", Link: "docker-registry-ca.crt"}}},
		{"invalid-certificate", "invalid-certificate", []File{{Path: "docker-registry-ca.crt", Data: []byte("oops")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := PKI{}.Lint(tt.files)
			if !certsdHasRule(fs, tt.rule) {
				t.Fatalf("findings %v lack rule %s", fs, tt.rule)
			}
			for _, f := range fs {
				if f.File == "" || f.Hint == "" {
					t.Errorf("finding lacks where or how: %v", f)
				}
			}
		})
	}
	// The seed's own command, absolute link included, is clean.
	seed := []File{crt, {Path: "f89790fc.0", Link: "/var/lib/dcos/pki/tls/certs/docker-registry-ca.crt"}, {Path: "other.crt", Data: ca2}, {Path: "47fc0eff.0", Link: "other.crt"}}
	if fs := (PKI{}).Lint(seed); len(fs) != 0 {
		t.Errorf("seed layout has findings: %v", fs)
	}
}

func TestPKISniff(t *testing.T) {
	t.Parallel()
	ca := certsdFixture(t, "ca.pem")
	tests := []struct {
		f    File
		want bool
	}{
		{File{Path: "f89790fc.0", Link: "docker-registry-ca.crt"}, true},
		{File{Path: "docker-registry-ca.crt", Data: ca}, true},
		{File{Path: "reg/ca.crt", Data: ca}, false},
		{File{Path: "hosts.toml"}, false},
	}
	for _, tt := range tests {
		if got := (PKI{}).Sniff(tt.f); got != tt.want {
			t.Errorf("Sniff(%+v) = %v, want %v", tt.f.Path, got, tt.want)
		}
	}
}

func FuzzDecodePKI(f *testing.F) {
	key := certsdFixture(f, "client.key")
	f.Add("docker-registry-ca.crt", certsdFixture(f, "ca.pem"), "f89790fc.0", "docker-registry-ca.crt")
	f.Add("x.pem", key, "00000000.1", "/var/lib/dcos/pki/tls/certs/x.pem")
	f.Fuzz(func(t *testing.T, p string, data []byte, link, target string) {
		files := []File{{Path: p, Data: data}, {Path: link, Link: target}, {Path: "k.crt", Data: key}}
		_, err := PKI{}.Decode(files)
		if err != nil && strings.Contains(err.Error(), certsdKeyLine(key)) {
			t.Fatalf("error leaks the planted key: %v", err)
		}
		for _, fd := range (PKI{}).Lint(files) {
			if strings.Contains(fd.String(), certsdKeyLine(key)) {
				t.Fatalf("finding leaks the planted key: %v", fd)
			}
		}
	})
}
