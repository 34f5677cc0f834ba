package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// ErrUnauthorized is matched (errors.Is) by every error that means the
// registry or its token server refused the credential.
var ErrUnauthorized = errors.New("unauthorized")

// HintError is a failure the user can fix; Hint tells how.
type HintError struct {
	Op   string // what was attempted, e.g. "ping 10.0.0.1:5000"
	Err  error  // why it failed
	Fix  string // how to fix it, one or more sentences
	Kind string // short machine-readable cause: "plain-http", "unknown-ca", ...
}

func (e *HintError) Error() string { return e.Op + ": " + e.Err.Error() }

// Hint returns the fix for the user.
func (e *HintError) Hint() string { return e.Fix }

func (e *HintError) Unwrap() error { return e.Err }

// ResponseError is an unexpected HTTP response from a registry or token
// server, keeping the server's own diagnostic message.
type ResponseError struct {
	Method     string
	URL        string // redacted
	StatusCode int
	// Code is distribution's errors[].code or OAuth2's error, when given.
	Code string
	// Message is the server's diagnostic (errors[].message, OAuth2
	// error_description, details), with the credential's secrets removed.
	Message string
}

func (e *ResponseError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.StatusCode, strings.ToLower(http.StatusText(e.StatusCode)))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is makes errors.Is(err, ErrUnauthorized) true for refusals: 401, 403, and
// OAuth2's invalid_grant/invalid_client, which token servers send as 400.
func (e *ResponseError) Is(target error) bool {
	if target != ErrUnauthorized {
		return false
	}
	switch e.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	}
	switch e.Code {
	case "invalid_grant", "invalid_client", "unauthorized_client":
		return true
	}
	return false
}

const maxErrorBody = 64 << 10

// newResponseError reads the diagnostic out of resp's body; secrets are cut
// out of it in case a server echoes what it was sent.
func newResponseError(resp *http.Response, secrets []string) *ResponseError {
	e := &ResponseError{
		Method:     resp.Request.Method,
		URL:        redactURL(resp.Request.URL),
		StatusCode: resp.StatusCode,
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e.Code, e.Message = diagnostic(body)
	e.Code = scrub(e.Code, secrets)
	e.Message = scrub(e.Message, secrets)
	return e
}

// diagnostic extracts the message of the error bodies registries and token
// servers send: distribution's {"errors":[...]}, OAuth2's {"error": ...},
// Docker Hub's {"details": ...}, or a short plain text.
func diagnostic(body []byte) (code, message string) {
	var doc struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
		Error            any    `json:"error"`
		ErrorDescription string `json:"error_description"`
		Details          string `json:"details"`
		Message          string `json:"message"`
	}
	if json.Unmarshal(body, &doc) == nil {
		var msgs []string
		for _, e := range doc.Errors {
			if code == "" {
				code = e.Code
			}
			if e.Message != "" {
				msgs = append(msgs, e.Message)
			} else if e.Code != "" {
				msgs = append(msgs, strings.ToLower(e.Code))
			}
		}
		if s, ok := doc.Error.(string); ok {
			if code == "" {
				code = s
			}
			if doc.ErrorDescription == "" {
				msgs = append(msgs, s)
			}
		}
		for _, m := range []string{doc.ErrorDescription, doc.Details, doc.Message} {
			if m != "" {
				msgs = append(msgs, m)
			}
		}
		return code, clip(strings.Join(msgs, "; "))
	}
	text := strings.TrimSpace(string(body))
	if !utf8.ValidString(text) || strings.HasPrefix(text, "<") {
		return "", "" // binary or an HTML error page: nothing worth showing
	}
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = strings.TrimSpace(text[:i])
	}
	return "", clip(text)
}

func clip(s string) string {
	const max = 300
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 { // shorter "secrets" would mangle ordinary words
			s = strings.ReplaceAll(s, sec, "REDACTED")
		}
	}
	return s
}

// sensitiveParams are query parameters that carry secrets: tokens of token
// servers, presigned-URL signatures, and passwords of careless clients.
var sensitiveParams = map[string]bool{
	"token": true, "access_token": true, "refresh_token": true, "id_token": true,
	"password": true, "passwd": true, "secret": true, "client_secret": true,
	"code": true, "sig": true, "signature": true, "x-amz-signature": true,
	"x-amz-security-token": true, "x-goog-signature": true, "x-ms-signature": true,
	"api_key": true, "apikey": true, "key": true,
}

// redactURL renders u with secrets in its query and user info replaced.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := *u
	if r.User != nil {
		if _, has := r.User.Password(); has {
			r.User = url.UserPassword(r.User.Username(), "REDACTED")
		}
	}
	if r.RawQuery != "" {
		q, err := url.ParseQuery(r.RawQuery)
		if err != nil {
			r.RawQuery = "REDACTED"
		} else {
			for k, vs := range q {
				if sensitiveParams[strings.ToLower(k)] {
					for i := range vs {
						vs[i] = "REDACTED"
					}
				}
			}
			r.RawQuery = q.Encode()
		}
	}
	return r.String()
}

// redactURLError rewrites the URL inside a *url.Error so that the transport
// errors of net/http do not leak a token from a query string.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return &url.Error{Op: ue.Op, URL: "REDACTED", Err: ue.Err}
	}
	return &url.Error{Op: ue.Op, URL: redactURL(u), Err: ue.Err}
}
