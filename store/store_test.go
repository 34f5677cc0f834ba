package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/dockerconfig"
)

func newTestStore(t *testing.T, content string) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	if content != "" {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return New(Options{ConfigFlag: path, OwnFile: filepath.Join(dir, "own.json")}), path
}

func TestSaveFoldsAliases(t *testing.T) {
	t.Parallel()
	s, path := newTestStore(t, `{"auths": {
		"docker.io": {"auth": "b2xkOnB3", "email": "a@b.c", "x": 1},
		"index.docker.io": {"auth": "b2xkMjpwdw=="},
		"quay.io": {"auth": "cTpx"}}}`)
	ctx := context.Background()
	saved, err := s.Save(ctx, credential.MustPattern("registry-1.docker.io"), credential.Credential{Username: "new", Password: "pw"}, ModeAuto)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Key != credential.DockerHubKey || saved.Helper != "" {
		t.Fatalf("saved = %+v", saved)
	}
	f, err := dockerconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range f.Auths {
		keys = append(keys, k)
	}
	if diff := cmp.Diff([]string{credential.DockerHubKey, "quay.io"}, slices.Sorted(slices.Values(keys))); diff != "" {
		t.Fatalf("keys (-want +got):\n%s", diff)
	}
	e := f.Auths[credential.DockerHubKey]
	if u, p, _, _, _ := e.Credentials(); u != "new" || p != "pw" || e.Email != "a@b.c" {
		t.Fatalf("entry = %q %q email %q", u, p, e.Email)
	}
	if out, _ := f.Marshal(); !strings.Contains(string(out), `"x": 1`) {
		t.Fatalf("extra field lost:\n%s", out)
	}
}

// Folding several aliases keeps every field that does not conflict and
// reports the ones that do.
func TestSaveFoldsSeveralAliasesKeepingFields(t *testing.T) {
	t.Parallel()
	s, path := newTestStore(t, `{"auths": {
		"https://index.docker.io/v1/": {"auth": "dTpw", "email": "kept@example.com"},
		"docker.io": {"auth": "eDp5", "email": "other@example.com", "x-custom": {"keep": true}},
		"index.docker.io": {"auth": "eDp5", "x-note": "important", "x-custom": {"keep": false}}}}`)
	saved, err := s.Save(context.Background(), credential.MustPattern("docker.io"), credential.Credential{Username: "bob", Password: "pw"}, ModeAuto)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`auths["docker.io"].email`, `auths["index.docker.io"].x-custom`}
	if diff := cmp.Diff(want, saved.Dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
	data, _ := os.ReadFile(path)
	for _, keep := range []string{`"x-custom": {`, `"keep": true`, `"x-note": "important"`, `"email": "kept@example.com"`} {
		if !strings.Contains(string(data), keep) {
			t.Errorf("lost %s:\n%s", keep, data)
		}
	}
	if strings.Contains(string(data), `"docker.io"`) || strings.Contains(string(data), `"index.docker.io"`) {
		t.Errorf("alias keys kept:\n%s", data)
	}
}

func TestSaveFileRefusedWhereDockerIgnoresIt(t *testing.T) {
	t.Parallel()
	for _, cfg := range []string{`{"credsStore": "desktop"}`, `{"credHelpers": {"ghcr.io": "gh"}}`} {
		s, path := newTestStore(t, cfg)
		_, err := s.Save(context.Background(), credential.MustPattern("ghcr.io"), credential.Credential{Username: "a", Password: "b"}, ModeFile)
		if !errors.Is(err, ErrInlineIgnored) {
			t.Fatalf("%s: err = %v", cfg, err)
		}
		if data, _ := os.ReadFile(path); string(data) != cfg {
			t.Fatalf("file changed:\n%s", data)
		}
	}
}

func TestEraseAllAliases(t *testing.T) {
	t.Parallel()
	s, path := newTestStore(t, `{"auths": {"docker.io": {"auth": "YTpi"}, "https://index.docker.io/v1/": {"auth": "YTpi"}, "quay.io": {"auth": "cTpx"}}}`)
	out, err := s.Erase(context.Background(), credential.MustPattern("index.docker.io"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"docker.io", credential.DockerHubKey}, out.Keys); diff != "" {
		t.Fatalf("erased (-want +got):\n%s", diff)
	}
	f, _ := dockerconfig.Load(path)
	if len(f.Auths) != 1 || f.Auths["quay.io"] == nil {
		t.Fatalf("left %v", f.Auths)
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(t, `{"auths": {
		"r.example.com/team": {},
		"r.example.com": {"auth": "aG9zdDpw"},
		"bad key!": {"auth": "eDp5"},
		"*.example.com": {"identitytoken": "idt"},
		"https://index.docker.io/v1/": {"auth": "aHViOnA="},
		"docker.io": {"auth": "YWxpYXM6cA=="}}}`)
	ctx := context.Background()
	l, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], `auths["bad key!"]`) {
		t.Fatalf("warnings = %q", l.Warnings)
	}
	tests := []struct {
		ref, user, kind string
		skipped         int
	}{
		{"r.example.com/team/app", "host", "basic", 1}, // the empty namespace entry is skipped
		{"s.example.com/x", "", "identity-token", 0},
		{"ubuntu", "hub", "basic", 0}, // canonical key wins over the alias in the same file
	}
	for _, tt := range tests {
		res, err := l.Resolve(ctx, credential.MustTarget(tt.ref))
		if err != nil {
			t.Fatalf("%s: %v", tt.ref, err)
		}
		c := res.Entry.Credential
		if c.Username != tt.user || c.Kind() != tt.kind || len(res.Skipped) != tt.skipped {
			t.Errorf("%s: got %v skipped %q", tt.ref, c, res.Skipped)
		}
	}
	if _, err := l.Resolve(ctx, credential.MustTarget("ghcr.io/a/b")); !errors.Is(err, ErrNotFound) {
		t.Errorf("ghcr.io: %v, want ErrNotFound", err)
	}
}

func TestLoadBrokenFileNamesIt(t *testing.T) {
	t.Parallel()
	s, path := newTestStore(t, `{"auths": {"quay.io": {"auth": 42}}}`)
	_, err := s.Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `auths["quay.io"].auth`) {
		t.Fatalf("err = %v", err)
	}
}
