//go:build unix

package helper

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestClientCancelKillsHelper(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	c, _ := fakeHelper(t, modeHang, envPIDFile+"="+pidFile)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the helper is surely running and waiting.
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(pidFile); err == nil {
				break
			}
		}
		cancel()
	}()

	start := time.Now()
	_, err := c.Get(ctx, "r.example")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if want := "credential helper docker-credential-test get: context canceled"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if elapsed := time.Since(start); elapsed > 40*time.Second {
		t.Errorf("Get returned after %v; the helper was not killed promptly", elapsed)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("helper never started: %v", err)
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("helper pid %d still exists after cancel (kill 0: %v)", pid, err)
	}
}
