package server

import (
	"context"
	"sync"
	"time"

	"github.com/regauth/regauth/server/model"
)

// accountCache keeps accounts read from the database for a short TTL, so a
// token request for a known robot costs no database round trip. Changes made
// through this server's admin API invalidate it at once (a regenerated or
// disabled robot fails immediately here); other replicas see them within the
// TTL, which is why it is short (documented in docs/server.md). Misses
// (unknown accounts) are not cached: a later create must work at once.
type accountCache struct {
	store accountStore
	ttl   time.Duration
	now   func() time.Time

	mu     sync.Mutex
	robots map[string]cachedRobot
	users  map[string]cachedUser
}

type cachedRobot struct {
	r       *model.Robot
	fetched time.Time
}

type cachedUser struct {
	u       *model.User
	fetched time.Time
}

func newAccountCache(store accountStore, ttl time.Duration, now func() time.Time) *accountCache {
	return &accountCache{store: store, ttl: ttl, now: now, robots: map[string]cachedRobot{}, users: map[string]cachedUser{}}
}

func (c *accountCache) GetRobot(ctx context.Context, name string) (*model.Robot, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.robots[name]
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < c.ttl {
		cp := *e.r
		return &cp, nil
	}
	r, err := c.store.GetRobot(ctx, name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.robots) > 100_000 {
		clear(c.robots)
	}
	c.robots[name] = cachedRobot{r, now}
	c.mu.Unlock()
	cp := *r
	return &cp, nil
}

func (c *accountCache) GetUser(ctx context.Context, name string) (*model.User, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.users[name]
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < c.ttl {
		cp := *e.u
		return &cp, nil
	}
	u, err := c.store.GetUser(ctx, name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.users) > 100_000 {
		clear(c.users)
	}
	c.users[name] = cachedUser{u, now}
	c.mu.Unlock()
	cp := *u
	return &cp, nil
}

func (c *accountCache) invalidate() {
	c.mu.Lock()
	clear(c.robots)
	clear(c.users)
	c.mu.Unlock()
}
