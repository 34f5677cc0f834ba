package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

const maxTokenBody = 1 << 20

// tokenResponse covers both token response shapes: the GET flow's "token"
// and OAuth2's "access_token" (either may come alone).
type tokenResponse struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// fetchToken gets a bearer token from the challenge's realm: OAuth2 POST
// first (the only flow for identity tokens), then the GET flow with Basic
// auth for token servers that do not implement POST.
func (s *session) fetchToken(ctx context.Context, ch Challenge, res *LoginResult) (string, error) {
	realm, err := s.realmURL(ch)
	if err != nil {
		return "", err
	}
	res.TokenURL = redactURL(realm)
	service, scope := ch.Params["service"], ch.Params["scope"]

	form := url.Values{}
	form.Set("client_id", ClientID)
	if service != "" {
		form.Set("service", service)
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	if s.cred.IdentityToken != "" {
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", s.cred.IdentityToken)
	} else {
		form.Set("grant_type", "password")
		form.Set("username", s.cred.Username)
		form.Set("password", s.cred.Password)
		if !s.online {
			form.Set("access_type", "offline")
		}
	}
	res.TokenMethod = "oauth2"
	tr, err := s.postToken(ctx, realm, form)
	if err != nil && s.cred.IdentityToken == "" && oauthUnsupported(err) {
		res.TokenMethod = "get"
		tr, err = s.getToken(ctx, realm, service, scope)
	}
	if err != nil {
		return "", err
	}
	res.IdentityToken = tr.RefreshToken
	return tr.token(), nil
}

// realmURL resolves the challenge's realm, which may be relative to the
// registry, and refuses schemes other than http(s).
func (s *session) realmURL(ch Challenge) (*url.URL, error) {
	raw := ch.Params["realm"]
	if raw == "" {
		return nil, errors.New("bearer challenge has no realm")
	}
	base, err := url.Parse(s.base + "/v2/")
	if err != nil {
		return nil, err
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bearer challenge realm %q: %w", raw, err)
	}
	u := base.ResolveReference(ref)
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("bearer challenge realm %q: scheme is not http or https", raw)
	}
	return u, nil
}

// oauthUnsupported reports whether a POST failed because the token server
// does not do OAuth2 (404/405/501, or a grant type it rejects as unknown)
// rather than because the credential was wrong.
func oauthUnsupported(err error) bool {
	var re *ResponseError
	if !errors.As(err, &re) {
		return false
	}
	switch re.StatusCode {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return true
	case http.StatusBadRequest:
		return re.Code == "unsupported_grant_type"
	}
	return false
}

func (s *session) postToken(ctx context.Context, realm *url.URL, form url.Values) (*tokenResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, realm.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.tokenRequest(req, realm)
}

func (s *session) getToken(ctx context.Context, realm *url.URL, service, scope string) (*tokenResponse, error) {
	u := *realm
	q := u.Query()
	if service != "" {
		q.Set("service", service)
	}
	if scope != "" {
		q.Set("scope", scope)
	}
	q.Set("client_id", ClientID)
	anonymous := s.cred.Username == "" && s.cred.Password == ""
	if !anonymous {
		if !s.online {
			q.Set("offline_token", "true")
		}
		q.Set("account", s.cred.Username)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if !anonymous {
		req.SetBasicAuth(s.cred.Username, s.cred.Password)
	}
	return s.tokenRequest(req, realm)
}

func (s *session) tokenRequest(req *http.Request, realm *url.URL) (*tokenResponse, error) {
	resp, err := s.c.do(req)
	if err != nil {
		return nil, tokenServerError(s.host, realm, err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, newResponseError(resp, s.secrets)
	}
	var tr tokenResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxTokenBody)).Decode(&tr); err != nil {
		return nil, fmt.Errorf("read token response from %s: %w", redactURL(realm), err)
	}
	if tr.token() == "" {
		return nil, fmt.Errorf("read token response from %s: no token in it", redactURL(realm))
	}
	return &tr, nil
}

func (tr *tokenResponse) token() string {
	if tr.AccessToken != "" {
		return tr.AccessToken
	}
	return tr.Token
}
