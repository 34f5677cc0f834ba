package registry

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// loadCertsDir reads Docker's <root>/<host>/ directory if there is one.
func loadCertsDir(ht *HostTLS, root, host string) error {
	dir := filepath.Join(root, host)
	ok, err := isDir(dir)
	if err != nil || !ok {
		return err
	}
	return loadCertFiles(ht, dir, "docker certs.d")
}

func isDir(path string) (bool, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read certificate directory: %w", err)
	case !st.IsDir():
		return false, fmt.Errorf("read certificate directory %s: not a directory", path)
	}
	return true, nil
}

// loadCertFiles applies Docker's rules for a certs.d host directory, which
// containerd also follows for a directory without hosts.toml: every *.crt is
// a CA bundle, every *.cert a client certificate whose key is the *.key of
// the same name; a *.cert or *.key without its partner is an error.
func loadCertFiles(ht *HostTLS, dir, label string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read certificate directory: %w", err)
	}
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.Name()] = true
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		switch {
		case strings.HasSuffix(name, ".crt"):
			certs, err := readCAs(path)
			if err != nil {
				return err
			}
			ht.addCAs(certs)
			ht.Sources = append(ht.Sources, fmt.Sprintf("ca %s (%s)", path, label))
		case strings.HasSuffix(name, ".cert"):
			key := strings.TrimSuffix(name, ".cert") + ".key"
			if !names[key] {
				return fmt.Errorf("load client certificate %s: missing key %s (CA certificates must end in .crt, not .cert)",
					path, filepath.Join(dir, key))
			}
			keyPath := filepath.Join(dir, key)
			cert, err := tls.LoadX509KeyPair(path, keyPath)
			if err != nil {
				return fmt.Errorf("load client certificate %s with key %s: %w", path, keyPath, err)
			}
			ht.Certificates = append(ht.Certificates, cert)
			ht.Sources = append(ht.Sources, fmt.Sprintf("client certificate %s + %s (%s)", path, keyPath, label))
		case strings.HasSuffix(name, ".key"):
			cert := strings.TrimSuffix(name, ".key") + ".cert"
			if !names[cert] {
				return fmt.Errorf("load client key %s: missing client certificate %s",
					path, filepath.Join(dir, cert))
			}
		}
	}
	return nil
}

// loadClientPair loads a client certificate; an empty keyPath means the key
// is in the certificate's file, as containerd's hosts.toml allows.
func loadClientPair(certPath, keyPath string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load client certificate: %w", err)
	}
	keyPEM := certPEM
	if keyPath != "" {
		if keyPEM, err = os.ReadFile(keyPath); err != nil {
			return tls.Certificate{}, fmt.Errorf("load client key: %w", err)
		}
	} else {
		keyPath = certPath
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load client certificate %s with key %s: %w", certPath, keyPath, err)
	}
	return cert, nil
}
