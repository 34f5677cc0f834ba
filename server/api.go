package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/regauth/regauth/server/model"
	"github.com/regauth/regauth/server/policy"
	"github.com/regauth/regauth/server/store"
)

// apiError is an OCI-style error body: {"errors":[{"code","message"}]}.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func apiErr(status int, code, format string, a ...any) error {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, a...)}
}

var (
	errUnauthorized = &apiError{http.StatusUnauthorized, "UNAUTHORIZED", "authentication required"}
	errDenied       = &apiError{http.StatusForbidden, "DENIED", "not allowed"}
)

func writeAPIError(w http.ResponseWriter, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, model.ErrNotFound):
		ae = &apiError{http.StatusNotFound, "NOT_FOUND", "not found"}
	case errors.Is(err, model.ErrExists):
		ae = &apiError{http.StatusConflict, "EXISTS", "already exists"}
	default:
		ae = &apiError{http.StatusInternalServerError, "INTERNAL", "internal error"}
	}
	w.Header().Set("Content-Type", "application/json")
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="regauth"`)
	}
	w.WriteHeader(ae.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": ae.code, "message": ae.message}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// apiHandler wraps an admin API handler with authentication, body limits
// and error rendering.
func (s *Server) apiHandler(fn func(w http.ResponseWriter, r *http.Request, acct Account) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		acct, err := s.apiAccount(r)
		if err == nil {
			err = fn(w, r, acct)
		}
		if err != nil {
			if _, ok := err.(*apiError); !ok && !errors.Is(err, model.ErrNotFound) && !errors.Is(err, model.ErrExists) {
				s.log.Error("api", "path", r.URL.Path, "err", err)
			}
			writeAPIError(w, err)
		}
	}
}

// apiAccount authenticates an API call: HTTP Basic with a user's password
// or a robot's secret, or a Bearer access token from this server carrying
// the regauth:api:* scope.
func (s *Server) apiAccount(r *http.Request) (Account, error) {
	now := s.now()
	if user, pass, ok := r.BasicAuth(); ok {
		acct, _, err := s.authn.password(r.Context(), user, pass, clientIP(r, s.cfg.TrustProxyHeaders), now)
		var th *errThrottled
		switch {
		case errors.As(err, &th):
			return Account{}, apiErr(http.StatusTooManyRequests, "TOOMANYREQUESTS", "%s", th.Error())
		case err != nil:
			return Account{}, errUnauthorized
		}
		return acct, nil
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.verify != nil {
		sub, err := s.verify(tok, now)
		if err != nil {
			return Account{}, errUnauthorized
		}
		acct, err := s.loadAccount(r.Context(), model.Subject(sub))
		if err != nil || !acct.IsAdmin() {
			return Account{}, errUnauthorized
		}
		return acct, nil
	}
	return Account{}, errUnauthorized
}

func requireAdmin(acct Account) error {
	if !acct.IsAdmin() {
		return errDenied
	}
	return nil
}

// mayManageRobot: admins manage every robot; a user manages the robots of
// their own namespace ("alice+ci" for alice).
func mayManageRobot(acct Account, robot string) error {
	ns, _, _ := strings.Cut(robot, "+")
	if acct.IsAdmin() || acct.User != nil && !acct.User.Disabled && acct.User.Name == ns {
		return nil
	}
	return errDenied
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apiErr(http.StatusBadRequest, "BAD_REQUEST", "invalid JSON body: %s", jsonIssue(err))
	}
	return nil
}

// jsonIssue describes a decode error without quoting the input (which may
// hold a password).
func jsonIssue(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "unreadable"
}

// validName checks user names and robot name parts: shell-safe, lower case.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '.' || r == '_' || r == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

func validRobotName(s string) bool {
	ns, name, ok := strings.Cut(s, "+")
	return ok && validName(ns) && validName(name)
}

type permissionJSON struct {
	ID      int64      `json:"id,omitempty"`
	Subject string     `json:"subject,omitempty"`
	Pattern string     `json:"pattern"`
	Role    model.Role `json:"role"`
}

func (s *Server) addPermissions(ctx context.Context, sub model.Subject, perms []permissionJSON, acct Account) ([]permissionJSON, error) {
	var out []permissionJSON
	for _, p := range perms {
		if err := policy.ValidatePattern(p.Pattern); err != nil {
			return out, apiErr(http.StatusBadRequest, "BAD_PATTERN", "pattern %q: %v", p.Pattern, err)
		}
		if !p.Role.Valid() {
			return out, apiErr(http.StatusBadRequest, "BAD_ROLE", "role %q: use read, write or admin", p.Role)
		}
		if !acct.IsAdmin() && !strings.HasPrefix(p.Pattern, acct.User.Name+"/") {
			return out, apiErr(http.StatusForbidden, "DENIED", "you may grant only patterns under %s/", acct.User.Name)
		}
		got, err := s.db.AddPermission(ctx, model.Permission{Subject: sub, Pattern: p.Pattern, Role: p.Role, CreatedAt: s.now()})
		if err != nil {
			return out, err
		}
		out = append(out, permissionJSON{ID: got.ID, Subject: string(got.Subject), Pattern: got.Pattern, Role: got.Role})
	}
	s.invalidate()
	return out, nil
}

func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, apiErr(http.StatusBadRequest, "BAD_REQUEST", "%s: want RFC 3339 time, e.g. 2027-01-02T15:04:05Z", field)
	}
	return t, nil
}

func queryInt(r *http.Request, name string, def int) int {
	if v, err := strconv.Atoi(r.URL.Query().Get(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var _ = store.RobotUpdate{}
