package store

import (
	"context"
	"errors"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/dockerconfig"
	"github.com/regauth/regauth/helper"
)

// HelperBackend is regauth serving the docker-credential protocol
// (docker-credential-regauth): gets resolve across every source with
// regauth's matching rules; stores and erases go to regauth's own file,
// never to config.json, which docker rewrites around a helper call.
func (s *Store) HelperBackend() helper.Backend { return backend{s} }

type backend struct{ s *Store }

var _ helper.Backend = backend{}

func (b backend) Get(ctx context.Context, serverURL string) (credential.Credential, error) {
	t, err := credential.ParseServer(serverURL)
	if err != nil {
		return credential.Credential{}, err
	}
	l, err := b.s.load(ctx, true)
	if err != nil {
		return credential.Credential{}, err
	}
	res, err := l.Resolve(ctx, t)
	if errors.Is(err, ErrNotFound) || err == nil && res.Entry.Credential.IsEmpty() {
		return credential.Credential{}, helper.ErrNotFound
	}
	return res.Entry.Credential, err
}

func (b backend) Store(ctx context.Context, serverURL string, cred credential.Credential) error {
	p, err := credential.ParsePattern(serverURL)
	if err != nil {
		return err
	}
	return b.s.saveOwn(ctx, p, cred)
}

func (b backend) Erase(ctx context.Context, serverURL string) error {
	p, err := credential.ParsePattern(serverURL)
	if err != nil {
		return err
	}
	found := false
	err = dockerconfig.Update(ctx, b.s.opts.OwnFile, func(f *dockerconfig.File) error {
		for _, k := range matchingKeys(f, p) {
			delete(f.Auths, k)
			found = true
		}
		return nil
	})
	if err == nil && !found {
		return helper.ErrNotFound
	}
	return err
}

// List names every credential regauth can resolve without asking another
// helper, keyed as docker would ask for it. Usernames only, never secrets.
func (b backend) List(ctx context.Context) (map[string]string, error) {
	l, err := b.s.load(ctx, true)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range l.Set.Entries() {
		if e.Helper != "" || e.Credential.IsEmpty() {
			continue
		}
		k := e.Pattern.Key()
		if _, dup := out[k]; dup {
			continue
		}
		u := e.Credential.Username
		if e.Credential.IdentityToken != "" {
			u = credential.TokenUsername
		}
		out[k] = u
	}
	return out, nil
}
