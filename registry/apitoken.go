package registry

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/regauth/regauth/credential"
)

// Token fetches a bearer token for scopes from the token service host's
// challenge names, exactly as a registry client would (OAuth2 POST, GET
// fallback; an identity token uses the refresh grant), without asking for
// a refresh token. It also returns the realm, so a caller can reach other
// endpoints of the same token service (regauth's admin API).
func (c *Client) Token(ctx context.Context, host string, cred credential.Credential, scopes ...string) (string, *url.URL, error) {
	ping, err := c.Ping(ctx, host)
	if err != nil {
		return "", nil, err
	}
	ch, ok := ping.challenge("bearer")
	if !ok {
		return "", nil, fmt.Errorf("%s does not use token authentication, so it has no token service", host)
	}
	params := map[string]string{}
	for k, v := range ch.Params {
		params[k] = v
	}
	params["scope"] = strings.Join(scopes, " ")
	ch.Params = params
	s := &session{c: c, host: host, base: ping.baseURL(host), cred: cred, secrets: secretsOf(cred), online: true}
	realm, err := s.realmURL(ch)
	if err != nil {
		return "", nil, err
	}
	if cred.IsEmpty() {
		// Anonymous: the plain GET flow without credentials, as runtimes do.
		tr, err := s.getToken(ctx, realm, ch.Params["service"], ch.Params["scope"])
		if err != nil {
			return "", nil, wrapOp("token from "+host, err)
		}
		tok := tr.AccessToken
		if tok == "" {
			tok = tr.Token
		}
		return tok, realm, nil
	}
	tok, err := s.fetchToken(ctx, ch, &LoginResult{})
	if err != nil {
		return "", nil, wrapOp("token from "+host, err)
	}
	return tok, realm, nil
}
