package provider

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCacheLifecycle(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c := &Cache{Path: filepath.Join(t.TempDir(), "tokens.json"), Now: clock}
	var mints atomic.Int32
	fail := false
	mint := func(context.Context) (Token, error) {
		mints.Add(1)
		if fail {
			return Token{}, errors.New("cloud unreachable")
		}
		return Token{Username: "AWS", Password: "pw-" + now.Format(time.TimeOnly), Expires: now.Add(12 * time.Hour)}, nil
	}
	ctx := context.Background()
	first, err := c.Get(ctx, "ecr", mint)
	if err != nil || mints.Load() != 1 {
		t.Fatalf("first get: %v, %d mints", err, mints.Load())
	}
	if st, err := os.Stat(c.Path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v", st, err)
	}
	now = now.Add(5 * time.Hour) // before half-life: cached
	if got, _ := c.Get(ctx, "ecr", mint); got.Password != first.Password || mints.Load() != 1 {
		t.Fatalf("before half-life: minted again (%d)", mints.Load())
	}
	now = now.Add(2 * time.Hour) // past half-life: refreshed
	second, _ := c.Get(ctx, "ecr", mint)
	if second.Password == first.Password || mints.Load() != 2 {
		t.Fatalf("after half-life: not refreshed (%d mints)", mints.Load())
	}
	now = now.Add(7 * time.Hour) // past half-life of the second; minting fails: stale but valid
	fail = true
	if got, err := c.Get(ctx, "ecr", mint); err != nil || got.Password != second.Password {
		t.Fatalf("stale fallback: %v", err)
	}
	now = now.Add(6 * time.Hour) // past expiry: never handed out
	if _, err := c.Get(ctx, "ecr", mint); err == nil {
		t.Fatal("an expired token was returned")
	}
}

// 100 concurrent gets of an empty cache mint once.
func TestCacheNoRefreshStorm(t *testing.T) {
	t.Parallel()
	c := &Cache{Path: filepath.Join(t.TempDir(), "tokens.json")}
	var mints atomic.Int32
	release := make(chan struct{})
	mint := func(context.Context) (Token, error) {
		mints.Add(1)
		<-release
		return Token{Username: "AWS", Password: "x", Expires: time.Now().Add(time.Hour)}, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Get(context.Background(), "ecr", mint); err != nil {
				errs <- err
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := mints.Load(); n != 1 {
		t.Fatalf("%d mints for 100 concurrent gets, want 1", n)
	}
}
