package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regauth/regauth/server/model"
)

const formType = "application/x-www-form-urlencoded"

func tokenRequest(method, query, contentType, body string, basic []string) *http.Request {
	r := httptest.NewRequest(method, "/token?"+query, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if basic != nil {
		r.SetBasicAuth(basic[0], basic[1])
	}
	return r
}

func TestParseTokenRequest(t *testing.T) {
	t.Parallel()
	pull := []model.Scope{{Type: "repository", Name: "team/app", Actions: acts(model.Pull)}}
	tests := []struct {
		name       string
		r          *http.Request
		want       *Request
		wantCode   string
		wantStatus int
	}{
		{name: "docker login", r: tokenRequest("GET", "account=ci&client_id=docker&offline_token=true&service=registry.test", "", "", []string{"ci", "s3cret:x"}),
			want: &Request{Grant: GrantPassword, Username: "ci", Password: "s3cret:x", Service: "registry.test", ClientID: "docker", Account: "ci", WantsRefresh: true}},
		{name: "docker pull repeated scopes", r: tokenRequest("GET", "scope=repository%3Ateam%2Fapp%3Apull&scope=registry%3Acatalog%3A*&service=r", "", "", []string{"ci", "pw"}),
			want: &Request{Grant: GrantPassword, Username: "ci", Password: "pw", Service: "r",
				Scopes: append(append([]model.Scope{}, pull...), model.Scope{Type: "registry", Name: "catalog", Actions: acts(model.All)})}},
		{name: "anonymous", r: tokenRequest("GET", "service=r&scope=repository:team/app:pull", "", "", nil),
			want: &Request{Grant: GrantAnonymous, Service: "r", Scopes: pull}},
		{name: "oauth2 password offline", r: tokenRequest("POST", "", formType+"; charset=utf-8",
			"grant_type=password&username=ci&password=p%26w&service=r&client_id=containerd-client&access_type=offline&scope=repository%3Ateam%2Fapp%3Apull+repository%3Ateam%2Fapp%3Apush", nil),
			want: &Request{Grant: GrantPassword, Username: "ci", Password: "p&w", Service: "r", ClientID: "containerd-client", WantsRefresh: true, OAuth2: true,
				Scopes: []model.Scope{{Type: "repository", Name: "team/app", Actions: acts(model.Pull, model.Push)}}}},
		{name: "oauth2 refresh", r: tokenRequest("POST", "", formType, "grant_type=refresh_token&refresh_token=rt&service=r&scope=repository:team/app:pull", nil),
			want: &Request{Grant: GrantRefreshToken, RefreshToken: "rt", Service: "r", Scopes: pull, OAuth2: true}},
		{name: "post ignores query", r: tokenRequest("POST", "grant_type=bogus", formType, "grant_type=refresh_token&refresh_token=rt", nil),
			want: &Request{Grant: GrantRefreshToken, RefreshToken: "rt", OAuth2: true}},
		{name: "bad scope", r: tokenRequest("GET", "scope=repository:Team:pull", "", "", nil), wantCode: CodeInvalidRequest, wantStatus: 400},
		{name: "bad authorization", r: func() *http.Request {
			r := tokenRequest("GET", "", "", "", nil)
			r.Header.Set("Authorization", "Bearer abc")
			return r
		}(), wantCode: CodeInvalidRequest, wantStatus: 400},
		{name: "empty basic user", r: tokenRequest("GET", "", "", "", []string{"", "pw"}), wantCode: CodeInvalidRequest, wantStatus: 400},
		{name: "repeated service", r: tokenRequest("GET", "service=a&service=b", "", "", nil), wantCode: CodeInvalidRequest, wantStatus: 400},
		{name: "malformed query", r: tokenRequest("GET", "service=%zz", "", "", nil), wantCode: CodeInvalidRequest, wantStatus: 400},
		{name: "method", r: tokenRequest("PUT", "", "", "", nil), wantCode: CodeInvalidRequest, wantStatus: 405},
		{name: "content type", r: tokenRequest("POST", "", "application/json", `{"grant_type":"password"}`, nil), wantCode: CodeInvalidRequest, wantStatus: 415},
		{name: "no grant type", r: tokenRequest("POST", "", formType, "username=a&password=b", nil), wantCode: CodeInvalidRequest, wantStatus: 400},
		{name: "client credentials", r: tokenRequest("POST", "", formType, "grant_type=client_credentials", nil), wantCode: CodeUnsupportedGrantType, wantStatus: 400},
		{name: "password without password", r: tokenRequest("POST", "", formType, "grant_type=password&username=a", nil), wantCode: CodeInvalidRequest, wantStatus: 400},
		{name: "refresh without token", r: tokenRequest("POST", "", formType, "grant_type=refresh_token", nil), wantCode: CodeInvalidRequest, wantStatus: 400},
		{name: "two grant types", r: tokenRequest("POST", "", formType, "grant_type=password&grant_type=refresh_token", nil), wantCode: CodeInvalidRequest, wantStatus: 400},
		{name: "body too large", r: tokenRequest("POST", "", formType, "grant_type=password&password="+strings.Repeat("x", 600), nil), wantCode: CodeInvalidRequest, wantStatus: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTokenRequest(tt.r, 512)
			if tt.wantCode != "" {
				var re *RequestError
				if !errors.As(err, &re) {
					t.Fatalf("error %v, want *RequestError", err)
				}
				if re.Code != tt.wantCode || re.Status != tt.wantStatus {
					t.Errorf("got %s/%d, want %s/%d (%v)", re.Code, re.Status, tt.wantCode, tt.wantStatus, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseTokenRequest (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	req := &Request{Username: "ci", Password: "hunter2", RefreshToken: "rt-hunter2"}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("req", "req", req, "pw", req.Password)
	js, _ := json.Marshal(req)
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", req), "%+v": fmt.Sprintf("%+v", *req), "%#v": fmt.Sprintf("%#v", *req),
		"%s": fmt.Sprintf("%s", req.Password), "%q": fmt.Sprintf("%q", req.Password), "%x": fmt.Sprintf("%x", req.Password),
		"json": string(js), "slog": logged.String(),
	} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
	}
	if req.Password.Reveal() != "hunter2" {
		t.Error("Reveal lost the secret")
	}
}

// TestRequestErrorsHoldNoSecret makes sure a malformed form, whose parse
// error would quote the text around the bad escape, does not echo a password.
func TestRequestErrorsHoldNoSecret(t *testing.T) {
	t.Parallel()
	r := tokenRequest("POST", "", formType, "grant_type=password&username=a&password=hunter2%zz", nil)
	_, err := ParseTokenRequest(r, DefaultMaxBody)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v: want one without the password", err)
	}
}

func FuzzParseTokenRequest(f *testing.F) {
	f.Add("GET", "service=registry.docker.io&scope=repository%3Alibrary%2Fubuntu%3Apull", "", "", "Basic Y2k6cHc=")
	f.Add("GET", "account=ci&client_id=docker&offline_token=true&service=r", "", "", "")
	f.Add("GET", "scope=repository:a:pull&scope=repository:a:push%20registry:catalog:*", "", "", "Basic !!")
	f.Add("POST", "", formType, "grant_type=password&username=ci&password=pw&service=r&client_id=containerd-client&access_type=offline&scope=repository%3Aa%3Apull+repository%3Ab%3Apush", "")
	f.Add("POST", "", formType+"; charset=utf-8", "grant_type=refresh_token&refresh_token=abc&service=r&scope=repository(plugin):x:pull", "")
	f.Add("POST", "", formType, "grant_type=client_credentials;x=%zz", "")
	f.Add("DELETE", "", "", "", "")
	f.Fuzz(func(t *testing.T, method, query, contentType, body, authz string) {
		r, err := http.NewRequest(method, "http://auth.test/token", strings.NewReader(body))
		if err != nil {
			return
		}
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", contentType)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		req, err := ParseTokenRequest(r, 1024)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Code == "" || re.Status < 400 {
				t.Fatalf("error %v is not a proper *RequestError", err)
			}
			return
		}
		switch req.Grant {
		case GrantAnonymous:
			if req.Username != "" || req.Password != "" {
				t.Fatal("anonymous request with credentials")
			}
		case GrantPassword:
			if req.Username == "" {
				t.Fatal("password grant without user name")
			}
		case GrantRefreshToken:
			if req.RefreshToken == "" {
				t.Fatal("refresh grant without token")
			}
		default:
			t.Fatalf("grant %q", req.Grant)
		}
		if len(req.Scopes) > MaxScopes {
			t.Fatalf("%d scopes", len(req.Scopes))
		}
		for _, s := range req.Scopes {
			if _, err := ParseScope(FormatScope(s)); err != nil {
				t.Fatalf("scope %q does not reparse: %v", FormatScope(s), err)
			}
		}
	})
}
