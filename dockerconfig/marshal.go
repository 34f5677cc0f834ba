package dockerconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Marshal encodes f the way docker's SaveToWriter does: indented with tabs,
// no trailing newline, "auths" always present, empty known fields omitted,
// registry keys sorted. Unknown members are written back with their original
// values, in their original order and positions, so a file written by docker
// and rewritten here differs only where something was changed.
//
// Entries are written as they are; use SetCredentials to store credentials
// in docker's form (auth only).
func (f *File) Marshal() ([]byte, error) {
	var b bytes.Buffer
	w := objectWriter{b: &b}
	w.open()
	done := map[string]bool{}
	emit := func(k string) {
		if done[k] || !f.isSet(k) {
			return
		}
		done[k] = true
		w.key(k)
		f.writeKnown(&b, k)
	}
	if !slices.ContainsFunc(f.members, func(m member) bool { return m.known == keyAuths }) {
		emit(keyAuths)
	}
	for _, m := range f.members {
		if m.known != "" {
			emit(m.known)
			continue
		}
		w.key(m.key)
		b.Write(m.raw)
	}
	for _, k := range topKeys {
		emit(k)
	}
	w.close()

	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "\t"); err != nil {
		// Only reachable through a bug; the JSON error names no content.
		return nil, fmt.Errorf("marshal config: %w", err)
	}
	return out.Bytes(), nil
}

func (f *File) writeKnown(b *bytes.Buffer, k string) {
	switch k {
	case keyAuths:
		w := objectWriter{b: b}
		w.open()
		for _, host := range sortedKeys(f.Auths) {
			w.key(host)
			f.Auths[host].write(b)
		}
		w.close()
	case keyCredsStore:
		writeString(b, f.CredsStore)
	case keyCredHelpers:
		w := objectWriter{b: b}
		w.open()
		for _, host := range sortedKeys(f.CredHelpers) {
			w.key(host)
			writeString(b, f.CredHelpers[host])
		}
		w.close()
	}
}

func (e *AuthEntry) write(b *bytes.Buffer) {
	w := objectWriter{b: b}
	w.open()
	if e == nil {
		w.close()
		return
	}
	done := map[string]bool{}
	emit := func(k string) {
		v := *e.knownString(k)
		if done[k] || v == "" {
			return
		}
		done[k] = true
		w.key(k)
		writeString(b, v)
	}
	for _, m := range e.members {
		if m.known != "" {
			emit(m.known)
			continue
		}
		w.key(m.key)
		b.Write(m.raw)
	}
	for _, k := range entryKeys {
		emit(k)
	}
	w.close()
}

// objectWriter writes compact JSON object syntax; Marshal indents at the end.
type objectWriter struct {
	b *bytes.Buffer
	n int
}

func (w *objectWriter) open()  { w.b.WriteByte('{') }
func (w *objectWriter) close() { w.b.WriteByte('}') }

func (w *objectWriter) key(k string) {
	if w.n > 0 {
		w.b.WriteByte(',')
	}
	w.n++
	writeString(w.b, k)
	w.b.WriteByte(':')
}

// writeString uses encoding/json so that escaping matches docker's output.
func writeString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always marshals
	b.Write(enc)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
