package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"

	"github.com/regauth/regauth/server/model"
)

func decodePart(t *testing.T, part string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIssueClaims(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 4, 3, 2, 1, 999, time.UTC)
	tests := []struct {
		name       string
		alg        string
		x5c        bool
		sub        string
		access     []model.Scope
		wantAccess []any
	}{
		{name: "ES256 robot", alg: ES256, sub: "robot:team+ci",
			access:     []model.Scope{{Type: "repository", Name: "team/app", Actions: acts(model.Pull, model.Push)}},
			wantAccess: []any{map[string]any{"type": "repository", "name": "team/app", "actions": []any{"pull", "push"}}}},
		{name: "EdDSA plugin and empty grant", alg: EdDSA, sub: "user:alice",
			access: []model.Scope{{Type: "repository(plugin)", Name: "x/y", Actions: acts(model.Pull)}, {Type: "repository", Name: "no/thing"}},
			wantAccess: []any{
				map[string]any{"type": "repository", "class": "plugin", "name": "x/y", "actions": []any{"pull"}},
				map[string]any{"type": "repository", "name": "no/thing", "actions": []any{}},
			}},
		{name: "RS256 anonymous nothing", alg: RS256, x5c: true, wantAccess: []any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks := testKeys(t, tt.alg)
			iss, err := NewIssuer(IssuerOptions{Issuer: "regauth", Keys: ks, X5C: tt.x5c,
				Now: func() time.Time { return now }, Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 16))})
			if err != nil {
				t.Fatal(err)
			}
			tok, expiresIn, issuedAt, err := iss.Issue(tt.sub, "registry.test", tt.access)
			if err != nil {
				t.Fatal(err)
			}
			if expiresIn != DefaultTTL || !issuedAt.Equal(now.Truncate(time.Second)) {
				t.Errorf("expiresIn %v, issuedAt %v", expiresIn, issuedAt)
			}
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				t.Fatalf("%d parts", len(parts))
			}
			header := decodePart(t, parts[0])
			if x5c, ok := header["x5c"]; ok != tt.x5c || (ok && len(x5c.([]any)) != 1) {
				t.Errorf("x5c = %v, want present %v", x5c, tt.x5c)
			}
			delete(header, "x5c")
			if diff := cmp.Diff(map[string]any{"alg": tt.alg, "typ": "JWT", "kid": kids(ks)[0]}, header); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			iat := float64(now.Unix())
			wantClaims := map[string]any{
				"iss": "regauth", "sub": tt.sub, "aud": "registry.test",
				"iat": iat, "nbf": iat, "exp": iat + DefaultTTL.Seconds(),
				"jti": base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 16)), "access": tt.wantAccess,
			}
			if diff := cmp.Diff(wantClaims, decodePart(t, parts[1])); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
			// An independent JOSE implementation checks the signature.
			parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(tt.alg)})
			if err != nil {
				t.Fatal(err)
			}
			var c jwt.Claims
			if err := parsed.Claims(ks.signingKey().priv.Public(), &c); err != nil {
				t.Errorf("go-jose rejects the signature: %v", err)
			}
		})
	}
}

func TestIssueJTIUnique(t *testing.T) {
	t.Parallel()
	iss := newTestIssuer(t, testKeys(t, ES256), false, time.Now, testIssuer)
	seen := map[string]bool{}
	for range 100 {
		tok, _, _, err := iss.Issue("", testService, nil)
		if err != nil {
			t.Fatal(err)
		}
		jti := decodePart(t, strings.Split(tok, ".")[1])["jti"].(string)
		if seen[jti] {
			t.Fatalf("jti %s repeated", jti)
		}
		seen[jti] = true
	}
}

func BenchmarkIssue(b *testing.B) {
	access := []model.Scope{{Type: "repository", Name: "team/app", Actions: acts(model.Pull, model.Push)}}
	for _, alg := range []string{ES256, EdDSA, RS256} {
		b.Run(alg+"/parallel", func(b *testing.B) { benchIssue(b, alg, access, true) })
	}
}

// BenchmarkIssueES256 is the hot path, one token per docker pull or push,
// measured on one goroutine (latency); BenchmarkIssue measures throughput.
func BenchmarkIssueES256(b *testing.B) {
	benchIssue(b, ES256, []model.Scope{{Type: "repository", Name: "team/app", Actions: acts(model.Pull, model.Push)}}, false)
}

func benchIssue(b *testing.B, alg string, access []model.Scope, parallel bool) {
	ks, err := LoadOrCreateKeys(b.TempDir(), alg, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	iss, err := NewIssuer(IssuerOptions{Issuer: "regauth", Keys: ks})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	if !parallel {
		for b.Loop() {
			if _, _, _, err := iss.Issue("robot:team+ci", "registry.test", access); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, _, err := iss.Issue("robot:team+ci", "registry.test", access); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParseScopes(b *testing.B) {
	in := []string{"repository:team/app:pull,push", "repository:library/ubuntu:pull registry:catalog:*"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseScopes(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkES256SignatureOnly is the floor BenchmarkIssueES256 is compared
// with: the bare ECDSA signature, without claims, JSON or encoding.
func BenchmarkES256SignatureOnly(b *testing.B) {
	k := &key{alg: ES256, priv: mustGenerate(b, ES256)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sign(k, "header.payload"); err != nil {
			b.Fatal(err)
		}
	}
}
