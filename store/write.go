package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/dockerconfig"
	"github.com/regauth/regauth/helper"
)

// Where a login stores its credential.
const (
	ModeAuto   = ""       // like docker: the helper config.json names for the host, else the file
	ModeFile   = "file"   // inline in config.json, whatever credsStore says
	ModeHelper = "helper" // the configured helper; an error when none is configured
)

// Saved says where a credential went.
type Saved struct {
	Key    string // config.json key written
	File   string // file that holds the secret or the placeholder
	Helper string // helper that holds the secret, "" for inline
	// Dropped names fields of alias keys (e.g. "docker.io" beside
	// "https://index.docker.io/v1/") that conflicted with the kept entry.
	Dropped []string
}

// helperFor returns the helper config.json assigns to p, exactly as docker
// chooses: credHelpers under the key docker looks up (the canonical one,
// "https://index.docker.io/v1/" for Docker Hub), else credsStore.
func helperFor(f *dockerconfig.File, p credential.Pattern) (name, key string) {
	if h, ok := f.CredHelpers[p.Key()]; ok {
		return h, fmt.Sprintf("credHelpers[%q]", p.Key())
	}
	if f.CredsStore != "" {
		return f.CredsStore, "credsStore"
	}
	return "", ""
}

// ErrInlineIgnored is returned when --store file would write a secret that
// docker ignores because the file names a credential helper for the host.
var ErrInlineIgnored = errors.New("docker ignores inline secrets for this registry")

// Save stores cred for p. The config file is updated under its lock; a
// helper is written before the placeholder that points at it, so a crash in
// between leaves a usable state.
func (s *Store) Save(ctx context.Context, p credential.Pattern, cred credential.Credential, mode string) (Saved, error) {
	path := s.WritePath()
	cur, err := dockerconfig.Load(path)
	if err != nil {
		return Saved{}, err
	}
	name, cfgKey := helperFor(cur, p)
	if mode == ModeFile && name != "" && name != SelfHelper {
		return Saved{}, fmt.Errorf("store in %s: %s names docker-credential-%s (%s) for %s, so %w", path, path, name, cfgKey, p, ErrInlineIgnored)
	}
	if mode == ModeFile {
		name = ""
	}
	if mode == ModeHelper && name == "" {
		return Saved{}, fmt.Errorf("store in helper: %s names no credsStore or credHelpers entry for %s", path, p)
	}
	key := p.Key()
	switch {
	case name == "":
		saved := Saved{Key: key, File: path}
		return saved, dockerconfig.Update(ctx, path, func(f *dockerconfig.File) error {
			e, dropped := putEntry(f, p, key)
			saved.Dropped = dropped
			e.SetCredentials(cred.Username, cred.Password, cred.IdentityToken, cred.RegistryToken)
			return nil
		})
	case name == SelfHelper:
		if err := s.saveOwn(ctx, p, cred); err != nil {
			return Saved{}, err
		}
	default:
		if err := s.client(name, cfgKey).Store(ctx, key, cred); err != nil {
			return Saved{}, err
		}
	}
	// Docker keeps an empty placeholder in auths so the key is listed; any
	// inline secret left there would shadow the helper's for other tools.
	saved := Saved{Key: key, File: path, Helper: name}
	err = dockerconfig.Update(ctx, path, func(f *dockerconfig.File) error {
		e, dropped := putEntry(f, p, key)
		saved.Dropped = dropped
		e.SetCredentials("", "", "", "")
		return nil
	})
	return saved, err
}

func (s *Store) saveOwn(ctx context.Context, p credential.Pattern, cred credential.Credential) error {
	if s.opts.OwnFile == "" {
		return fmt.Errorf("store in regauth: no regauth credential file configured")
	}
	return dockerconfig.Update(ctx, s.opts.OwnFile, func(f *dockerconfig.File) error {
		e, _ := putEntry(f, p, p.Key())
		e.SetCredentials(cred.Username, cred.Password, cred.IdentityToken, cred.RegistryToken)
		return nil
	})
}

// putEntry returns the entry for key, creating it. Other keys naming the same
// place (aliases such as "docker.io" for Docker Hub) are folded into it —
// their email and unknown fields move over, and the alias keys go, so no
// stale duplicate keeps shadowing the new credential in some tool. Fields
// that conflict with the kept entry's are returned as dropped.
func putEntry(f *dockerconfig.File, p credential.Pattern, key string) (*dockerconfig.AuthEntry, []string) {
	if f.Auths == nil {
		f.Auths = map[string]*dockerconfig.AuthEntry{}
	}
	e := f.Auths[key]
	if e == nil {
		e = &dockerconfig.AuthEntry{}
		f.Auths[key] = e
	}
	var dropped []string
	for _, k := range sortedKeys(f.Auths) {
		if k == key {
			continue
		}
		if kp, err := credential.ParsePattern(k); err == nil && kp == p {
			for _, d := range e.MergeExtras(f.Auths[k]) {
				dropped = append(dropped, fmt.Sprintf("auths[%q].%s", k, d))
			}
			delete(f.Auths, k)
		}
	}
	return e, dropped
}

// Erased lists what a logout removed.
type Erased struct {
	Keys    []string // config.json keys removed
	Helpers []string // helper programs erased from
	// Warnings are helper failures: like docker logout we still remove the
	// config entry, and say what could not be erased.
	Warnings []string
}

// Erase removes every credential for p from the write file, its helpers and
// regauth's own file, like docker logout (which also tries every alias).
func (s *Store) Erase(ctx context.Context, p credential.Pattern) (Erased, error) {
	var out Erased
	path := s.WritePath()
	cur, err := dockerconfig.Load(path)
	if err != nil {
		return out, err
	}
	name, cfgKey := helperFor(cur, p)
	keys := matchingKeys(cur, p)
	switch {
	case name == SelfHelper:
		err := dockerconfig.Update(ctx, s.opts.OwnFile, func(f *dockerconfig.File) error {
			for _, k := range matchingKeys(f, p) {
				delete(f.Auths, k)
				out.Helpers = appendUnique(out.Helpers, "regauth ("+s.opts.OwnFile+")")
			}
			return nil
		})
		if err != nil {
			return out, err
		}
	case name != "":
		c := s.client(name, cfgKey)
		urls := append([]string{p.Key()}, keys...)
		for _, u := range dedupe(urls) {
			switch err := c.Erase(ctx, u); {
			case err == nil:
				out.Helpers = appendUnique(out.Helpers, c.Program())
			case !errors.Is(err, helper.ErrNotFound):
				out.Warnings = append(out.Warnings, err.Error())
			}
		}
	}
	err = dockerconfig.Update(ctx, path, func(f *dockerconfig.File) error {
		for _, k := range matchingKeys(f, p) {
			delete(f.Auths, k)
			out.Keys = append(out.Keys, k)
		}
		return nil
	})
	return out, err
}

func matchingKeys(f *dockerconfig.File, p credential.Pattern) []string {
	var keys []string
	for _, k := range sortedKeys(f.Auths) {
		if kp, err := credential.ParsePattern(k); err == nil && kp == p {
			keys = append(keys, k)
		}
	}
	return keys
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		out = appendUnique(out, x)
	}
	return out
}

func appendUnique(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// SaveHelperRef records in config.json that p's secret lives in
// docker-credential-<helper> (a credHelpers entry), as an imported
// --keep-helpers config says.
func (s *Store) SaveHelperRef(ctx context.Context, p credential.Pattern, helperName string) error {
	return dockerconfig.Update(ctx, s.WritePath(), func(f *dockerconfig.File) error {
		if f.CredHelpers == nil {
			f.CredHelpers = map[string]string{}
		}
		for k := range f.CredHelpers {
			if kp, err := credential.ParsePattern(k); err == nil && kp == p {
				delete(f.CredHelpers, k)
			}
		}
		f.CredHelpers[p.Key()] = helperName
		return nil
	})
}
