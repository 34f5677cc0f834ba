package server

import (
	"sync"
	"time"
)

// Throttle slows down password guessing without slowing down clients that
// know their secret. Only failures count. A client IP that keeps failing is
// locked out for a growing period; so is an (account, IP) pair. An account
// attacked from many IPs is locked too. Both the IP and the account locks
// spare an (account, IP) pair that has logged in successfully before, so a
// CI job pulling 50 layers in parallel with a valid robot never waits
// because someone else (even behind the same NAT) guesses passwords.
type Throttle struct {
	Threshold int           // failures within Window before a lockout; default 10
	Window    time.Duration // default 1 minute
	Base      time.Duration // first lockout; doubles per further failure; default 1s
	Max       time.Duration // longest lockout; default 5 minutes
	MaxKeys   int           // entries kept per map before the oldest are dropped; default 100,000

	mu      sync.Mutex
	buckets map[string]*bucket
	good    map[string]time.Time // account+"\x00"+ip that succeeded
}

type bucket struct {
	failures    int
	windowStart time.Time
	lockedUntil time.Time
	seen        time.Time
}

func (t *Throttle) defaults() {
	if t.Threshold == 0 {
		t.Threshold = 10
	}
	if t.Window == 0 {
		t.Window = time.Minute
	}
	if t.Base == 0 {
		t.Base = time.Second
	}
	if t.Max == 0 {
		t.Max = 5 * time.Minute
	}
	if t.MaxKeys == 0 {
		t.MaxKeys = 100_000
	}
	if t.buckets == nil {
		t.buckets = map[string]*bucket{}
		t.good = map[string]time.Time{}
	}
}

func ipKey(ip string) string         { return "ip\x00" + ip }
func pairKey(acct, ip string) string { return "pair\x00" + acct + "\x00" + ip }
func accountKey(acct string) string  { return "acct\x00" + acct }
func goodKey(acct, ip string) string { return acct + "\x00" + ip }

// Allow reports whether a login attempt for account from ip may be checked
// now, and if not, how long to wait.
func (t *Throttle) Allow(account, ip string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.defaults()
	wait := time.Duration(0)
	check := func(k string) {
		if b := t.buckets[k]; b != nil && now.Before(b.lockedUntil) {
			wait = max(wait, b.lockedUntil.Sub(now))
		}
	}
	check(pairKey(account, ip))
	// A client that has logged in to this account from this IP before is
	// not held back by others' failures: neither by a guesser behind the
	// same NAT (the IP lock) nor by a distributed attack (the account lock).
	if _, known := t.good[goodKey(account, ip)]; !known {
		check(ipKey(ip))
		check(accountKey(account))
	}
	return wait == 0, wait
}

// Fail records a failed attempt.
func (t *Throttle) Fail(account, ip string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.defaults()
	t.fail(ipKey(ip), t.Threshold, now)
	t.fail(pairKey(account, ip), t.Threshold, now)
	// An account is only locked for strangers after many more failures than
	// one IP may make: the lock exists for distributed guessing.
	t.fail(accountKey(account), 5*t.Threshold, now)
}

func (t *Throttle) fail(k string, threshold int, now time.Time) {
	b := t.buckets[k]
	if b == nil {
		if len(t.buckets) >= t.MaxKeys {
			t.evict(now)
		}
		b = &bucket{windowStart: now}
		t.buckets[k] = b
	}
	b.seen = now
	if now.Sub(b.windowStart) > t.Window && now.After(b.lockedUntil) {
		b.failures, b.windowStart = 0, now
	}
	b.failures++
	if over := b.failures - threshold; over >= 0 {
		d := t.Base << min(over, 20)
		if d > t.Max || d <= 0 {
			d = t.Max
		}
		b.lockedUntil = now.Add(d)
	}
}

// Succeed clears the pair's failures and remembers the IP as good for the
// account.
func (t *Throttle) Succeed(account, ip string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.defaults()
	delete(t.buckets, pairKey(account, ip))
	if _, ok := t.good[goodKey(account, ip)]; !ok && len(t.good) >= t.MaxKeys {
		t.evictGood(now)
	}
	t.good[goodKey(account, ip)] = now
}

// evict drops idle buckets, or the oldest half when all are busy, so an
// attacker cycling IPs cannot grow memory without bound.
func (t *Throttle) evict(now time.Time) {
	for k, b := range t.buckets {
		if now.After(b.lockedUntil) && now.Sub(b.seen) > t.Window {
			delete(t.buckets, k)
		}
	}
	if len(t.buckets) < t.MaxKeys {
		return
	}
	n := 0
	for k := range t.buckets {
		delete(t.buckets, k)
		if n++; n >= t.MaxKeys/2 {
			return
		}
	}
}

func (t *Throttle) evictGood(now time.Time) {
	for k, seen := range t.good {
		if now.Sub(seen) > 24*time.Hour {
			delete(t.good, k)
		}
	}
	if len(t.good) >= t.MaxKeys {
		clear(t.good)
	}
}
