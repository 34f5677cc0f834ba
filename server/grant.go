package server

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/regauth/regauth/server/model"
	"github.com/regauth/regauth/server/policy"
)

// APIScope is the scope that admin API tokens carry: type "regauth", name
// "api", action "*". Only administrators are granted it.
var APIScope = model.Scope{Type: "regauth", Name: "api", Actions: []model.Action{model.All}}

// grant computes what acct gets of requested: the API scope for admins, the
// rest from the policy engine over the account's permissions.
func (s *Server) grant(ctx context.Context, acct Account, requested []model.Scope, now time.Time) ([]model.Scope, error) {
	compiled := s.noPerms
	if sub := acct.Subject(); sub != "" {
		var err error
		if compiled, err = s.perms.get(ctx, sub, now); err != nil {
			return nil, err
		}
	}
	var rest []model.Scope
	var api []int
	for i, sc := range requested {
		if sc.Type == APIScope.Type {
			api = append(api, i)
			continue
		}
		rest = append(rest, sc)
	}
	granted := compiled.Grant(policy.Account{User: acct.User, Robot: acct.Robot}, rest, now)
	for _, i := range api {
		sc := model.Scope{Type: requested[i].Type, Name: requested[i].Name, Actions: []model.Action{}}
		if acct.IsAdmin() && requested[i].Name == APIScope.Name {
			sc.Actions = []model.Action{model.All}
		}
		granted = append(granted, sc)
	}
	return granted, nil
}

func formatScopes(scopes []model.Scope) string {
	var parts []string
	for _, sc := range scopes {
		if len(sc.Actions) == 0 {
			continue
		}
		acts := make([]string, len(sc.Actions))
		for i, a := range sc.Actions {
			acts[i] = string(a)
		}
		parts = append(parts, sc.Type+":"+sc.Name+":"+strings.Join(acts, ","))
	}
	return strings.Join(parts, " ")
}

// permCache keeps each account's compiled permissions for a short TTL: a
// token request then costs neither a database round trip nor a compile.
// Changes made through this server's admin API invalidate at once; other
// replicas see them within the TTL (documented).
type permCache struct {
	ttl     time.Duration
	engine  *policy.Engine
	load    func(ctx context.Context, sub model.Subject) ([]model.Permission, error)
	onError func(sub model.Subject, err error) // a bad row is skipped and reported

	mu      sync.Mutex
	entries map[model.Subject]permEntry
}

type permEntry struct {
	perms   *policy.Compiled
	fetched time.Time
}

func (c *permCache) get(ctx context.Context, sub model.Subject, now time.Time) (*policy.Compiled, error) {
	if c.ttl > 0 {
		c.mu.Lock()
		e, ok := c.entries[sub]
		c.mu.Unlock()
		if ok && now.Sub(e.fetched) < c.ttl {
			return e.perms, nil
		}
	}
	rows, err := c.load(ctx, sub)
	if err != nil {
		return nil, err
	}
	perms, err := c.engine.Compile(rows)
	if err != nil && c.onError != nil {
		c.onError(sub, err)
	}
	if c.ttl > 0 {
		c.mu.Lock()
		if c.entries == nil || len(c.entries) > 100_000 {
			c.entries = map[model.Subject]permEntry{}
		}
		c.entries[sub] = permEntry{perms, now}
		c.mu.Unlock()
	}
	return perms, nil
}

// invalidate drops every cached entry (admin changes are rare).
func (c *permCache) invalidate() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}

// invalidate drops cached accounts and permissions after an admin change
// here, and bumps the database's generation so other replicas do too.
func (s *Server) invalidate() {
	s.perms.invalidate()
	s.accounts.invalidate()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.db.BumpGeneration(ctx); err != nil {
		s.log.Warn("tell other replicas about a change", "err", err)
	}
}

// checkGeneration drops the caches when another replica changed accounts
// or permissions. At most one request a GenerationCheck pays the read.
func (s *Server) checkGeneration(ctx context.Context, now time.Time) {
	s.genMu.Lock()
	if now.Sub(s.genChecked) < s.cfg.GenerationCheck {
		s.genMu.Unlock()
		return
	}
	s.genChecked = now
	s.genMu.Unlock()
	n, err := s.db.Generation(ctx)
	if err != nil {
		s.log.Warn("read generation", "err", err)
		return
	}
	s.genMu.Lock()
	changed := n != s.gen
	s.gen = n
	s.genMu.Unlock()
	if changed {
		s.perms.invalidate()
		s.accounts.invalidate()
	}
}
