package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Client talks to registries. Its zero value is not usable: HTTP must be
// set, normally with a Transport from TransportFor.
type Client struct {
	HTTP *http.Client
	// Insecure allows falling back to plain HTTP when HTTPS fails, as
	// docker does for its insecure-registries.
	Insecure  bool
	UserAgent string
}

// PingResult is what GET /v2/ told about a registry.
type PingResult struct {
	Scheme     string // "https", or "http" after an insecure fallback
	StatusCode int    // 200 (open) or 401 (authentication required)
	Challenges []Challenge
	// APIVersion is the Docker-Distribution-API-Version header, when sent.
	APIVersion string
}

func (p *PingResult) baseURL(host string) string { return p.Scheme + "://" + host }

// challenge returns the first challenge with the given scheme.
func (p *PingResult) challenge(scheme string) (Challenge, bool) {
	for _, c := range p.Challenges {
		if c.Scheme == scheme {
			return c, true
		}
	}
	return Challenge{}, false
}

// Ping sends GET https://host/v2/. With Insecure it retries over plain
// HTTP when HTTPS fails to connect or to handshake. Any status but 200 and
// 401 is an error: the server is not a registry, or not one that works.
func (c *Client) Ping(ctx context.Context, host string) (*PingResult, error) {
	if err := validateHost(host); err != nil {
		return nil, err
	}
	op := "ping " + host
	res, err := c.ping(ctx, "https", host)
	if err == nil || !c.Insecure || ctx.Err() != nil {
		if err != nil {
			var re *ResponseError
			if !errors.As(err, &re) {
				err = classify(op, host, err)
			} else {
				err = fmt.Errorf("%s: %w", op, err)
			}
		}
		return res, err
	}
	var re *ResponseError
	if errors.As(err, &re) {
		// HTTPS worked; the answer was wrong. Plain HTTP will not help.
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	res, httpErr := c.ping(ctx, "http", host)
	if httpErr == nil {
		return res, nil
	}
	if errors.As(httpErr, &re) {
		return nil, fmt.Errorf("%s: %w", op, httpErr)
	}
	return nil, classify(op, host, fmt.Errorf("%w (plain http: %v)", err, redactURLError(httpErr)))
}

func (c *Client) ping(ctx context.Context, scheme, host string) (*PingResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+host+"/v2/", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusUnauthorized:
	default:
		return nil, newResponseError(resp, nil)
	}
	return &PingResult{
		Scheme:     scheme,
		StatusCode: resp.StatusCode,
		Challenges: ParseChallenges(resp.Header.Values("WWW-Authenticate")...),
		APIVersion: resp.Header.Get("Docker-Distribution-API-Version"),
	}, nil
}

func (c *Client) do(req *http.Request) (*http.Response, error) {
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	h := c.HTTP
	if h == nil {
		return nil, errors.New("registry client has no http client")
	}
	return h.Do(req)
}

// drain reads a little of the body so the connection can be reused, then
// closes it.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	_ = resp.Body.Close()
}
