package credential

import "fmt"

// Candidate is one entry as seen by Explain.
type Candidate struct {
	Entry   Entry
	Matched bool
	Chosen  bool     // the entry Lookup returns
	Reason  string   // why it did not match ("" when it did)
	Notes   []string // compatibility warnings about how other tools read the key
}

// Explanation tells which entry applies to a target and why the others do not.
type Explanation struct {
	Target     Target
	Candidates []Candidate // matches in lookup order, then near-misses, then others
}

// Chosen returns the winning candidate, if any.
func (x Explanation) Chosen() (Candidate, bool) {
	for _, c := range x.Candidates {
		if c.Chosen {
			return c, true
		}
	}
	return Candidate{}, false
}

// Explain evaluates every entry against t. Entries on unrelated hosts are
// listed last with the reason "different host" so a user sees the whole store.
func (s *Set) Explain(t Target) Explanation {
	x := Explanation{Target: t}
	for i, e := range s.LookupAll(t) {
		x.Candidates = append(x.Candidates, Candidate{Entry: e, Matched: true, Chosen: i == 0, Notes: DockerNotes(e.Source.Key)})
	}
	var near, far []Candidate
	for _, e := range s.entries {
		ok, why := Match(e.Pattern, t)
		if ok {
			continue
		}
		c := Candidate{Entry: e, Reason: why, Notes: DockerNotes(e.Source.Key)}
		if why == "different host" {
			far = append(far, c)
		} else {
			near = append(near, c)
		}
	}
	x.Candidates = append(append(x.Candidates, near...), far...)
	return x
}

// DockerNotes warns where docker-compatible clients (docker, nerdctl,
// buildx), which look keys up by host name, read key differently from
// regauth, kubelet and podman. This is the seeds' "credentials stored under a
// key no runtime looks up" mistake, caught before it costs a failed pull.
func DockerNotes(key string) []string {
	if key == "" {
		return nil
	}
	p, err := ParsePattern(key)
	if err != nil {
		return []string{fmt.Sprintf("key %q is not a valid registry: %v", key, err)}
	}
	var notes []string
	rest, _ := stripScheme(key)
	host, path, _ := cutSlash(rest)
	if p.IsDockerHub() && p.Path == "" && key != DockerHubKey {
		notes = append(notes, fmt.Sprintf("docker and nerdctl look Docker Hub up only under %q; they ignore key %q", DockerHubKey, key))
	}
	if p.IsGlob() {
		notes = append(notes, "docker and nerdctl do not expand wildcards; only kubelet-style clients and regauth use this key")
	}
	if p.Path != "" {
		notes = append(notes, fmt.Sprintf("docker and nerdctl ignore the path %q: when %s has no key of its own they use this one for every repository on it", "/"+path, host))
	}
	return notes
}

func cutSlash(s string) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
