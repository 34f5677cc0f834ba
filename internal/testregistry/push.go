package testregistry

import (
	"net/http"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/registry/auth/token"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PushRandomImage pushes a small random image to repo:tag as the harness's
// own admin, whatever Options say about users, Permit or the issuer's
// health, and returns its digest ("sha256:...").
func (r *Registry) PushRandomImage(t testing.TB, repo, tag string) string {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatalf("testregistry: random image: %v", err)
	}
	ref, err := name.ParseReference(r.Host+"/"+repo+":"+tag, name.StrictValidation)
	if err != nil {
		t.Fatalf("testregistry: reference: %v", err)
	}
	rt := &adminTransport{inner: r.Client.Transport, host: r.Host, header: r.adminAuthorization(t, repo)}
	// Anonymous to go-containerregistry: the Authorization header is added
	// below it, so /v2/ answers 200 and no challenge flow runs.
	if err := remote.Write(ref, img, remote.WithAuth(authn.Anonymous), remote.WithTransport(rt), remote.WithContext(t.Context())); err != nil {
		t.Fatalf("testregistry: push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatalf("testregistry: digest: %v", err)
	}
	return d.String()
}

// adminAuthorization returns an Authorization header value for the admin.
// In token mode the token is minted directly rather than fetched, so pushes
// work even when the issuer is down, slow or skewed.
func (r *Registry) adminAuthorization(t testing.TB, repo string) string {
	t.Helper()
	switch r.opts.Auth {
	case AuthHtpasswd:
		req := &http.Request{Header: http.Header{}}
		req.SetBasicAuth(r.adminUser, r.adminPass)
		return req.Header.Get("Authorization")
	case AuthToken:
		access := []*token.ResourceActions{{Type: "repository", Name: repo, Actions: []string{"*"}}}
		tok, err := r.signer.mint(r.adminUser, access, time.Now(), 10*time.Minute)
		if err != nil {
			t.Fatalf("testregistry: admin token: %v", err)
		}
		return "Bearer " + tok
	}
	return ""
}

// adminTransport adds the admin's credentials to requests for the registry
// host only, so they can never leak elsewhere through a redirect.
type adminTransport struct {
	inner  http.RoundTripper
	host   string
	header string
}

func (a *adminTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if a.header == "" || req.URL.Host != a.host {
		return a.inner.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", a.header)
	return a.inner.RoundTrip(req)
}
