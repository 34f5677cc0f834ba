package token

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/registry/auth"
	_ "github.com/distribution/distribution/v3/registry/auth/token" // the real verifier
	"github.com/sirupsen/logrus"

	"github.com/regauth/regauth/server/model"
)

func TestMain(m *testing.M) {
	// distribution logs every rejected token through logrus.
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}

const (
	testIssuer  = "regauth-test"
	testService = "registry.test"
)

// verifier builds distribution's token access controller from the files
// ks writes, exactly as a registry does at start-up.
type verifyMode struct {
	name       string
	rootBundle bool
	jwks       bool
	x5c        bool
}

var verifyModes = []verifyMode{
	{name: "rootcertbundle", rootBundle: true},
	{name: "rootcertbundle x5c", rootBundle: true, x5c: true},
	{name: "jwks", jwks: true},
	{name: "both", rootBundle: true, jwks: true},
}

func verifier(t *testing.T, ks *KeySet, m verifyMode) auth.AccessController {
	t.Helper()
	dir := t.TempDir()
	if err := ks.WriteRegistryFiles(dir); err != nil {
		t.Fatal(err)
	}
	opts := map[string]any{"realm": "https://auth.test/token", "issuer": testIssuer, "service": testService}
	if m.rootBundle {
		opts["rootcertbundle"] = filepath.Join(dir, RootCertBundleFile)
	}
	if m.jwks {
		opts["jwks"] = filepath.Join(dir, JWKSFile)
	}
	ac, err := auth.GetAccessController("token", opts)
	if err != nil {
		t.Fatal(err)
	}
	return ac
}

// outcome runs the registry's check and reduces it to "ok",
// "insufficient_scope" or "invalid".
func outcome(t *testing.T, ac auth.AccessController, tok string, access ...auth.Access) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/v2/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	grant, err := ac.Authorized(req, access...)
	if err == nil {
		if grant == nil {
			t.Fatal("no error and no grant")
		}
		return "ok"
	}
	ch, ok := err.(auth.Challenge)
	if !ok {
		t.Fatalf("error %v is not a challenge", err)
	}
	rec := httptest.NewRecorder()
	ch.SetHeaders(req, rec)
	if strings.Contains(rec.Header().Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		return "insufficient_scope"
	}
	return "invalid"
}

func pullOn(name string) auth.Access {
	return auth.Access{Resource: auth.Resource{Type: "repository", Name: name}, Action: "pull"}
}

func accessOf(typ, name, action string) auth.Access {
	return auth.Access{Resource: auth.Resource{Type: typ, Name: name}, Action: action}
}

var keySets sync.Map // alg -> *KeySet, shared: RSA key generation is slow

func testKeys(t *testing.T, alg string) *KeySet {
	t.Helper()
	if ks, ok := keySets.Load(alg); ok {
		return ks.(*KeySet)
	}
	dir, err := os.MkdirTemp("", "regauth-keys-")
	if err != nil {
		t.Fatal(err)
	}
	ks, err := LoadOrCreateKeys(dir, alg, time.Now(), WithCommonName(testIssuer))
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir) // the KeySet keeps everything in memory
	actual, _ := keySets.LoadOrStore(alg, ks)
	return actual.(*KeySet)
}

func newTestIssuer(t *testing.T, ks *KeySet, x5c bool, now func() time.Time, iss string) *Issuer {
	t.Helper()
	i, err := NewIssuer(IssuerOptions{Issuer: iss, Keys: ks, X5C: x5c, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestDistributionAcceptsTokens(t *testing.T) {
	t.Parallel()
	access := []model.Scope{
		{Type: "repository", Name: "team/app", Actions: []model.Action{model.Pull, model.Push}},
		{Type: "repository(plugin)", Name: "team/plugin", Actions: []model.Action{model.Pull}},
		{Type: "repository", Name: "team/nothing"},
		{Type: "registry", Name: "catalog", Actions: []model.Action{model.All}},
	}
	shift := func(d time.Duration) func() time.Time { return func() time.Time { return time.Now().Add(d) } }
	tests := []struct {
		name    string
		now     func() time.Time
		iss     string
		aud     string
		foreign bool // signed by a key the registry does not know
		check   []auth.Access
		want    string
	}{
		{name: "granted pull", check: []auth.Access{pullOn("team/app")}, want: "ok"},
		{name: "granted pull and push", check: []auth.Access{pullOn("team/app"), accessOf("repository", "team/app", "push")}, want: "ok"},
		{name: "plugin class", check: []auth.Access{pullOn("team/plugin")}, want: "ok"},
		{name: "catalog wildcard", check: []auth.Access{accessOf("registry", "catalog", "*")}, want: "ok"},
		{name: "ungranted delete", check: []auth.Access{accessOf("repository", "team/app", "delete")}, want: "insufficient_scope"},
		{name: "empty grant", check: []auth.Access{pullOn("team/nothing")}, want: "insufficient_scope"},
		{name: "other repository", check: []auth.Access{pullOn("other/app")}, want: "insufficient_scope"},
		{name: "expired", now: shift(-DefaultTTL - 2*time.Minute), check: []auth.Access{pullOn("team/app")}, want: "invalid"},
		{name: "expired within leeway", now: shift(-DefaultTTL - 30*time.Second), check: []auth.Access{pullOn("team/app")}, want: "ok"},
		{name: "not yet valid", now: shift(2 * time.Minute), check: []auth.Access{pullOn("team/app")}, want: "invalid"},
		{name: "wrong audience", aud: "other.registry", check: []auth.Access{pullOn("team/app")}, want: "invalid"},
		{name: "wrong issuer", iss: "someone-else", check: []auth.Access{pullOn("team/app")}, want: "invalid"},
		{name: "unknown key", foreign: true, check: []auth.Access{pullOn("team/app")}, want: "invalid"},
	}
	for _, alg := range []string{ES256, EdDSA, RS256} {
		for _, mode := range verifyModes {
			t.Run(alg+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				ks := testKeys(t, alg)
				ac := verifier(t, ks, mode)
				foreign := otherKeys(t, alg)
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						t.Parallel()
						signer, now, iss, aud := ks, time.Now, testIssuer, testService
						if tt.foreign {
							signer = foreign
						}
						if tt.now != nil {
							now = tt.now
						}
						if tt.iss != "" {
							iss = tt.iss
						}
						if tt.aud != "" {
							aud = tt.aud
						}
						tok, _, _, err := newTestIssuer(t, signer, mode.x5c, now, iss).Issue("robot:team+ci", aud, access)
						if err != nil {
							t.Fatal(err)
						}
						if got := outcome(t, ac, tok, tt.check...); got != tt.want {
							t.Errorf("registry says %s, want %s", got, tt.want)
						}
					})
				}
			})
		}
	}
}

func otherKeys(t *testing.T, alg string) *KeySet {
	t.Helper()
	ks, err := LoadOrCreateKeys(t.TempDir(), alg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ks
}
