package helper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/regauth/regauth/credential"
)

// The test binary doubles as a real helper executable: run through a link
// named docker-credential-test, it behaves as the mode in envMode says.
const (
	fakeName    = "docker-credential-test"
	envMode     = "REGAUTH_HELPER_TEST_MODE"
	envStore    = "REGAUTH_HELPER_TEST_STORE"
	envPIDFile  = "REGAUTH_HELPER_TEST_PIDFILE"
	modeServe   = "serve"   // helper.Serve over a JSON file
	modeLibrary = "library" // credentials.Serve (the upstream library) over the same file
	modeHang    = "hang"    // write pid, never answer
	modeEcho    = "echo"    // echo stdin to stdout and stderr, exit 1
	modeStderr  = "stderr"  // echo stdin to stderr only, exit 1
	modeGarbage = "garbage" // exit 0 with a non-JSON answer
	modeEnv     = "env"     // print the environment as a list answer

	// raceEnv stops a -race helper from sleeping a second at exit.
	raceEnv = "GORACE=atexit_sleep_ms=0"
)

func TestMain(m *testing.M) {
	if strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe") == fakeName {
		os.Exit(fakeHelperMain())
	}
	os.Exit(m.Run())
}

func fakeHelperMain() int {
	store := fileStore(os.Getenv(envStore))
	switch os.Getenv(envMode) {
	case modeServe:
		if len(os.Args) != 2 {
			fmt.Fprintln(os.Stdout, Usage)
			return 1
		}
		if err := Serve(context.Background(), os.Args[1], os.Stdin, os.Stdout, fileBackend{store}); err != nil {
			fmt.Fprintln(os.Stdout, err)
			return 1
		}
		return 0
	case modeLibrary:
		credentials.Name = fakeName
		credentials.Serve(libHelper{store}) // exits 1 on failure
		return 0
	case modeHang:
		_ = os.WriteFile(os.Getenv(envPIDFile), fmt.Appendf(nil, "%d", os.Getpid()), 0o600)
		time.Sleep(time.Hour)
		return 0
	case modeEcho, modeStderr:
		in, _ := io.ReadAll(os.Stdin)
		if os.Getenv(envMode) == modeEcho {
			os.Stdout.Write(in)
		}
		fmt.Fprintf(os.Stderr, "cannot store %s\n", in)
		return 1
	case modeGarbage:
		fmt.Fprintln(os.Stdout, "Username: alice")
		return 0
	case modeEnv, "": // "": a child given no environment at all
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		_ = json.NewEncoder(os.Stdout).Encode(env)
		return 0
	}
	fmt.Fprintln(os.Stdout, "unknown test mode")
	return 1
}

// fileStore is a helper's store: {"serverURL": {"Username":…,"Secret":…}}.
// One process at a time uses it, so it needs no lock.
type fileStore string

type fileEntry struct{ Username, Secret string }

func (f fileStore) load() (map[string]fileEntry, error) {
	m := map[string]fileEntry{}
	b, err := os.ReadFile(string(f))
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	return m, json.Unmarshal(b, &m)
}

func (f fileStore) save(m map[string]fileEntry) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(string(f), b, 0o600)
}

func (f fileStore) update(fn func(map[string]fileEntry) error) error {
	m, err := f.load()
	if err != nil {
		return err
	}
	if err := fn(m); err != nil {
		return err
	}
	return f.save(m)
}

func (f fileStore) list() (map[string]string, error) {
	m, err := f.load()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for url, e := range m {
		out[url] = e.Username
	}
	return out, nil
}

// fileBackend serves a fileStore through helper.Serve.
type fileBackend struct{ f fileStore }

var _ Backend = fileBackend{}

func (b fileBackend) Get(_ context.Context, url string) (credential.Credential, error) {
	m, err := b.f.load()
	if err != nil {
		return credential.Credential{}, err
	}
	e, ok := m[url]
	switch {
	case !ok:
		return credential.Credential{}, fmt.Errorf("get %s: %w", url, ErrNotFound)
	case e.Username == credential.TokenUsername:
		return credential.Credential{IdentityToken: e.Secret}, nil
	}
	return credential.Credential{Username: e.Username, Password: e.Secret}, nil
}

func (b fileBackend) Store(_ context.Context, url string, c credential.Credential) error {
	e := fileEntry{Username: c.Username, Secret: c.Password}
	if c.IdentityToken != "" {
		e = fileEntry{Username: credential.TokenUsername, Secret: c.IdentityToken}
	}
	return b.f.update(func(m map[string]fileEntry) error { m[url] = e; return nil })
}

func (b fileBackend) Erase(_ context.Context, url string) error {
	return b.f.update(func(m map[string]fileEntry) error {
		if _, ok := m[url]; !ok {
			return ErrNotFound
		}
		delete(m, url)
		return nil
	})
}

func (b fileBackend) List(context.Context) (map[string]string, error) { return b.f.list() }

// libHelper serves a fileStore through the upstream credentials package, the
// way osxkeychain, pass and friends do.
type libHelper struct{ f fileStore }

var _ credentials.Helper = libHelper{}

func (h libHelper) Add(c *credentials.Credentials) error {
	return h.f.update(func(m map[string]fileEntry) error {
		m[c.ServerURL] = fileEntry{Username: c.Username, Secret: c.Secret}
		return nil
	})
}

func (h libHelper) Get(url string) (string, string, error) {
	m, err := h.f.load()
	if err != nil {
		return "", "", err
	}
	e, ok := m[url]
	if !ok {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	return e.Username, e.Secret, nil
}

func (h libHelper) Delete(url string) error {
	return h.f.update(func(m map[string]fileEntry) error {
		if _, ok := m[url]; !ok {
			return credentials.NewErrCredentialsNotFound()
		}
		delete(m, url)
		return nil
	})
}

func (h libHelper) List() (map[string]string, error) { return h.f.list() }

// fakeHelper puts a docker-credential-test link to this test binary on a
// fresh PATH and returns a Client for it plus the file its store lives in.
func fakeHelper(t *testing.T, mode string, extraEnv ...string) (*Client, fileStore) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(bin, fakeName)); err != nil {
		t.Skipf("cannot link the test binary as a helper: %v", err)
	}
	store := fileStore(filepath.Join(dir, "store.json"))
	env := append([]string{envMode + "=" + mode, envStore + "=" + string(store), raceEnv}, extraEnv...)
	path := filepath.Join(dir, "empty") + string(filepath.ListSeparator) + bin
	return &Client{Name: "test", ConfigKey: "credsStore", Env: Env{Path: path, Environ: env}}, store
}
