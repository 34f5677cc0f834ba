package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/registry"
	"github.com/regauth/regauth/store"
)

// apiFlags locate regauth serve's admin API: through the registry it
// guards (its token challenge names the server) with the credential the
// store holds for that registry.
type apiFlags struct {
	registry string
	tls      tlsFlags
}

func (a *apiFlags) add(c *cobra.Command) {
	c.PersistentFlags().StringVar(&a.registry, "registry", "", "registry whose regauth token server to manage (default $REGAUTH_REGISTRY)")
	c.PersistentFlags().StringVar(&a.tls.caFile, "ca-file", "", "PEM file of extra certificate authorities to trust")
	c.PersistentFlags().BoolVar(&a.tls.insecure, "insecure", false, "allow plain HTTP (e.g. the --dev registry on 127.0.0.1)")
}

func (a *apiFlags) host(sys *Sys) (string, error) {
	reg := a.registry
	if reg == "" {
		reg = sys.Getenv("REGAUTH_REGISTRY")
	}
	if reg == "" {
		return "", usagef("pass --registry HOST[:PORT] (the registry regauth serve guards), or set REGAUTH_REGISTRY", "no registry given")
	}
	p, err := credential.ParsePattern(reg)
	if err != nil {
		return "", &usageError{err: fmt.Errorf("--registry: %w", err)}
	}
	return p.Host, nil
}

type apiClient struct {
	base  string
	http  *http.Client
	token string
}

// connect logs in to the admin API: an access token with the regauth:api:*
// scope from the registry's token service, with the stored credential.
func (a *apiFlags) connect(c *cobra.Command, sys *Sys, g *globalOptions) (*apiClient, error) {
	host, err := a.host(sys)
	if err != nil {
		return nil, err
	}
	l, err := load(c, g.store(sys))
	if err != nil {
		return nil, err
	}
	res, err := l.Resolve(c.Context(), credential.Target{Host: host})
	if errors.Is(err, store.ErrNotFound) {
		return nil, withHint(fmt.Errorf("no stored credential for %s", host), "log in as an administrator first: regauth login "+host+" -u admin --password-stdin")
	}
	if err != nil {
		return nil, err
	}
	cl, err := a.tls.client(sys, host)
	if err != nil {
		return nil, err
	}
	tok, realm, err := cl.Token(c.Context(), host, res.Entry.Credential, "regauth:api:*")
	if err != nil {
		if errors.Is(err, registry.ErrUnauthorized) {
			return nil, withHint(err, "the stored credential for "+host+" was refused; log in again")
		}
		return nil, err
	}
	return &apiClient{base: realm.Scheme + "://" + realm.Host, http: cl.HTTP, token: tok}, nil
}

// do calls the API; out may be nil. OCI-style error bodies become errors.
func (a *apiClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Errors []struct{ Code, Message string }
		}
		msg := http.StatusText(resp.StatusCode)
		if json.Unmarshal(data, &e) == nil && len(e.Errors) > 0 {
			msg = strings.ToLower(e.Errors[0].Code) + ": " + e.Errors[0].Message
		}
		err := fmt.Errorf("%s %s: %s", method, path, msg)
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			return withHint(fmt.Errorf("%w: %w", err, registry.ErrUnauthorized), "log in again as an administrator")
		case http.StatusForbidden:
			return withHint(fmt.Errorf("%w: %w", err, registry.ErrUnauthorized), "this needs an administrator, or the namespace's own user")
		}
		return err
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// call connects to the admin API and makes one request.
func (a *apiFlags) call(c *cobra.Command, sys *Sys, g *globalOptions, method, path string, in, out any) error {
	cl, err := a.connect(c, sys, g)
	if err != nil {
		return err
	}
	return cl.do(c.Context(), method, path, in, out)
}
