// Package store is regauth's view of every place credentials live: Docker's
// config.json (inline auths, credsStore, credHelpers), podman's auth.json
// files, external docker-credential helpers and regauth's own file. It
// composes them into one credential.Set in precedence order and writes
// logins back the way docker does, only more safely.
package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/dockerconfig"
	"github.com/regauth/regauth/helper"
)

// SelfHelper is the helper name under which config.json can point at regauth
// ("credsStore": "regauth"). regauth resolves it in-process from OwnFile
// instead of executing itself.
const SelfHelper = "regauth"

// Options locate the files and helpers. The CLI fills them from flags and
// the environment; nothing here reads the process environment.
type Options struct {
	ConfigFlag string           // --config FILE
	Env        dockerconfig.Env // for config discovery
	Helper     helper.Env       // PATH and environment for docker-credential-* programs
	OwnFile    string           // regauth's own credential file, used when config.json names the "regauth" helper
	// EnvAuthConfig is $DOCKER_AUTH_CONFIG: a config.json document that
	// docker (v28+) consults before any file.
	EnvAuthConfig string
}

// Store reads and writes credentials.
type Store struct{ opts Options }

// New returns a Store.
func New(opts Options) *Store { return &Store{opts: opts} }

// WritePath is the config.json a login edits.
func (s *Store) WritePath() string { return dockerconfig.WritePath(s.opts.ConfigFlag, s.opts.Env) }

// OwnFile is regauth's own credential file.
func (s *Store) OwnFile() string { return s.opts.OwnFile }

// Sources are the files read, in precedence order.
func (s *Store) Sources() []dockerconfig.Source {
	return dockerconfig.ReadPaths(s.opts.ConfigFlag, s.opts.Env)
}

func (s *Store) client(name, configKey string) *helper.Client {
	return &helper.Client{Name: name, ConfigKey: configKey, Env: s.opts.Helper}
}

// Fallback is a credsStore helper asked by host when no entry matched, which
// is how docker uses a credsStore for hosts it has no key for.
type Fallback struct {
	Helper string
	Source credential.Source
	// Exclude holds the server URLs the same file's credHelpers name: docker
	// asks those helpers, never the store, for them.
	Exclude map[string]bool
}

// Loaded is a snapshot of every source.
type Loaded struct {
	Set       *credential.Set
	Fallbacks []Fallback
	Warnings  []string // broken entries skipped while loading (never fatal for reads)
	store     *Store
	ownAdded  bool
}

// Load reads every source. A source that does not exist is skipped; one that
// cannot be parsed is an error naming the file, because silently ignoring it
// would turn a typo into anonymous pulls.
func (s *Store) Load(ctx context.Context) (*Loaded, error) { return s.load(ctx, false) }

// load optionally puts regauth's own file first: when regauth answers as a
// credential helper, what was stored through it must come back from it even
// if config.json does not (yet) name it.
func (s *Store) load(ctx context.Context, ownFirst bool) (*Loaded, error) {
	l := &Loaded{Set: &credential.Set{}, store: s}
	if env := s.opts.EnvAuthConfig; strings.TrimSpace(env) != "" {
		// docker warns and carries on when the variable does not parse.
		if f, err := dockerconfig.Parse([]byte(env)); err != nil {
			l.Warnings = append(l.Warnings, fmt.Sprintf("DOCKER_AUTH_CONFIG: %v (ignored, as docker does)", err))
		} else {
			l.addAuths(dockerconfig.Source{Label: "DOCKER_AUTH_CONFIG", Path: "$DOCKER_AUTH_CONFIG"}, f, "", nil)
		}
	}
	var own *dockerconfig.File
	if ownFirst {
		f, err := dockerconfig.Load(s.opts.OwnFile)
		if err != nil {
			return nil, err
		}
		l.addAuths(dockerconfig.Source{Label: SelfHelper, Path: s.opts.OwnFile}, f, "", nil)
		l.ownAdded = true
	}
	for _, src := range s.Sources() {
		f, err := dockerconfig.Load(src.Path)
		if err != nil {
			return nil, err
		}
		if needsOwn(f) && own == nil {
			if own, err = dockerconfig.Load(s.opts.OwnFile); err != nil {
				return nil, err
			}
		}
		l.addFile(src, f, own)
	}
	// regauth's own store is read last when no config names it, so what was
	// stored through the helper protocol stays visible to get and list.
	if !l.ownAdded && own == nil && s.opts.OwnFile != "" {
		f, err := dockerconfig.Load(s.opts.OwnFile)
		if err != nil {
			return nil, err
		}
		l.addAuths(dockerconfig.Source{Label: SelfHelper, Path: s.opts.OwnFile}, f, "", nil)
	}
	return l, ctx.Err()
}

func needsOwn(f *dockerconfig.File) bool {
	if f.CredsStore == SelfHelper {
		return true
	}
	for _, h := range f.CredHelpers {
		if h == SelfHelper {
			return true
		}
	}
	return false
}

// addFile adds one file's entries in docker's precedence: credHelpers, then
// regauth's own entries when the file delegates to regauth, then auths.
func (l *Loaded) addFile(src dockerconfig.Source, f *dockerconfig.File, own *dockerconfig.File) {
	helpers, problems := f.HelperEntries(src)
	l.problems(problems)
	var selfHosts []credential.Pattern
	for _, e := range helpers {
		if e.Helper == SelfHelper {
			selfHosts = append(selfHosts, e.Pattern)
			continue
		}
		l.Set.Add(e)
	}
	if own != nil && !l.ownAdded && (f.CredsStore == SelfHelper || len(selfHosts) > 0) {
		ownSrc := dockerconfig.Source{Label: SelfHelper, Path: l.store.opts.OwnFile}
		l.addAuths(ownSrc, own, "", func(p credential.Pattern) bool {
			if f.CredsStore == SelfHelper {
				return true
			}
			for _, h := range selfHosts {
				if ok, _ := credential.Match(h, credential.Target{Host: p.Host}); ok || h.Host == p.Host {
					return true
				}
			}
			return false
		})
	}
	store := f.CredsStore
	if store == SelfHelper {
		store = "" // own entries were added above; placeholders add nothing
	}
	l.addAuths(src, f, store, nil)
	if store != "" {
		exclude := map[string]bool{}
		for k := range f.CredHelpers {
			exclude[k] = true
		}
		l.Fallbacks = append(l.Fallbacks, Fallback{Helper: store, Source: credential.Source{Label: src.Label, File: src.Path, Via: "credsStore"}, Exclude: exclude})
	}
}

func (l *Loaded) addAuths(src dockerconfig.Source, f *dockerconfig.File, credsStore string, keep func(credential.Pattern) bool) {
	entries, problems := f.AuthEntries(src, credsStore)
	l.problems(problems)
	l.Set.Grow(len(entries))
	for _, e := range entries {
		if keep == nil || keep(e.Pattern) {
			l.Set.Add(e)
		}
	}
}

func (l *Loaded) problems(errs []error) {
	for _, err := range errs {
		l.Warnings = append(l.Warnings, err.Error())
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// serverURL is what docker passes to a helper for a target host.
func serverURL(host string) string {
	if host == credential.DockerHub {
		return credential.DockerHubKey
	}
	return host
}

func configKey(via, key string) string {
	if via == "credsStore" {
		return "credsStore"
	}
	return fmt.Sprintf("credHelpers[%q]", strings.TrimSpace(key))
}
