// Package diagnose runs the steps a container runtime runs to pull an
// image — reference, network, TLS, /v2/, credential, token, manifest — and
// reports each with its evidence and, when it fails, the fix. It is what
// `regauth check` prints.
package diagnose

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/provider"
	"github.com/regauth/regauth/registry"
)

// Status of a step.
type Status string

const (
	OK      Status = "ok"
	Warning Status = "warning"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Step is one check and what it found.
type Step struct {
	Name   string            `json:"name"`
	Status Status            `json:"status"`
	Detail string            `json:"detail"`
	Hint   string            `json:"hint,omitempty"`
	Facts  map[string]string `json:"facts,omitempty"`
}

// Report is the whole diagnosis.
type Report struct {
	Image string `json:"image"`
	Steps []Step `json:"steps"`
	// AuthFailure is set when the failure is one of credentials or
	// permissions (the CLI exits 4).
	AuthFailure bool `json:"auth_failure,omitempty"`
}

// Failed reports whether any step failed.
func (r *Report) Failed() bool {
	for _, s := range r.Steps {
		if s.Status == Failed {
			return true
		}
	}
	return false
}

// Credentials resolves the credential for a target and explains the choice.
type Credentials func(ctx context.Context, t credential.Target) (credential.Entry, credential.Explanation, error)

// Options are what the diagnosis may use; nothing is read from the process.
type Options struct {
	Client      *registry.Client // HTTP with the TLS settings for the registry
	Credentials Credentials
	Push        bool // also ask for push
	Now         func() time.Time
	// DialTimeout bounds the DNS and TCP steps; default 5 s.
	DialTimeout time.Duration
	// Proxy is the proxy function requests use (http.ProxyFromEnvironment
	// for the real process); the report says which proxy applies.
	Proxy func(*http.Request) (*url.URL, error)
}

// Run diagnoses a pull (or push) of image.
func Run(ctx context.Context, image string, o Options) *Report {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 5 * time.Second
	}
	d := &run{o: o, r: &Report{Image: image}}
	d.steps(ctx, image)
	return d.r
}

type run struct {
	o         Options
	r         *Report
	presented *x509.Certificate // the top of the registry's chain, for hints
}

func (d *run) add(s Step) Step {
	d.r.Steps = append(d.r.Steps, s)
	return s
}

func (d *run) skip(names ...string) {
	for _, n := range names {
		d.add(Step{Name: n, Status: Skipped, Detail: "not run: an earlier step failed"})
	}
}

func (d *run) steps(ctx context.Context, image string) {
	ref, err := name.ParseReference(image, name.WeakValidation)
	if err != nil {
		d.add(Step{Name: "reference", Status: Failed, Detail: err.Error(), Hint: "write the image as [REGISTRY/]REPOSITORY[:TAG|@DIGEST], lower case"})
		d.skip("network", "registry", "credential", "token", "manifest")
		return
	}
	host := ref.Context().RegistryStr()
	repo := ref.Context().RepositoryStr()
	d.add(Step{Name: "reference", Status: OK,
		Detail: fmt.Sprintf("%s is repository %s on registry %s", image, repo, host),
		Facts:  map[string]string{"registry": host, "repository": repo, "reference": ref.Identifier()}})

	if s := d.network(ctx, host); s.Status == Failed {
		d.skip("tls", "registry", "credential", "token", "manifest")
		return
	}
	d.tlsStep(ctx, host)
	ping, err := d.o.Client.Ping(ctx, host)
	if err != nil {
		s := Step{Name: "registry", Status: Failed, Detail: err.Error()}
		var h interface{ Hint() string }
		if errors.As(err, &h) {
			s.Hint = h.Hint()
		}
		if isUnknownCA(err) && d.presented != nil {
			s.Hint += "\n" + caFiles(host, d.presented)
		}
		d.add(s)
		d.skip("credential", "token", "manifest")
		return
	}
	chs := make([]string, 0, len(ping.Challenges))
	for _, c := range ping.Challenges {
		chs = append(chs, c.String())
	}
	d.add(Step{Name: "registry", Status: OK,
		Detail: fmt.Sprintf("GET %s://%s/v2/ answered %d", ping.Scheme, host, ping.StatusCode),
		Facts:  map[string]string{"scheme": ping.Scheme, "challenges": strings.Join(chs, "; ")}})

	cred := d.credential(ctx, ref)
	tok, ok := d.token(ctx, host, repo, cred, ping)
	if !ok {
		d.skip("manifest")
		return
	}
	d.manifest(ctx, ping.Scheme, host, repo, ref.Identifier(), tok, cred)
}

// network resolves and connects, with timeouts.
func (d *run) network(ctx context.Context, host string) Step {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		h, port = host, "443"
	}
	dctx, cancel := context.WithTimeout(ctx, d.o.DialTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(dctx, h)
	if err != nil {
		return d.add(Step{Name: "network", Status: Failed, Detail: fmt.Sprintf("cannot resolve %s: %v", h, err),
			Hint: "check the registry's name and your DNS (and /etc/hosts); inside a cluster, check the node's resolver"})
	}
	conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", net.JoinHostPort(h, port))
	if err != nil {
		return d.add(Step{Name: "network", Status: Failed, Detail: fmt.Sprintf("%s resolves to %s but TCP port %s: %v", h, strings.Join(addrs, ", "), port, err),
			Hint: "check that the registry runs and listens on that port, and firewalls between here and there"})
	}
	conn.Close()
	s := Step{Name: "network", Status: OK, Detail: fmt.Sprintf("%s resolves to %s; TCP port %s accepts connections", h, strings.Join(addrs, ", "), port)}
	if d.o.Proxy != nil {
		req, _ := http.NewRequest(http.MethodGet, "https://"+host+"/v2/", nil)
		if u, err := d.o.Proxy(req); err == nil && u != nil {
			u.User = nil // never print proxy credentials
			s.Facts = map[string]string{"proxy": u.String()}
			s.Detail += "; requests go through the proxy " + u.String() + " (HTTPS_PROXY; NO_PROXY exempts hosts)"
		}
	}
	return d.add(s)
}

// credential says which stored credential applies and which near misses
// were passed over.
func (d *run) credential(ctx context.Context, ref name.Reference) credential.Credential {
	t, err := credential.ParseTarget(ref.Context().String())
	if err != nil {
		d.add(Step{Name: "credential", Status: Warning, Detail: err.Error()})
		return credential.Credential{}
	}
	e, x, err := d.o.Credentials(ctx, t)
	var near []string
	for _, c := range x.Candidates {
		if !c.Matched && c.Reason != "different host" {
			near = append(near, fmt.Sprintf("key %q in %s: %s", c.Entry.Source.Key, c.Entry.Source.File, c.Reason))
		}
	}
	if err != nil || e.Credential.IsEmpty() {
		s := Step{Name: "credential", Status: Warning, Detail: "no stored credential applies; the pull is anonymous"}
		if err != nil && !strings.Contains(err.Error(), "no credential") {
			s.Status, s.Detail = Failed, err.Error()
		}
		if len(near) > 0 {
			s.Detail += "; near misses: " + strings.Join(near, "; ")
			s.Hint = "store the credential under the key runtimes look up: regauth login " + credential.Pattern{Host: t.Host}.Key()
		}
		d.add(s)
		return credential.Credential{}
	}
	s := Step{Name: "credential", Status: OK,
		Detail: fmt.Sprintf("%s credential for %s (user %q) from %s key %q", e.Credential.Kind(), e.Pattern, e.Credential.Username, e.Source.File, e.Source.Key)}
	if info, ok := provider.Recognize(t.Host); ok {
		if problems := info.CheckUsername(e.Credential.Username, e.Credential.Password); len(problems) > 0 {
			s.Status, s.Hint = Warning, info.Title+": "+strings.Join(problems, "; ")
		}
	}
	if e.Helper != "" {
		s.Detail += " via docker-credential-" + e.Helper
	}
	if len(near) > 0 {
		s.Facts = map[string]string{"ignored": strings.Join(near, "; ")}
	}
	d.add(s)
	return e.Credential
}

// token fetches a token for the scope a runtime needs and compares what
// was granted with what was asked, and the token's times with ours.
func (d *run) token(ctx context.Context, host, repo string, cred credential.Credential, ping *registry.PingResult) (string, bool) {
	bearer := false
	for _, c := range ping.Challenges {
		if c.Scheme == "bearer" {
			bearer = true
		}
	}
	if !bearer {
		d.add(Step{Name: "token", Status: Skipped, Detail: "the registry does not use token authentication"})
		return "", true
	}
	actions := "pull"
	if d.o.Push {
		actions = "pull,push"
	}
	scope := "repository:" + repo + ":" + actions
	tok, _, err := d.o.Client.Token(ctx, host, cred, scope)
	if err != nil {
		s := Step{Name: "token", Status: Failed, Detail: err.Error()}
		var h interface{ Hint() string }
		if errors.As(err, &h) {
			s.Hint = h.Hint()
		}
		if errors.Is(err, registry.ErrUnauthorized) {
			d.r.AuthFailure = true
			s.Hint = "the token service refused the credential: log in again (regauth login " + host + ")"
			if info, ok := provider.Recognize(host); ok {
				if problems := info.CheckUsername(cred.Username, cred.Password); len(problems) > 0 {
					s.Hint += "; " + info.Title + ": " + strings.Join(problems, "; ")
				}
			}
		}
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			s.Detail = "the token service did not answer in time: " + err.Error()
			s.Hint = "the registry answers but its token service (the realm in its challenge) is slow or unreachable from here; check that service and the network path to it"
		}
		d.add(s)
		return "", false
	}
	claims, err := peek(tok)
	if err != nil {
		d.add(Step{Name: "token", Status: Warning, Detail: "got a token that is not a JWT regauth can read (" + err.Error() + ")"})
		return tok, true
	}
	granted := claims.granted(repo)
	s := Step{Name: "token", Status: OK, Detail: fmt.Sprintf("requested %s, granted %q", scope, granted),
		Facts: map[string]string{"issuer": claims.Iss, "subject": claims.Sub}}
	want := strings.Split(actions, ",")
	if missing := missingActions(want, granted); len(missing) > 0 {
		s.Status, d.r.AuthFailure = Failed, true
		s.Detail = fmt.Sprintf("requested %s but the token grants %q: %s not allowed", scope, granted, strings.Join(missing, ", "))
		s.Hint = "this account lacks permission on " + repo + " (or the repository does not exist; registries do not say which): ask for read access, or use a robot that has it"
	}
	if skew := time.Unix(claims.Nbf, 0).Sub(d.o.Now()); claims.Nbf != 0 && skew > 30*time.Second {
		s.Status = Failed
		s.Detail += fmt.Sprintf("; the token is not valid for another %s (nbf): this clock or the token server's is off", skew.Round(time.Second))
		s.Hint = "synchronise the clocks (NTP) of this machine, the registry and its token service; registries allow about a minute of skew"
	}
	d.add(s)
	return tok, s.Status != Failed
}

func missingActions(want, granted []string) []string {
	var out []string
	for _, w := range want {
		found := false
		for _, g := range granted {
			if g == w || g == "*" {
				found = true
			}
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}

type jwtClaims struct {
	Iss, Sub string
	Iat, Nbf int64
	Access   []struct {
		Type, Name string
		Actions    []string
	}
}

func (c jwtClaims) granted(repo string) []string {
	out := []string{}
	for _, a := range c.Access {
		if a.Type == "repository" && a.Name == repo {
			out = append(out, a.Actions...)
		}
	}
	return out
}

// peek reads a JWT's claims without verifying it: the registry verifies;
// the diagnosis only reports what the token says.
func peek(tok string) (jwtClaims, error) {
	var c jwtClaims
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return c, errors.New("not three parts")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}

// manifest asks for the manifest like a runtime does and reports rate
// limits when the registry sends them.
func (d *run) manifest(ctx context.Context, scheme, host, repo, ref, tok string, cred credential.Credential) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, fmt.Sprintf("%s://%s/v2/%s/manifests/%s", scheme, host, repo, ref), nil)
	if err != nil {
		d.add(Step{Name: "manifest", Status: Failed, Detail: err.Error()})
		return
	}
	req.Header.Set("Accept", strings.Join([]string{
		"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
		"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"}, ", "))
	switch {
	case tok != "":
		req.Header.Set("Authorization", "Bearer "+tok)
	case cred.Password != "":
		req.SetBasicAuth(cred.Username, cred.Password)
	}
	resp, err := d.o.Client.HTTP.Do(req)
	if err != nil {
		d.add(Step{Name: "manifest", Status: Failed, Detail: err.Error()})
		return
	}
	resp.Body.Close()
	facts := map[string]string{}
	for _, h := range []string{"Docker-Content-Digest", "Content-Type", "RateLimit-Limit", "RateLimit-Remaining", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			facts[strings.ToLower(h)] = v
		}
	}
	s := Step{Name: "manifest", Facts: facts}
	switch resp.StatusCode {
	case http.StatusOK:
		s.Status = OK
		s.Detail = fmt.Sprintf("HEAD %s:%s answered 200", repo, ref)
		if strings.Contains(facts["content-type"], "index") || strings.Contains(facts["content-type"], "list") {
			s.Detail += " with a multi-platform index; the runtime then picks its platform's manifest"
		}
	case http.StatusNotFound:
		s.Status, s.Detail = Failed, fmt.Sprintf("%s:%s does not exist (404)", repo, ref)
		s.Hint = "check the repository and tag; registries also answer 404 where access is missing"
	case http.StatusUnauthorized, http.StatusForbidden:
		s.Status, d.r.AuthFailure = Failed, true
		s.Detail = fmt.Sprintf("the registry refused the manifest (%d)", resp.StatusCode)
		s.Hint = "the credential works for the token service but not for this repository: check its permissions"
	case http.StatusTooManyRequests:
		s.Status = Failed
		s.Detail = "the registry is rate limiting this client (429)"
		s.Hint = "wait (Retry-After), log in (authenticated pulls get higher limits on Docker Hub), or use a pull-through mirror"
	default:
		s.Status, s.Detail = Failed, fmt.Sprintf("HEAD manifest answered %d", resp.StatusCode)
	}
	d.add(s)
}
