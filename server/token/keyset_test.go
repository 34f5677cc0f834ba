package token

import (
	"crypto"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/regauth/regauth/server/model"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func states(ks *KeySet) []string {
	var out []string
	for _, k := range ks.Keys() {
		out = append(out, k.State+" "+k.Alg)
	}
	return out
}

func kids(ks *KeySet) []string {
	var out []string
	for _, k := range ks.Keys() {
		out = append(out, k.KID)
	}
	return out
}

func TestLoadOrCreateKeysOnDisk(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	ks, err := LoadOrCreateKeys(dir, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"signing ES256", "next ES256"}, states(ks)); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("key dir: %v, %v; want mode 0700", fi.Mode(), err)
	}
	files, _ := os.ReadDir(dir)
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
		fi, _ := f.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f.Name(), fi.Mode().Perm())
		}
	}
	want := []string{indexFile, kids(ks)[0] + ".pem", kids(ks)[1] + ".pem"}
	if diff := cmp.Diff(want, names, cmpSorted); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	again, err := LoadOrCreateKeys(dir, ES256, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ks.Keys(), again.Keys()); diff != "" {
		t.Errorf("reloaded keys differ (-first +again):\n%s", diff)
	}
	if string(ks.JWKS()) != string(again.JWKS()) || string(ks.RootCertBundle()) != string(again.RootCertBundle()) {
		t.Error("reloaded key set publishes different files")
	}
}

var cmpSorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })

// TestRotation follows a rotation through distribution's verifier: the
// next key is published before it signs, the old key keeps verifying until
// it is retired, and then it is gone from disk and from the registry files.
func TestRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ks, err := LoadOrCreateKeys(dir, ES256, t0, WithRetireAfter(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	iss := newTestIssuer(t, ks, false, time.Now, testIssuer)
	grant := []model.Scope{{Type: "repository", Name: "team/app", Actions: []model.Action{model.Pull}}}
	old, _, _, err := iss.Issue("alice", testService, grant)
	if err != nil {
		t.Fatal(err)
	}
	oldKid := kids(ks)[0]
	startedBefore := verifier(t, ks, verifyModes[0])

	if err := ks.Rotate(t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"signing ES256", "next ES256", "retired ES256"}, states(ks)); diff != "" {
		t.Errorf("states after rotate (-want +got):\n%s", diff)
	}
	fresh, _, _, err := iss.Issue("alice", testService, grant)
	if err != nil {
		t.Fatal(err)
	}
	startedAfter := verifier(t, ks, verifyModes[2])
	checks := []struct {
		name string
		tok  string
		want string
	}{
		{"old token, registry started before rotation", old, "ok"},
		{"new token, registry started before rotation (key was pre-published)", fresh, "ok"},
	}
	for _, c := range checks {
		if got := outcome(t, startedBefore, c.tok, pullOn("team/app")); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
		if got := outcome(t, startedAfter, c.tok, pullOn("team/app")); got != c.want {
			t.Errorf("%s (registry restarted): %s, want %s", c.name, got, c.want)
		}
	}

	// Not yet time: the retired key stays.
	if err := ks.Prune(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(ks.Keys()) != 3 {
		t.Fatalf("retired key pruned early: %v", states(ks))
	}
	if err := ks.Prune(t0.Add(time.Hour + time.Minute)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"signing ES256", "next ES256"}, states(ks)); diff != "" {
		t.Errorf("states after prune (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, oldKid+".pem")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("retired key file still there: %v", err)
	}
	afterRetire := verifier(t, ks, verifyModes[3])
	if got := outcome(t, afterRetire, old, pullOn("team/app")); got != "invalid" {
		t.Errorf("token of retired key: %s, want invalid", got)
	}
	if got := outcome(t, afterRetire, fresh, pullOn("team/app")); got != "ok" {
		t.Errorf("token of current key: %s, want ok", got)
	}
	reloaded, err := LoadOrCreateKeys(dir, ES256, t0.Add(2*time.Hour), WithRetireAfter(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ks.Keys(), reloaded.Keys()); diff != "" {
		t.Errorf("reloaded after prune (-want +got):\n%s", diff)
	}
}

func TestAlgorithmChange(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := LoadOrCreateKeys(dir, ES256, t0); err != nil {
		t.Fatal(err)
	}
	ks, err := LoadOrCreateKeys(dir, EdDSA, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"signing ES256", "next EdDSA"}, states(ks)); diff != "" {
		t.Errorf("states after algorithm change (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{ES256, EdDSA}, ks.Algorithms()); diff != "" {
		t.Errorf("Algorithms (-want +got):\n%s", diff)
	}
	ac := verifier(t, ks, verifyModes[0])
	if err := ks.Rotate(t0.Add(2 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"signing EdDSA", "next EdDSA", "retired ES256"}, states(ks)); diff != "" {
		t.Errorf("states after rotate (-want +got):\n%s", diff)
	}
	tok, _, _, err := newTestIssuer(t, ks, false, time.Now, testIssuer).Issue("", testService, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcome(t, ac, tok); got != "ok" {
		t.Errorf("EdDSA token after algorithm change: %s, want ok", got)
	}
}

func TestLoadKeysErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		alg   string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{name: "unknown algorithm", alg: "HS256", want: `signing algorithm "HS256"`},
		{name: "corrupt index", setup: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, indexFile), []byte("{"), 0o600)
		}, want: "keys.json"},
		{name: "path in kid", setup: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, indexFile), []byte(`{"keys":[{"kid":"../x","alg":"ES256"}]}`), 0o600)
		}, want: "bad key id"},
		{name: "missing key file", setup: func(t *testing.T, dir string) {
			mustLoad(t, dir)
			os.Remove(filepath.Join(dir, kids(mustLoad(t, dir))[0]+".pem"))
		}, want: "no such file"},
		{name: "key file swapped", setup: func(t *testing.T, dir string) {
			k := kids(mustLoad(t, dir))
			os.Rename(filepath.Join(dir, k[1]+".pem"), filepath.Join(dir, k[0]+".pem"))
		}, want: "file holds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			_, err := LoadOrCreateKeys(dir, tt.alg, t0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func mustLoad(t *testing.T, dir string) *KeySet {
	t.Helper()
	ks, err := LoadOrCreateKeys(dir, ES256, t0)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestNewIssuerChecks(t *testing.T) {
	t.Parallel()
	ks := testKeys(t, ES256)
	tests := []struct {
		name string
		opts IssuerOptions
		want string
	}{
		{name: "no keys", opts: IssuerOptions{Issuer: "x"}, want: "no keys"},
		{name: "no issuer", opts: IssuerOptions{Keys: ks}, want: "empty issuer"},
		{name: "ttl outlives key", opts: IssuerOptions{Issuer: "x", Keys: ks, TTL: time.Hour}, want: "exceeds key retire-after"},
		{name: "negative ttl", opts: IssuerOptions{Issuer: "x", Keys: ks, TTL: -time.Second}, want: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewIssuer(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestLeadingZeroKeyInRegistry shows what generateKey's redraw avoids: an
// imported EC key with a leading zero coordinate only works in
// rootcertbundle mode when the token carries x5c.
func TestLeadingZeroKeyInRegistry(t *testing.T) {
	t.Parallel()
	priv := crypto.Signer(leadingZeroKey(t))
	cert, err := selfSign(priv, testIssuer, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	k, err := newKey(priv, cert)
	if err != nil {
		t.Fatal(err)
	}
	st, err := newState([]entry{{meta: keyMeta{KID: k.kid, Alg: k.alg}, key: k}})
	if err != nil {
		t.Fatal(err)
	}
	ks := &KeySet{retireAfter: DefaultRetireAfter}
	ks.state.Store(st)
	want := map[string]string{"rootcertbundle": "invalid", "rootcertbundle x5c": "ok", "jwks": "ok", "both": "ok"}
	for _, mode := range verifyModes {
		tok, _, _, err := newTestIssuer(t, ks, mode.x5c, time.Now, testIssuer).Issue("", testService, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := outcome(t, verifier(t, ks, mode), tok); got != want[mode.name] {
			t.Errorf("%s: %s, want %s", mode.name, got, want[mode.name])
		}
	}
}
