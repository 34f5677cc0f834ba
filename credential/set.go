package credential

import (
	"slices"
	"sort"
	"sync"
)

// Source records where an entry came from, so `list`, `get --explain` and
// `check` can say which file, key and helper a credential lives in.
type Source struct {
	Label string // "docker", "podman-user", "--config", ...
	File  string // path of the file holding the key
	Key   string // the key exactly as written there
	Via   string // "auths", "credHelpers" or "credsStore"
}

// Entry pairs a Pattern with a credential. When Helper is set, the secret
// lives in the docker-credential-<Helper> program and Credential is empty
// until resolved.
type Entry struct {
	Pattern    Pattern
	Credential Credential
	Helper     string
	Source     Source
	// Email is the legacy account e-mail docker, kubectl and DC/OS still
	// write beside a credential; kept so conversions lose nothing.
	Email string
}

// Set is an ordered collection of entries. Order is precedence: when two
// entries are equally specific, the earlier one wins (earlier source files
// are added first). The zero value is ready to use. Lookups may run
// concurrently; changes (Add, Put, Remove, Grow) must not overlap anything.
type Set struct {
	entries []Entry

	mu     sync.Mutex       // guards the lazily built index below
	byHost map[string][]int // exact host -> indexes
	globs  []int
}

// NewSet returns a Set holding entries in order.
func NewSet(entries ...Entry) *Set {
	s := &Set{}
	for _, e := range entries {
		s.Add(e)
	}
	return s
}

// Add appends e; an entry with an equal pattern already present keeps
// precedence (lower-precedence duplicates stay visible to Explain).
func (s *Set) Add(e Entry) {
	s.entries = append(s.entries, e)
	s.changed()
}

// Grow makes room for n more entries.
func (s *Set) Grow(n int) { s.entries = slices.Grow(s.entries, n) }

// Put inserts e, replacing every entry with the same pattern. It is what a
// login does to the store's own file.
func (s *Set) Put(e Entry) {
	s.Remove(e.Pattern)
	s.Add(e)
}

// Remove deletes every entry whose pattern equals p and reports whether any did.
func (s *Set) Remove(p Pattern) bool {
	kept := s.entries[:0]
	for _, e := range s.entries {
		if e.Pattern != p {
			kept = append(kept, e)
		}
	}
	removed := len(kept) != len(s.entries)
	clear(s.entries[len(kept):])
	s.entries = kept
	s.changed()
	return removed
}

// Entries returns the entries in precedence order. The slice is a copy.
func (s *Set) Entries() []Entry { return append([]Entry(nil), s.entries...) }

// Len is the number of entries.
func (s *Set) Len() int { return len(s.entries) }

// index returns the host index, building it on first use after a change.
// The returned map and slice are never modified afterwards.
func (s *Set) index() (map[string][]int, []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byHost != nil {
		return s.byHost, s.globs
	}
	byHost := make(map[string][]int, len(s.entries))
	var globs []int
	for i, e := range s.entries {
		if e.Pattern.IsGlob() {
			globs = append(globs, i)
		} else {
			byHost[e.Pattern.Host] = append(byHost[e.Pattern.Host], i)
		}
	}
	s.byHost, s.globs = byHost, globs
	return byHost, globs
}

// changed drops the index after a change.
func (s *Set) changed() {
	s.mu.Lock()
	s.byHost, s.globs = nil, nil
	s.mu.Unlock()
}

// LookupAll returns every entry that applies to t, most specific first.
// Callers that can retry (kubelet does) try them in order.
func (s *Set) LookupAll(t Target) []Entry {
	byHost, globs := s.index()
	var idx []int
	for _, i := range byHost[t.Host] {
		if ok, _ := Match(s.entries[i].Pattern, t); ok {
			idx = append(idx, i)
		}
	}
	for _, i := range globs {
		if ok, _ := Match(s.entries[i].Pattern, t); ok {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ra, rb := rank(s.entries[idx[a]].Pattern), rank(s.entries[idx[b]].Pattern)
		if ra != rb {
			return less(ra, rb)
		}
		return idx[a] < idx[b]
	})
	out := make([]Entry, len(idx))
	for k, i := range idx {
		out[k] = s.entries[i]
	}
	return out
}

// Lookup returns the most specific entry for t.
func (s *Set) Lookup(t Target) (Entry, bool) {
	all := s.LookupAll(t)
	if len(all) == 0 {
		return Entry{}, false
	}
	return all[0], true
}
