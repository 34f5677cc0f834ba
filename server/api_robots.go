package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/regauth/regauth/server/model"
	"github.com/regauth/regauth/server/store"
)

func (s *Server) robotRoutes() {
	s.mux.HandleFunc("GET /api/v1/robots", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		ns := r.URL.Query().Get("namespace")
		if !acct.IsAdmin() {
			if acct.User == nil {
				return errDenied
			}
			ns = acct.User.Name
		}
		robots, err := s.db.ListRobots(r.Context(), ns)
		if err != nil {
			return err
		}
		out := []robotJSON{}
		for i := range robots {
			out = append(out, toRobotJSON(&robots[i]))
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}))
	s.mux.HandleFunc("POST /api/v1/robots", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		var in struct {
			Name        string           `json:"name"`
			Description string           `json:"description"`
			ExpiresAt   string           `json:"expires_at"`
			Permissions []permissionJSON `json:"permissions"`
		}
		if err := decode(r, &in); err != nil {
			return err
		}
		if !validRobotName(in.Name) {
			return apiErr(http.StatusBadRequest, "BAD_NAME", "robot names are namespace+name, each part a-z, 0-9, '.', '_' or '-'")
		}
		if err := mayManageRobot(acct, in.Name); err != nil {
			return err
		}
		exp, err := parseTime("expires_at", in.ExpiresAt)
		if err != nil {
			return err
		}
		secret, hash, err := NewRobotSecret()
		if err != nil {
			return err
		}
		now := s.now()
		ns, _, _ := strings.Cut(in.Name, "+")
		rb := model.Robot{Name: in.Name, Namespace: ns, Owner: acct.Name(), SecretHash: hash, Description: in.Description, ExpiresAt: exp, CreatedAt: now, SecretChangedAt: now}
		if err := s.db.CreateRobot(r.Context(), rb); err != nil {
			return err
		}
		perms, err := s.addPermissions(r.Context(), model.RobotSubject(in.Name), in.Permissions, acct)
		if err != nil {
			_ = s.db.DeleteRobot(r.Context(), in.Name) // all or nothing
			return err
		}
		out := toRobotJSON(&rb)
		out.Permissions, out.Secret = perms, secret
		writeJSON(w, http.StatusCreated, out)
		return nil
	}))
	s.mux.HandleFunc("GET /api/v1/robots/{name}", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		name := r.PathValue("name")
		if err := mayManageRobot(acct, name); err != nil {
			return err
		}
		rb, err := s.db.GetRobot(r.Context(), name)
		if err != nil {
			return err
		}
		perms, err := s.db.ListPermissions(r.Context(), model.RobotSubject(name))
		if err != nil {
			return err
		}
		out := toRobotJSON(rb)
		for _, p := range perms {
			out.Permissions = append(out.Permissions, permissionJSON{ID: p.ID, Pattern: p.Pattern, Role: p.Role})
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}))
	s.mux.HandleFunc("PATCH /api/v1/robots/{name}", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		name := r.PathValue("name")
		if err := mayManageRobot(acct, name); err != nil {
			return err
		}
		var in struct {
			Description *string `json:"description"`
			ExpiresAt   *string `json:"expires_at"`
			Disabled    *bool   `json:"disabled"`
		}
		if err := decode(r, &in); err != nil {
			return err
		}
		upd := store.RobotUpdate{Description: in.Description, Disabled: in.Disabled}
		if in.ExpiresAt != nil {
			t, err := parseTime("expires_at", *in.ExpiresAt)
			if err != nil {
				return err
			}
			upd.ExpiresAt = &t
		}
		rb, err := s.db.UpdateRobot(r.Context(), name, upd)
		if err != nil {
			return err
		}
		if in.Disabled != nil && *in.Disabled {
			_, _ = s.db.DeleteRefreshTokens(r.Context(), model.RobotSubject(name))
		}
		s.invalidate()
		writeJSON(w, http.StatusOK, toRobotJSON(rb))
		return nil
	}))
	s.mux.HandleFunc("POST /api/v1/robots/{name}/regenerate", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		name := r.PathValue("name")
		if err := mayManageRobot(acct, name); err != nil {
			return err
		}
		secret, hash, err := NewRobotSecret()
		if err != nil {
			return err
		}
		rb, err := s.db.UpdateRobot(r.Context(), name, store.RobotUpdate{SecretHash: hash})
		if err != nil {
			return err
		}
		// The old secret fails from now on (its hash is gone); refresh tokens
		// issued with it are refused by SecretChangedAt and deleted here.
		_, _ = s.db.DeleteRefreshTokens(r.Context(), model.RobotSubject(name))
		s.invalidate()
		out := toRobotJSON(rb)
		out.Secret = secret
		writeJSON(w, http.StatusOK, out)
		return nil
	}))
	s.mux.HandleFunc("DELETE /api/v1/robots/{name}", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		name := r.PathValue("name")
		if err := mayManageRobot(acct, name); err != nil {
			return err
		}
		if err := s.db.DeleteRobot(r.Context(), name); err != nil {
			return err
		}
		s.invalidate()
		w.WriteHeader(http.StatusNoContent)
		return nil
	}))
	s.mux.HandleFunc("GET /api/v1/robots/{name}/config", s.apiHandler(s.robotConfig))
}

// robotConfig renders ready-made credentials for a robot with the format
// codecs. The server keeps only the secret's hash, so the robot itself must
// call (HTTP Basic with its own secret), right after creation or
// regeneration, or any time later by whoever holds the secret.
func (s *Server) robotConfig(w http.ResponseWriter, r *http.Request, acct Account) error {
	name := r.PathValue("name")
	if acct.Robot == nil || acct.Robot.Name != name {
		return apiErr(http.StatusForbidden, "DENIED", "authenticate as the robot (%s and its secret): the server keeps only a hash of the secret", name)
	}
	_, pass, _ := r.BasicAuth()
	files, ctype, err := RenderRobotConfig(RobotConfigRequest{
		Format:   r.URL.Query().Get("format"),
		Registry: s.cfg.Registry,
		Robot:    name,
		Secret:   pass,
		Name:     r.URL.Query().Get("name"),
		Now:      s.now(),
	})
	if err != nil {
		return apiErr(http.StatusBadRequest, "BAD_FORMAT", "%v", err)
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(files)
	return nil
}

var _ = time.Second
