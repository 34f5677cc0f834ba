package testregistry

import (
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestPushPull(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		auth authn.Authenticator
	}{
		{"none/http", Options{}, authn.Anonymous},
		{"none/tls", Options{TLS: true}, authn.Anonymous},
		{"htpasswd/http", Options{Auth: AuthHtpasswd, Users: alice}, basic("alice", "s3cret")},
		{"htpasswd/tls", Options{Auth: AuthHtpasswd, Users: alice, TLS: true}, basic("alice", "s3cret")},
		{"token/http", Options{Auth: AuthToken, Users: alice}, basic("alice", "s3cret")},
		{"token/tls", Options{Auth: AuthToken, Users: alice, TLS: true}, basic("alice", "s3cret")},
		{"token/refresh", Options{Auth: AuthToken, Users: alice, TLS: true, RefreshTokens: true}, basic("alice", "s3cret")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := New(t, tc.opts)
			want, err := push(t, r, "team/app:v1", tc.auth)
			if err != nil {
				t.Fatalf("push: %v", err)
			}
			got, err := head(t, r, "team/app:v1", tc.auth)
			if err != nil {
				t.Fatalf("head: %v", err)
			}
			if got != want {
				t.Errorf("digest = %s, want %s", got, want)
			}

			// The harness's own push must be visible to the user too.
			want = r.PushRandomImage(t, "team/other", "latest")
			img, err := remote.Image(ref(t, r, "team/other:latest"), remote.WithAuth(tc.auth), remote.WithTransport(r.Client.Transport), remote.WithContext(t.Context()))
			if err != nil {
				t.Fatalf("pull: %v", err)
			}
			d, err := img.Digest()
			if err != nil || d.String() != want {
				t.Errorf("pulled digest = %v, %v; want %s", d, err, want)
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	for _, mode := range []AuthMode{AuthHtpasswd, AuthToken} {
		for _, user := range []string{"alice", "mallory"} {
			t.Run(map[AuthMode]string{AuthHtpasswd: "htpasswd", AuthToken: "token"}[mode]+"/"+user, func(t *testing.T) {
				t.Parallel()
				r := New(t, Options{Auth: mode, Users: alice})
				_, err := push(t, r, "team/app:v1", basic(user, "wrong"))
				wantStatus(t, err, http.StatusUnauthorized)
			})
		}
	}
}

func TestAnonymousRejected(t *testing.T) {
	t.Parallel()
	for _, mode := range []AuthMode{AuthHtpasswd, AuthToken} {
		r := New(t, Options{Auth: mode, Users: alice})
		r.PushRandomImage(t, "team/app", "v1")
		_, err := head(t, r, "team/app:v1", authn.Anonymous)
		wantStatus(t, err, http.StatusUnauthorized)
	}
}

func TestChallenge(t *testing.T) {
	t.Parallel()
	htp := New(t, Options{Auth: AuthHtpasswd, Users: alice})
	tok := New(t, Options{Auth: AuthToken, Users: alice, TLS: true})
	none := New(t, Options{})
	tests := []struct {
		name       string
		r          *Registry
		wantStatus int
		wantHeader string
	}{
		{"none", none, http.StatusOK, ""},
		{"htpasswd", htp, http.StatusUnauthorized, `Basic realm="testregistry"`},
		{"token", tok, http.StatusUnauthorized, `Bearer realm="` + tok.TokenURL + `",service="` + tok.Host + `"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, header := getChallenge(t, tc.r)
			if diff := cmp.Diff([]any{tc.wantStatus, tc.wantHeader}, []any{status, header}); diff != "" {
				t.Errorf("GET /v2/ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTLSUnknownAuthority(t *testing.T) {
	t.Parallel()
	r := New(t, Options{TLS: true})
	// A transport without the CA: through plain net/http and through
	// go-containerregistry (which also tries plain HTTP on 127.0.0.1).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	_, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(r.URL + "/v2/")
	var uae x509.UnknownAuthorityError
	if !errors.As(err, &uae) {
		t.Errorf("net/http error = %v, want x509.UnknownAuthorityError", err)
	}
	_, err = remote.Head(ref(t, r, "team/app:v1"), remote.WithTransport(tr), remote.WithContext(t.Context()))
	if !errors.As(err, &uae) {
		t.Errorf("remote.Head error = %v, want x509.UnknownAuthorityError", err)
	}
}

func TestWriteCA(t *testing.T) {
	t.Parallel()
	r := New(t, Options{TLS: true})
	path := r.WriteCA(t, t.TempDir())
	pem, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", path)
	}
	if !pool.Equal(r.CAPool) {
		t.Errorf("written CA differs from CAPool")
	}
}

func TestListensOnLoopback(t *testing.T) {
	t.Parallel()
	r := New(t, Options{Auth: AuthToken, Users: alice})
	for _, u := range []string{r.URL, r.TokenURL} {
		if !strings.Contains(u, "://127.0.0.1:") {
			t.Errorf("%s is not bound to 127.0.0.1", u)
		}
	}
}
