// Package benchseed fills a token-server database for benchmarks: robots,
// users with real password hashes, and permission rules spread over them.
// Secrets and passwords are derived from the account names, so a load
// generator in another process can authenticate without a credentials file.
// It is for benchmarks only: anyone who knows the derivation knows every
// secret.
package benchseed

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/regauth/regauth/server/model"
)

// Store is the part of *store.DB seeding uses.
type Store interface {
	CreateUser(ctx context.Context, u model.User) error
	CreateRobot(ctx context.Context, r model.Robot) error
	AddPermission(ctx context.Context, p model.Permission) (model.Permission, error)
}

// Hashes are the server's own hash functions (server.HashRobotSecret and
// server.HashPassword), passed in so that this package does not import the
// server package and its benchmarks can use it.
type Hashes struct {
	RobotSecret func(secret string) []byte
	Password    func(password string) (string, error)
}

// Options size the data set. Zero values are the documented defaults.
type Options struct {
	Robots       int // default 10,000
	Users        int // default 100
	Rules        int // permission rules in all, default 100,000
	RulesPerUser int // of Rules, default 10 per user; the rest go to robots
	Namespaces   int // robots and users are spread over this many; default 100
	Workers      int // concurrent store calls; default 2×GOMAXPROCS
}

func (o *Options) defaults() {
	if o.Robots == 0 {
		o.Robots = 10_000
	}
	if o.Users == 0 {
		o.Users = 100
	}
	if o.Rules == 0 {
		o.Rules = 100_000
	}
	if o.RulesPerUser == 0 {
		o.RulesPerUser = 10
	}
	if o.Namespaces == 0 {
		o.Namespaces = 100
	}
	if o.Workers == 0 {
		o.Workers = 2 * runtime.GOMAXPROCS(0)
	}
}

// Stats is what Seed did.
type Stats struct {
	Robots, Users, Rules int
	Took                 time.Duration
}

// Account is one seeded account as a client sees it.
type Account struct {
	Name   string // "team007+robot00042" or "user007"
	Secret string // robot secret or user password
	// NS and Short fill scope templates: {ns}/{short}/app is always
	// granted pull,push (see Seed).
	NS, Short string
}

// Robot returns robot i (0 ≤ i < Options.Robots) and its secret.
func Robot(i, namespaces int) Account {
	ns := namespace(i, namespaces)
	short := fmt.Sprintf("robot%05d", i)
	name := ns + "+" + short
	return Account{Name: name, Secret: derive("robot", name), NS: ns, Short: short}
}

// User returns user i and its password.
func User(i, namespaces int) Account {
	name := fmt.Sprintf("user%04d", i)
	return Account{Name: name, Secret: derive("user", name)[:24], NS: namespace(i, namespaces), Short: name}
}

func namespace(i, n int) string {
	if n <= 0 {
		n = 100
	}
	return fmt.Sprintf("team%03d", i%n)
}

// derive makes a 256-bit secret shaped like a real robot secret (43
// base64url characters).
func derive(kind, name string) string {
	m := hmac.New(sha256.New, []byte("regauth-benchseed-v1"))
	m.Write([]byte(kind + "\x00" + name))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// rules returns the patterns and roles of one account with n rules. The
// first always grants write on NS/SHORT/*, so the default scope
// repository:NS/SHORT/app:pull,push gets pull,push; the others are a mix
// of exact names, one-level and recursive globs the request does not
// match, so the engine has real rules to look past.
func rules(a Account, n int) []model.Permission {
	ps := make([]model.Permission, 0, n)
	for j := range n {
		var p model.Permission
		switch {
		case j == 0:
			p = model.Permission{Pattern: a.NS + "/" + a.Short + "/*", Role: model.Write}
		case j%3 == 1:
			p = model.Permission{Pattern: fmt.Sprintf("%s/%s-svc%d", a.NS, a.Short, j), Role: model.Read}
		case j%3 == 2:
			p = model.Permission{Pattern: fmt.Sprintf("%s/%s-lib%d/**", a.NS, a.Short, j), Role: model.Admin}
		default:
			p = model.Permission{Pattern: fmt.Sprintf("shared%03d/%s/*", j, a.Short), Role: model.Read}
		}
		ps = append(ps, p)
	}
	return ps
}

// robotRules spreads total rules over n robots: about total/n each, varied
// by ±4 in pairs so that the sum stays exact, never fewer than one.
func robotRules(i, n, total int) int {
	k := (i+1)*total/n - i*total/n
	if k >= 5 && n%2 == 0 {
		d := (i / 2) % 5
		if i%2 == 0 {
			k += d
		} else {
			k -= d
		}
	}
	return max(k, 1)
}

// Seed creates the accounts and rules through the store's public API, one
// call per row (the store offers no bulk insert), from Options.Workers
// goroutines. Password hashes are computed in parallel first.
func Seed(ctx context.Context, db Store, h Hashes, opt Options) (Stats, error) {
	opt.defaults()
	start := time.Now()
	if h.RobotSecret == nil || h.Password == nil {
		return Stats{}, errors.New("benchseed: hash functions are required")
	}
	robotTotal := opt.Rules - opt.Users*opt.RulesPerUser
	if robotTotal < opt.Robots {
		return Stats{}, fmt.Errorf("benchseed: %d rules leave fewer than one per robot", opt.Rules)
	}
	hashes := make([]string, opt.Users)
	if err := parallel(ctx, opt.Users, runtime.GOMAXPROCS(0), func(i int) (err error) {
		hashes[i], err = h.Password(User(i, opt.Namespaces).Secret)
		return err
	}); err != nil {
		return Stats{}, err
	}
	var rules64 atomic.Int64
	now := time.Now()
	err := parallel(ctx, opt.Users, opt.Workers, func(i int) error {
		a := User(i, opt.Namespaces)
		if err := db.CreateUser(ctx, model.User{Name: a.Name, PasswordHash: hashes[i], CreatedAt: now}); err != nil {
			return err
		}
		for _, p := range rules(a, opt.RulesPerUser) {
			p.Subject, p.CreatedAt = model.UserSubject(a.Name), now
			if _, err := db.AddPermission(ctx, p); err != nil {
				return err
			}
			rules64.Add(1)
		}
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	err = parallel(ctx, opt.Robots, opt.Workers, func(i int) error {
		a := Robot(i, opt.Namespaces)
		r := model.Robot{Name: a.Name, Owner: User(i%max(opt.Users, 1), opt.Namespaces).Name,
			SecretHash: h.RobotSecret(a.Secret), Description: "benchmark robot", CreatedAt: now}
		if err := db.CreateRobot(ctx, r); err != nil {
			return err
		}
		for _, p := range rules(a, robotRules(i, opt.Robots, robotTotal)) {
			p.Subject, p.CreatedAt = model.RobotSubject(a.Name), now
			if _, err := db.AddPermission(ctx, p); err != nil {
				return err
			}
			rules64.Add(1)
		}
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	return Stats{Robots: opt.Robots, Users: opt.Users, Rules: int(rules64.Load()), Took: time.Since(start)}, nil
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("benchseed: %w", err)
	}
	return ctx.Err() // the caller's cancellation, if any
}
