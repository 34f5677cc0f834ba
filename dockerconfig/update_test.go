package dockerconfig

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func addEntry(host, user, pass string) func(*File) error {
	return func(f *File) error {
		e := &AuthEntry{}
		e.SetCredentials(user, pass, "", "")
		f.Auths[host] = e
		return nil
	}
}

func mustLoad(t *testing.T, path string) *File {
	t.Helper()
	f, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return f
}

func TestLoadMissingIsEmpty(t *testing.T) {
	t.Parallel()
	f := mustLoad(t, filepath.Join(t.TempDir(), "nope", "config.json"))
	if len(f.Auths) != 0 {
		t.Errorf("Auths = %v, want empty", f.Auths)
	}
}

func TestLoadErrorsNameThePath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"auths":`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"directory", dir, "load " + dir + ": "},
		{"broken JSON", broken, "load " + broken + ": line 1, column 10: invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tt.path)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestUpdateCreatesPrivateDirAndFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", ".docker")
	path := filepath.Join(dir, "config.json")
	if err := Update(context.Background(), path, addEntry("r.io", "u", "p")); err != nil {
		t.Fatal(err)
	}
	assertMode(t, dir, 0o700|fs.ModeDir)
	assertMode(t, path, 0o600)
	u, p, _, _, err := mustLoad(t, path).Auths["r.io"].Credentials()
	if err != nil || u != "u" || p != "p" {
		t.Errorf("Credentials = %q, %q, %v", u, p, err)
	}
}

// Docker keeps the old mode; we tighten to 0600 but never loosen a stricter one.
func TestUpdateMode(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	tests := []struct {
		name      string
		before    fs.FileMode
		wantAfter fs.FileMode
	}{
		{"world readable tightened", 0o644, 0o600},
		{"group readable tightened", 0o640, 0o600},
		{"already private", 0o600, 0o600},
		{"read-only kept", 0o400, 0o400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(path, []byte(`{"auths":{}}`), tt.before); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.before); err != nil { // beat the umask
				t.Fatal(err)
			}
			if err := Update(context.Background(), path, addEntry("r.io", "u", "p")); err != nil {
				t.Fatal(err)
			}
			assertMode(t, path, tt.wantAfter)
		})
	}
}

func TestUpdateFollowsSymlink(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on windows")
	}
	tests := []struct {
		name string
		// link returns the config path, a symlink, and the file it must reach.
		setup func(t *testing.T, root string) (link, target string)
	}{
		{"absolute link", func(t *testing.T, root string) (string, string) {
			target := filepath.Join(root, "dotfiles", "config.json")
			mkdir(t, filepath.Dir(target))
			writeFile(t, target, `{"auths":{"old.io":{"auth":"dTpw"}}}`)
			link := filepath.Join(root, ".docker", "config.json")
			mkdir(t, filepath.Dir(link))
			symlink(t, target, link)
			return link, target
		}},
		{"relative link via linked dir", func(t *testing.T, root string) (string, string) {
			target := filepath.Join(root, "real", "store", "config.json")
			mkdir(t, filepath.Dir(target))
			writeFile(t, target, `{"auths":{"old.io":{"auth":"dTpw"}}}`)
			symlink(t, filepath.Join(root, "real", "sub"), filepath.Join(root, "alias"))
			mkdir(t, filepath.Join(root, "real", "sub"))
			symlink(t, "../store/config.json", filepath.Join(root, "real", "sub", "config.json"))
			return filepath.Join(root, "alias", "config.json"), target
		}},
		{"dangling link into missing dir", func(t *testing.T, root string) (string, string) {
			target := filepath.Join(root, "later", "config.json")
			link := filepath.Join(root, "config.json")
			symlink(t, target, link)
			return link, target
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			link, target := tt.setup(t, root)
			if err := Update(context.Background(), link, addEntry("new.io", "u", "p")); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(link)
			if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
				t.Fatalf("symlink replaced: %v %v", fi, err)
			}
			f := mustLoad(t, target)
			if f.Auths["new.io"] == nil {
				t.Errorf("target lacks the new entry: %v", f.Auths)
			}
			if strings.Contains(tt.name, "dangling") {
				return
			}
			if f.Auths["old.io"] == nil {
				t.Errorf("target lost the old entry: %v", f.Auths)
			}
			assertNoTemps(t, filepath.Dir(target))
		})
	}
}

func TestUpdateFnErrorWritesNothing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	const before = "{\"auths\": {\"x\": {}}, \"keep\" : 1}"
	writeFile(t, path, before)
	boom := errors.New("boom")
	err := Update(context.Background(), path, func(f *File) error {
		f.Auths = nil
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want %v", err, boom)
	}
	if got := readFile(t, path); got != before {
		t.Errorf("file changed to %q", got)
	}
	assertNoTemps(t, filepath.Dir(path))
}

func TestUpdateRefusesBrokenFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	const before = `{"auths":{"q.io":{"auth":"!!"}}}`
	writeFile(t, path, before)
	called := false
	err := Update(context.Background(), path, func(*File) error { called = true; return nil })
	if err == nil || called {
		t.Fatalf("Update on broken file: err=%v called=%v", err, called)
	}
	if got := readFile(t, path); got != before {
		t.Errorf("broken file overwritten: %q", got)
	}
}

func TestUpdateHonoursContextWhileWaiting(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- Update(context.Background(), path, func(*File) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := Update(ctx, path, addEntry("r.io", "u", "p"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Update while locked = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The lock is free again.
	if err := Update(context.Background(), path, addEntry("r.io", "u", "p")); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateRemovesStaleTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	writeFile(t, filepath.Join(dir, ".config.json.tmp-123"), `{"auths":{"secret":{}}}`)
	writeFile(t, filepath.Join(dir, "config.json123"), `docker's own temp, not ours`)
	if err := Update(context.Background(), path, addEntry("r.io", "u", "p")); err != nil {
		t.Fatal(err)
	}
	assertNoTemps(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "config.json123")); err != nil {
		t.Errorf("foreign file removed: %v", err)
	}
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (fs.ModePerm | fs.ModeDir); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
