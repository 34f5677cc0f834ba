package token

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regauth/regauth/server/model"
)

func acts(a ...model.Action) []model.Action { return a }

func TestParseScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    model.Scope
		wantErr string
	}{
		{name: "pull push", in: "repository:team/app:pull,push", want: model.Scope{Type: "repository", Name: "team/app", Actions: acts(model.Pull, model.Push)}},
		{name: "sorted and deduplicated", in: "repository:app:push,pull,push,pull", want: model.Scope{Type: "repository", Name: "app", Actions: acts(model.Pull, model.Push)}},
		{name: "plugin class", in: "repository(plugin):vieux/sshfs:pull", want: model.Scope{Type: "repository(plugin)", Name: "vieux/sshfs", Actions: acts(model.Pull)}},
		{name: "catalog", in: "registry:catalog:*", want: model.Scope{Type: "registry", Name: "catalog", Actions: acts(model.All)}},
		{name: "delete and wildcard", in: "repository:a/b/c:delete,*", want: model.Scope{Type: "repository", Name: "a/b/c", Actions: acts(model.All, model.Delete)}},
		{name: "unknown actions ignored", in: "repository:app:pull,fly,PUSH", want: model.Scope{Type: "repository", Name: "app", Actions: acts(model.Pull)}},
		{name: "no actions", in: "repository:app:", want: model.Scope{Type: "repository", Name: "app"}},
		{name: "separators", in: "repository:my-app/x__y/a.b/c---d_e:pull", want: model.Scope{Type: "repository", Name: "my-app/x__y/a.b/c---d_e", Actions: acts(model.Pull)}},
		{name: "unknown type kept", in: "widget:thing:pull", want: model.Scope{Type: "widget", Name: "thing", Actions: acts(model.Pull)}},
		{name: "host port prefix", in: "repository:localhost:5000/app:pull", wantErr: "registry host is not part"},
		{name: "upper case", in: "repository:Team/app:pull", wantErr: "path component"},
		{name: "empty component", in: "repository:team//app:pull", wantErr: "path component"},
		{name: "trailing separator", in: "repository:app-:pull", wantErr: "path component"},
		{name: "triple underscore", in: "repository:a___b:pull", wantErr: "path component"},
		{name: "empty name", in: "repository::pull", wantErr: "empty"},
		{name: "missing actions", in: "repository:app", wantErr: "want type:name:actions"},
		{name: "no colon", in: "repository", wantErr: "want type:name:actions"},
		{name: "bad type", in: "Repository:app:pull", wantErr: "resource type"},
		{name: "unclosed class", in: "repository(plugin:app:pull", wantErr: "resource class"},
		{name: "empty class", in: "repository():app:pull", wantErr: "resource class"},
		{name: "too long", in: "repository:" + strings.Repeat("a", 256) + ":pull", wantErr: "longer than 255"},
		{name: "control in other name", in: "registry:cat\x01alog:*", wantErr: "non-printable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseScope(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidScope) {
					t.Fatalf("error %v, want ErrInvalidScope containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseScope (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      []string
		want    []model.Scope
		wantErr bool
	}{
		{name: "none", in: nil, want: nil},
		{name: "repeated params", in: []string{"repository:a:pull", "repository:b:push"},
			want: []model.Scope{{Type: "repository", Name: "a", Actions: acts(model.Pull)}, {Type: "repository", Name: "b", Actions: acts(model.Push)}}},
		{name: "space joined", in: []string{"repository:a:pull  registry:catalog:*"},
			want: []model.Scope{{Type: "repository", Name: "a", Actions: acts(model.Pull)}, {Type: "registry", Name: "catalog", Actions: acts(model.All)}}},
		{name: "same resource merged", in: []string{"repository:a:pull", "repository:b:pull repository:a:push,pull"},
			want: []model.Scope{{Type: "repository", Name: "a", Actions: acts(model.Pull, model.Push)}, {Type: "repository", Name: "b", Actions: acts(model.Pull)}}},
		{name: "plugin is another resource", in: []string{"repository:a:pull repository(plugin):a:pull"},
			want: []model.Scope{{Type: "repository", Name: "a", Actions: acts(model.Pull)}, {Type: "repository(plugin)", Name: "a", Actions: acts(model.Pull)}}},
		{name: "empty value", in: []string{"", " "}, want: nil},
		{name: "one bad", in: []string{"repository:a:pull repository:B:pull"}, wantErr: true},
		{name: "too many", in: []string{manyScopes(MaxScopes + 1)}, wantErr: true},
		{name: "many repeats of one", in: []string{strings.Repeat("repository:a:pull ", MaxScopes+1)},
			want: []model.Scope{{Type: "repository", Name: "a", Actions: acts(model.Pull)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseScopes(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseScopes (-want +got):\n%s", diff)
			}
		})
	}
}

func manyScopes(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("repository:r")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("/" + string(rune('a'+i%26)) + strings.Repeat("a", i/26) + ":pull ")
	}
	return b.String()
}

func TestFormatScopes(t *testing.T) {
	t.Parallel()
	in := []model.Scope{
		{Type: "repository", Name: "team/app", Actions: acts(model.Pull, model.Push)},
		{Type: "registry", Name: "catalog", Actions: acts(model.All)},
		{Type: "repository", Name: "none"},
	}
	if got, want := FormatScopes(in), "repository:team/app:pull,push registry:catalog:* repository:none:"; got != want {
		t.Errorf("FormatScopes = %q, want %q", got, want)
	}
}

// referenceRepository is distribution's grammar as a regexp, to check the
// hand-written matcher against.
var referenceRepository = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$`)

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{
		"repository:team/app:pull,push", "repository(plugin):vieux/sshfs:pull", "registry:catalog:*",
		"repository:samalba/my-app:pull,push", "repository:library/ubuntu:pull", "repository:a/b:delete",
		"repository:localhost:5000/app:pull", "repository:foo__bar/baz---qux.x_y:*", "repository:app:",
		"repository:app", ":::", "repository:a:pull,push,pull,bogus", "repository(:x:y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseScope(s)
		if err != nil {
			return
		}
		again, err := ParseScope(FormatScope(got))
		if err != nil {
			t.Fatalf("formatted %q does not reparse: %v", FormatScope(got), err)
		}
		if diff := cmp.Diff(got, again); diff != "" {
			t.Fatalf("Parse(Format(Parse(%q))) differs (-first +second):\n%s", s, diff)
		}
		if base, _, _ := splitType(got.Type); base == "repository" {
			if !referenceRepository.MatchString(got.Name) || len(got.Name) > 255 {
				t.Fatalf("accepted repository name %q that distribution's grammar rejects", got.Name)
			}
		}
	})
}

func FuzzValidateRepository(f *testing.F) {
	for _, s := range []string{"team/app", "a__b", "a___b", "a--b", "a-", "-a", "a/b/", "A", "a.b_c-d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := referenceRepository.MatchString(s) && len(s) <= 255
		if got := ValidateRepository(s) == nil; got != want {
			t.Fatalf("ValidateRepository(%q) ok = %v, distribution's grammar says %v", s, got, want)
		}
	})
}
