package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// syncBuffer is written by the server goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDev runs `regauth serve --dev` in-process on free ports and returns
// the registry address once both servers listen.
func startDev(t *testing.T, e *env) (registry string, serverLog *syncBuffer) {
	t.Helper()
	data := filepath.Join(e.home, "data")
	sys, _, _ := e.sys("")
	logs := &syncBuffer{}
	sys.Err = logs
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--dev", "--listen", "127.0.0.1:0", "--registry-listen", "127.0.0.1:0", "--data-dir", data, "--log-format", "text"}, sys)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d:\n%s", code, logs)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	re := regexp.MustCompile(`registry \(distribution v3\): (127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return m[1], logs
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, logs)
		default:
		}
	}
	t.Fatalf("serve --dev did not start:\n%s", logs)
	return "", nil
}

// The README's main flow, through the real commands: serve --dev, admin
// login (identity token), robot create, the robot pushes within its
// permissions and is refused outside them, regenerate revokes the old secret.
func TestServeDevRobotFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reg, logs := startDev(t, e)
	pwFile := filepath.Join(e.home, "data", "admin-password")
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	adminPW := strings.TrimSpace(string(pw))
	plantedSecrets := append([]string{adminPW}, plantedSecrets...)
	_ = plantedSecrets

	e.runSecret(adminPW, "login", reg, "-u", "admin", "--password-stdin", "--insecure").mustSucceed(t)
	if cfg := readFile(t, e.configPath()); !strings.Contains(cfg, "identitytoken") || strings.Contains(cfg, adminPW) {
		t.Fatalf("admin login should store a refresh token, not the password:\n%s", cfg)
	}
	secretFile := filepath.Join(e.home, "ci-secret")
	r := e.runSecret("", "robot", "create", "admin+ci", "--registry", reg, "--insecure", "--permission", "team/**=write", "--secret-file", secretFile, "--description", "ci")
	r.mustSucceed(t)
	secret := strings.TrimSpace(readFile(t, secretFile))
	if len(secret) != 43 || !strings.Contains(r.out, "docker login --username 'admin+ci' --password-stdin "+reg) {
		t.Fatalf("robot create: secret %d chars, output:\n%s", len(secret), r.out)
	}
	if out := e.run("", "robot", "list", "--registry", reg, "--insecure").mustSucceed(t).out; !strings.Contains(out, "admin+ci") {
		t.Fatalf("robot list:\n%s", out)
	}

	push := func(repo, user, pass string) error {
		ref, err := name.ParseReference(reg+"/"+repo+":v1", name.Insecure)
		if err != nil {
			return err
		}
		img, err := random.Image(256, 1)
		if err != nil {
			return err
		}
		return remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: user, Password: pass}))
	}
	if err := push("team/app", "admin+ci", secret); err != nil {
		t.Fatalf("robot push within its permission: %v", err)
	}
	if err := push("other/app", "admin+ci", secret); err == nil {
		t.Fatal("robot pushed outside its permission")
	}

	// Ready-made config from the secret, then regenerate: the old one fails.
	cfg := e.runSecret(secret, "robot", "config", "admin+ci", "--registry", reg, "--format", "dockerconfig", "--secret-stdin").mustSucceed(t).out
	if !strings.Contains(cfg, reg) {
		t.Fatalf("robot config:\n%s", cfg)
	}
	newFile := filepath.Join(e.home, "ci-secret-2")
	e.runSecret("", "robot", "regenerate", "admin+ci", "--registry", reg, "--insecure", "--secret-file", newFile).mustSucceed(t)
	if err := push("team/app2", "admin+ci", secret); err == nil {
		t.Fatal("the old secret still works after regenerate")
	}
	if err := push("team/app2", "admin+ci", strings.TrimSpace(readFile(t, newFile))); err != nil {
		t.Fatalf("the new secret fails: %v", err)
	}
	e.run("", "robot", "disable", "admin+ci", "--registry", reg, "--insecure").mustSucceed(t)
	if err := push("team/app3", "admin+ci", strings.TrimSpace(readFile(t, newFile))); err == nil {
		t.Fatal("a disabled robot pushed")
	}
	e.run("", "robot", "show", "nobody+x", "--registry", reg, "--insecure").mustFail(t, ExitError, "not found")

	for _, s := range []string{adminPW, secret} {
		if strings.Contains(logs.String(), s) {
			t.Fatal("the server log contains a secret")
		}
	}
}

func TestServeRegistryConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := filepath.Join(e.home, "data")
	r := e.run("", "serve", "registry-config", "--data-dir", data, "--service", "registry.example.com", "--realm", "https://auth.example.com/token").mustSucceed(t)
	for _, want := range []string{"auth:\n  token:\n", `realm: "https://auth.example.com/token"`, `service: "registry.example.com"`, `issuer: "regauth"`, "rootcertbundle.pem"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("registry-config lacks %q:\n%s", want, r.out)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "registry-auth", "jwks.json")); err != nil {
		t.Error(err)
	}
	e.run("", "serve", "registry-config", "--data-dir", data).mustFail(t, ExitUsage, "--service")
}

// serve with --tls-cert/--tls-key answers over HTTPS with that certificate.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	certPEM, keyPEM, pool := selfSigned(t)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	sys, _, _ := e.sys("")
	logs := &syncBuffer{}
	sys.Err = logs
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--service", "registry.test", "--data-dir", filepath.Join(dir, "data"),
			"--tls-cert", certFile, "--tls-key", keyFile, "--log-format", "text", "--anonymous-pull", "public/**"}, sys)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d:\n%s", code, logs)
		}
	}()
	re := regexp.MustCompile(`realm (https://127\.0\.0\.1:\d+)/token`)
	var base string
	for deadline := time.Now().Add(15 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("serve did not start:\n%s", logs)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(base + "/token?service=registry.test&scope=repository:public/app:pull")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"token"`) {
		t.Fatalf("anonymous token over TLS: %d %s", resp.StatusCode, body)
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), pool
}
