package store

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/helper"
)

// ErrNotFound means no source holds a credential for the target; callers
// then go anonymous, as every runtime does.
var ErrNotFound = errors.New("no credential found")

// Resolution is the credential for a target and where it came from.
type Resolution struct {
	Entry      credential.Entry // Entry.Credential is filled in, also for helper entries
	Skipped    []string         // helper entries tried that held nothing
	ByFallback bool             // found by asking a credsStore for the host
}

// Resolve returns the credential a client should present to t: the most
// specific entry first; helper entries are asked in turn (a helper that
// holds nothing passes to the next entry, a helper that fails is an error —
// never a silent downgrade to anonymous); finally each credsStore is asked
// for the host, as docker does.
func (l *Loaded) Resolve(ctx context.Context, t credential.Target) (Resolution, error) {
	var res Resolution
	for _, e := range l.Set.LookupAll(t) {
		if e.Helper == "" {
			if e.Credential.IsEmpty() {
				res.Skipped = append(res.Skipped, fmt.Sprintf("key %q in %s is empty", e.Source.Key, e.Source.File))
				continue
			}
			res.Entry = e
			return res, nil
		}
		cred, found, note, err := l.fromHelper(ctx, e)
		if err != nil {
			return res, err
		}
		if !found {
			res.Skipped = append(res.Skipped, note)
			if !e.Credential.IsEmpty() {
				res.Skipped = append(res.Skipped, fmt.Sprintf("the inline secret under key %q in %s is ignored: docker asks only the credsStore %q when one is set", e.Source.Key, e.Source.File, e.Helper))
			}
			continue
		}
		e.Credential = cred
		res.Entry = e
		return res, nil
	}
	for _, fb := range l.Fallbacks {
		if fb.Exclude[serverURL(t.Host)] {
			continue // docker asks that host's credHelpers entry, never the store
		}
		c := l.store.client(fb.Helper, "credsStore")
		url := serverURL(t.Host)
		cred, err := c.Get(ctx, url)
		if errors.Is(err, helper.ErrNotFound) {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s holds nothing for %s", c.Program(), url))
			continue
		}
		if err != nil {
			return res, err
		}
		src := fb.Source
		src.Key = url
		res.Entry = credential.Entry{Pattern: credential.Pattern{Host: t.Host}, Credential: cred, Helper: fb.Helper, Source: src}
		res.ByFallback = true
		return res, nil
	}
	return res, fmt.Errorf("%s: %w", t, ErrNotFound)
}

// Row is one line of `regauth list`: never a secret.
type Row struct {
	Registry string `json:"registry"`
	Username string `json:"username,omitempty"`
	Kind     string `json:"kind"`
	Source   string `json:"source"`
	File     string `json:"file,omitempty"`
	Via      string `json:"via"`
	Helper   string `json:"helper,omitempty"`
	Error    string `json:"error,omitempty"`
	Shadowed bool   `json:"shadowed,omitempty"` // an earlier source has the same pattern
}

// List describes every stored credential. Helpers are asked for their
// usernames (their `list` action returns no secrets); a failing helper is
// reported on its rows rather than hiding the others.
func (l *Loaded) List(ctx context.Context) []Row {
	type listing struct {
		users map[string]string
		err   error
	}
	lists := map[string]*listing{}
	list := func(name, cfgKey string) *listing {
		if got, ok := lists[name]; ok {
			return got
		}
		users, err := l.store.client(name, cfgKey).List(ctx)
		lists[name] = &listing{users, err}
		return lists[name]
	}

	seen := map[credential.Pattern]bool{}
	var rows []Row
	for _, e := range l.Set.Entries() {
		if e.Helper == "" && e.Credential.IsEmpty() && seen[e.Pattern] {
			continue // an empty placeholder behind the real entry adds nothing
		}
		r := Row{Registry: e.Source.Key, Username: e.Credential.Username, Kind: e.Credential.Kind(), Source: e.Source.Label, File: e.Source.File, Via: e.Source.Via, Helper: e.Helper, Shadowed: seen[e.Pattern]}
		seen[e.Pattern] = true
		if e.Helper != "" {
			r.Kind = "helper"
			if li := list(e.Helper, configKey(e.Source.Via, e.Source.Key)); li.err != nil {
				r.Error = li.err.Error()
			} else if u, ok := li.users[e.Source.Key]; ok {
				r.Username = u
			}
		}
		if r.Username == credential.TokenUsername {
			r.Username, r.Kind = "", "identity-token"
		}
		if e.Helper == "" && e.Credential.IsEmpty() {
			r.Kind = "empty"
		}
		rows = append(rows, r)
	}
	for _, fb := range l.Fallbacks {
		li := list(fb.Helper, "credsStore")
		if li.err != nil {
			rows = append(rows, Row{Registry: "*", Kind: "helper", Source: fb.Source.Label, File: fb.Source.File, Via: "credsStore", Helper: fb.Helper, Error: li.err.Error()})
			continue
		}
		urls := make([]string, 0, len(li.users))
		for u := range li.users {
			urls = append(urls, u)
		}
		sort.Strings(urls)
		for _, u := range urls {
			p, err := credential.ParsePattern(u)
			if err != nil || seen[p] {
				continue
			}
			seen[p] = true
			user, kind := li.users[u], "helper"
			if user == credential.TokenUsername {
				user, kind = "", "identity-token"
			}
			rows = append(rows, Row{Registry: u, Username: user, Kind: kind, Source: fb.Source.Label, File: fb.Source.File, Via: "credsStore", Helper: fb.Helper})
		}
	}
	return rows
}

// fromHelper asks the entry's helper for its secret under the server URL
// docker would use: the key itself for auths placeholders, the host for
// credHelpers. A helper holding nothing is not an error: found is false
// and note says so.
func (l *Loaded) fromHelper(ctx context.Context, e credential.Entry) (cred credential.Credential, found bool, note string, err error) {
	c := l.store.client(e.Helper, configKey(e.Source.Via, e.Source.Key))
	url := e.Source.Key
	if e.Source.Via == "credHelpers" {
		url = serverURL(e.Pattern.Host)
	}
	cred, err = c.Get(ctx, url)
	if errors.Is(err, helper.ErrNotFound) {
		return cred, false, fmt.Sprintf("%s holds nothing for %s", c.Program(), url), nil
	}
	return cred, err == nil, "", err
}
