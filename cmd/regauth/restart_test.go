package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// The server is killed with SIGKILL while robots and permissions are being
// created through the admin API, then restarted on the same data directory:
// every robot whose creation was acknowledged (201) is still there with its
// permission, and the server answers again.
func TestServeSurvivesKillMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server binary several times")
	}
	t.Parallel()
	bin := binary(t)
	data := t.TempDir()
	const adminPW = "restart-test-admin-pw"
	acked := map[string]bool{}
	n := 0
	for round := range 4 {
		base, stop := startServe(t, bin, data, adminPW)
		// Everything acknowledged before must have survived the last kill.
		for name := range acked {
			var r struct {
				Permissions []struct{ Pattern string } `json:"permissions"`
			}
			code := api(t, base, adminPW, "GET", "/api/v1/robots/"+name, nil, &r)
			if code != http.StatusOK || len(r.Permissions) != 1 || r.Permissions[0].Pattern != "team/**" {
				t.Fatalf("round %d: robot %s lost or incomplete after SIGKILL (status %d, %+v)", round, name, code, r)
			}
		}
		// Create robots until a random moment, then kill -9.
		deadline := time.Now().Add(time.Duration(100+rand.IntN(300)) * time.Millisecond)
		for time.Now().Before(deadline) {
			name := fmt.Sprintf("load+r%04d", n)
			n++
			body := map[string]any{"name": name, "permissions": []map[string]string{{"pattern": "team/**", "role": "write"}}}
			if api(t, base, adminPW, "POST", "/api/v1/robots", body, nil) == http.StatusCreated {
				acked[name] = true
			}
		}
		stop()
	}
	if len(acked) < 10 {
		t.Fatalf("only %d robots were created; the test did not exercise the server", len(acked))
	}
	t.Logf("%d robots created across 4 kills, none lost", len(acked))
}

func startServe(t *testing.T, bin, data, adminPW string) (base string, kill func()) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--service", "registry.test", "--data-dir", data, "--log-format", "text")
	cmd.Env = append(isolatedEnv(data), "REGAUTH_ADMIN_PASSWORD="+adminPW)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill = func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	t.Cleanup(kill)
	re := regexp.MustCompile(`token server: (127\.0\.0\.1:\d+)`)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("serve exited before listening")
			}
			if m := re.FindStringSubmatch(l); m != nil {
				go func() {
					for range lines {
					}
				}()
				return "http://" + m[1], kill
			}
		case <-timeout:
			t.Fatal("serve did not start")
		}
	}
}

func api(t *testing.T, base, adminPW, method, path string, in, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", adminPW)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0 // killed mid-request: not acknowledged
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}
