package server

import (
	"net/http"
	"time"

	"github.com/regauth/regauth/server/model"
	"github.com/regauth/regauth/server/token"
)

// Keys is the signing key set the admin API shows and rotates
// (*token.KeySet), with the directory its registry files go to.
type Keys interface {
	Keys() []token.KeyInfo
	Rotate(now time.Time) error
	WriteRegistryFiles(dir string) error
}

func (s *Server) keyAndAuditRoutes() {
	s.mux.HandleFunc("GET /api/v1/keys", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		if err := requireAdmin(acct); err != nil {
			return err
		}
		if s.cfg.Keys == nil {
			return apiErr(http.StatusNotFound, "NO_KEYS", "this server was started without a key set")
		}
		writeJSON(w, http.StatusOK, s.cfg.Keys.Keys())
		return nil
	}))
	s.mux.HandleFunc("POST /api/v1/keys/rotate", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		if err := requireAdmin(acct); err != nil {
			return err
		}
		if s.cfg.Keys == nil {
			return apiErr(http.StatusNotFound, "NO_KEYS", "this server was started without a key set")
		}
		// The next key was already published to the registry, so tokens
		// signed with it verify at once; the retired key stays published
		// until its last token has expired.
		if err := s.cfg.Keys.Rotate(s.now()); err != nil {
			return err
		}
		if s.cfg.RegistryFilesDir != "" {
			if err := s.cfg.Keys.WriteRegistryFiles(s.cfg.RegistryFilesDir); err != nil {
				return err
			}
		}
		s.log.Info("rotated signing key", "by", string(acct.Subject()))
		writeJSON(w, http.StatusOK, s.cfg.Keys.Keys())
		return nil
	}))
	s.mux.HandleFunc("GET /api/v1/audit", s.apiHandler(func(w http.ResponseWriter, r *http.Request, acct Account) error {
		if err := requireAdmin(acct); err != nil {
			return err
		}
		before := int64(queryInt(r, "before", 0))
		evs, err := s.db.ListAudit(r.Context(), min(queryInt(r, "limit", 100), 1000), before)
		if err != nil {
			return err
		}
		if evs == nil {
			evs = []model.AuditEvent{}
		}
		writeJSON(w, http.StatusOK, evs)
		return nil
	}))
}
