package policy

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidPattern is wrapped by every error ValidatePattern returns, so
// the admin API can answer 400 with errors.Is.
var ErrInvalidPattern = errors.New("invalid repository pattern")

// maxNameLen is distribution's limit on a repository name; a longer pattern
// could never match anything.
const maxNameLen = 255

// NamespacePattern is the pattern of a namespace-wide grant: every
// repository below ns/, at any depth (not a repository named ns itself).
func NamespacePattern(ns string) string { return ns + "/**" }

// ValidatePattern reports whether p is a repository pattern a permission
// may hold: segments separated by '/', each made of lower-case letters,
// digits, '.', '_', '-' and '*' (any run of characters within the
// segment, as in path.Match); "**" only as the whole final segment
// ("team/**": everything below team/) or as the whole pattern (every
// repository). Character classes and '?' are refused: repository names
// never contain them, and refusing them keeps matching linear.
func ValidatePattern(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: empty", ErrInvalidPattern)
	case len(p) > maxNameLen:
		return fmt.Errorf("%w: longer than %d characters", ErrInvalidPattern, maxNameLen)
	case p == "**":
		return nil
	}
	// Walk with Cut rather than Split: Compile validates every permission
	// of every token request, so this must not allocate.
	for rest, more := p, true; more; {
		var s string
		s, rest, more = strings.Cut(rest, "/")
		last := !more
		// One pass per segment: the longest run of '*' and the first
		// character a pattern may not hold.
		run, maxRun, bad := 0, 0, -1
		for j := 0; j < len(s); j++ {
			switch c := s[j]; {
			case c == '*':
				run++
				maxRun = max(maxRun, run)
			case isNameChar(c):
				run = 0
			default:
				run = 0
				if bad < 0 {
					bad = j
				}
			}
		}
		switch {
		case s == "":
			return fmt.Errorf("%w %q: empty path segment", ErrInvalidPattern, p)
		case maxRun >= 3:
			return fmt.Errorf("%w %q: \"***\" is not allowed", ErrInvalidPattern, p)
		case s == "**" && last:
		case maxRun == 2:
			return fmt.Errorf("%w %q: \"**\" must be the whole final segment or the whole pattern", ErrInvalidPattern, p)
		case s == "." || s == "..":
			return fmt.Errorf("%w %q: path segment %q is not allowed", ErrInvalidPattern, p, s)
		case bad >= 0:
			return fmt.Errorf("%w %q: character %q is not allowed (use a-z, 0-9, '.', '_', '-', '*')", ErrInvalidPattern, p, s[bad])
		}
	}
	return nil
}

func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// validRepoName reports whether name can be a repository: non-empty
// segments of [a-z0-9._-] that start and end with a letter or digit. It is
// a little looser than distribution's grammar (which also limits how
// separators repeat); a registry refuses those names anyway. Refusing
// anything else keeps a requested name like "team/*" or "team/../x" from
// being matched by a pattern as if it were literal.
func validRepoName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '/' {
			if !isNameChar(name[i]) {
				return false
			}
			continue
		}
		if i == start || !isAlnum(name[start]) || !isAlnum(name[i-1]) {
			return false
		}
		start = i + 1
	}
	return true
}

// validSegment reports whether s is a single valid repository path
// component, e.g. a user name that is also their namespace.
func validSegment(s string) bool { return !strings.Contains(s, "/") && validRepoName(s) }

// matchSegment reports whether the name segment s matches the pattern
// segment p, where '*' matches any run of characters. It is path.Match
// restricted to the characters ValidatePattern admits, done with the
// usual single-backtrack-point loop so it is linear in practice.
func matchSegment(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// glob is a pattern with '*' somewhere other than a trailing "/*" or
// "/**" after a literal prefix; those common forms are map lookups.
type glob struct {
	segs      []string // without the final "**"
	recursive bool     // pattern ended in "/**": one or more segments follow segs
}

func newGlob(p string) glob {
	segs := strings.Split(p, "/")
	if segs[len(segs)-1] == "**" {
		return glob{segs: segs[:len(segs)-1], recursive: true}
	}
	return glob{segs: segs}
}

// match walks name segment by segment without allocating.
func (g glob) match(name string) bool {
	rest := name
	for i, p := range g.segs {
		seg, tail, more := strings.Cut(rest, "/")
		if !matchSegment(p, seg) {
			return false
		}
		if !more {
			// Name exhausted: it matches only if the pattern is too,
			// and a recursive glob needs at least one segment more.
			return i == len(g.segs)-1 && !g.recursive
		}
		rest = tail
	}
	return g.recursive && rest != ""
}
