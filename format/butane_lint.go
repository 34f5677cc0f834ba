package format

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// butaneHashSyntax is what Ignition 3.3 (Flatcar's Butane 1.0.0 and 1.1.0
// translate to it or later) accepts in verification.hash.
var butaneHashSyntax = regexp.MustCompile(`^(sha512-[0-9a-fA-F]{128}|sha256-[0-9a-fA-F]{64})$`)

// butaneFlatcarVersions are the Flatcar specs butane v0.27 translates.
var butaneFlatcarVersions = map[string]bool{"1.0.0": true, "1.1.0": true, "1.2.0-experimental": true}

// Lint finds the mistakes of Butane configs that write registry
// credentials. Files given beside a config are what its `local` and
// `source` contents refer to (by path, or by the URL's base name), so
// their hashes can be checked.
func (c Butane) Lint(files []File) []Finding {
	configs, others := c.butaneSplit(files)
	var out []Finding
	for _, cf := range configs {
		out = append(out, c.butaneLint(cf, others)...)
	}
	return out
}

func (c Butane) butaneLint(cf File, others []File) []Finding {
	var out []Finding
	add := func(sev Severity, rule, field, msg, hint string) {
		out = append(out, Finding{Severity: sev, Rule: rule, File: cf.Path, Field: field, Message: msg, Hint: hint})
	}
	bc, err := butaneParse(cf.Path, cf.Data)
	if err != nil {
		var field string
		if e, ok := err.(*Error); ok {
			field, err = e.Field, e.Err
		}
		add(SevError, "butane-not-yaml", field, err.Error(), "fix the YAML; `butane --strict config.bu` shows the line")
		return out
	}
	switch {
	case bc.Variant == nil || *bc.Variant == "" || bc.Version == nil || *bc.Version == "":
		add(SevError, "butane-variant", "", "has no variant or no version, so butane refuses it", "start the file with `variant: flatcar` and `version: 1.0.0`")
	case *bc.Variant != "flatcar":
		add(SevWarning, "butane-variant", "variant", fmt.Sprintf("is %s, not flatcar", butaneQuoteWord(*bc.Variant)), "for Flatcar Container Linux use `variant: flatcar` with `version: 1.0.0`; other variants target other systems")
	case !butaneFlatcarVersions[*bc.Version]:
		add(SevError, "butane-variant", "version", fmt.Sprintf("flatcar has no Butane spec %s", butaneQuoteWord(*bc.Version)), "use `version: 1.0.0` (or 1.1.0 for newer Flatcar releases)")
	case strings.HasSuffix(*bc.Version, "-experimental"):
		add(SevWarning, "butane-variant", "version", "is an experimental spec that may change incompatibly", "use `version: 1.0.0`")
	}
	dirs := map[string]butaneFile{}
	for _, d := range bc.Storage.Directories {
		dirs[path.Clean(d.Path)] = d
	}
	found := false
	for i, f := range bc.Storage.Files {
		at := func(sub string) string { return fmt.Sprintf("storage.files[%d]%s", i, sub) }
		out = append(out, butaneLintHash(cf.Path, at(".contents"), f, others)...)
		kind := c.butaneKind(f.Path)
		if kind == "" {
			continue
		}
		found = true
		switch {
		case f.Mode == nil:
			add(SevWarning, "butane-mode", at(""), fmt.Sprintf("%s has no mode, so Ignition writes it 0644 and every user on the node can read the registry password", f.Path), "add `mode: 0600`")
		case *f.Mode&0o077 != 0:
			add(SevWarning, "butane-mode", at(".mode"), fmt.Sprintf("is %04o: users other than the owner can read the registry password in %s", int(*f.Mode), f.Path), "use `mode: 0600` and make the user that runs docker the owner")
		}
		out = append(out, butaneLintOwner(cf.Path, at(""), f, dirs)...)
		ct := f.Contents
		if ct.Source != nil {
			u, _ := url.Parse(*ct.Source)
			if u != nil && (u.Scheme == "http" || u.Scheme == "tftp") {
				add(SevWarning, "butane-source-insecure", at(".contents.source"), fmt.Sprintf("downloads the credentials over %s, in clear text", u.Scheme), "serve config.json over https, or embed it with `regauth export --format butane` (contents.inline)")
			}
			if ct.Verification.Hash == nil {
				add(SevWarning, "butane-source-insecure", at(".contents"), "downloads the credentials without verification.hash, so any change at the source is written unnoticed", "add `verification: {hash: sha512-…}`; `regauth export --format butane --source-url URL` computes it")
			}
		}
		if data, ok := butaneContent(f, others); ok && kind == "docker" {
			field := at(".contents")
			if ct.Inline != nil {
				field += ".inline"
			}
			out = append(out, LintDockerConfigJSON(cf.Path, field, data, false)...)
		}
	}
	if !found {
		add(SevWarning, "butane-no-credentials", "storage.files", "writes no registry credentials", "write the registry credentials to /home/core/.docker/config.json (`regauth export --format butane`)")
	}
	return out
}

// butaneLintHash checks verification.hash: its syntax, and that it is the
// hash of the contents when they are known.
func butaneLintHash(file, field string, f butaneFile, others []File) []Finding {
	ct := f.Contents
	if ct.Verification.Hash == nil {
		return nil
	}
	h := *ct.Verification.Hash
	finding := func(rule, msg, hint string) []Finding {
		return []Finding{{Severity: SevError, Rule: rule, File: file, Field: field + ".verification.hash", Message: msg, Hint: hint}}
	}
	if !butaneHashSyntax.MatchString(h) {
		return finding("butane-hash-malformed", "is not sha512- followed by 128 hex digits (or sha256- and 64), so Ignition rejects the config", "compute it with `sha512sum config.json`, written as sha512-<hex>")
	}
	var data []byte
	var what string
	switch {
	case ct.Inline != nil:
		data, what = []byte(*ct.Inline), "the inline contents"
	case ct.Local != nil || ct.Source != nil:
		name := ""
		if ct.Local != nil {
			name = path.Clean(*ct.Local)
		} else if u, err := url.Parse(*ct.Source); err == nil && u.Path != "" {
			name = path.Base(u.Path)
		}
		for _, o := range others {
			if name != "" && (o.Path == name || path.Base(o.Path) == name) {
				data, what = o.Data, o.Path
				break
			}
		}
		if what == "" {
			return nil // the bytes are elsewhere; nothing to compare
		}
	default:
		return nil
	}
	if butaneHash(h, data) != strings.ToLower(h) {
		return finding("butane-hash-mismatch", fmt.Sprintf("does not match %s, so Ignition fails the boot when it writes %s", what, f.Path), "recompute the hash of exactly the bytes served (`sha512sum`), or re-export with regauth, which writes both")
	}
	return nil
}

// butaneLintOwner checks that a credentials file in a home directory, and
// the directories Ignition creates on the way to it, belong to that home's
// user: Ignition makes them root's otherwise.
func butaneLintOwner(file, field string, f butaneFile, dirs map[string]butaneFile) []Finding {
	home, name := butaneHome(f.Path)
	if home == "" || name == "root" || f.User.ID != nil {
		return nil
	}
	if f.User.Name != name {
		owner := "root (no user)"
		if f.User.Name != "" {
			owner = f.User.Name
		}
		return []Finding{{Severity: SevWarning, Rule: "butane-owner", File: file, Field: field + ".user",
			Message: fmt.Sprintf("%s is in %s's home but owned by %s: docker run as %s (the seed's systemd units use User=%s) cannot read a 0600 file", f.Path, name, owner, name, name),
			Hint:    fmt.Sprintf("add `user: {name: %s}` and `group: {name: %s}`", name, name)}}
	}
	var out []Finding
	for dir := path.Dir(path.Clean(f.Path)); dir != home && dir != "/"; dir = path.Dir(dir) {
		if d, ok := dirs[dir]; ok && (d.User.Name == name || d.User.ID != nil) {
			continue
		}
		out = append(out, Finding{Severity: SevWarning, Rule: "butane-parent-owner", File: file, Field: field + ".path",
			Message: fmt.Sprintf("Ignition creates %s owned by root, so %s cannot add or replace files in it later (docker login fails)", dir, name),
			Hint:    fmt.Sprintf("add a storage.directories entry: `path: %s`, `mode: 0700`, `user: {name: %s}`", dir, name)})
	}
	return out
}

// butaneQuoteWord quotes a value only when it looks like a spec version or
// a known variant: anything else might be a secret pasted into the field.
func butaneQuoteWord(v string) string {
	switch v {
	case "fcos", "flatcar", "openshift", "r4e", "fiot", "rhcos":
		return fmt.Sprintf("%q", v)
	}
	if butaneVersionRE.MatchString(v) {
		return fmt.Sprintf("%q", v)
	}
	return "(an unexpected value)"
}

var butaneVersionRE = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{1,3}){0,2}(-experimental)?$`)
