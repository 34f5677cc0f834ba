package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/regauth/regauth/credential"
)

// ClientID is the OAuth2 client_id regauth presents to token servers.
const ClientID = "regauth"

// LoginResult is how a login check went.
type LoginResult struct {
	Scheme string // "https", or "http" after an insecure fallback
	// Auth is the scheme the registry asked for: "none" (open registry),
	// "basic" or "bearer".
	Auth string
	// TokenURL is the token realm used (redacted), for bearer auth.
	TokenURL string
	// TokenMethod is how the token was fetched: "oauth2" (POST) or "get"
	// (the basic-auth GET flow of the distribution token spec).
	TokenMethod string
	// IdentityToken is the refresh token the token server returned, if
	// any; the caller stores it as docker's identitytoken instead of the
	// password.
	IdentityToken string
}

// ErrNoCredential is returned when a registry needs authentication and the
// credential is empty or of a kind the registry cannot use.
var ErrNoCredential = errors.New("no usable credential")

// Login checks that host accepts cred the way docker login does: it pings
// /v2/; an open registry passes; a Basic challenge is answered with Basic
// auth; a Bearer challenge with a token from the realm (OAuth2 POST, falling
// back to the GET flow for servers without it), which must then open /v2/.
// A refusal satisfies errors.Is(err, ErrUnauthorized).
func (c *Client) Login(ctx context.Context, host string, cred credential.Credential) (*LoginResult, error) {
	ping, err := c.Ping(ctx, host)
	if err != nil {
		return nil, err
	}
	res := &LoginResult{Scheme: ping.Scheme}
	if ping.StatusCode == http.StatusOK {
		res.Auth = "none"
		return res, nil
	}
	s := &session{c: c, host: host, base: ping.baseURL(host), cred: cred, secrets: secretsOf(cred)}
	op := "log in to " + host
	if bearer, ok := ping.challenge("bearer"); ok {
		res.Auth = "bearer"
		if err := s.bearerLogin(ctx, bearer, res); err != nil {
			return nil, wrapOp(op, err)
		}
		return res, nil
	}
	if _, ok := ping.challenge("basic"); ok {
		res.Auth = "basic"
		if err := s.basicLogin(ctx); err != nil {
			return nil, wrapOp(op, err)
		}
		return res, nil
	}
	schemes := make([]string, 0, len(ping.Challenges))
	for _, ch := range ping.Challenges {
		schemes = append(schemes, ch.Scheme)
	}
	if len(schemes) == 0 {
		return nil, fmt.Errorf("%s: registry answered 401 without a WWW-Authenticate challenge", op)
	}
	return nil, fmt.Errorf("%s: unsupported authentication scheme %s", op, strings.Join(schemes, ", "))
}

// wrapOp prefixes op, except to HintErrors, which carry their own.
func wrapOp(op string, err error) error {
	var h *HintError
	if errors.As(err, &h) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

type session struct {
	online  bool // do not ask for a refresh token (one-off API tokens)
	c       *Client
	host    string
	base    string // scheme://host
	cred    credential.Credential
	secrets []string
}

func secretsOf(cred credential.Credential) []string {
	var out []string
	for _, s := range []string{cred.Password, cred.IdentityToken, cred.RegistryToken} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (s *session) basicLogin(ctx context.Context) error {
	if s.cred.Password == "" {
		return fmt.Errorf("%w: the registry wants a username and password, got %s credential",
			ErrNoCredential, s.cred.Kind())
	}
	return s.checkV2(ctx, func(r *http.Request) { r.SetBasicAuth(s.cred.Username, s.cred.Password) })
}

func (s *session) bearerLogin(ctx context.Context, ch Challenge, res *LoginResult) error {
	if s.cred.RegistryToken != "" {
		// A registry token is a bearer token already; nothing to exchange.
		return s.checkV2(ctx, bearerAuth(s.cred.RegistryToken))
	}
	if s.cred.IsEmpty() || (s.cred.Password == "" && s.cred.IdentityToken == "") {
		return fmt.Errorf("%w: the registry wants a token and %s credential cannot get one",
			ErrNoCredential, s.cred.Kind())
	}
	tok, err := s.fetchToken(ctx, ch, res)
	if err != nil {
		return err
	}
	return s.checkV2(ctx, bearerAuth(tok))
}

func bearerAuth(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// checkV2 sends GET /v2/ with authorization; only 200 means the registry
// accepted it.
func (s *session) checkV2(ctx context.Context, authorize func(*http.Request)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/v2/", nil)
	if err != nil {
		return err
	}
	authorize(req)
	resp, err := s.c.do(req)
	if err != nil {
		return classify("log in to "+s.host, s.host, err)
	}
	defer drain(resp)
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return newResponseError(resp, s.secrets)
}
