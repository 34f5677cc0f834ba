package store

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMain re-executes as the crash test's child when asked to, and stops
// the throwaway PostgreSQL server (started at most once per test binary,
// on first use) after the tests.
func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path) // never returns
	}
	code := m.Run()
	pg.stop()
	os.Exit(code)
}

var pg pgServer

// pgServer is a PostgreSQL server for this test binary: REGAUTH_TEST_POSTGRES
// if set, else one started from initdb/pg_ctl in a temporary directory.
type pgServer struct {
	once    sync.Once
	base    *url.URL // server DSN; the path (database) is set per test
	admin   *sql.DB
	skip    string // why PostgreSQL is unavailable
	stopFn  func()
	counter atomic.Int64
}

// postgresOpen returns a DSN for a fresh, empty database, or skips (fails
// when CI=true) if no PostgreSQL is available.
func postgresDSN(t testing.TB) string {
	t.Helper()
	pg.once.Do(pg.start)
	if pg.skip != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL required in CI: %s", pg.skip)
		}
		t.Skipf("no PostgreSQL: %s", pg.skip)
	}
	name := fmt.Sprintf("regauth_test_%d_%d", os.Getpid(), pg.counter.Add(1))
	if _, err := pg.admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	u := *pg.base
	u.Path = "/" + name
	return u.String()
}

func (s *pgServer) start() {
	if dsn := os.Getenv("REGAUTH_TEST_POSTGRES"); dsn != "" {
		// Tests create their databases next to the one named.
		u, err := url.Parse(dsn)
		if err != nil {
			s.skip = "REGAUTH_TEST_POSTGRES: " + err.Error()
			return
		}
		s.base = u
		s.connectAdmin(dsn)
		return
	}
	bin := findPGBin()
	if bin == "" {
		s.skip = "initdb/pg_ctl not found in PATH or /usr/lib/postgresql/*/bin; set REGAUTH_TEST_POSTGRES"
		return
	}
	var asUser []string
	if os.Geteuid() == 0 { // PostgreSQL refuses to run as root
		if _, err := user.Lookup("postgres"); err != nil {
			s.skip = "running as root and there is no postgres OS user"
			return
		}
		asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	dir, err := os.MkdirTemp("", "regauth-pg-")
	if err != nil {
		s.skip = err.Error()
		return
	}
	if asUser != nil {
		if err := exec.Command("chown", "postgres:", dir).Run(); err != nil {
			s.skip = "chown temp dir to postgres: " + err.Error()
			return
		}
	}
	run := func(name string, args ...string) error {
		cmd := append(append([]string{}, asUser...), append([]string{filepath.Join(bin, name)}, args...)...)
		out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		s.skip = err.Error()
		os.RemoveAll(dir)
		return
	}
	port := freePort()
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s -c fsync=off -c max_connections=300", port, dir)
	if err := run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts); err != nil {
		s.skip = err.Error()
		os.RemoveAll(dir)
		return
	}
	s.stopFn = func() {
		run("pg_ctl", "stop", "-m", "immediate", "-D", data)
		os.RemoveAll(dir)
	}
	s.base = &url.URL{Scheme: "postgres", User: url.User("postgres"), Host: "127.0.0.1:" + strconv.Itoa(port),
		Path: "/postgres", RawQuery: "sslmode=disable"}
	s.connectAdmin(s.base.String())
}

func (s *pgServer) connectAdmin(dsn string) {
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		s.skip = "connect: " + err.Error()
		return
	}
	s.admin = db
}

func (s *pgServer) stop() {
	if s.admin != nil {
		s.admin.Close()
	}
	if s.stopFn != nil {
		s.stopFn()
	}
}

func findPGBin() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- { // newest version last in glob order
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
