package credential

import (
	"fmt"
	"path"
	"strings"
)

// Match reports whether p applies to t, and if not, why not (a near-miss
// explanation meant for humans: `regauth get --explain`, `regauth check`).
//
// Rules (docs/matching.md):
//   - hosts compare exactly after normalisation, ports included;
//   - a glob host ("*.example.com") needs the same number of labels and the
//     same port, each label matched with path.Match — kubelet's semantics;
//   - a pattern path matches that repository and everything below it, on
//     '/' boundaries ("team" matches "team/app", never "teammate/app");
//   - a pattern with a path never matches a bare host query: the protocol
//     that asks by host alone (docker's, the credential helpers') cannot
//     scope by repository.
func Match(p Pattern, t Target) (bool, string) {
	if ok, why := matchHost(p.Host, t.Host); !ok {
		return false, why
	}
	if p.Path == "" {
		return true, ""
	}
	if t.Path == "" {
		return false, fmt.Sprintf("scoped to repositories under %s/, but only the host was asked for", p)
	}
	if t.Path == p.Path || strings.HasPrefix(t.Path, p.Path+"/") {
		return true, ""
	}
	if p.IsDockerHub() && !strings.Contains(p.Path, "/") && t.Path == "library/"+p.Path {
		return false, fmt.Sprintf("Docker Hub official images live under library/: the key for %s is docker.io/library/%s", t, p.Path)
	}
	return false, fmt.Sprintf("scoped to %s/, repository %s is outside it", p, t.Path)
}

func matchHost(pattern, host string) (bool, string) {
	if pattern == host {
		return true, ""
	}
	if !isGlob(pattern) {
		pn, pp := splitPort(pattern)
		hn, hp := splitPort(host)
		if pn == hn {
			return false, fmt.Sprintf("port differs: key has %s, target has %s", portOrNone(pp), portOrNone(hp))
		}
		return false, "different host"
	}
	pl, pport := hostPort(pattern)
	hl, hport := hostPort(host)
	if !sameSuffix(pl, hl) {
		return false, "different host"
	}
	if pport != hport {
		return false, fmt.Sprintf("glob port differs: key has %s, target has %s", portOrNone(pport), portOrNone(hport))
	}
	if len(pl) != len(hl) {
		return false, fmt.Sprintf("glob %s has %d labels, %s has %d (a * matches exactly one label)", pattern, len(pl), host, len(hl))
	}
	for i := range pl {
		ok, err := path.Match(pl[i], hl[i])
		if err != nil {
			return false, fmt.Sprintf("malformed glob label %q", pl[i])
		}
		if !ok {
			return false, fmt.Sprintf("label %q does not match %q", hl[i], pl[i])
		}
	}
	return true, ""
}

// sameSuffix reports whether the labels after the last wildcard label agree,
// i.e. whether a glob miss is a near miss worth explaining.
func sameSuffix(pattern, host []string) bool {
	k := len(pattern)
	for k > 0 && !isGlob(pattern[k-1]) {
		k--
	}
	lit := pattern[k:]
	if len(lit) > len(host) {
		return false
	}
	for i := range lit {
		if lit[i] != host[len(host)-len(lit)+i] {
			return false
		}
	}
	return true
}

func splitPort(h string) (name, port string) {
	n, p, _ := splitHostPort(h)
	return n, p
}

func portOrNone(p string) string {
	if p == "" {
		return "no port"
	}
	return "port " + p
}

// rank orders matching patterns, most specific first: more path components;
// then an exact host before a glob; then the glob with more literal
// characters ("r*.example.com" before "*.example.com").
// Ties keep insertion (source precedence) order.
func rank(p Pattern) [3]int {
	exact := 1
	if p.IsGlob() {
		exact = 0
	}
	return [3]int{p.segments(), exact, len(p.Host) - strings.Count(p.Host, "*") - strings.Count(p.Host, "?")}
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return false
}
