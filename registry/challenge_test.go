package registry

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// realHeaders are WWW-Authenticate values as registries send them; they seed
// the fuzz target and the table below.
var realHeaders = []string{
	`Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`,
	`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"`,
	`Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"`,
	`Basic realm="https://012345678910.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"`,
	`Bearer realm="https://quay.io/v2/auth",service="quay.io"`,
	`Bearer realm="https://gcr.io/v2/token",service="gcr.io"`,
	`Bearer realm="https://europe-west1-docker.pkg.dev/v2/token",service="europe-west1-docker.pkg.dev"`,
	`Bearer realm="https://x.azurecr.io/oauth2/token",service="x.azurecr.io"`,
	`Bearer realm="https://harbor.example.com/service/token",service="harbor-registry"`,
	`Bearer realm="https://gitlab.example.com/jwt/auth",service="container_registry",scope="repository:group/project:push,pull"`,
	`Bearer realm="https://registry.example.com:5001/auth",service="Docker registry",scope="repository:samalba/my-app:pull,push"`,
	`Basic realm="Registry Realm"`,
	`Basic realm="JFrog", Bearer realm="https://jfrog.example.com/artifactory/api/docker/docker/v2/token",service="jfrog.example.com"`,
}

func TestParseChallenges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers []string
		want    []Challenge
	}{
		{
			name:    "docker hub",
			headers: []string{realHeaders[0]},
			want: []Challenge{{Scheme: "bearer", Params: map[string]string{
				"realm": "https://auth.docker.io/token", "service": "registry.docker.io"}}},
		},
		{
			name:    "scope with comma inside quotes",
			headers: []string{`Bearer realm="https://a/token",service="x",scope="repository:a/b:pull,push"`},
			want: []Challenge{{Scheme: "bearer", Params: map[string]string{
				"realm": "https://a/token", "service": "x", "scope": "repository:a/b:pull,push"}}},
		},
		{
			name:    "ecr basic",
			headers: []string{realHeaders[3]},
			want: []Challenge{{Scheme: "basic", Params: map[string]string{
				"realm": "https://012345678910.dkr.ecr.us-east-1.amazonaws.com/", "service": "ecr.amazonaws.com"}}},
		},
		{
			name:    "two challenges in one header",
			headers: []string{`Basic realm="JFrog", Bearer realm="https://j/token",service="j"`},
			want: []Challenge{
				{Scheme: "basic", Params: map[string]string{"realm": "JFrog"}},
				{Scheme: "bearer", Params: map[string]string{"realm": "https://j/token", "service": "j"}},
			},
		},
		{
			name:    "challenges across header lines",
			headers: []string{`Basic realm="a"`, `Bearer realm="b"`},
			want: []Challenge{
				{Scheme: "basic", Params: map[string]string{"realm": "a"}},
				{Scheme: "bearer", Params: map[string]string{"realm": "b"}},
			},
		},
		{
			name:    "escaped quotes and backslashes",
			headers: []string{`Basic realm="say \"hi\" \\ bye"`},
			want:    []Challenge{{Scheme: "basic", Params: map[string]string{"realm": `say "hi" \ bye`}}},
		},
		{
			name:    "unquoted values and upper case",
			headers: []string{`BEARER Realm=https://a/token, Service=reg`},
			want: []Challenge{{Scheme: "bearer", Params: map[string]string{
				"realm": "https://a/token", "service": "reg"}}},
		},
		{
			name:    "odd spacing and empty elements",
			headers: []string{`  Bearer   realm = "r" ,, ,service= "s",scope=""  `},
			want: []Challenge{{Scheme: "bearer", Params: map[string]string{
				"realm": "r", "service": "s", "scope": ""}}},
		},
		{
			name:    "missing commas between params",
			headers: []string{`Bearer realm="r" service="s"`},
			want:    []Challenge{{Scheme: "bearer", Params: map[string]string{"realm": "r", "service": "s"}}},
		},
		{
			name:    "empty unquoted param",
			headers: []string{`Bearer realm=,service=s`},
			want:    []Challenge{{Scheme: "bearer", Params: map[string]string{"realm": "", "service": "s"}}},
		},
		{
			name:    "token68",
			headers: []string{`Negotiate YWxhZGRpbjpvcGVuc2VzYW1l==, Basic realm="x"`},
			want: []Challenge{
				{Scheme: "negotiate", Params: map[string]string{}, Token68: "YWxhZGRpbjpvcGVuc2VzYW1l=="},
				{Scheme: "basic", Params: map[string]string{"realm": "x"}},
			},
		},
		{
			name:    "scheme without params",
			headers: []string{`Basic, Negotiate`},
			want: []Challenge{
				{Scheme: "basic", Params: map[string]string{}},
				{Scheme: "negotiate", Params: map[string]string{}},
			},
		},
		{
			name:    "duplicate param first wins",
			headers: []string{`Basic realm="a", realm="b"`},
			want:    []Challenge{{Scheme: "basic", Params: map[string]string{"realm": "a"}}},
		},
		{
			name:    "unterminated quote",
			headers: []string{`Bearer realm="https://a/token`},
			want:    []Challenge{{Scheme: "bearer", Params: map[string]string{"realm": "https://a/token"}}},
		},
		{
			name:    "params without a scheme are dropped",
			headers: []string{`realm="x", Basic realm="y"`},
			want:    []Challenge{{Scheme: "basic", Params: map[string]string{"realm": "y"}}},
		},
		{
			name:    "empty header",
			headers: []string{"", " , "},
			want:    nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ParseChallenges(tt.headers...)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseChallenges(%q) mismatch (-want +got):\n%s", tt.headers, diff)
			}
		})
	}
}

func TestChallengeStringRoundTrip(t *testing.T) {
	t.Parallel()
	for _, h := range realHeaders {
		t.Run(h, func(t *testing.T) {
			t.Parallel()
			checkStable(t, h)
		})
	}
}

func FuzzParseChallenges(f *testing.F) {
	for _, h := range realHeaders {
		f.Add(h)
	}
	f.Add(`Negotiate abc==, Basic realm=x`)
	f.Add(`Bearer realm="a\"b",,service=`)
	f.Fuzz(func(t *testing.T, h string) {
		checkStable(t, h)
	})
}

// checkStable asserts that rendering the parsed challenges and parsing them
// again gives the same challenges.
func checkStable(t *testing.T, h string) {
	t.Helper()
	first := ParseChallenges(h)
	parts := make([]string, len(first))
	for i, c := range first {
		parts[i] = c.String()
	}
	rendered := strings.Join(parts, ", ")
	second := ParseChallenges(rendered)
	if diff := cmp.Diff(first, second, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("re-parse of %q rendered as %q differs (-first +second):\n%s", h, rendered, diff)
	}
}
