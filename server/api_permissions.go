package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/regauth/regauth/server/model"
)

func (s *Server) permissionRoutes() {
	s.mux.HandleFunc("GET /api/v1/permissions", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		if err := requireAdmin(acct); err != nil {
			return err
		}
		var perms []model.Permission
		var err error
		if sub := r.URL.Query().Get("subject"); sub != "" {
			perms, err = s.db.ListPermissions(r.Context(), model.Subject(sub))
		} else {
			perms, err = s.db.ListAllPermissions(r.Context())
		}
		if err != nil {
			return err
		}
		out := []permissionJSON{}
		for _, p := range perms {
			out = append(out, permissionJSON{ID: p.ID, Subject: string(p.Subject), Pattern: p.Pattern, Role: p.Role})
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}))
	s.mux.HandleFunc("POST /api/v1/permissions", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		var in permissionJSON
		if err := decode(r, &in); err != nil {
			return err
		}
		kind, name, _ := strings.Cut(in.Subject, ":")
		switch {
		case kind == "robot" && validRobotName(name):
			if err := mayManageRobot(acct, name); err != nil {
				return err
			}
			if _, err := s.db.GetRobot(r.Context(), name); err != nil {
				return err
			}
		case kind == "user" && validName(name):
			if err := requireAdmin(acct); err != nil {
				return err
			}
			if _, err := s.db.GetUser(r.Context(), name); err != nil {
				return err
			}
		default:
			return apiErr(http.StatusBadRequest, "BAD_SUBJECT", "subject must be user:NAME or robot:NAMESPACE+NAME")
		}
		out, err := s.addPermissions(r.Context(), model.Subject(in.Subject), []permissionJSON{in}, acct)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, out[0])
		return nil
	}))
	s.mux.HandleFunc("DELETE /api/v1/permissions/{id}", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		if err := requireAdmin(acct); err != nil {
			return err
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			return apiErr(http.StatusBadRequest, "BAD_ID", "permission ids are numbers")
		}
		if err := s.db.DeletePermission(r.Context(), id); err != nil {
			return err
		}
		s.invalidate()
		w.WriteHeader(http.StatusNoContent)
		return nil
	}))
}
