package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/regauth/regauth/server/model"
	"github.com/regauth/regauth/server/store"
)

type userJSON struct {
	Name      string    `json:"name"`
	Admin     bool      `json:"admin"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

func toUserJSON(u *model.User) userJSON {
	return userJSON{Name: u.Name, Admin: u.Admin, Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

type robotJSON struct {
	Name        string           `json:"name"`
	Owner       string           `json:"owner,omitempty"`
	Description string           `json:"description,omitempty"`
	ExpiresAt   *time.Time       `json:"expires_at,omitempty"`
	Disabled    bool             `json:"disabled"`
	CreatedAt   time.Time        `json:"created_at"`
	LastUsed    *time.Time       `json:"last_used,omitempty"`
	Permissions []permissionJSON `json:"permissions,omitempty"`
	// Secret is present only in the answers to create and regenerate.
	Secret string `json:"secret,omitempty"`
}

func toRobotJSON(r *model.Robot) robotJSON {
	j := robotJSON{Name: r.Name, Owner: r.Owner, Description: r.Description, Disabled: r.Disabled, CreatedAt: r.CreatedAt}
	if !r.ExpiresAt.IsZero() {
		t := r.ExpiresAt
		j.ExpiresAt = &t
	}
	if !r.LastUsed.IsZero() {
		t := r.LastUsed
		j.LastUsed = &t
	}
	return j
}

func (s *Server) accountRoutes() {
	s.mux.HandleFunc("GET /api/v1/users", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		if err := requireAdmin(acct); err != nil {
			return err
		}
		users, err := s.db.ListUsers(r.Context())
		if err != nil {
			return err
		}
		out := []userJSON{}
		for i := range users {
			out = append(out, toUserJSON(&users[i]))
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}))
	s.mux.HandleFunc("POST /api/v1/users", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		if err := requireAdmin(acct); err != nil {
			return err
		}
		var in struct {
			Name     string `json:"name"`
			Password string `json:"password"`
			Admin    bool   `json:"admin"`
		}
		if err := decode(r, &in); err != nil {
			return err
		}
		if !validName(in.Name) || strings.Contains(in.Name, "+") {
			return apiErr(http.StatusBadRequest, "BAD_NAME", "user names use a-z, 0-9, '.', '_' and '-' (no '+', which marks robots)")
		}
		if len(in.Password) < 12 {
			return apiErr(http.StatusBadRequest, "WEAK_PASSWORD", "passwords need at least 12 characters")
		}
		hash, err := HashPassword(in.Password, s.cfg.PasswordHash)
		if err != nil {
			return err
		}
		now := s.now()
		u := model.User{Name: in.Name, PasswordHash: hash, Admin: in.Admin, CreatedAt: now, PasswordChangedAt: now}
		if err := s.db.CreateUser(r.Context(), u); err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, toUserJSON(&u))
		return nil
	}))
	s.mux.HandleFunc("GET /api/v1/users/{name}", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		name := r.PathValue("name")
		if !acct.IsAdmin() && (acct.User == nil || acct.User.Name != name) {
			return errDenied
		}
		u, err := s.db.GetUser(r.Context(), name)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, toUserJSON(u))
		return nil
	}))
	s.mux.HandleFunc("PATCH /api/v1/users/{name}", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		name := r.PathValue("name")
		self := acct.User != nil && acct.User.Name == name
		if !acct.IsAdmin() && !self {
			return errDenied
		}
		var in struct {
			Password *string `json:"password"`
			Admin    *bool   `json:"admin"`
			Disabled *bool   `json:"disabled"`
		}
		if err := decode(r, &in); err != nil {
			return err
		}
		if (in.Admin != nil || in.Disabled != nil) && !acct.IsAdmin() {
			return errDenied
		}
		var upd store.UserUpdate
		upd.Admin, upd.Disabled = in.Admin, in.Disabled
		if in.Password != nil {
			if len(*in.Password) < 12 {
				return apiErr(http.StatusBadRequest, "WEAK_PASSWORD", "passwords need at least 12 characters")
			}
			hash, err := HashPassword(*in.Password, s.cfg.PasswordHash)
			if err != nil {
				return err
			}
			upd.PasswordHash = &hash
		}
		u, err := s.db.UpdateUser(r.Context(), name, upd)
		if err != nil {
			return err
		}
		if in.Password != nil || in.Disabled != nil && *in.Disabled {
			// Refresh tokens issued before are refused by the
			// PasswordChangedAt check; deleting them also frees the rows.
			_, _ = s.db.DeleteRefreshTokens(r.Context(), model.UserSubject(name))
		}
		s.invalidate()
		writeJSON(w, http.StatusOK, toUserJSON(u))
		return nil
	}))
	s.mux.HandleFunc("DELETE /api/v1/users/{name}", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		if err := requireAdmin(acct); err != nil {
			return err
		}
		if acct.User.Name == r.PathValue("name") {
			return apiErr(http.StatusConflict, "SELF", "an administrator cannot delete themselves")
		}
		if err := s.db.DeleteUser(r.Context(), r.PathValue("name")); err != nil {
			return err
		}
		s.invalidate()
		w.WriteHeader(http.StatusNoContent)
		return nil
	}))
}
