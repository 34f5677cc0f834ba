package testregistry

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

var alice = map[string]string{"alice": "s3cret"}

func ref(t *testing.T, r *Registry, repoTag string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(r.Host+"/"+repoTag, name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// push writes a fresh random image as a real client would, through the
// registry's challenge flow with auth.
func push(t *testing.T, r *Registry, repoTag string, auth authn.Authenticator) (string, error) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	err = remote.Write(ref(t, r, repoTag), img, remote.WithAuth(auth), remote.WithTransport(r.Client.Transport), remote.WithContext(t.Context()))
	return d.String(), err
}

func head(t *testing.T, r *Registry, repoTag string, auth authn.Authenticator) (string, error) {
	t.Helper()
	desc, err := remote.Head(ref(t, r, repoTag), remote.WithAuth(auth), remote.WithTransport(r.Client.Transport), remote.WithContext(t.Context()))
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}

func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var terr *transport.Error
	if !errors.As(err, &terr) {
		t.Fatalf("error = %v, want a registry error with status %d", err, status)
	}
	if terr.StatusCode != status {
		t.Fatalf("status = %d (%v), want %d", terr.StatusCode, err, status)
	}
}

func basic(user, pass string) authn.Authenticator {
	return &authn.Basic{Username: user, Password: pass}
}

func getChallenge(t *testing.T, r *Registry) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, r.URL+"/v2/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}
