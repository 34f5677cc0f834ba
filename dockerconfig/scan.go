package dockerconfig

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The walk below runs over text json.Valid has accepted, so it needs no error
// handling of its own: it only finds where strings, values and members end.
// It is what keeps a 10,000-entry config fast to load (one validation pass
// and one walk, no decoder per object).

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// endOfString returns the index just after the string starting at b[i] == '"'.
func endOfString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// endOfValue returns the index just after the value starting at b[i].
func endOfValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return endOfString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = endOfString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
}

// forMembers calls fn for each member of the valid object obj, with the
// value's offset within obj.
func forMembers(obj []byte, fn func(key string, val []byte, off int) error) error {
	i := skipSpace(obj, 1)
	for i < len(obj) && obj[i] != '}' {
		kEnd := endOfString(obj, i)
		key := unquote(obj[i:kEnd])
		i = skipSpace(obj, kEnd) + 1 // past ':'
		i = skipSpace(obj, i)
		vEnd := endOfValue(obj, i)
		if err := fn(key, obj[i:vEnd], i); err != nil {
			return err
		}
		i = skipSpace(obj, vEnd)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return nil
}

// unquote decodes a valid JSON string literal exactly as encoding/json does
// (invalid UTF-8 becomes U+FFFD), taking the fast path when nothing needs
// decoding.
func unquote(lit []byte) string {
	body := lit[1 : len(lit)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body)
	}
	var s string
	_ = json.Unmarshal(lit, &s) // lit is a valid literal
	return s
}
