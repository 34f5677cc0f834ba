package testregistry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/distribution/distribution/v3/registry/auth/token"
)

// parseScope splits "type:name:actions". The name may itself contain colons
// (a repository on a host:port), so type ends at the first colon and the
// actions start after the last one, as distribution's own parser does.
func parseScope(s string) (*token.ResourceActions, error) {
	first := strings.Index(s, ":")
	last := strings.LastIndex(s, ":")
	if first < 0 || first == last || first == 0 || last == first+1 {
		return nil, fmt.Errorf("malformed scope %q", s)
	}
	ra := &token.ResourceActions{Type: s[:first], Name: s[first+1 : last]}
	for a := range strings.SplitSeq(s[last+1:], ",") {
		if a != "" && !slices.Contains(ra.Actions, a) {
			ra.Actions = append(ra.Actions, a)
		}
	}
	return ra, nil
}

// grant decides the token's access claim. Like Docker Hub, it never refuses
// a scope outright: it returns the subset the user may have (possibly
// empty) and lets the registry answer 401 insufficient_scope, which is the
// behaviour clients must cope with.
func (is *issuer) grant(user string, scopes []string) ([]*token.ResourceActions, error) {
	var out []*token.ResourceActions
	for _, s := range scopes {
		req, err := parseScope(s)
		if err != nil {
			return nil, err
		}
		allowed := is.allowed(user, req)
		// Only what was both requested and allowed ends up in the token.
		granted := []string{}
		for _, a := range req.Actions {
			if slices.Contains(allowed, a) || slices.Contains(allowed, "*") {
				granted = append(granted, a)
			}
		}
		out = mergeAccess(out, &token.ResourceActions{Type: req.Type, Name: req.Name, Actions: granted})
	}
	return out, nil
}

func (is *issuer) allowed(user string, req *token.ResourceActions) []string {
	if req.Type == "repository" && is.opts.Permit != nil {
		return is.opts.Permit(user, req.Name, slices.Clone(req.Actions))
	}
	if user == "" {
		return nil
	}
	return req.Actions
}

func mergeAccess(list []*token.ResourceActions, ra *token.ResourceActions) []*token.ResourceActions {
	for _, have := range list {
		if have.Type == ra.Type && have.Name == ra.Name {
			for _, a := range ra.Actions {
				if !slices.Contains(have.Actions, a) {
					have.Actions = append(have.Actions, a)
				}
			}
			return list
		}
	}
	return append(list, ra)
}

// formatScopes renders granted access in the OAuth2 "scope" response form.
func formatScopes(access []*token.ResourceActions) string {
	var parts []string
	for _, ra := range access {
		if len(ra.Actions) > 0 {
			parts = append(parts, ra.Type+":"+ra.Name+":"+strings.Join(ra.Actions, ","))
		}
	}
	return strings.Join(parts, " ")
}
