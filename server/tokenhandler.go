package server

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/regauth/regauth/server/model"
)

// tokenRequest is a token endpoint request in the form the server needs,
// whatever its wire shape (GET with Basic auth, or OAuth2 POST form).
type tokenRequest struct {
	grant        string // "password", "refresh_token", or "" for GET
	user, secret string
	hasCreds     bool
	refreshToken string
	service      string
	scopes       []model.Scope
	rawScopes    string
	clientID     string
	offline      bool // a refresh token was asked for
	oauth        bool // POST form (answers OAuth2-style errors)
}

// tokenResponse is the spec's response; both "token" and "access_token" are
// set for the two generations of clients.
type tokenResponse struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	IssuedAt     string `json:"issued_at"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	ctx := r.Context()
	ip := clientIP(r, s.cfg.TrustProxyHeaders)
	req, err := s.parseTokenRequest(r)
	if err != nil {
		s.metrics.token("bad-request", start, s.now())
		status, code, desc := requestErrorStatus(err)
		oauthError(w, status, code, desc)
		return
	}
	ev := model.AuditEvent{Time: start, ClientIP: ip, Service: req.service, Requested: req.rawScopes}
	if s.cfg.Service != "" && req.service != s.cfg.Service {
		s.finish(ctx, ev, "unknown-service", start)
		oauthError(w, http.StatusBadRequest, "invalid_request", "unknown service "+strconv.Quote(req.service))
		return
	}
	s.checkGeneration(ctx, start)
	acct, reason, err := s.authenticate(ctx, req, ip, start)
	ev.Account = auditName(acct, req)
	if err != nil {
		s.finish(ctx, ev, reason, start)
		s.authError(w, req, err)
		return
	}
	granted, err := s.grant(ctx, acct, req.scopes, start)
	if err != nil {
		s.log.Error("read permissions", "err", err)
		s.finish(ctx, ev, "store-error", start)
		oauthError(w, http.StatusInternalServerError, "server_error", "could not read permissions")
		return
	}
	tok, expiresIn, issuedAt, err := s.issuer.Issue(acct.Name(), req.service, granted)
	if err != nil {
		s.log.Error("issue token", "err", err)
		s.finish(ctx, ev, "issue-error", start)
		oauthError(w, http.StatusInternalServerError, "server_error", "could not issue a token")
		return
	}
	resp := tokenResponse{Token: tok, AccessToken: tok, ExpiresIn: int(expiresIn / time.Second), IssuedAt: issuedAt.UTC().Format(time.RFC3339)}
	if req.oauth {
		resp.Scope = formatScopes(granted)
	}
	if req.offline && req.grant == "password" && acct.Subject() != "" {
		rt, hash, err := newRefreshToken()
		if err == nil {
			err = s.db.PutRefreshToken(ctx, hash, acct.Subject(), start.Add(s.cfg.RefreshTTL))
		}
		if err != nil {
			s.log.Error("store refresh token", "err", err)
			s.finish(ctx, ev, "store-error", start)
			oauthError(w, http.StatusInternalServerError, "server_error", "could not issue a refresh token")
			return
		}
		resp.RefreshToken = rt
	}
	ev.Granted = formatScopes(granted)
	s.finish(ctx, ev, "granted", start)
	if acct.Robot != nil {
		s.touch(acct.Robot.Name, start)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

// authenticate resolves the request's account: anonymous, credentials, or a
// refresh token.
func (s *Server) authenticate(ctx context.Context, req *tokenRequest, ip string, now time.Time) (Account, string, error) {
	switch {
	case req.grant == "refresh_token":
		return s.refreshAccount(ctx, req.refreshToken, ip, now)
	case req.hasCreds:
		return s.authn.password(ctx, req.user, req.secret, ip, now)
	case req.oauth && req.grant != "anonymous":
		return Account{}, "missing-credentials", errBadCredentials
	}
	return Account{}, "", nil // anonymous GET
}

func (s *Server) refreshAccount(ctx context.Context, tok, ip string, now time.Time) (Account, string, error) {
	// Refresh tokens have 256 random bits: nobody guesses one, so failures
	// are throttled per client IP only, never for everyone.
	key := "refresh-token@" + ip
	if ok, wait := s.authn.throttle.Allow(key, ip, now); !ok {
		return Account{}, "throttled", &errThrottled{wait}
	}
	subject, created, expires, err := s.db.GetRefreshToken(ctx, refreshHash(tok))
	if errors.Is(err, model.ErrNotFound) || err == nil && !now.Before(expires) {
		s.authn.throttle.Fail(key, ip, s.now())
		return Account{}, "invalid-refresh-token", errBadCredentials
	}
	if err != nil {
		return Account{}, "store-error", err
	}
	s.authn.throttle.Succeed(key, ip, now)
	acct, err := s.loadAccount(ctx, subject)
	if errors.Is(err, model.ErrNotFound) {
		return Account{}, "refresh-account-gone", errBadCredentials
	}
	if err != nil {
		return Account{}, "store-error", err
	}
	if !stillValid(acct, created, now) {
		return Account{}, "refresh-revoked", errBadCredentials
	}
	return acct, "", nil
}

func (s *Server) loadAccount(ctx context.Context, subject model.Subject) (Account, error) {
	kind, name, _ := strings.Cut(string(subject), ":")
	switch kind {
	case "robot":
		r, err := s.db.GetRobot(ctx, name)
		return Account{Robot: r}, err
	case "user":
		u, err := s.db.GetUser(ctx, name)
		return Account{User: u}, err
	}
	return Account{}, model.ErrNotFound
}

// authError answers a failed authentication: 429 while throttled, 401 for
// bad credentials (with a Basic challenge for GET clients), 500 otherwise.
func (s *Server) authError(w http.ResponseWriter, req *tokenRequest, err error) {
	var th *errThrottled
	switch {
	case errors.As(err, &th):
		w.Header().Set("Retry-After", strconv.Itoa(int(th.wait/time.Second)+1))
		oauthError(w, http.StatusTooManyRequests, "slow_down", th.Error())
	case errors.Is(err, errBadCredentials):
		if !req.oauth {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+s.cfg.Issuer+`"`)
		}
		code := "invalid_grant"
		if !req.oauth && !req.hasCreds {
			code = "invalid_client"
		}
		oauthError(w, http.StatusUnauthorized, code, errBadCredentials.Error())
	default:
		s.log.Error("authenticate", "err", err)
		oauthError(w, http.StatusInternalServerError, "server_error", "authentication is unavailable")
	}
}

// oauthError writes an RFC 6749 error body, which docker and distribution
// clients show to users; "details" carries the same text for the older
// token-spec clients.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc, "details": desc})
}

func (s *Server) finish(ctx context.Context, ev model.AuditEvent, result string, start time.Time) {
	ev.Result = result
	s.audit(ctx, ev)
	s.metrics.token(result, start, s.now())
}

// auditName names who asked, for the audit log: the account, or the name
// that was tried.
func auditName(acct Account, req *tokenRequest) string {
	switch {
	case acct.Robot != nil:
		return string(acct.Subject())
	case acct.User != nil:
		return string(acct.Subject())
	case req.hasCreds:
		return "tried:" + req.user
	case req.grant == "refresh_token":
		return "refresh-token"
	}
	return "anonymous"
}

// clientIP is the connection's address, or, behind a trusted proxy, the
// address that proxy appended to X-Forwarded-For: the LAST entry. Earlier
// entries come from the client and can be forged to dodge throttling.
func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xffs := r.Header.Values("X-Forwarded-For"); len(xffs) > 0 {
			xff := xffs[len(xffs)-1]
			if i := strings.LastIndexByte(xff, ','); i >= 0 {
				xff = xff[i+1:]
			}
			if ip := net.ParseIP(strings.TrimSpace(xff)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
