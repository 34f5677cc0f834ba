// Package format holds one codec per platform format. Every codec turns a
// Document (credentials as a credential.Set, plus TLS host settings) into
// that platform's files and back, so N formats cost N codecs and any format
// converts to any other through the one model.
package format

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/regauth/regauth/credential"
)

// Document is what codecs exchange.
type Document struct {
	// Set holds the credentials in precedence order. Exports are flattened:
	// every entry carries its secret, except entries with Helper set, which
	// codecs that can name a helper (docker config.json with KeepHelpers)
	// write as a credHelpers reference and the others reject.
	Set *credential.Set
	// Hosts are TLS and transport settings per registry. They never carry
	// credentials (and credentials carry no TLS): the hosts.toml, certs.d and
	// DC/OS pki codecs read and write only these.
	Hosts []Host
	// Objects names what the document was read from where a format has
	// named objects (Kubernetes Secrets), so lint can report duplicates and
	// imports can say what they took.
	Objects []Object
}

// NewDocument returns a Document holding entries.
func NewDocument(entries ...credential.Entry) *Document {
	return &Document{Set: credential.NewSet(entries...)}
}

// Entries is a nil-safe shortcut for d.Set.Entries().
func (d *Document) Entries() []credential.Entry {
	if d == nil || d.Set == nil {
		return nil
	}
	return d.Set.Entries()
}

// Host is how to reach one registry: which CA to trust, which client
// certificate to present, whether to skip verification or use plain HTTP.
type Host struct {
	Host       string // "registry.example.com:5000", as in certs.d directory names
	CA         []byte // PEM, one or more certificates
	ClientCert []byte // PEM
	ClientKey  []byte // PEM; a secret, written 0600
	SkipVerify bool
	PlainHTTP  bool
}

// Object identifies a named object a document came from.
type Object struct {
	Kind      string // "Secret"
	Name      string
	Namespace string
	Type      string // e.g. kubernetes.io/dockerconfigjson
	File      string // where it was read, when known
}

// File is one output or input file. Path is relative and slash-separated;
// "" means the format is a single stream (stdout/stdin or a named file).
type File struct {
	Path string
	Mode fs.FileMode // permission bits; 0 means 0600 for files
	Data []byte
	// Link, when set, makes this file a symbolic link to Link (relative to
	// the link's directory), as DC/OS pki hash links are.
	Link string
}

// Encoder renders a Document in a platform's format.
type Encoder interface {
	Encode(d *Document) ([]File, error)
}

// Decoder reads a platform's files. Single-stream formats get one File
// with Path ""; directory formats get every regular file under the
// directory with its relative Path.
type Decoder interface {
	Decode(files []File) (*Document, error)
}

// Sniffer reports whether data looks like this format, for auto-detection.
type Sniffer interface {
	Sniff(f File) bool
}

// Codec is an Encoder and a Decoder with a name.
type Codec interface {
	Name() string
	Encoder
	Decoder
}

// ErrNoCredentials is returned when a format that carries no credentials
// is asked for them, or a decoded file held none.
var ErrNoCredentials = errors.New("no credentials")

// ErrHelperEntry is returned when an entry whose secret lives in a
// credential helper is rendered in a format that cannot reference one.
var ErrHelperEntry = errors.New("credential is held by a credential helper")

// Error is a problem at a place in an input: the file, the field and
// what is wrong. It never quotes a secret.
type Error struct {
	File  string // path or "-" for stdin; may be empty
	Field string // e.g. data[".dockerconfigjson"] or auths["quay.io"].auth
	Err   error
}

func (e *Error) Error() string {
	s := ""
	if e.File != "" {
		s = e.File + ": "
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// errorf builds an *Error.
func errorf(file, field, format string, a ...any) error {
	return &Error{File: file, Field: field, Err: fmt.Errorf(format, a...)}
}

// flattened returns the entries of d, failing on helper-held ones.
func flattened(d *Document, format string) ([]credential.Entry, error) {
	var out []credential.Entry
	for _, e := range d.Entries() {
		if e.Helper != "" && e.Credential.IsEmpty() {
			return nil, fmt.Errorf("%s: %s: %w docker-credential-%s; %s files cannot reference helpers, so export resolves them first", format, e.Pattern.Key(), ErrHelperEntry, e.Helper, format)
		}
		out = append(out, e)
	}
	return out, nil
}

// sortedKeys returns m's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
