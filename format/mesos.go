package format

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/regauth/regauth/dockerconfig"
)

// Mesos is the credential tarball Mesos and DC/OS fetch into a task's
// sandbox: docker.tar.gz holding .docker/ (0700) and .docker/config.json
// (0600). The docker containerizer runs `docker pull` with HOME set to the
// sandbox, so the config must sit at .docker/config.json inside it.
//
// Encode writes one stream (File.Path "", conventionally saved as
// MesosTarballName) with deterministic bytes: USTAR members in name order,
// owner root/root (uid/gid 0), mtime MesosEpoch, and a gzip header without
// name or mtime, so the same credentials always give the same sha256 and a
// fetcher cache or config-management diff does not churn.
//
// Decode reads untrusted archives: it rejects non-gzip input, absolute
// names, "..", links, devices, members over 1 MiB and archives over 64
// members. It reads .docker/config.json (a leading "./" is allowed, as
// `tar -czf x.tgz ./.docker` writes); a config.json at the top level is
// accepted too, because the intent is plain, but Lint reports it as an
// error since Mesos would never find it there.
type Mesos struct{}

var (
	_ Codec   = Mesos{}
	_ Sniffer = Mesos{}
	_ Linter  = Mesos{}
)

// MesosTarballName is the archive name the DC/OS documentation uses.
const MesosTarballName = "docker.tar.gz"

// MesosEpoch is the modification time of every member Encode writes.
var MesosEpoch = time.Unix(0, 0).UTC()

const (
	mesosDir        = ".docker"
	mesosConfig     = ".docker/config.json"
	mesosMaxMember  = 1 << 20
	mesosMaxMembers = 64
)

// Name implements Codec.
func (Mesos) Name() string { return "mesos" }

// mesosDockerConfig renders entries as a flattened docker config.json,
// first entry per key, keys sorted (dockerconfig.Marshal sorts). The DC/OS
// codecs use it too.
func mesosDockerConfig(d *Document, format string) ([]byte, error) {
	entries, err := flattened(d, format)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: %w to write", format, ErrNoCredentials)
	}
	cfg := dockerconfig.New()
	cfg.Auths = map[string]*dockerconfig.AuthEntry{}
	for _, e := range entries {
		key := e.Pattern.Key()
		if _, dup := cfg.Auths[key]; dup {
			continue
		}
		a := &dockerconfig.AuthEntry{Email: e.Email}
		c := e.Credential
		a.SetCredentials(c.Username, c.Password, c.IdentityToken, c.RegistryToken)
		cfg.Auths[key] = a
	}
	return cfg.Marshal()
}

// mesosReadDockerConfig reads docker config JSON embedded at field of
// file, with its entries' sources pointing at file. Helper references are
// ignored: neither Mesos nor DC/OS can run credential helpers.
func mesosReadDockerConfig(label, file, field string, data []byte) (*Document, error) {
	cfg, err := dockerconfig.Parse(data)
	if err != nil {
		return nil, &Error{File: file, Field: field, Err: err}
	}
	entries, problems := cfg.AuthEntries(dockerconfig.Source{Label: label}, "")
	if len(problems) > 0 {
		return nil, errorf(file, field, "%s", strings.TrimPrefix(problems[0].Error(), ": "))
	}
	if len(entries) == 0 {
		return nil, errorf(file, field, "%w: the docker config has no auths entries", ErrNoCredentials)
	}
	doc := NewDocument()
	for _, e := range entries {
		e.Source.File = file
		doc.Set.Add(e)
	}
	return doc, nil
}

// Encode implements Encoder.
func (Mesos) Encode(d *Document) ([]File, error) {
	cfg, err := mesosDockerConfig(d, "mesos")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	hdr := func(name string, typ byte, mode int64, size int) *tar.Header {
		return &tar.Header{Name: name, Typeflag: typ, Mode: mode, Size: int64(size), ModTime: MesosEpoch,
			Uname: "root", Gname: "root", Format: tar.FormatUSTAR}
	}
	if err := tw.WriteHeader(hdr(mesosDir+"/", tar.TypeDir, 0o700, 0)); err != nil {
		return nil, fmt.Errorf("mesos: %w", err)
	}
	if err := tw.WriteHeader(hdr(mesosConfig, tar.TypeReg, 0o600, len(cfg))); err != nil {
		return nil, fmt.Errorf("mesos: %w", err)
	}
	if _, err := tw.Write(cfg); err != nil {
		return nil, fmt.Errorf("mesos: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("mesos: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("mesos: %w", err)
	}
	return []File{{Path: "", Mode: 0o600, Data: buf.Bytes()}}, nil
}

// mesosMember is one archive member as read.
type mesosMember struct {
	name string // cleaned: no leading "./", no trailing "/"
	dir  bool
	perm fs.FileMode
	data []byte
}

// mesosProblem is a read failure with the lint rule it belongs to.
type mesosProblem struct {
	rule string
	err  *Error
}

// mesosRead lists an archive's members safely. Names are not secrets, so
// errors quote them.
func mesosRead(f File) ([]mesosMember, *mesosProblem) {
	fail := func(rule, field, format string, a ...any) *mesosProblem {
		return &mesosProblem{rule, &Error{File: f.Path, Field: field, Err: fmt.Errorf(format, a...)}}
	}
	if len(f.Data) < 2 || f.Data[0] != 0x1f || f.Data[1] != 0x8b {
		what := "not a gzip archive"
		if bytes.HasPrefix(bytes.TrimSpace(f.Data), []byte("{")) {
			what += " (it looks like a bare config.json)"
		}
		return nil, fail("mesos-not-gzip", "", "%s: Mesos credentials are a .tar.gz of .docker/config.json", what)
	}
	zr, err := gzip.NewReader(bytes.NewReader(f.Data))
	if err != nil {
		return nil, fail("mesos-corrupt", "", "unreadable gzip header: %v", err)
	}
	tr := tar.NewReader(zr)
	var out []mesosMember
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fail("mesos-corrupt", "", "broken archive after %d members: %v", len(out), err)
		}
		if len(out) == mesosMaxMembers {
			return nil, fail("mesos-too-many-members", "", "more than %d members; a credential archive holds two", mesosMaxMembers)
		}
		name, ok := mesosCleanName(h.Name)
		if !ok {
			return nil, fail("mesos-unsafe-member", fmt.Sprintf("%.100q", h.Name), "absolute or '..' member name: extracting it would write outside the sandbox")
		}
		m := mesosMember{name: name, perm: fs.FileMode(h.Mode) & fs.ModePerm}
		switch h.Typeflag {
		case tar.TypeDir:
			m.dir = true
		case tar.TypeReg, '\x00':
			if h.Size > mesosMaxMember {
				return nil, fail("mesos-member-too-large", name, "%d bytes, over the %d-byte limit for a credential file", h.Size, mesosMaxMember)
			}
			if m.data, err = io.ReadAll(io.LimitReader(tr, mesosMaxMember+1)); err != nil {
				return nil, fail("mesos-corrupt", name, "unreadable: %v", err)
			}
		case tar.TypeSymlink, tar.TypeLink:
			return nil, fail("mesos-unsafe-member", name, "is a link; a credential archive holds only a directory and a file, and links can point outside the sandbox")
		default:
			return nil, fail("mesos-unsafe-member", name, "is a device, fifo or other special member (type %q), which a credential archive never holds", h.Typeflag)
		}
		out = append(out, m)
	}
	return out, nil
}

// mesosCleanName strips "./" prefixes and trailing slashes, and rejects
// names that escape the extraction directory.
func mesosCleanName(name string) (string, bool) {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") {
		return "", false
	}
	for strings.HasPrefix(name, "./") {
		name = name[2:]
	}
	name = strings.TrimRight(name, "/")
	if name == "" || name == "." {
		return ".", true // the extraction directory itself, as `tar -czf x .` writes
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return "", false
		}
	}
	return path.Clean(name), true
}

// mesosFind returns the last member named name (tar -x keeps the last).
func mesosFind(ms []mesosMember, name string, dir bool) (mesosMember, bool) {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].name == name && ms[i].dir == dir {
			return ms[i], true
		}
	}
	return mesosMember{}, false
}

// Decode implements Decoder.
func (Mesos) Decode(files []File) (*Document, error) {
	if len(files) != 1 {
		return nil, fmt.Errorf("mesos: want one archive, got %d files", len(files))
	}
	f := files[0]
	ms, p := mesosRead(f)
	if p != nil {
		return nil, p.err
	}
	m, ok := mesosFind(ms, mesosConfig, false)
	if !ok {
		if m, ok = mesosFind(ms, "config.json", false); !ok {
			return nil, errorf(f.Path, "", "%w: the archive has no .docker/config.json", ErrNoCredentials)
		}
	}
	return mesosReadDockerConfig("mesos", f.Path, m.name, m.data)
}

// Sniff implements Sniffer: a gzip stream whose first member is .docker
// or config.json.
func (Mesos) Sniff(f File) bool {
	if len(f.Data) < 2 || f.Data[0] != 0x1f || f.Data[1] != 0x8b {
		return false
	}
	zr, err := gzip.NewReader(bytes.NewReader(f.Data))
	if err != nil {
		return false
	}
	h, err := tar.NewReader(io.LimitReader(zr, 1<<16)).Next()
	if err != nil {
		return false
	}
	name, ok := mesosCleanName(h.Name)
	return ok && (name == mesosDir || name == mesosConfig || name == "config.json")
}

// Lint implements Linter. Rules: mesos-not-gzip, mesos-corrupt,
// mesos-unsafe-member, mesos-member-too-large, mesos-too-many-members,
// mesos-missing-config, mesos-config-path, mesos-mode, mesos-helper, plus
// LintDockerConfigJSON's rules on the config.
func (Mesos) Lint(files []File) []Finding {
	var out []Finding
	for _, f := range files {
		ms, p := mesosRead(f)
		if p != nil {
			out = append(out, Finding{Severity: SevError, Rule: p.rule, File: f.Path, Field: p.err.Field, Message: p.err.Err.Error(),
				Hint: "rebuild it: `cd ~ && tar -czf docker.tar.gz .docker`, or `regauth export --format mesos`"})
			continue
		}
		m, ok := mesosFind(ms, mesosConfig, false)
		if !ok {
			if top, found := mesosFind(ms, "config.json", false); found {
				out = append(out, Finding{Severity: SevError, Rule: "mesos-config-path", File: f.Path, Field: top.name,
					Message: "config.json is at the top of the archive; Mesos extracts into the sandbox and docker reads $HOME/.docker/config.json, so it is never found",
					Hint:    "archive the directory, not the file: `cd ~ && tar -czf docker.tar.gz .docker`"})
				out = append(out, LintDockerConfigJSON(f.Path, top.name, top.data, false)...)
				continue
			}
			out = append(out, Finding{Severity: SevError, Rule: "mesos-missing-config", File: f.Path,
				Message: "the archive holds no .docker/config.json, so pulls run without credentials",
				Hint:    "`cd ~ && tar -czf docker.tar.gz .docker` after `docker login`, or `regauth export --format mesos`"})
			continue
		}
		if dir, ok := mesosFind(ms, mesosDir, true); ok && dir.perm != 0o700 {
			out = append(out, Finding{Severity: SevWarning, Rule: "mesos-mode", File: f.Path, Field: mesosDir + "/",
				Message: fmt.Sprintf("has mode %04o; other users on the agent can list the extracted sandbox copy", dir.perm), Hint: "`chmod 700 ~/.docker` before archiving"})
		}
		if m.perm != 0o600 {
			out = append(out, Finding{Severity: SevWarning, Rule: "mesos-mode", File: f.Path, Field: mesosConfig,
				Message: fmt.Sprintf("has mode %04o; the extracted credentials are readable beyond their owner", m.perm), Hint: "`chmod 600 ~/.docker/config.json` before archiving"})
		}
		out = append(out, LintDockerConfigJSON(f.Path, mesosConfig, m.data, false)...)
		out = append(out, mesosHelperFindings("mesos-helper", f.Path, mesosConfig, m.data)...)
	}
	return out
}

// mesosHelperFindings warns about credsStore/credHelpers, which Mesos and
// DC/OS cannot run (the DC/OS documentation says so).
func mesosHelperFindings(rule, file, field string, data []byte) []Finding {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil || !hasHelpers(top) {
		return nil
	}
	return []Finding{{Severity: SevWarning, Rule: rule, File: file, Field: field,
		Message: "names a credential helper (credsStore/credHelpers), which Mesos and DC/OS do not run, so those registries get no credentials",
		Hint:    "export flattened credentials: `regauth export --format mesos` resolves helpers into the file"}}
}
