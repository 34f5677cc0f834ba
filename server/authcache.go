package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// verifiedCache remembers successful password verifications for a short
// time, so a client requesting a token per layer does not pay bcrypt each
// time. Entries are keyed by an HMAC (with a per-process random key) of the
// user, the presented password and the stored hash: the cache never holds a
// password, and a password change (a new hash) misses it at once.
type verifiedCache struct {
	ttl time.Duration
	key []byte

	mu      sync.Mutex
	entries map[[sha256.Size]byte]time.Time
}

func newVerifiedCache(ttl time.Duration) *verifiedCache {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return &verifiedCache{ttl: ttl, key: k, entries: map[[sha256.Size]byte]time.Time{}}
}

func (c *verifiedCache) id(user, password, hash string) [sha256.Size]byte {
	m := hmac.New(sha256.New, c.key)
	for _, s := range []string{user, password, hash} {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	var out [sha256.Size]byte
	copy(out[:], m.Sum(nil))
	return out
}

func (c *verifiedCache) ok(user, password, hash string, now time.Time) bool {
	if c.ttl <= 0 {
		return false
	}
	id := c.id(user, password, hash)
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.entries[id]
	if ok && now.After(exp) {
		delete(c.entries, id)
		return false
	}
	return ok
}

func (c *verifiedCache) add(user, password, hash string, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	id := c.id(user, password, hash)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) > 100_000 {
		for k, exp := range c.entries {
			if now.After(exp) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) > 100_000 {
			clear(c.entries)
		}
	}
	c.entries[id] = now.Add(c.ttl)
}
