package server

import (
	"context"
	"sync"
	"time"

	"github.com/regauth/regauth/server/model"
)

// accountCache keeps accounts read from the database, so a token request
// for a known robot costs no database round trip. Changes made through this
// server's admin API invalidate it at once; changes through another replica
// reach it through the generation check (see checkGeneration), and the TTL
// bounds staleness should that check fail. Misses (unknown accounts) are not
// cached: a later create must work at once.
type accountCache struct {
	store  accountStore
	robots ttlCache[model.Robot]
	users  ttlCache[model.User]
}

func newAccountCache(store accountStore, ttl time.Duration, now func() time.Time) *accountCache {
	return &accountCache{store: store, robots: newTTLCache[model.Robot](ttl, now), users: newTTLCache[model.User](ttl, now)}
}

func (c *accountCache) GetRobot(ctx context.Context, name string) (*model.Robot, error) {
	return c.robots.get(ctx, name, c.store.GetRobot)
}

func (c *accountCache) GetUser(ctx context.Context, name string) (*model.User, error) {
	return c.users.get(ctx, name, c.store.GetUser)
}

func (c *accountCache) invalidate() {
	c.robots.clear()
	c.users.clear()
}

// ttlCache maps names to values fetched at most ttl ago. It hands out
// copies, so callers cannot change what others read.
type ttlCache[V any] struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       V
	fetched time.Time
}

func newTTLCache[V any](ttl time.Duration, now func() time.Time) ttlCache[V] {
	return ttlCache[V]{ttl: ttl, now: now, entries: map[string]ttlEntry[V]{}}
}

func (c *ttlCache[V]) get(ctx context.Context, name string, load func(context.Context, string) (*V, error)) (*V, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[name]
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < c.ttl {
		v := e.v
		return &v, nil
	}
	v, err := load(ctx, name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) > 100_000 { // bound memory under a spray of names
		clear(c.entries)
	}
	c.entries[name] = ttlEntry[V]{*v, now}
	c.mu.Unlock()
	cp := *v
	return &cp, nil
}

func (c *ttlCache[V]) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}
