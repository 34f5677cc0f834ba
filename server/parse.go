package server

import (
	"errors"
	"net/http"

	"github.com/regauth/regauth/server/token"
)

// parseTokenRequest adapts the wire parser's result to what serveToken needs.
func (s *Server) parseTokenRequest(r *http.Request) (*tokenRequest, error) {
	req, err := token.ParseTokenRequest(r, s.cfg.MaxBody)
	if err != nil {
		return nil, err
	}
	return &tokenRequest{
		grant:        string(req.Grant),
		user:         req.Username,
		secret:       req.Password.Reveal(),
		hasCreds:     req.Grant == token.GrantPassword,
		refreshToken: req.RefreshToken.Reveal(),
		service:      req.Service,
		scopes:       req.Scopes,
		rawScopes:    token.FormatScopes(req.Scopes),
		clientID:     req.ClientID,
		offline:      req.WantsRefresh,
		oauth:        req.OAuth2,
	}, nil
}

// requestErrorStatus maps a parse error to the HTTP status and OAuth2 code.
func requestErrorStatus(err error) (int, string, string) {
	var re *token.RequestError
	if errors.As(err, &re) {
		return re.Status, re.Code, re.Description
	}
	return http.StatusBadRequest, token.CodeInvalidRequest, "malformed token request"
}
