package dockerconfig

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the writer process for the multi-process tests:
// run with roleEnv set, TestMain acts out the role instead of running tests.
const (
	roleEnv = "REGAUTH_DOCKERCONFIG_ROLE"
	pathEnv = "REGAUTH_DOCKERCONFIG_PATH"
	keyEnv  = "REGAUTH_DOCKERCONFIG_KEY"
)

func TestMain(m *testing.M) {
	role := os.Getenv(roleEnv)
	if role == "" {
		os.Exit(m.Run())
	}
	path := os.Getenv(pathEnv)
	ctx := context.Background()
	switch role {
	case "add":
		if err := Update(ctx, path, addEntry(os.Getenv(keyEnv), "u", "p")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "churn":
		for i := 0; ; i++ {
			fill := churnSmall
			if i%2 == 0 {
				fill = churnLarge
			}
			if err := Update(ctx, path, fill); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			if i == 0 {
				// Past start-up: the kill should land among the writes.
				fmt.Println("ready")
			}
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown role", role)
		os.Exit(2)
	}
	os.Exit(0)
}

func child(t *testing.T, role, path, key string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), roleEnv+"="+role, pathEnv+"="+path, keyEnv+"="+key)
	return cmd
}

func TestUpdateAcrossProcessesLosesNothing(t *testing.T) {
	t.Parallel()
	const n = 50
	path := filepath.Join(t.TempDir(), "config.json")
	writeFile(t, path, `{"auths":{"existing.io":{"auth":"dTpw","x-keep":1}},"currentContext":"ctx"}`)

	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range cmds {
		cmds[i] = child(t, "add", path, fmt.Sprintf("proc-%02d.example.io", i))
		cmds[i].Stderr = &outs[i]
	}
	for i, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("writer %d: %v: %s", i, err, outs[i].String())
		}
	}
	f := mustLoad(t, path)
	for i := range n {
		if f.Auths[fmt.Sprintf("proc-%02d.example.io", i)] == nil {
			t.Errorf("entry of writer %d lost", i)
		}
	}
	if f.Auths["existing.io"] == nil || len(f.Auths) != n+1 {
		t.Errorf("got %d entries, want %d", len(f.Auths), n+1)
	}
	out, _ := f.Marshal()
	if !bytes.Contains(out, []byte(`"currentContext": "ctx"`)) || !bytes.Contains(out, []byte(`"x-keep": 1`)) {
		t.Errorf("unknown fields lost:\n%s", out)
	}
}

func churnLarge(f *File) error {
	f.Auths = map[string]*AuthEntry{}
	for i := range 200 {
		e := &AuthEntry{}
		e.SetCredentials(fmt.Sprintf("user%d", i), "password-padding-padding-padding", "", "")
		f.Auths[fmt.Sprintf("host-%04d.example.io", i)] = e
	}
	return nil
}

func churnSmall(f *File) error {
	f.Auths = map[string]*AuthEntry{"small.example.io": {Auth: EncodeAuth("s", "p")}}
	return nil
}

// Kill a looping writer with SIGKILL at random moments: every time, the file
// must parse and hold exactly one of the contents ever written.
func TestUpdateSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL on windows")
	}
	const kills, lanes = 200, 4
	var want [2][]byte
	for i, fill := range []func(*File) error{churnSmall, churnLarge} {
		f := New()
		_ = fill(f)
		want[i], _ = f.Marshal()
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for lane := range lanes {
		wg.Go(func() {
			path := filepath.Join(t.TempDir(), "config.json")
			if err := Update(context.Background(), path, churnSmall); err != nil {
				t.Error(err)
				return
			}
			for i := range kills / lanes {
				if err := killDuringWrite(t, path); err != nil {
					t.Errorf("lane %d kill %d: %v", lane, i, err)
					return
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("lane %d kill %d: %v", lane, i, err)
					return
				}
				if _, err := Parse(got); err != nil {
					t.Errorf("lane %d kill %d: file does not parse: %v", lane, i, err)
					return
				}
				name := map[bool]string{true: "small", false: "large"}[bytes.Equal(got, want[0])]
				if !bytes.Equal(got, want[0]) && !bytes.Equal(got, want[1]) {
					t.Errorf("lane %d kill %d: file holds neither content (%d bytes)", lane, i, len(got))
					return
				}
				mu.Lock()
				seen[name]++
				if hasTemps(t, filepath.Dir(path)) {
					seen["temp file left"]++
				}
				mu.Unlock()
			}
			// Stale temp files go away and the lock is free with the writer dead.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := Update(ctx, path, churnSmall); err != nil {
				t.Errorf("lane %d: update after kills: %v", lane, err)
			}
			assertNoTemps(t, filepath.Dir(path))
		})
	}
	wg.Wait()
	if seen["small"] == 0 || seen["large"] == 0 {
		t.Errorf("kills never landed between writes of both contents: %v", seen)
	}
	t.Logf("%d kills in %v; file afterwards: %v", kills, time.Since(start).Round(time.Millisecond), seen)
}

func hasTemps(t *testing.T, dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Error(err)
	}
	for _, e := range entries {
		if bytes.Contains([]byte(e.Name()), []byte(".tmp-")) {
			return true
		}
	}
	return false
}

// killDuringWrite starts a churning writer, waits until it has written once,
// lets it run for a random few microseconds to milliseconds and kills it.
func killDuringWrite(t *testing.T, path string) error {
	cmd := child(t, "churn", path, "")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("writer did not start: %q %v %s", line, err, stderr.String())
	}
	time.Sleep(time.Duration(rand.N(4000)) * time.Microsecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	_ = cmd.Wait()
	if stderr.Len() > 0 {
		return fmt.Errorf("writer failed: %s", stderr.String())
	}
	return nil
}
