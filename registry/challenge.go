// Package registry talks to a container registry the way docker login does:
// it pings /v2/, reads the WWW-Authenticate challenges, exchanges a
// credential for a token where the registry asks for one, and checks that
// the registry accepts it. It also builds the TLS transport for a registry
// host from the files docker (certs.d) and containerd (hosts.toml) read.
//
// Nothing here reads the environment: directories, HTTP client and options
// come from the caller.
package registry

import (
	"sort"
	"strings"
)

// Challenge is one authentication challenge of a WWW-Authenticate header
// (RFC 7235 section 4.1).
type Challenge struct {
	// Scheme is lower-cased: "basic", "bearer", ...
	Scheme string
	// Params holds the auth-params with lower-cased names; the first of
	// duplicate names wins.
	Params map[string]string
	// Token68 is the challenge's token68 form (e.g. "Negotiate abc=="), which
	// RFC 7235 allows instead of auth-params; registries do not use it.
	Token68 string
}

// String renders c in a form ParseChallenges reads back to the same value.
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString(c.Scheme)
	sep := " "
	if c.Token68 != "" {
		b.WriteString(sep)
		b.WriteString(c.Token68)
		sep = ", "
	}
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(sep)
		sep = ", "
		b.WriteString(k)
		b.WriteString(`="`)
		for _, r := range []byte(c.Params[k]) {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(r)
		}
		b.WriteByte('"')
	}
	return b.String()
}

// ParseChallenges parses WWW-Authenticate header values; pass every line of
// the header (resp.Header.Values("WWW-Authenticate")). It is lenient the way
// registries need: it accepts unquoted values that are not RFC tokens (such
// as realm=https://host/token), odd spacing, empty list elements and missing
// commas between params, and skips what it cannot read instead of failing.
func ParseChallenges(header ...string) []Challenge {
	var out []Challenge
	for _, h := range header {
		out = parseHeader(h, out)
	}
	return out
}

type parser struct {
	s string
	i int
}

func parseHeader(s string, out []Challenge) []Challenge {
	p := &parser{s: s}
	cur := -1 // index in out of the challenge params attach to
	for {
		p.skipListSeparators()
		if p.eof() {
			return out
		}
		tok := p.token()
		if tok == "" {
			p.skipItem()
			continue
		}
		if p.paramFollows() {
			value := p.paramValue()
			if cur >= 0 {
				name := strings.ToLower(tok)
				if _, dup := out[cur].Params[name]; !dup {
					out[cur].Params[name] = value
				}
			}
			p.requireSeparator()
			continue
		}
		out = append(out, Challenge{Scheme: strings.ToLower(tok), Params: map[string]string{}})
		cur = len(out) - 1
		if p.skipSpace() == 0 {
			p.requireSeparator()
			continue
		}
		if t68, ok := p.token68(); ok {
			out[cur].Token68 = t68
		}
	}
}

func (p *parser) eof() bool { return p.i >= len(p.s) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func (p *parser) skipSpace() int {
	start := p.i
	for !p.eof() && isSpace(p.s[p.i]) {
		p.i++
	}
	return p.i - start
}

func (p *parser) skipListSeparators() {
	for !p.eof() && (isSpace(p.s[p.i]) || p.s[p.i] == ',') {
		p.i++
	}
}

// skipItem drops everything up to the next comma outside a quoted string.
func (p *parser) skipItem() {
	for !p.eof() && p.s[p.i] != ',' {
		if p.s[p.i] == '"' {
			p.quoted()
			continue
		}
		p.i++
	}
}

// requireSeparator accepts whitespace or a comma after an item and drops
// anything glued to it ("realm="x"junk").
func (p *parser) requireSeparator() {
	if p.eof() || isSpace(p.s[p.i]) || p.s[p.i] == ',' {
		return
	}
	p.skipItem()
}

// isTchar reports whether c is an RFC 7230 token character.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken68Char(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

func (p *parser) token() string {
	start := p.i
	for !p.eof() && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// paramFollows reports whether the token just read is a param name, that is
// followed by BWS "=" and a value that does not start with another "="; it
// consumes the "=" and the whitespace around it when it is.
func (p *parser) paramFollows() bool {
	j := p.i
	for j < len(p.s) && isSpace(p.s[j]) {
		j++
	}
	if j >= len(p.s) || p.s[j] != '=' {
		return false
	}
	j++
	for j < len(p.s) && isSpace(p.s[j]) {
		j++
	}
	if j < len(p.s) && p.s[j] == '=' {
		return false
	}
	p.i = j
	return true
}

// paramValue reads a quoted string, or an unquoted value up to whitespace or
// a comma (realm=https://a/token is common although ':' is no tchar).
func (p *parser) paramValue() string {
	if !p.eof() && p.s[p.i] == '"' {
		return p.quoted()
	}
	start := p.i
	for !p.eof() && !isSpace(p.s[p.i]) && p.s[p.i] != ',' {
		p.i++
	}
	return p.s[start:p.i]
}

// quoted reads a quoted-string starting at the opening quote; an unterminated
// string runs to the end of the header.
func (p *parser) quoted() string {
	p.i++ // opening quote
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return b.String()
		case '\\':
			if !p.eof() {
				b.WriteByte(p.s[p.i])
				p.i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// token68 reads a token68 directly after a scheme when one stands there
// alone, followed by the end or a comma. "name=" with one "=" is read as an
// empty param instead, which is what registries mean by it.
func (p *parser) token68() (string, bool) {
	j := p.i
	onlyTchar := true
	for j < len(p.s) && isToken68Char(p.s[j]) {
		onlyTchar = onlyTchar && isTchar(p.s[j])
		j++
	}
	if j == p.i {
		return "", false
	}
	end := j
	equals := 0
	for end < len(p.s) && p.s[end] == '=' {
		end++
		equals++
	}
	k := end
	for k < len(p.s) && isSpace(p.s[k]) {
		k++
	}
	if k < len(p.s) && p.s[k] != ',' {
		return "", false
	}
	if onlyTchar && equals == 1 {
		return "", false
	}
	t := p.s[p.i:end]
	p.i = k
	return t, true
}
