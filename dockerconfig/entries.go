package dockerconfig

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/regauth/regauth/credential"
)

// HelperEntries turns credHelpers into entries whose secret lives in the
// named helper, in key order. docker looks credHelpers up by exact key (the
// canonical one, "https://index.docker.io/v1/" for Docker Hub), so other
// spellings are returned as problems and skipped, as are invalid keys.
func (f *File) HelperEntries(src Source) ([]credential.Entry, []error) {
	var out []credential.Entry
	var problems []error
	for _, key := range sortedKeys(f.CredHelpers) {
		p, err := credential.ParsePattern(key)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: credHelpers[%q]: %w", src.Path, key, err))
			continue
		}
		if p.Key() != key {
			problems = append(problems, fmt.Errorf("%s: credHelpers[%q] is ignored: docker looks this registry up as %q", src.Path, key, p.Key()))
			continue
		}
		out = append(out, credential.Entry{Pattern: p, Helper: f.CredHelpers[key], Source: credential.Source{Label: src.Label, File: src.Path, Key: key, Via: "credHelpers"}})
	}
	return out, problems
}

// AuthEntries turns auths into entries. In a file with a credsStore, docker
// asks only that store and ignores inline secrets, so every entry gets
// Helper = credsStore (an empty one is docker's placeholder; an inline
// secret is kept in Credential so callers can say it is ignored). Pass ""
// to read entries as inline credentials. Keys that credHelpers names are
// left out: docker asks that helper for them, never the auths entry.
// Entries are ordered by the place they name; among keys naming the same
// place, the one docker writes and reads ("https://index.docker.io/v1/")
// comes first, so it wins as it does for docker. Invalid keys and auth
// values are returned as problems and skipped.
func (f *File) AuthEntries(src Source, credsStore string) ([]credential.Entry, []error) {
	type parsedKey struct {
		key       string
		p         credential.Pattern
		canonical bool
	}
	var problems []error
	keys := make([]parsedKey, 0, len(f.Auths))
	for key := range f.Auths {
		if _, ok := f.CredHelpers[key]; ok {
			continue
		}
		p, err := credential.ParsePattern(key)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: auths[%q]: %w", src.Path, key, err))
			continue
		}
		keys = append(keys, parsedKey{key, p, p.Key() == key})
	}
	slices.SortFunc(keys, func(a, b parsedKey) int {
		if c := cmp.Compare(a.p.Host, b.p.Host); c != 0 {
			return c
		}
		if c := cmp.Compare(a.p.Path, b.p.Path); c != 0 {
			return c
		}
		if a.canonical != b.canonical {
			if a.canonical {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.key, b.key)
	})
	out := make([]credential.Entry, 0, len(keys))
	for _, k := range keys {
		a := f.Auths[k.key]
		user, pass, idt, regt, err := a.Credentials()
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: auths[%q].auth: %w", src.Path, k.key, err))
			continue
		}
		e := credential.Entry{
			Pattern:    k.p,
			Credential: credential.Credential{Username: user, Password: pass, IdentityToken: idt, RegistryToken: regt},
			Source:     credential.Source{Label: src.Label, File: src.Path, Key: k.key, Via: "auths"},
			Email:      a.Email,
		}
		if credsStore != "" {
			e.Helper = credsStore
			e.Source.Via = "credsStore"
		}
		out = append(out, e)
	}
	return out, problems
}
