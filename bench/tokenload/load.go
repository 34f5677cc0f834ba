package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/regauth/regauth/internal/benchseed"
)

// prepared is one account's request, built once: the URL and the
// Authorization header.
type prepared struct {
	url  *url.URL
	auth []string
}

func prepare(target, service string, scopes []string, accts []benchseed.Account) ([]prepared, error) {
	base, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	out := make([]prepared, len(accts))
	for i, a := range accts {
		q := url.Values{"service": {service}}
		for _, s := range scopes {
			q.Add("scope", strings.NewReplacer("{ns}", a.NS, "{short}", a.Short).Replace(s))
		}
		u := *base
		u.RawQuery = q.Encode()
		cred := base64.StdEncoding.EncodeToString([]byte(a.Name + ":" + a.Secret))
		out[i] = prepared{url: &u, auth: []string{"Basic " + cred}}
	}
	return out, nil
}

type client struct{ hc *http.Client }

func newClient(concurrency int) *client {
	tr := &http.Transport{
		MaxIdleConns:        concurrency,
		MaxIdleConnsPerHost: concurrency,
		MaxConnsPerHost:     concurrency,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// do sends one request and returns its status (0 for a transport error);
// body, if not nil, receives the response body.
func (c *client) do(ctx context.Context, p prepared, body *[]byte) (int, error) {
	req := (&http.Request{Method: http.MethodGet, URL: p.url, Host: p.url.Host,
		Header: http.Header{"Authorization": p.auth}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}).WithContext(ctx)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	if body != nil {
		*body, err = io.ReadAll(resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	return resp.StatusCode, err
}

// probe checks that the set-up does what we mean to measure: a 200 whose
// token grants every requested scope some action. It returns the latency.
func (c *client) probe(ctx context.Context, p prepared) (time.Duration, error) {
	var body []byte
	start := time.Now()
	status, err := c.do(ctx, p, &body)
	took := time.Since(start)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("probe: status %d: %s", status, body)
	}
	var r struct{ Token string }
	if err := json.Unmarshal(body, &r); err != nil {
		return 0, fmt.Errorf("probe: %w", err)
	}
	parts := strings.Split(r.Token, ".")
	if len(parts) != 3 {
		return 0, errors.New("probe: the token is not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, fmt.Errorf("probe: %w", err)
	}
	var claims struct {
		Access []struct {
			Name    string
			Actions []string
		}
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return 0, fmt.Errorf("probe: %w", err)
	}
	for _, a := range claims.Access {
		if len(a.Actions) == 0 {
			return 0, fmt.Errorf("probe: nothing granted on %s: the scope does not match the seeded rules", a.Name)
		}
	}
	if len(claims.Access) == 0 {
		return 0, errors.New("probe: the token grants nothing")
	}
	return took, nil
}

type result struct {
	lat      []time.Duration
	byStatus map[int]int
	errs     int
	firstErr error
}

// phase runs workers until deadline or until n requests were sent.
func (c *client) phase(ctx context.Context, reqs []prepared, workers, n int, deadline time.Time, record bool) (result, time.Duration) {
	var sent atomic.Int64
	results := make([]result, workers)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := &results[w]
			r.byStatus = map[int]int{}
			if record {
				r.lat = make([]time.Duration, 0, 1<<14)
			}
			for i := w; ctx.Err() == nil && time.Now().Before(deadline) && sent.Add(1) <= int64(n); i += workers {
				t := time.Now()
				status, err := c.do(ctx, reqs[i%len(reqs)], nil)
				if record {
					r.lat = append(r.lat, time.Since(t))
				}
				if err != nil {
					r.errs++
					if r.firstErr == nil {
						r.firstErr = err
					}
					continue
				}
				r.byStatus[status]++
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := result{byStatus: map[int]int{}}
	for _, r := range results {
		all.lat = append(all.lat, r.lat...)
		for s, k := range r.byStatus {
			all.byStatus[s] += k
		}
		all.errs += r.errs
		if all.firstErr == nil {
			all.firstErr = r.firstErr
		}
	}
	return all, elapsed
}

func load(ctx context.Context, o *options, target string, settle func(context.Context, io.Writer) error, out io.Writer) error {
	accts := accountsOf(o)
	reqs, err := prepare(target, o.service, o.scopes, accts)
	if err != nil {
		return err
	}
	c := newClient(o.concurrency)
	defer c.hc.CloseIdleConnections()
	fmt.Fprintf(out, "load: %s, %d %s accounts, scope %s, -c %d, %s\n", target, len(accts), o.kind, o.scopes.String(), o.concurrency, machine())

	// First and repeated request of one account: for passwords the first
	// pays bcrypt, a repeat hits the verification cache (if enabled).
	first, err := c.probe(ctx, reqs[0])
	if err != nil {
		return err
	}
	second, err := c.probe(ctx, reqs[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "probe: first request %s, repeated %s (account %s)\n", first.Round(time.Microsecond), second.Round(time.Microsecond), accts[0].Name)

	// Warm-up: every account once (fills caches as steady traffic would),
	// then -warmup of unmeasured load.
	wstart := time.Now()
	wr, _ := c.phase(ctx, reqs, o.concurrency, len(reqs), time.Now().Add(maxDuration), false)
	wr2, _ := c.phase(ctx, reqs, o.concurrency, maxRequests, time.Now().Add(o.warmup), false)
	if nonOK(wr)+nonOK(wr2) > 0 {
		fmt.Fprintf(out, "warm-up: statuses %v %v, transport errors %d (%v)\n", wr.byStatus, wr2.byStatus, wr.errs+wr2.errs, wr.firstErr)
	}
	fmt.Fprintf(out, "warm-up: %s\n", time.Since(wstart).Round(time.Millisecond))
	if err := settle(ctx, out); err != nil {
		return err
	}

	stopProfiles, err := startProfiles(o)
	if err != nil {
		return err
	}
	load0, cpu0 := loadAvg(), selfCPU()
	var srv0 time.Duration
	if o.serverPID != 0 {
		if srv0, err = procCPU(o.serverPID); err != nil {
			return err
		}
	}
	res, elapsed := c.phase(ctx, reqs, o.concurrency, o.requests, time.Now().Add(o.duration), true)
	cpu := selfCPU() - cpu0
	if err := stopProfiles(); err != nil {
		return err
	}
	report(out, res, elapsed)
	ok := float64(res.byStatus[http.StatusOK])
	who := "client only"
	if o.target == "" {
		who = "client + in-process server"
	}
	perTok := func(d time.Duration) string {
		if ok == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.0f µs", float64(d.Microseconds())/ok)
	}
	fmt.Fprintf(out, "cpu: %.2f s (%s) = %.0f%% of %d CPUs, %s per token; load average %s → %s\n",
		cpu.Seconds(), who, 100*cpu.Seconds()/elapsed.Seconds()/float64(runtime.NumCPU()), runtime.NumCPU(), perTok(cpu), load0, loadAvg())
	if o.serverPID != 0 {
		srv, err := procCPU(o.serverPID)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "server cpu: %.2f s (pid %d), %s per token\n", (srv - srv0).Seconds(), o.serverPID, perTok(srv-srv0))
	}
	return nil
}

func nonOK(r result) int {
	n := r.errs
	for s, k := range r.byStatus {
		if s != http.StatusOK {
			n += k
		}
	}
	return n
}

func report(out io.Writer, r result, elapsed time.Duration) {
	slices.Sort(r.lat)
	pct := func(p float64) time.Duration {
		if len(r.lat) == 0 {
			return 0
		}
		return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]
	}
	ok := r.byStatus[http.StatusOK]
	fmt.Fprintf(out, "requests: %d in %s\n", len(r.lat), elapsed.Round(time.Millisecond))
	var codes []int
	for s := range r.byStatus {
		codes = append(codes, s)
	}
	slices.Sort(codes)
	var parts []string
	for _, s := range codes {
		parts = append(parts, fmt.Sprintf("%d: %d", s, r.byStatus[s]))
	}
	if r.errs > 0 {
		parts = append(parts, fmt.Sprintf("transport errors: %d (first: %v)", r.errs, r.firstErr))
	}
	fmt.Fprintf(out, "status: %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(out, "tokens/s: %.0f\n", float64(ok)/elapsed.Seconds())
	us := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	fmt.Fprintf(out, "latency: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", us(pct(.50)), us(pct(.90)), us(pct(.99)), us(pct(.999)), us(pct(1)))
}

func startProfiles(o *options) (stop func() error, err error) {
	var cpu *os.File
	if o.cpuProfile != "" {
		if cpu, err = os.Create(o.cpuProfile); err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, err
		}
	}
	if o.mutexProfile != "" {
		runtime.SetMutexProfileFraction(5)
	}
	return func() error {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				return err
			}
		}
		write := func(path, name string) error {
			if path == "" {
				return nil
			}
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			defer f.Close()
			return pprof.Lookup(name).WriteTo(f, 0)
		}
		if err := write(o.mutexProfile, "mutex"); err != nil {
			return err
		}
		return write(o.memProfile, "allocs")
	}, nil
}
