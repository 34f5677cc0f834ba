// Command tokenload measures the token server: it sends GET /token requests
// with Basic auth from -c concurrent workers over keep-alive HTTP/1.1
// connections and prints tokens/s and latency percentiles.
//
// Without -target it seeds a database (10,000 robots, 100 users with bcrypt
// passwords, 100,000 permission rules), starts the real server (server.New
// with the real ES256 issuer) on 127.0.0.1 in this process and loads it:
// client and server then share the machine's cores, so the figures are a
// floor for what a separate server process would do. With -seed it only
// fills -data-dir, for `regauth serve --data-dir DIR --service bench`, and
// -target http://127.0.0.1:PORT/token then loads that server.
//
// It only ever talks to 127.0.0.1, and stops after -duration or -n
// requests, whichever comes first.
//
//	go run ./bench/tokenload -kind robot -c 16 -duration 10s
//	go run ./bench/tokenload -kind password -password-cache=false -duration 5s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/regauth/regauth/internal/benchseed"
)

const (
	maxDuration = 10 * time.Minute
	maxRequests = 10_000_000
)

type options struct {
	target        string
	concurrency   int
	duration      time.Duration
	warmup        time.Duration
	requests      int
	kind          string
	scopes        multi
	service       string
	accounts      int
	seed          benchseed.Options
	seedOnly      bool
	dataDir       string
	database      string
	alg           string
	passwordCache bool
	settle        bool
	serverPID     int
	cpuProfile    string
	memProfile    string
	mutexProfile  string
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, " ") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "tokenload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	if o.seedOnly {
		return seedOnly(ctx, o, out)
	}
	target, settle := o.target, func(context.Context, io.Writer) error { return nil }
	if target == "" {
		srv, err := startInProcess(ctx, o, out)
		if err != nil {
			return err
		}
		defer srv.close(out)
		target = srv.url
		if o.settle {
			settle = srv.settle
		}
	}
	return load(ctx, o, target, settle, out)
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("tokenload", flag.ContinueOnError)
	fs.StringVar(&o.target, "target", "", "token endpoint to load, http://127.0.0.1:PORT/token (default: an in-process server)")
	fs.IntVar(&o.concurrency, "c", 16, "concurrent workers, each with its own keep-alive connection")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to measure (at most 10m)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before measuring, after one request per account")
	fs.IntVar(&o.requests, "n", 0, "stop after this many measured requests (0: -duration decides; at most 10,000,000)")
	fs.StringVar(&o.kind, "kind", "robot", "account kind: robot or password (users with bcrypt passwords)")
	fs.Var(&o.scopes, "scope", "scope to request, repeatable; {ns} and {short} are the account's namespace and short name (default repository:{ns}/{short}/app:pull,push)")
	fs.StringVar(&o.service, "service", "bench", "service parameter (the in-process server's audience)")
	fs.IntVar(&o.accounts, "accounts", 0, "cycle through this many accounts (default: all seeded of -kind)")
	fs.IntVar(&o.seed.Robots, "robots", 10_000, "robots in the data set")
	fs.IntVar(&o.seed.Users, "users", 100, "users (bcrypt passwords) in the data set")
	fs.IntVar(&o.seed.Rules, "rules", 100_000, "permission rules in all (10 per user, the rest spread over robots)")
	fs.IntVar(&o.seed.Namespaces, "namespaces", 100, "namespaces the accounts are spread over")
	fs.BoolVar(&o.seedOnly, "seed", false, "only seed -data-dir (and -database) and exit")
	fs.StringVar(&o.dataDir, "data-dir", "", "keys and SQLite database; reused if already seeded (default: a temporary directory, removed)")
	fs.StringVar(&o.database, "database", "", "SQLite path or postgres://… DSN (default DATA-DIR/regauth.db)")
	fs.StringVar(&o.alg, "signing-algorithm", "ES256", "in-process server: ES256, EdDSA or RS256")
	fs.BoolVar(&o.passwordCache, "password-cache", true, "in-process server: cache successful password checks (false: bcrypt on every request)")
	fs.BoolVar(&o.settle, "settle", true, "in-process server: after the warm-up, wait for the robots' last-used writes it caused (see docs/benchmarks.md)")
	fs.IntVar(&o.serverPID, "server-pid", 0, "with -target: also report this server process's CPU time (Linux /proc)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured phase (client and in-process server)")
	fs.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile after the measured phase")
	fs.StringVar(&o.mutexProfile, "mutexprofile", "", "write a mutex contention profile of the measured phase")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case o.concurrency < 1 || o.concurrency > 4096:
		return nil, errors.New("-c must be between 1 and 4096")
	case o.duration <= 0 || o.duration > maxDuration:
		return nil, fmt.Errorf("-duration must be positive and at most %s", maxDuration)
	case o.warmup < 0 || o.warmup > maxDuration:
		return nil, fmt.Errorf("-warmup must be between 0 and %s", maxDuration)
	case o.requests < 0 || o.requests > maxRequests:
		return nil, fmt.Errorf("-n must be between 0 and %d", maxRequests)
	case o.kind != "robot" && o.kind != "password":
		return nil, errors.New("-kind must be robot or password")
	case o.seedOnly && o.dataDir == "":
		return nil, errors.New("-seed needs -data-dir")
	case o.seedOnly && o.target != "":
		return nil, errors.New("-seed and -target exclude each other")
	}
	if o.requests == 0 {
		o.requests = maxRequests
	}
	if len(o.scopes) == 0 {
		o.scopes = multi{"repository:{ns}/{short}/app:pull,push"}
	}
	if o.target != "" {
		t, err := checkTarget(o.target)
		if err != nil {
			return nil, err
		}
		o.target = t
	}
	if o.dataDir != "" {
		abs, err := filepath.Abs(o.dataDir)
		if err != nil {
			return nil, err
		}
		o.dataDir = abs
	}
	return o, nil
}

// checkTarget allows only plain HTTP to 127.0.0.1: this tool generates
// enough load to be a nuisance anywhere else.
func checkTarget(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("-target: %w", err)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if u.Scheme != "http" || err != nil || host != "127.0.0.1" || port == "" || u.User != nil || u.RawQuery != "" {
		return "", errors.New("-target must look like http://127.0.0.1:PORT/token (only 127.0.0.1 is allowed)")
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/token"
	}
	return u.String(), nil
}

func accountsOf(o *options) []benchseed.Account {
	n, get := o.seed.Robots, benchseed.Robot
	if o.kind == "password" {
		n, get = o.seed.Users, benchseed.User
	}
	if o.accounts > 0 && o.accounts < n {
		n = o.accounts
	}
	accts := make([]benchseed.Account, n)
	for i := range accts {
		accts[i] = get(i, o.seed.Namespaces)
	}
	return accts
}

func machine() string {
	return fmt.Sprintf("%s/%s, %d CPUs, GOMAXPROCS %d, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
}
