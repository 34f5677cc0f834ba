package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/regauth/regauth/dockerconfig"
)

// Minter mints a fresh token.
type Minter func(ctx context.Context) (Token, error)

// Cache keeps minted tokens in a 0600 file (written atomically), so that a
// `get` per layer does not call the cloud each time. A token is refreshed
// once half its life has passed; if minting then fails, the cached token is
// used while it is still valid; a token is never handed out past its expiry.
// Concurrent callers for one key share one mint.
type Cache struct {
	Path string
	Now  func() time.Time

	mu       sync.Mutex
	inflight map[string]*mintCall
}

type mintCall struct {
	done chan struct{}
	tok  Token
	err  error
}

type cachedToken struct {
	Username string    `json:"username"`
	Password string    `json:"password"`
	Issued   time.Time `json:"issued"`
	Expires  time.Time `json:"expires"`
}

func (c *Cache) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// Get returns the token for key, minting when needed.
func (c *Cache) Get(ctx context.Context, key string, mint Minter) (Token, error) {
	now := c.now()
	cached, haveCached := c.read(key)
	if haveCached && now.Before(cached.Issued.Add(cached.Expires.Sub(cached.Issued)/2)) {
		return Token{Username: cached.Username, Password: cached.Password, Expires: cached.Expires}, nil
	}
	tok, err := c.mintOnce(ctx, key, mint)
	if err != nil {
		if haveCached && now.Before(cached.Expires) {
			return Token{Username: cached.Username, Password: cached.Password, Expires: cached.Expires}, nil
		}
		return Token{}, err
	}
	return tok, nil
}

// mintOnce shares one mint among concurrent callers for a key.
func (c *Cache) mintOnce(ctx context.Context, key string, mint Minter) (Token, error) {
	c.mu.Lock()
	if c.inflight == nil {
		c.inflight = map[string]*mintCall{}
	}
	if call, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-call.done:
			return call.tok, call.err
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
	}
	call := &mintCall{done: make(chan struct{})}
	c.inflight[key] = call
	c.mu.Unlock()

	issued := c.now()
	// Another caller may have minted between our read and now.
	if t, ok := c.read(key); ok && issued.Before(t.Issued.Add(t.Expires.Sub(t.Issued)/2)) {
		call.tok = Token{Username: t.Username, Password: t.Password, Expires: t.Expires}
	} else {
		call.tok, call.err = mint(ctx)
		if call.err == nil && !call.tok.Expires.After(issued) {
			call.err = fmt.Errorf("minted token for %s is already expired", key)
		}
		if call.err == nil {
			if err := c.write(ctx, key, cachedToken{call.tok.Username, call.tok.Password, issued, call.tok.Expires}); err != nil {
				call.err = fmt.Errorf("cache token: %w", err)
			}
		}
	}
	c.mu.Lock()
	delete(c.inflight, key)
	c.mu.Unlock()
	close(call.done)
	return call.tok, call.err
}

func (c *Cache) load() map[string]cachedToken {
	m := map[string]cachedToken{}
	data, err := os.ReadFile(c.Path)
	if err != nil {
		return m
	}
	_ = json.Unmarshal(data, &m) // a corrupt cache is just empty
	return m
}

func (c *Cache) read(key string) (cachedToken, bool) {
	t, ok := c.load()[key]
	return t, ok && t.Password != ""
}

func (c *Cache) write(ctx context.Context, key string, t cachedToken) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.load()
	now := c.now()
	for k, v := range m { // drop what can never be used again
		if !now.Before(v.Expires) {
			delete(m, k)
		}
	}
	m[key] = t
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	err = dockerconfig.WriteAtomic(ctx, c.Path, data, 0o600)
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%s is not writable", c.Path)
	}
	return err
}
