package dockerconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Parse reads a config.json. Empty or all-whitespace input, and a top-level
// null, are an empty File, as for docker.
//
// Known fields are matched the way docker's encoding/json decoder matches
// them, case-insensitively ("Auths" is auths), with docker's handling of
// duplicates: later members of a known map field are merged, a null map
// resets it, a null string is ignored. Unlike docker, data after the
// top-level object is an error: a rewrite would drop it, and refusing the
// file is better than losing it.
func Parse(data []byte) (*File, error) {
	p := &parser{data: data, authAt: map[*AuthEntry]authPos{}}
	f := &File{Auths: map[string]*AuthEntry{}}
	if len(bytes.Trim(data, " \t\r\n")) == 0 {
		f.normalize()
		return f, nil
	}
	if err := p.checkSyntax(); err != nil {
		return nil, err
	}
	start := int64(len(data) - len(bytes.TrimLeft(data, " \t\r\n")))
	top := json.RawMessage(bytes.Trim(data, " \t\r\n"))
	switch kind(top) {
	case "null":
	case "object":
		seen := map[string]bool{}
		err := p.members(top, start, func(key string, val []byte, off int64) error {
			k := canonical(key, topKeys)
			if k == "" {
				f.members = append(f.members, member{key: key, raw: compact(val)})
				return nil
			}
			if !seen[k] {
				seen[k] = true
				f.members = append(f.members, member{key: k, known: k})
			}
			return p.topField(f, k, val, off)
		})
		if err != nil {
			return nil, err
		}
		if err := p.checkAuths(f); err != nil {
			return nil, err
		}
	default:
		return nil, &ParseError{Err: fmt.Errorf("top level must be an object, not %s", kind(top))}
	}
	f.normalize()
	return f, nil
}

type parser struct {
	data   []byte
	authAt map[*AuthEntry]authPos
}

type authPos struct {
	field fieldPath
	off   int64
}

// checkAuths rejects a broken auth in the final entries, as docker's loader
// does after decoding (an entry replaced by a later duplicate is not checked).
func (p *parser) checkAuths(f *File) error {
	var first string
	var firstErr error
	for host, e := range f.Auths {
		if e.Auth == "" || firstErr != nil && host > first {
			continue
		}
		if _, _, err := DecodeAuth(e.Auth); err != nil {
			first, firstErr = host, err // report the first in key order, deterministically
		}
	}
	if firstErr != nil {
		pos := p.authAt[f.Auths[first]]
		return p.errorAt(pos.field.String(), pos.off, firstErr)
	}
	return nil
}

// checkSyntax validates the whole document first so that the walk below only
// meets type errors, and rejects trailing data.
func (p *parser) checkSyntax() error {
	if json.Valid(p.data) {
		return nil // one value, only space around it
	}
	dec := json.NewDecoder(bytes.NewReader(p.data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return p.syntaxError(err, dec.InputOffset())
	}
	end := dec.InputOffset()
	rest := p.data[end:]
	if trimmed := bytes.TrimLeft(rest, " \t\r\n"); len(trimmed) > 0 {
		off := end + int64(len(rest)-len(trimmed))
		return p.errorAt("", off, errors.New("unexpected data after the top-level value"))
	}
	return nil
}

func (p *parser) syntaxError(err error, off int64) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		// encoding/json quotes the offending character, which may be one
		// of a password's; the line and column say where it is.
		return p.errorAt("", se.Offset, errors.New("invalid JSON: "+unquoteChar(se.Error())))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return p.errorAt("", int64(len(p.data)), errors.New("invalid JSON: unexpected end of input"))
	}
	return p.errorAt("", off, fmt.Errorf("invalid JSON: %w", err))
}

func (p *parser) errorAt(field string, off int64, err error) *ParseError {
	e := &ParseError{Field: field, Err: err}
	if off >= 0 && off <= int64(len(p.data)) {
		before := p.data[:off]
		e.Line = bytes.Count(before, []byte("\n")) + 1
		e.Column = len(before) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	}
	return e
}

// members calls fn with every member of the (already valid) object obj in
// document order; base is obj's offset in the file and off the value's.
func (p *parser) members(obj []byte, base int64, fn func(key string, val []byte, off int64) error) error {
	return forMembers(obj, func(key string, val []byte, off int) error {
		return fn(key, val, base+int64(off))
	})
}

func (p *parser) topField(f *File, k string, val []byte, off int64) error {
	switch k {
	case keyAuths:
		switch kind(val) {
		case "null":
			f.Auths = map[string]*AuthEntry{}
			return nil
		case "object":
		default:
			return p.errorAt(k, off, fmt.Errorf("must be an object, not %s", kind(val)))
		}
		return p.members(val, off, func(host string, ev []byte, eoff int64) error {
			e, err := p.entry(fieldPath{k, host, ""}, ev, eoff)
			if err != nil {
				return err
			}
			// A repeated host replaces the earlier entry, as in docker.
			f.Auths[host] = e
			return nil
		})
	case keyCredsStore:
		return p.str(&f.CredsStore, fieldPath{top: k}, val, off)
	case keyCredHelpers:
		switch kind(val) {
		case "null":
			f.CredHelpers = nil
			return nil
		case "object":
		default:
			return p.errorAt(k, off, fmt.Errorf("must be an object, not %s", kind(val)))
		}
		if f.CredHelpers == nil {
			f.CredHelpers = map[string]string{}
		}
		return p.members(val, off, func(host string, hv []byte, hoff int64) error {
			var s string
			if err := p.str(&s, fieldPath{k, host, ""}, hv, hoff); err != nil {
				return err
			}
			f.CredHelpers[host] = s
			return nil
		})
	}
	return nil
}

// fieldPath names a value for error messages; it is only turned into text
// when there is an error, which keeps parsing large files cheap.
type fieldPath struct{ top, host, sub string }

func (f fieldPath) String() string {
	s := f.top
	if f.host != "" || f.sub != "" {
		s += "[" + strconv.Quote(f.host) + "]"
	}
	if f.sub != "" {
		s += "." + f.sub
	}
	return s
}

func (p *parser) entry(field fieldPath, val []byte, off int64) (*AuthEntry, error) {
	e := &AuthEntry{}
	switch kind(val) {
	case "null":
		return e, nil // docker stores a zero entry
	case "object":
	default:
		return nil, p.errorAt(field.String(), off, fmt.Errorf("must be an object, not %s", kind(val)))
	}
	var seen [8]bool // indexed like entryKeys
	authOff := off
	err := p.members(val, off, func(key string, v []byte, voff int64) error {
		k := canonical(key, entryKeys)
		if k == keyAuth && kind(v) == "string" {
			authOff = voff
		}
		if k == "" {
			e.members = append(e.members, member{key: key, raw: compact(v)})
			return nil
		}
		if i := entryKeyIndex(k); !seen[i] {
			seen[i] = true
			e.members = append(e.members, member{key: k, known: k})
		}
		sub := field
		sub.sub = k
		return p.str(e.knownString(k), sub, v, voff)
	})
	if err != nil {
		return nil, err
	}
	if e.Auth != "" {
		field.sub = keyAuth
		p.authAt[e] = authPos{field, authOff}
	}
	return e, nil
}

// str stores a JSON string in dst; null leaves dst alone, as encoding/json
// does for a non-pointer string.
func (p *parser) str(dst *string, field fieldPath, val []byte, off int64) error {
	switch kind(val) {
	case "null":
		return nil
	case "string":
		*dst = unquote(val)
		return nil
	}
	// Say which type, never which value: it may be a secret.
	return p.errorAt(field.String(), off, fmt.Errorf("must be a string, not %s", kind(val)))
}

func entryKeyIndex(k string) int {
	for i, known := range entryKeys {
		if k == known {
			return i
		}
	}
	return len(entryKeys)
}

// compact strips insignificant space from an unknown value so that it can be
// re-indented at its new depth; the value's text is otherwise kept as is.
func compact(v []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return bytes.Clone(v) // unreachable: v was validated
	}
	return b.Bytes()
}

// canonical returns the known name that key matches the way encoding/json
// matches struct fields (exactly, else by bytes.EqualFold), or "".
func canonical(key string, known []string) string {
	for _, k := range known {
		if key == k {
			return k
		}
	}
	for _, k := range known {
		if strings.EqualFold(key, k) {
			return k
		}
	}
	return ""
}

// kind names the JSON type of a valid, trimmed value.
func kind(v []byte) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}

// normalize gives a parsed File the layout Marshal would produce, so that
// parsing is idempotent through Marshal: "auths" always present, markers of
// empty known fields dropped.
func (f *File) normalize() {
	var ms []member
	hasAuths := false
	for _, m := range f.members {
		if m.known == keyAuths {
			hasAuths = true
		}
		if m.known == "" || f.isSet(m.known) {
			ms = append(ms, m)
		}
	}
	if !hasAuths {
		ms = append([]member{{key: keyAuths, known: keyAuths}}, ms...)
	}
	f.members = ms
	for _, e := range f.Auths {
		var ems []member
		for _, m := range e.members {
			if m.known == "" || *e.knownString(m.known) != "" {
				ems = append(ems, m)
			}
		}
		e.members = ems
	}
}

// unquoteChar drops the quoted character from encoding/json's
// "invalid character 'x' after object key" messages.
func unquoteChar(msg string) string {
	const prefix = "invalid character '"
	if !strings.HasPrefix(msg, prefix) {
		return msg
	}
	rest := msg[len(prefix):]
	if i := strings.Index(rest, "' "); i >= 0 {
		return "unexpected character " + rest[i+2:]
	}
	return "unexpected character"
}
