package store

import (
	"context"
	"errors"
	"sort"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/helper"
)

// Flatten returns one entry per pattern, in precedence order, with every
// secret resolved from its helper, so that an export is self-contained (what
// CI jobs, containers and other platforms need). Entries in a credsStore
// that no key names are included too, as docker's `GetAllCredentials` does.
// With keepHelpers, helper entries stay references instead. A helper that
// holds nothing for a key is reported in skipped; a helper that fails is an
// error.
func (l *Loaded) Flatten(ctx context.Context, keepHelpers bool) (entries []credential.Entry, skipped []string, err error) {
	seen := map[credential.Pattern]bool{}
	for _, e := range l.Set.Entries() {
		if seen[e.Pattern] {
			continue
		}
		if e.Helper == "" && e.Credential.IsEmpty() {
			continue // placeholder with nothing behind it
		}
		if e.Helper != "" && !keepHelpers {
			cred, found, note, err := l.fromHelper(ctx, e)
			if err != nil {
				return nil, nil, err
			}
			if !found {
				skipped = append(skipped, note)
				continue
			}
			e.Credential = cred
		}
		seen[e.Pattern] = true
		entries = append(entries, e)
	}
	for _, fb := range l.Fallbacks {
		if keepHelpers {
			break // the credsStore reference is not a per-key entry
		}
		c := l.store.client(fb.Helper, "credsStore")
		users, err := c.List(ctx)
		if err != nil {
			return nil, nil, err
		}
		urls := make([]string, 0, len(users))
		for u := range users {
			urls = append(urls, u)
		}
		sort.Strings(urls)
		for _, u := range urls {
			p, err := credential.ParsePattern(u)
			if err != nil || seen[p] {
				continue
			}
			cred, err := c.Get(ctx, u)
			if errors.Is(err, helper.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			seen[p] = true
			src := fb.Source
			src.Key = u
			entries = append(entries, credential.Entry{Pattern: p, Credential: cred, Source: src})
		}
	}
	return entries, skipped, nil
}
