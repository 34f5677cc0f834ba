package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// These tests run the built binary as separate processes: what concurrency
// and argv[0] dispatch mean can only be seen from outside.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "regauth-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "regauth")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func isolatedEnv(home string) []string {
	return []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
}

// 50 logins at once into one config: the lock must keep every one of them.
func TestConcurrentLoginProcesses(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	home := t.TempDir()
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "login", fmt.Sprintf("reg%02d.example.com:5000", i), "-u", fmt.Sprintf("user%02d", i), "--password-stdin", "--skip-verify")
			cmd.Env = isolatedEnv(home)
			cmd.Stdin = strings.NewReader(fmt.Sprintf("pw%02d", i))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("login %d: %v\n%s", i, err, out)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	cmd := exec.Command(bin, "list", "-o", "json")
	cmd.Env = isolatedEnv(home)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Registry, Username string }
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.Registry] = r.Username
	}
	for i := range n {
		if u := got[fmt.Sprintf("reg%02d.example.com:5000", i)]; u != fmt.Sprintf("user%02d", i) {
			t.Errorf("registry %d: username %q after concurrent logins", i, u)
		}
	}
	if len(got) != n {
		t.Errorf("%d entries, want %d", len(got), n)
	}
}

// A symlink named docker-credential-regauth makes the binary a helper.
func TestHelperByArgv0(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	home := t.TempDir()
	link := filepath.Join(t.TempDir(), "docker-credential-regauth")
	if err := os.Symlink(bin, link); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	run := func(stdin string, arg string) (string, error) {
		cmd := exec.Command(link, arg)
		cmd.Env = isolatedEnv(home)
		cmd.Stdin = strings.NewReader(stdin)
		var out bytes.Buffer
		cmd.Stdout = &out
		err := cmd.Run()
		return out.String(), err
	}
	if _, err := run(`{"ServerURL":"r.example.com","Username":"u","Secret":"s"}`, "store"); err != nil {
		t.Fatal(err)
	}
	out, err := run("r.example.com", "get")
	if err != nil || out != `{"ServerURL":"r.example.com","Username":"u","Secret":"s"}`+"\n" {
		t.Fatalf("get = %q, %v", out, err)
	}
	out, err = run("nothing.example.com", "get")
	if err == nil || out != "credentials not found in native keychain\n" {
		t.Fatalf("get missing = %q, %v", out, err)
	}
}
