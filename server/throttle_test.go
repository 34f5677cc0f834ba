package server

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func failN(th *Throttle, n int, acct, ip string, now time.Time) {
	for range n {
		th.Fail(acct, ip, now)
	}
}

func TestThrottleLocksAnIPAfterThreshold(t *testing.T) {
	t.Parallel()
	th := &Throttle{Threshold: 3}
	failN(th, 2, "alice", "192.0.2.1", t0)
	if ok, _ := th.Allow("alice", "192.0.2.1", t0); !ok {
		t.Fatalf("locked after 2 failures, threshold 3")
	}
	th.Fail("alice", "192.0.2.1", t0)
	ok, wait := th.Allow("alice", "192.0.2.1", t0)
	if ok || wait != time.Second {
		t.Fatalf("after 3 failures: allowed %v, wait %s; want locked for the 1s base", ok, wait)
	}
	// The IP is locked for every account, not just the one it guessed at.
	if ok, _ := th.Allow("bob", "192.0.2.1", t0); ok {
		t.Errorf("the locked IP may try another account")
	}
	// Other IPs are unaffected, even for the same account.
	if ok, _ := th.Allow("alice", "192.0.2.2", t0); !ok {
		t.Errorf("another IP is locked out of alice after 3 failures elsewhere")
	}
	// The lock ends on time.
	if ok, _ := th.Allow("alice", "192.0.2.1", t0.Add(time.Second)); !ok {
		t.Errorf("still locked after the lockout ended")
	}
}

func TestThrottleWindowForgetsOldFailures(t *testing.T) {
	t.Parallel()
	th := &Throttle{Threshold: 3, Window: time.Minute}
	failN(th, 2, "alice", "192.0.2.1", t0)
	th.Fail("alice", "192.0.2.1", t0.Add(2*time.Minute)) // a new window: 1 failure
	if ok, _ := th.Allow("alice", "192.0.2.1", t0.Add(2*time.Minute)); !ok {
		t.Errorf("failures of an old window still count")
	}
}

func TestThrottleSuccessClearsThePairOnly(t *testing.T) {
	t.Parallel()
	th := &Throttle{Threshold: 3}
	failN(th, 2, "alice", "192.0.2.1", t0)
	th.Succeed("alice", "192.0.2.1", t0)
	// The pair starts over; the IP keeps its count (a success on one
	// account must not reset an IP guessing at others).
	th.Fail("alice", "192.0.2.1", t0)
	if ok, _ := th.Allow("carol", "192.0.2.1", t0); ok {
		t.Errorf("IP not locked after 3 failures with a success in between")
	}
	if _, ok := th.buckets[pairKey("alice", "192.0.2.1")]; !ok {
		t.Fatalf("no pair bucket after a failure")
	}
	if got := th.buckets[pairKey("alice", "192.0.2.1")].failures; got != 1 {
		t.Errorf("pair failures after success and one failure = %d, want 1", got)
	}
}

func TestThrottleAccountLockSparesKnownIPs(t *testing.T) {
	t.Parallel()
	th := &Throttle{Threshold: 10}
	const acct = "team+ci"
	th.Succeed(acct, "198.51.100.1", t0) // the CI runner logged in before
	// A distributed attack: many IPs, each below the per-IP threshold,
	// 5×threshold failures on the account in all.
	for i := range 50 {
		ip := fmt.Sprintf("203.0.113.%d", i)
		if ok, _ := th.Allow(acct, ip, t0); !ok {
			t.Fatalf("stranger %d locked before the account threshold", i)
		}
		th.Fail(acct, ip, t0)
	}
	if ok, _ := th.Allow(acct, "203.0.113.200", t0); ok {
		t.Errorf("account not locked for strangers after 50 failures from 50 IPs")
	}
	if ok, wait := th.Allow(acct, "198.51.100.1", t0); !ok {
		t.Errorf("the account's known-good IP is locked out (wait %s)", wait)
	}
	// Other accounts are not affected by the account lock.
	if ok, _ := th.Allow("team+other", "203.0.113.200", t0); !ok {
		t.Errorf("another account is locked for a fresh IP")
	}
}

func TestThrottleLockoutGrowsAndCaps(t *testing.T) {
	t.Parallel()
	th := &Throttle{Threshold: 2, Base: time.Second, Max: 8 * time.Second, Window: time.Hour}
	now := t0
	th.Fail("a", "192.0.2.9", now)
	var got []time.Duration
	for range 6 {
		// A client that retries as soon as it may, and fails again.
		th.Fail("a", "192.0.2.9", now)
		ok, wait := th.Allow("a", "192.0.2.9", now)
		if ok {
			t.Fatalf("not locked after failure")
		}
		got = append(got, wait)
		now = now.Add(wait)
		if ok, _ := th.Allow("a", "192.0.2.9", now); !ok {
			t.Fatalf("still locked when the wait is over")
		}
	}
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("lockouts %v, want %v", got, want)
	}
}

func TestThrottleHugeShiftCaps(t *testing.T) {
	t.Parallel()
	// Many failures must not overflow the doubling into a tiny or negative
	// lockout.
	th := &Throttle{Threshold: 1, Base: time.Second, Max: time.Hour, Window: 1000 * time.Hour}
	now := t0
	for range 200 {
		th.Fail("a", "192.0.2.9", now)
		_, wait := th.Allow("a", "192.0.2.9", now)
		if wait <= 0 || wait > time.Hour {
			t.Fatalf("lockout %s out of (0, 1h]", wait)
		}
		now = now.Add(wait)
	}
}

func TestThrottleMemoryIsBounded(t *testing.T) {
	t.Parallel()
	th := &Throttle{Threshold: 5, MaxKeys: 100}
	for i := range 10_000 {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		th.Fail(fmt.Sprintf("user%d", i), ip, t0)
		th.Succeed(fmt.Sprintf("user%d", i), ip, t0)
		if len(th.buckets) > th.MaxKeys || len(th.good) > th.MaxKeys {
			t.Fatalf("after %d clients: %d buckets, %d good entries; MaxKeys %d", i+1, len(th.buckets), len(th.good), th.MaxKeys)
		}
	}
}

func TestThrottleConcurrentUse(t *testing.T) {
	t.Parallel()
	th := &Throttle{}
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 500 {
				ip := fmt.Sprintf("192.0.2.%d", (g*500+i)%250)
				th.Allow("a", ip, t0)
				th.Fail("a", ip, t0)
				th.Succeed("b", ip, t0)
			}
		}()
	}
	for range 8 {
		<-done
	}
}
