package policy

import (
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/regauth/regauth/server/model"
)

func TestValidatePattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pattern string
		wantErr string // substring; "" means valid
	}{
		{name: "exact", pattern: "team/app"},
		{name: "single segment", pattern: "app"},
		{name: "one-level glob", pattern: "team/*"},
		{name: "recursive glob", pattern: "team/**"},
		{name: "everything", pattern: "**"},
		{name: "star alone", pattern: "*"},
		{name: "star inside segment", pattern: "team/app-*"},
		{name: "star in middle segment", pattern: "*/app/**"},
		{name: "name characters", pattern: "a.b_c-d/0-9"},
		{name: "namespace pattern", pattern: NamespacePattern("team")},
		{name: "empty", pattern: "", wantErr: "invalid repository pattern: empty"},
		{name: "too long", pattern: strings.Repeat("a", 256), wantErr: "longer than 255 characters"},
		{name: "leading slash", pattern: "/team", wantErr: "empty path segment"},
		{name: "trailing slash", pattern: "team/", wantErr: "empty path segment"},
		{name: "double slash", pattern: "team//app", wantErr: "empty path segment"},
		{name: "lone slash", pattern: "/", wantErr: "empty path segment"},
		{name: "triple star", pattern: "team/***", wantErr: `"***" is not allowed`},
		{name: "triple star alone", pattern: "***", wantErr: `"***" is not allowed`},
		{name: "double star in middle", pattern: "team/**/app", wantErr: `"**" must be the whole final segment`},
		{name: "double star first", pattern: "**/app", wantErr: `"**" must be the whole final segment`},
		{name: "double star in segment", pattern: "team/app**", wantErr: `"**" must be the whole final segment`},
		{name: "dot segment", pattern: "team/./app", wantErr: `path segment "." is not allowed`},
		{name: "dot dot segment", pattern: "team/..", wantErr: `path segment ".." is not allowed`},
		{name: "upper case", pattern: "Team/app", wantErr: `character 'T' is not allowed`},
		{name: "question mark", pattern: "team/ap?", wantErr: `character '?' is not allowed`},
		{name: "class", pattern: "team/[ab]", wantErr: `character '[' is not allowed`},
		{name: "space", pattern: "team app", wantErr: `character ' ' is not allowed`},
		{name: "plus", pattern: "team+ci/app", wantErr: `character '+' is not allowed`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidatePattern(tc.pattern)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidatePattern(%q) = %v, want nil", tc.pattern, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ValidatePattern(%q) = %v, want error containing %q", tc.pattern, err, tc.wantErr)
			}
			if !errors.Is(err, ErrInvalidPattern) {
				t.Errorf("ValidatePattern(%q) = %v, want errors.Is ErrInvalidPattern", tc.pattern, err)
			}
		})
	}
}

func TestMatchSegmentAgreesWithPathMatch(t *testing.T) {
	t.Parallel()
	patterns := []string{"", "*", "**", "a", "a*", "*a", "a*b", "*a*", "a*a*a", "*.*", "app-*", "*-*-*"}
	names := []string{"", "a", "b", "ab", "aa", "aba", "aab", "abab", "aaaa", "a.b", "app-", "app-web", "x-y-z", "x-y"}
	for _, p := range patterns {
		for _, s := range names {
			want, err := path.Match(p, s)
			if err != nil {
				t.Fatalf("path.Match(%q): %v", p, err)
			}
			if got := matchSegment(p, s); got != want {
				t.Errorf("matchSegment(%q, %q) = %v, path.Match says %v", p, s, got, want)
			}
		}
	}
}

func TestValidRepoName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"a": true, "team/app": true, "a/b/c/d": true, "a.b/c_d/e-f": true, "a--b/c__d": true,
		"": false, "/a": false, "a/": false, "a//b": false, "A": false, "a/*": false, "-a": false,
		"a-": false, "a/../b": false, "a/./b": false, "a b": false, ".a": false, "a+b": false,
		strings.Repeat("a", 255): true, strings.Repeat("a", 256): false,
	} {
		if got := validRepoName(name); got != want {
			t.Errorf("validRepoName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		name    string
		want    bool
	}{
		{"*/app", "x/app", true},
		{"*/app", "app", false},
		{"*/app", "x/y/app", false},
		{"*/app", "x/app/y", false},
		{"t*/**", "team/a", true},
		{"t*/**", "team/a/b", true},
		{"t*/**", "team", false},
		{"t*/**", "x/a", false},
		{"a/*-x/*", "a/b-x/c", true},
		{"a/*-x/*", "a/b-x", false},
		{"a/*-x/*", "a/b-y/c", false},
		{"a*", "ab", true},
		{"a*", "ab/c", false},
	}
	for _, tc := range tests {
		if got := newGlob(tc.pattern).match(tc.name); got != tc.want {
			t.Errorf("glob(%q).match(%q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func TestRoleSet(t *testing.T) {
	t.Parallel()
	for _, r := range []model.Role{model.Read, model.Write, model.Admin, "owner", ""} {
		var want actionSet
		for _, a := range r.Actions() {
			want |= actionBit(a)
		}
		if got := roleSet(r); got != want {
			t.Errorf("roleSet(%q) = %b, Role.Actions says %b", r, got, want)
		}
	}
}
