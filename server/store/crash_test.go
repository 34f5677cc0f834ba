package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/regauth/regauth/server/model"
)

// The crash test re-executes this test binary as a child that writes
// robots and permissions to a SQLite file as fast as it can, printing each
// robot's name once its writes have returned, and SIGKILLs it at a random
// moment. Everything the child reported must survive, with its
// permissions, and the file must pass an integrity check.

const (
	crashChildEnv = "REGAUTH_STORE_CRASH_CHILD"
	crashRoundEnv = "REGAUTH_STORE_CRASH_ROUND"
	crashPerms    = 2
)

func crashChild(path string) {
	round := os.Getenv(crashRoundEnv)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a lost child does not linger
	defer cancel()
	db, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		name := fmt.Sprintf("r%s+n%d", round, i)
		err := db.CreateRobot(ctx, model.Robot{Name: name, Owner: "crash", SecretHash: []byte(name)})
		for j := 0; err == nil && j < crashPerms; j++ {
			_, err = db.AddPermission(ctx, model.Permission{Subject: model.RobotSubject(name), Pattern: "p" + strconv.Itoa(j) + "/*", Role: model.Write})
		}
		if err == nil {
			err = db.AppendAudit(ctx, model.AuditEvent{Account: "robot:" + name, Result: "granted"})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Stdout.WriteString(name + "\n") // one write(2): a full line means committed
	}
}

func TestCrashRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	t.Parallel()
	exe, err := os.Executable()
	must(t, err)
	path := sqliteDSN(t)
	total := 0
	for round := range 5 {
		committed := runCrashChild(t, exe, path, round)
		total += len(committed)

		db, err := Open(ctx, path)
		must(t, err)
		var check string
		must(t, db.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check))
		if check != "ok" {
			t.Errorf("round %d: integrity_check: %s", round, check)
		}
		for _, name := range committed {
			if _, err := db.GetRobot(ctx, name); err != nil {
				t.Errorf("round %d: robot reported committed is lost: %v", round, err)
				continue
			}
			ps, err := db.ListPermissions(ctx, model.RobotSubject(name))
			must(t, err)
			if len(ps) != crashPerms {
				t.Errorf("round %d: robot %s has %d permissions, want %d", round, name, len(ps), crashPerms)
			}
		}
		rs, err := db.ListRobots(ctx, "")
		must(t, err)
		if len(rs) < total {
			t.Errorf("round %d: %d robots in the database, %d reported", round, len(rs), total)
		}
		must(t, db.Close())
	}
	t.Logf("%d robots committed across 5 kills", total)
	if total == 0 {
		t.Error("the child never committed anything")
	}
}

// runCrashChild starts a writer, kills it with SIGKILL at a random moment
// after its first commit, and returns the names it reported.
func runCrashChild(t *testing.T, exe, path string, round int) []string {
	t.Helper()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path, crashRoundEnv+"="+strconv.Itoa(round))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())

	var mu sync.Mutex
	var names []string
	first := make(chan struct{})
	eof := make(chan struct{})
	go func() {
		defer close(eof)
		br := bufio.NewReader(out)
		for {
			line, err := br.ReadString('\n')
			if err != nil { // EOF: a line without its newline was not reported
				return
			}
			mu.Lock()
			names = append(names, strings.TrimSuffix(line, "\n"))
			if len(names) == 1 {
				close(first)
			}
			mu.Unlock()
		}
	}()
	select {
	case <-first:
	case <-eof:
	case <-time.After(30 * time.Second):
	}
	time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
	must(t, cmd.Process.Signal(syscall.SIGKILL))
	<-eof
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("round %d: child was not killed: %v", round, err)
	}
	mu.Lock()
	defer mu.Unlock()
	return names
}
