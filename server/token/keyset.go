package token

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const (
	indexFile = "keys.json"
	// DefaultRetireAfter is how long a key stays published after it stopped
	// signing. It must outlive the longest token it signed plus the 60 s
	// leeway distribution allows; an hour covers any sane TTL.
	DefaultRetireAfter = time.Hour
	// DefaultCommonName is the subject of the self-signed certificates.
	DefaultCommonName = "regauth token issuer"
)

// Key states, as KeyInfo reports them.
const (
	StateSigning = "signing" // signs new tokens
	StateNext    = "next"    // published ahead of time; signs after the next Rotate
	StateRetired = "retired" // no longer signs; published until RemoveAfter
)

// KeySet is the token signing keys kept in a directory: one signing key,
// one pre-published next key and the retired keys whose tokens may still be
// live. distribution reads its rootcertbundle/jwks only when it starts, so
// a key must be published before it signs anything: Rotate promotes the
// next key, which the registry has had since its last restart.
//
// A KeySet is safe for concurrent use; several processes must not rotate
// the same directory at once.
type KeySet struct {
	dir         string
	alg         string
	cn          string
	retireAfter time.Duration

	mu    sync.Mutex // serialises changes; readers use state
	state atomic.Pointer[keyState]
}

// KeyOption adjusts LoadOrCreateKeys.
type KeyOption func(*KeySet)

// WithCommonName sets the subject CN of new certificates (use the issuer).
func WithCommonName(cn string) KeyOption { return func(ks *KeySet) { ks.cn = cn } }

// WithRetireAfter sets how long retired keys stay published.
func WithRetireAfter(d time.Duration) KeyOption { return func(ks *KeySet) { ks.retireAfter = d } }

// KeyInfo describes one key for the admin API; it holds no secret.
type KeyInfo struct {
	KID         string    `json:"kid"`
	Alg         string    `json:"alg"`
	State       string    `json:"state"`
	Created     time.Time `json:"created"`
	Activated   time.Time `json:"activated,omitzero"`
	Retired     time.Time `json:"retired,omitzero"`
	RemoveAfter time.Time `json:"remove_after,omitzero"`
}

type entry struct {
	meta keyMeta
	key  *key
}

// keyState is an immutable snapshot: entries[0] signs, entries[1] is next,
// the rest are retired, newest first.
type keyState struct {
	entries []entry
	jwks    []byte
	bundle  []byte
}

// LoadOrCreateKeys loads the keys in dir, creating the directory (0700),
// a signing key and a next key of algorithm alg (default ES256) as needed,
// and dropping retired keys whose time is up. alg applies to keys created
// from now on: after a change the current key signs until the next Rotate.
func LoadOrCreateKeys(dir, alg string, now time.Time, opts ...KeyOption) (*KeySet, error) {
	if alg == "" {
		alg = ES256
	}
	if err := checkAlg(alg); err != nil {
		return nil, fmt.Errorf("load keys: %w", err)
	}
	ks := &KeySet{dir: dir, alg: alg, cn: DefaultCommonName, retireAfter: DefaultRetireAfter}
	for _, o := range opts {
		o(ks)
	}
	if ks.retireAfter <= 0 {
		return nil, errors.New("load keys: retire-after must be positive")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("load keys: %w", err)
	}
	entries, err := ks.readIndex()
	if err != nil {
		return nil, fmt.Errorf("load keys from %s: %w", dir, err)
	}
	if err := ks.change(entries, now, false); err != nil {
		return nil, fmt.Errorf("load keys in %s: %w", dir, err)
	}
	return ks, nil
}

// Rotate retires the signing key, promotes the next key to signing and
// creates a new next key; retired keys past their time are removed. Write
// the registry files afterwards and restart (or reload) the registry before
// the following Rotate, so it knows the new next key.
func (ks *KeySet) Rotate(now time.Time) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if err := ks.change(ks.state.Load().entries, now, true); err != nil {
		return fmt.Errorf("rotate keys in %s: %w", ks.dir, err)
	}
	return nil
}

// Prune removes retired keys whose retire-after time has passed.
func (ks *KeySet) Prune(now time.Time) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if err := ks.change(ks.state.Load().entries, now, false); err != nil {
		return fmt.Errorf("prune keys in %s: %w", ks.dir, err)
	}
	return nil
}

// RetireAfter is how long a retired key stays published.
func (ks *KeySet) RetireAfter() time.Duration { return ks.retireAfter }

// Keys describes every key, signing first.
func (ks *KeySet) Keys() []KeyInfo {
	st := ks.state.Load()
	out := make([]KeyInfo, len(st.entries))
	for i, e := range st.entries {
		out[i] = KeyInfo{KID: e.meta.KID, Alg: e.meta.Alg, State: e.meta.state(), Created: e.meta.Created,
			Activated: e.meta.Activated, Retired: e.meta.Retired}
		if !e.meta.Retired.IsZero() {
			out[i].RemoveAfter = e.meta.Retired.Add(ks.retireAfter)
		}
	}
	return out
}

// Algorithms lists the distinct algorithms of the published keys.
func (ks *KeySet) Algorithms() []string {
	var out []string
	for _, e := range ks.state.Load().entries {
		if !slices.Contains(out, e.meta.Alg) {
			out = append(out, e.meta.Alg)
		}
	}
	return out
}

func (ks *KeySet) signingKey() *key { return ks.state.Load().entries[0].key }

// change computes the next set of keys, writes new key files and the index
// (in that order, so the index never names a missing file), removes the
// files of dropped keys and publishes the new snapshot.
func (ks *KeySet) change(old []entry, now time.Time, rotate bool) error {
	var created, dropped []entry
	add := func(activated time.Time) (entry, error) {
		k, err := ks.create(now)
		if err != nil {
			return entry{}, err
		}
		e := entry{meta: keyMeta{KID: k.kid, Alg: k.alg, Created: now.UTC(), Activated: activated}, key: k}
		created = append(created, e)
		return e, nil
	}
	var sig, nxt *entry
	var retired []entry
	for _, e := range old {
		switch e.meta.state() {
		case StateSigning:
			sig = &e
		case StateNext:
			nxt = &e
		default:
			if now.Sub(e.meta.Retired) >= ks.retireAfter {
				dropped = append(dropped, e)
			} else {
				retired = append(retired, e)
			}
		}
	}
	if rotate && sig != nil {
		sig.meta.Retired = now.UTC()
		retired = append(retired, *sig)
		sig = nil
	}
	if nxt != nil && nxt.meta.Alg != ks.alg {
		// The algorithm changed. The next key never signed anything, so it
		// can simply go; its replacement is published from now on.
		dropped = append(dropped, *nxt)
		nxt = nil
	}
	if sig == nil && nxt != nil {
		nxt.meta.Activated = now.UTC()
		sig, nxt = nxt, nil
	}
	if sig == nil {
		e, err := add(now.UTC())
		if err != nil {
			return err
		}
		sig = &e
	}
	if nxt == nil {
		e, err := add(time.Time{})
		if err != nil {
			return err
		}
		nxt = &e
	}
	kept := []entry{*sig, *nxt}
	slices.SortFunc(retired, func(a, b entry) int { return b.meta.Retired.Compare(a.meta.Retired) })
	kept = append(kept, retired...)

	for _, e := range created {
		data, err := encodeKey(e.key)
		if err != nil {
			return fmt.Errorf("encode key %s: %w", e.meta.KID, err)
		}
		if err := writeFileAtomic(ks.keyPath(e.meta.KID), data, 0o600); err != nil {
			return err
		}
	}
	if rotate || len(created) > 0 || len(dropped) > 0 || !slices.EqualFunc(old, kept, sameMeta) {
		if err := ks.writeIndex(kept); err != nil {
			return err
		}
	}
	for _, e := range dropped {
		if err := os.Remove(ks.keyPath(e.meta.KID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove retired key: %w", err)
		}
	}
	st, err := newState(kept)
	if err != nil {
		return err
	}
	ks.state.Store(st)
	return nil
}

func sameMeta(a, b entry) bool { return a.meta == b.meta }

func (ks *KeySet) create(now time.Time) (*key, error) {
	priv, err := generateKey(ks.alg)
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", ks.alg, err)
	}
	cert, err := selfSign(priv, ks.cn, now)
	if err != nil {
		return nil, fmt.Errorf("self-sign %s key: %w", ks.alg, err)
	}
	return newKey(priv, cert)
}

func (ks *KeySet) keyPath(kid string) string { return filepath.Join(ks.dir, kid+".pem") }
