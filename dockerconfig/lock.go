package dockerconfig

import (
	"context"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// procLocks serialises Update calls within this process before they take the
// file lock: flock would do that too on Linux, but fcntl-style and Windows
// locks are per process, and a channel lets a waiter honour its context.
var procLocks sync.Map // lock path → chan struct{} (capacity 1)

// lock takes the in-process and the file lock on path, polling the file lock
// so that ctx can cancel the wait (a blocking flock cannot be interrupted).
func lock(ctx context.Context, path string) (unlock func(), err error) {
	v, _ := procLocks.LoadOrStore(path, make(chan struct{}, 1))
	sem := v.(chan struct{})
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		<-sem
		return nil, stripPath(err)
	}
	release := func() {
		_ = f.Close() // closing drops the OS lock
		<-sem
	}
	delay := time.Millisecond
	for {
		ok, err := tryLock(f)
		if err != nil {
			release()
			return nil, err
		}
		if ok {
			return func() {
				_ = unlockFile(f)
				release()
			}, nil
		}
		// Jitter keeps many waiting processes from polling in lock step.
		t := time.NewTimer(delay/2 + rand.N(delay))
		select {
		case <-ctx.Done():
			t.Stop()
			release()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 32*time.Millisecond)
	}
}
