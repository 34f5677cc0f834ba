package token

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/regauth/regauth/server/model"
)

// GrantType is how a token request authenticates.
type GrantType string

const (
	// GrantAnonymous is a GET without credentials.
	GrantAnonymous GrantType = "anonymous"
	// GrantPassword is a GET with Basic credentials or an OAuth2
	// password grant.
	GrantPassword GrantType = "password"
	// GrantRefreshToken is an OAuth2 refresh_token grant.
	GrantRefreshToken GrantType = "refresh_token"
)

// OAuth2 error codes (RFC 6749 section 5.2) the token endpoint answers with.
const (
	CodeInvalidRequest       = "invalid_request"
	CodeUnsupportedGrantType = "unsupported_grant_type"
)

// DefaultMaxBody is a sensible body limit for the token endpoint: a form
// with credentials and a few hundred scopes fits easily.
const DefaultMaxBody = 64 << 10

// Secret holds a password or refresh token. It prints, logs and marshals
// as "[redacted]" so it cannot leak by accident; Reveal returns the value.
type Secret string

const redacted = "[redacted]"

func (s Secret) Reveal() string                { return string(s) }
func (Secret) String() string                  { return redacted }
func (Secret) GoString() string                { return redacted }
func (Secret) LogValue() slog.Value            { return slog.StringValue(redacted) }
func (Secret) MarshalJSON() ([]byte, error)    { return []byte(`"` + redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error)    { return []byte(redacted), nil }
func (s Secret) Format(f fmt.State, verb rune) { io.WriteString(f, redacted) }

// Request is a parsed token request.
type Request struct {
	Grant        GrantType
	Username     string // Basic user or form username; empty when anonymous
	Password     Secret // Basic password or form password
	RefreshToken Secret // for GrantRefreshToken
	Service      string
	Scopes       []model.Scope
	ClientID     string
	Account      string // GET "account": informational, docker sends the user name
	WantsRefresh bool   // offline_token=true (GET) or access_type=offline (POST)
	OAuth2       bool   // POST form, as opposed to the docker GET flow
}

// RequestError is a token request the endpoint must refuse. Code is the
// OAuth2 error code and Status the HTTP status to answer with; Description
// never holds a secret.
type RequestError struct {
	Code        string
	Status      int
	Description string
	Err         error
}

func (e *RequestError) Error() string {
	if e.Err != nil {
		return "token request: " + e.Description + ": " + e.Err.Error()
	}
	return "token request: " + e.Description
}

func (e *RequestError) Unwrap() error { return e.Err }

func badRequest(desc string, err error) *RequestError {
	return &RequestError{Code: CodeInvalidRequest, Status: http.StatusBadRequest, Description: desc, Err: err}
}

// ParseTokenRequest reads a token request: the docker GET flow (query
// parameters plus optional Basic credentials) or the OAuth2 POST form. It
// reads at most maxBody bytes of body. Errors are *RequestError.
func ParseTokenRequest(r *http.Request, maxBody int64) (*Request, error) {
	switch r.Method {
	case http.MethodGet:
		return parseGet(r)
	case http.MethodPost:
		return parsePost(r, maxBody)
	}
	return nil, &RequestError{Code: CodeInvalidRequest, Status: http.StatusMethodNotAllowed,
		Description: "method " + r.Method + " not allowed"}
}

func parseGet(r *http.Request) (*Request, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("malformed query", err)
	}
	req := &Request{Grant: GrantAnonymous}
	if req.Service, err = single(q, "service"); err != nil {
		return nil, err
	}
	if req.Account, err = single(q, "account"); err != nil {
		return nil, err
	}
	if req.ClientID, err = single(q, "client_id"); err != nil {
		return nil, err
	}
	offline, err := single(q, "offline_token")
	if err != nil {
		return nil, err
	}
	req.WantsRefresh = strings.EqualFold(offline, "true")
	if req.Scopes, err = ParseScopes(q["scope"]); err != nil {
		return nil, badRequest("malformed scope", err)
	}
	if _, present := r.Header["Authorization"]; present {
		user, pass, ok := r.BasicAuth()
		if !ok {
			return nil, badRequest("authorization header is not valid basic credentials", nil)
		}
		if user == "" {
			return nil, badRequest("basic credentials have an empty user name", nil)
		}
		req.Grant, req.Username, req.Password = GrantPassword, user, Secret(pass)
	}
	return req, nil
}

func parsePost(r *http.Request, maxBody int64) (*Request, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/x-www-form-urlencoded" {
		return nil, &RequestError{Code: CodeInvalidRequest, Status: http.StatusUnsupportedMediaType,
			Description: "content type must be application/x-www-form-urlencoded"}
	}
	if r.Body == nil {
		return nil, badRequest("empty body", nil)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, badRequest("reading body", err)
	}
	if int64(len(body)) > maxBody {
		return nil, &RequestError{Code: CodeInvalidRequest, Status: http.StatusRequestEntityTooLarge,
			Description: fmt.Sprintf("body larger than %d bytes", maxBody)}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		// The parse error quotes the offending text, which may be a password.
		return nil, badRequest("malformed form body", nil)
	}
	req := &Request{OAuth2: true}
	var grant, password, refresh, accessType string
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"grant_type", &grant}, {"service", &req.Service}, {"client_id", &req.ClientID},
		{"username", &req.Username}, {"password", &password}, {"refresh_token", &refresh},
		{"access_type", &accessType},
	} {
		if *f.dst, err = single(form, f.name); err != nil {
			return nil, err
		}
	}
	req.WantsRefresh = accessType == "offline"
	if req.Scopes, err = ParseScopes(form["scope"]); err != nil {
		return nil, badRequest("malformed scope", err)
	}
	switch GrantType(grant) {
	case GrantPassword:
		if req.Username == "" || password == "" {
			return nil, badRequest("password grant needs username and password", nil)
		}
		req.Grant, req.Password = GrantPassword, Secret(password)
	case GrantRefreshToken:
		if refresh == "" {
			return nil, badRequest("refresh_token grant needs refresh_token", nil)
		}
		req.Grant, req.RefreshToken = GrantRefreshToken, Secret(refresh)
	case "":
		return nil, badRequest("missing grant_type", nil)
	default:
		return nil, &RequestError{Code: CodeUnsupportedGrantType, Status: http.StatusBadRequest,
			Description: "unsupported grant_type", Err: errors.New("want password or refresh_token")}
	}
	return req, nil
}

// single returns the one value of a parameter that must not repeat: two
// different values for, say, grant_type would leave us guessing.
func single(v url.Values, name string) (string, error) {
	switch vals := v[name]; len(vals) {
	case 0:
		return "", nil
	case 1:
		return vals[0], nil
	}
	return "", badRequest("parameter "+name+" given more than once", nil)
}
