package format

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreos/butane/config"
	"github.com/coreos/butane/config/common"
	"github.com/coreos/ignition/v2/config/v3_3/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vincent-petithory/dataurl"

	"github.com/regauth/regauth/credential"
)

var butaneUpdate = flag.Bool("update-butane", false, "rewrite testdata/butane golden files")

// butaneSampleDoc covers every credential kind, an e-mail, Docker Hub, a
// port, and a lower-precedence duplicate that must not be written.
func butaneSampleDoc() *Document {
	return NewDocument(
		credential.Entry{Pattern: credential.MustPattern("quay.io"), Credential: credential.Credential{Username: "giffee_lover_93", Password: "passphrases are great!"}, Email: "giffee.lover.93@example.com"},
		credential.Entry{Pattern: credential.MustPattern("registry.example.io:5000"), Credential: credential.Credential{Username: "robot", Password: "p\"a\\s's: #w\tørd"}},
		credential.Entry{Pattern: credential.MustPattern("docker.io"), Credential: credential.Credential{Username: credential.TokenUsername, IdentityToken: "refresh-token-1"}},
		credential.Entry{Pattern: credential.MustPattern("quay.io"), Credential: credential.Credential{Username: "shadowed", Password: "never-written"}},
	)
}

// butaneRktDoc holds only what rkt files can express (hosts, no paths).
func butaneRktDoc() *Document {
	return NewDocument(
		credential.Entry{Pattern: credential.MustPattern("registry.example.io"), Credential: credential.Credential{Username: "giffeeLover93", Password: "passphrases are great!"}},
		credential.Entry{Pattern: credential.MustPattern("quay.io"), Credential: credential.Credential{RegistryToken: "bearer-token-1"}},
	)
}

type butaneCase struct {
	name  string
	codec Butane
	doc   func() *Document
	// wantFile, wantUser: where the config lands on the node and whose it is.
	wantFile, wantUser string
}

var butaneCases = []butaneCase{
	{name: "inline", doc: butaneSampleDoc, wantFile: "/home/core/.docker/config.json", wantUser: "core"},
	{name: "source", codec: Butane{SourceURL: "https://internal.infra.example.com/cluster-docker-config.json"}, doc: butaneSampleDoc, wantFile: "/home/core/.docker/config.json", wantUser: "core"},
	{name: "root", codec: Butane{Path: "/root/.docker/config.json"}, doc: butaneSampleDoc, wantFile: "/root/.docker/config.json"},
	{name: "podman", codec: Butane{Path: "/home/core/.config/containers/auth.json"}, doc: butaneSampleDoc, wantFile: "/home/core/.config/containers/auth.json", wantUser: "core"},
	{name: "owner", codec: Butane{Path: "/etc/mesosphere/docker_credentials", User: "1000", Group: "docker"}, doc: butaneSampleDoc, wantFile: "/etc/mesosphere/docker_credentials", wantUser: "1000"},
	{name: "rkt", codec: Butane{RktFiles: true}, doc: butaneRktDoc, wantFile: "/home/core/.docker/config.json", wantUser: "core"},
	// A C1 control character cannot appear in a YAML block scalar, so the
	// inline contents fall back to a quoted string.
	{name: "quoted", doc: func() *Document {
		return NewDocument(credential.Entry{Pattern: credential.MustPattern("quay.io"), Credential: credential.Credential{Username: "u", Password: "p"}, Email: "nel\u0085\u2028\U0001F600@example.com"})
	}, wantFile: "/home/core/.docker/config.json", wantUser: "core"},
}

// butaneGolden compares got with testdata/butane/name, or rewrites it.
func butaneGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "butane", name)
	if *butaneUpdate {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update-butane)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from golden (-want +got):\n%s", name, diff)
	}
}

// butaneEncode encodes and returns the Butane config and, in source mode,
// the config.json to upload.
func butaneEncode(t *testing.T, c Butane, d *Document) (bu File, rest []File) {
	t.Helper()
	files, err := c.Encode(d)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	again, _ := c.Encode(d)
	if !cmp.Equal(files, again) {
		t.Fatal("Encode is not deterministic")
	}
	return files[0], files[1:]
}

func TestButaneGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range butaneCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bu, rest := butaneEncode(t, tc.codec, tc.doc())
			butaneGolden(t, tc.name+".bu", bu.Data)
			wantPath, wantMode := "", 0o600
			if tc.codec.SourceURL != "" {
				wantPath, wantMode = "config.bu", 0o644
				if len(rest) != 1 || rest[0].Path != "config.json" || rest[0].Mode != 0o600 {
					t.Fatalf("source mode must also return config.json 0600, got %+v", rest)
				}
				butaneGolden(t, tc.name+".config.json", rest[0].Data)
			}
			if bu.Path != wantPath || int(bu.Mode) != wantMode {
				t.Errorf("Butane file: path %q mode %o, want %q %o", bu.Path, bu.Mode, wantPath, wantMode)
			}
		})
	}
}

// butaneTranslate runs the real butane translator, failing on any error
// or warning, and returns the Ignition config.
func butaneTranslate(t *testing.T, bu []byte) types.Config {
	t.Helper()
	ign, report, err := config.TranslateBytes(bu, common.TranslateBytesOptions{})
	if err != nil {
		t.Fatalf("butane: %v\n%s", err, report)
	}
	if len(report.Entries) > 0 {
		t.Fatalf("butane reported:\n%s", report)
	}
	var cfg types.Config
	if err := json.Unmarshal(ign, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Ignition.Version != "3.3.0" {
		t.Errorf("Ignition version %q, want 3.3.0 (flatcar 1.0.0)", cfg.Ignition.Version)
	}
	return cfg
}

// butaneContents decodes a data URL as Ignition does, gunzipping what
// butane compressed.
func butaneContents(t *testing.T, f types.File) []byte {
	t.Helper()
	if f.Contents.Source == nil {
		t.Fatalf("%s: no contents", f.Path)
	}
	u, err := dataurl.DecodeString(*f.Contents.Source)
	if err != nil {
		t.Fatalf("%s: %v", f.Path, err)
	}
	data := u.Data
	if f.Contents.Compression != nil && *f.Contents.Compression == "gzip" {
		r, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// TestButaneTranslates is the real-consumer test: butane v0.27 accepts
// every output without a warning, and the Ignition config writes exactly
// config.json, 0600, owned by the right user, in directories of its own.
func TestButaneTranslates(t *testing.T) {
	t.Parallel()
	for _, tc := range butaneCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bu, rest := butaneEncode(t, tc.codec, tc.doc())
			cfg := butaneTranslate(t, bu.Data)
			want, err := butaneDockerConfig(tc.doc().Entries())
			if err != nil {
				t.Fatal(err)
			}
			files := map[string]types.File{}
			for _, f := range cfg.Storage.Files {
				files[f.Path] = f
				if f.Mode == nil || *f.Mode != 0o600 {
					t.Errorf("%s: mode %v, want 384 (0600)", f.Path, f.Mode)
				}
			}
			f, ok := files[tc.wantFile]
			if !ok {
				t.Fatalf("no file %s in %v", tc.wantFile, cfg.Storage.Files)
			}
			if got := butaneStr(f.User.Name); got != tc.wantUser {
				t.Errorf("user %q, want %q", got, tc.wantUser)
			}
			if tc.codec.SourceURL == "" {
				if got := butaneContents(t, f); !bytes.Equal(got, want) {
					t.Errorf("contents differ from config.json:\n%s\nwant\n%s", got, want)
				}
			} else {
				sum := sha512.Sum512(rest[0].Data)
				if !bytes.Equal(rest[0].Data, want) {
					t.Error("returned config.json differs from the rendered config")
				}
				if butaneStr(f.Contents.Source) != tc.codec.SourceURL || butaneStr(f.Contents.Verification.Hash) != "sha512-"+hex.EncodeToString(sum[:]) {
					t.Errorf("source %q hash %q do not name config.json", butaneStr(f.Contents.Source), butaneStr(f.Contents.Verification.Hash))
				}
			}
			for _, d := range cfg.Storage.Directories {
				if d.Mode == nil || *d.Mode != 0o700 || butaneStr(d.User.Name) != tc.wantUser {
					t.Errorf("directory %s: mode %v user %q, want 0700 %q", d.Path, d.Mode, butaneStr(d.User.Name), tc.wantUser)
				}
			}
			if tc.codec.RktFiles {
				rkt, _ := Rkt{}.Encode(tc.doc())
				for _, r := range rkt {
					if got := butaneContents(t, files["/etc/rkt/auth.d/"+r.Path]); !bytes.Equal(got, r.Data) {
						t.Errorf("rkt file %s differs:\n%s", r.Path, got)
					}
				}
			}
		})
	}
}

func butaneStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestButaneRoundTrip: Encode then Decode gives back the same patterns,
// credentials and e-mails (source mode needs the uploaded config.json).
func TestButaneRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range butaneCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := tc.doc()
			files, err := tc.codec.Encode(d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.codec.Decode(files)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := NewDocument()
			seen := map[credential.Pattern]bool{}
			for _, e := range d.Entries() {
				if !seen[e.Pattern] {
					seen[e.Pattern] = true
					want.Set.Add(e)
				}
			}
			opts := cmp.Options{cmpopts.IgnoreFields(credential.Entry{}, "Source"), cmpopts.SortSlices(func(a, b credential.Entry) bool { return a.Pattern.String() < b.Pattern.String() })}
			if diff := cmp.Diff(want.Entries(), got.Entries(), opts); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			for _, e := range got.Entries() {
				if e.Source.Label != "butane" || e.Source.Key == "" || !strings.HasPrefix(e.Source.Via, "storage.files[") {
					t.Errorf("source %+v does not say where the entry came from", e.Source)
				}
			}
		})
	}
}

// TestButaneDecodeSource: without the served file there is nothing to
// read, which is not an error.
func TestButaneDecodeSource(t *testing.T) {
	t.Parallel()
	c := Butane{SourceURL: "https://user:pw@internal.example.com/cfg.json?X-Amz-Signature=abc"}
	files, err := c.Encode(butaneSampleDoc())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Butane{}.Decode(files[:1])
	if err != nil {
		t.Fatal(err)
	}
	want := []Object{{Kind: "ButaneSource", Name: "https://internal.example.com/cfg.json", File: "config.bu"}}
	if diff := cmp.Diff(want, doc.Objects); diff != "" || doc.Set.Len() != 0 {
		t.Errorf("objects (-want +got):\n%s\nentries %d", diff, doc.Set.Len())
	}
}

func TestButaneEncodeErrors(t *testing.T) {
	t.Parallel()
	helper := NewDocument(credential.Entry{Pattern: credential.MustPattern("quay.io"), Helper: "pass"})
	glob := NewDocument(credential.Entry{Pattern: credential.MustPattern("*.example.com"), Credential: credential.Credential{Username: "u", Password: "p"}})
	tests := []struct {
		name  string
		codec Butane
		doc   *Document
		want  string
		is    error
	}{
		{name: "helper entry", doc: helper, want: "docker-credential-pass", is: ErrHelperEntry},
		{name: "relative path", codec: Butane{Path: "home/core/config.json"}, doc: butaneSampleDoc(), want: "absolute"},
		{name: "unclean path", codec: Butane{Path: "/home/core/../x/config.json"}, doc: butaneSampleDoc(), want: "absolute, clean"},
		{name: "bad url", codec: Butane{SourceURL: "ftp://x/c.json"}, doc: butaneSampleDoc(), want: "Ignition fetches"},
		{name: "rkt cannot express glob", codec: Butane{RktFiles: true}, doc: glob, want: "rkt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.codec.Encode(tc.doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestButaneScalars: odd user names, paths and URLs stay strings that
// butane reads back unchanged.
func TestButaneScalars(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"core", "1000", "yes", "null", "0o600", "a: b", "#x", "-x", "é", "x\u2028y", "https://h/p?a=b&c=d#f", `q"\`} {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			c := Butane{User: s, SourceURL: "https://h/c.json"}
			bu, _ := butaneEncode(t, c, butaneSampleDoc())
			cfg := butaneTranslate(t, bu.Data)
			if got := butaneStr(cfg.Storage.Files[0].User.Name); got != s {
				t.Errorf("user read back as %q", got)
			}
		})
	}
}
