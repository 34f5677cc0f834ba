package format

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-cmp/cmp"
	"github.com/regauth/regauth/credential"
)

var mesosUpdate = flag.Bool("update-mesos", false, "rewrite format/testdata/mesos golden files")

const mesosSecret = "s3cr3t-PLANTED-mesos"

func mesosTestDoc() *Document {
	return NewDocument(
		credential.Entry{Pattern: credential.MustPattern("some.docker.host.com"), Credential: credential.Credential{Username: "foo", Password: mesosSecret}, Email: "foo@bar.com"},
		credential.Entry{Pattern: credential.MustPattern("docker.io"), Credential: credential.Credential{Username: "myuser@domain.com", Password: mesosSecret}},
		credential.Entry{Pattern: credential.MustPattern("registry.example.io:5000"), Credential: credential.Credential{Username: credential.TokenUsername, IdentityToken: mesosSecret}},
	)
}

// mesosTestMember is a member for mesosTar; typ 0 means a regular file.
type mesosTestMember struct {
	name string
	typ  byte
	mode int64
	data string
	link string
	size int64 // header size when it should differ from len(data)
}

// mesosTar builds a .tar.gz the way people do by hand.
func mesosTar(t testing.TB, members ...mesosTestMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		typ := m.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		size := int64(len(m.data))
		if typ != tar.TypeReg {
			size = 0
		}
		h := &tar.Header{Name: m.name, Typeflag: typ, Mode: m.mode, Size: size, Linkname: m.link, Uname: "root", Gname: "root"}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(m.data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const mesosCfg = `{"auths":{"quay.io":{"auth":"Zm9vOnMzY3IzdC1QTEFOVEVELW1lc29z","email":"foo@bar.com"}}}` // foo:s3cr3t-PLANTED-mesos

func mesosEncode(t *testing.T) File {
	t.Helper()
	files, err := Mesos{}.Encode(mesosTestDoc())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != "" || files[0].Mode != 0o600 {
		t.Fatalf("want one 0600 stream, got %d files", len(files))
	}
	return files[0]
}

func TestMesosEncodeDeterministic(t *testing.T) {
	t.Parallel()
	a, b := mesosEncode(t), mesosEncode(t)
	if !bytes.Equal(a.Data, b.Data) {
		t.Fatal("two encodings differ")
	}
	rktGolden(t, *mesosUpdate, filepath.Join("testdata", "mesos", "encode"), MesosTarballName, []File{a})
	sum := sha256.Sum256(a.Data)
	t.Logf("sha256 %s", hex.EncodeToString(sum[:]))
	// The gzip header has no name and no mtime.
	if a.Data[3] != 0 || !bytes.Equal(a.Data[4:8], []byte{0, 0, 0, 0}) {
		t.Errorf("gzip header carries flags %x or mtime %x", a.Data[3], a.Data[4:8])
	}
}

func TestMesosRoundTrip(t *testing.T) {
	t.Parallel()
	f := mesosEncode(t)
	f.Path = MesosTarballName
	doc, err := Mesos{}.Decode([]File{f})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(mesosSorted(mesosTestDoc().Entries()), mesosSorted(doc.Entries()), rktCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, e := range doc.Entries() {
		if e.Source.Label != "mesos" || e.Source.File != MesosTarballName || e.Source.Via != "auths" {
			t.Errorf("%s: source %+v", e.Pattern, e.Source)
		}
	}
}

func mesosSorted(es []credential.Entry) []credential.Entry {
	out := append([]credential.Entry(nil), es...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Pattern.String() < out[i].Pattern.String() {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestMesosDockerCLI loads the archive's config.json with docker's own
// loader, which is what runs inside the sandbox.
func TestMesosDockerCLI(t *testing.T) {
	t.Parallel()
	ms, p := mesosRead(mesosEncode(t))
	if p != nil {
		t.Fatal(p.err)
	}
	m, ok := mesosFind(ms, mesosConfig, false)
	if !ok {
		t.Fatal("no .docker/config.json")
	}
	cf := configfile.New("config.json")
	if err := cf.LoadFromReader(bytes.NewReader(m.data)); err != nil {
		t.Fatal(err)
	}
	auths := cf.GetAuthConfigs()
	if a := auths["some.docker.host.com"]; a.Username != "foo" || a.Password != mesosSecret {
		t.Errorf("docker reads some.docker.host.com as user %q", a.Username)
	}
	if a := auths[credential.DockerHubKey]; a.Username != "myuser@domain.com" || a.Password != mesosSecret {
		t.Errorf("docker reads Docker Hub as user %q", a.Username)
	}
	if a := auths["registry.example.io:5000"]; a.IdentityToken != mesosSecret {
		t.Error("docker does not see the identity token")
	}
}

// TestMesosSystemTar lists the archive with the system tar, as the DC/OS
// documentation does to check it.
func TestMesosSystemTar(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("no tar binary")
	}
	p := filepath.Join(t.TempDir(), MesosTarballName)
	if err := os.WriteFile(p, mesosEncode(t).Data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-tvzf", p).CombinedOutput()
	if err != nil {
		t.Fatalf("tar -tvzf: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^drwx------ root/root +0 1970-01-01 00:00 \.docker/$`),
		regexp.MustCompile(`^-rw------- root/root +\d+ 1970-01-01 00:00 \.docker/config\.json$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("tar lists %d members:\n%s", len(lines), out)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %s", i, lines[i], re)
		}
	}
	dir := t.TempDir()
	if out, err := exec.Command(bin, "-xzf", p, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar -xzf: %v\n%s", err, out)
	}
	cf := configfile.New("config.json")
	data, err := os.ReadFile(filepath.Join(dir, ".docker", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cf.LoadFromReader(bytes.NewReader(data)); err != nil || cf.GetAuthConfigs()["some.docker.host.com"].Password != mesosSecret {
		t.Errorf("extracted config does not load: %v", err)
	}
}

func TestMesosDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		data    []byte
		want    string // pattern decoded, or "" for an error
		errRule string // substring of the error
	}{
		{"tar -czf .docker", mesosTar(t, mesosTestMember{name: ".docker/", typ: tar.TypeDir, mode: 0o700}, mesosTestMember{name: ".docker/config.json", mode: 0o600, data: mesosCfg}), "quay.io", ""},
		{"dot slash", mesosTar(t, mesosTestMember{name: "./", typ: tar.TypeDir, mode: 0o755}, mesosTestMember{name: "./.docker/config.json", mode: 0o600, data: mesosCfg}), "quay.io", ""},
		{"top-level config.json", mesosTar(t, mesosTestMember{name: "config.json", mode: 0o600, data: mesosCfg}), "quay.io", ""},
		{"not gzip", []byte(mesosCfg), "", "not a gzip archive"},
		{"dotdot", mesosTar(t, mesosTestMember{name: "../.docker/config.json", data: mesosCfg}), "", "outside the sandbox"},
		{"nested dotdot", mesosTar(t, mesosTestMember{name: ".docker/../../x", data: mesosCfg}), "", "outside the sandbox"},
		{"absolute", mesosTar(t, mesosTestMember{name: "/root/.docker/config.json", data: mesosCfg}), "", "outside the sandbox"},
		{"symlink", mesosTar(t, mesosTestMember{name: ".docker/config.json", typ: tar.TypeSymlink, link: "/etc/shadow"}), "", "is a link"},
		{"hardlink", mesosTar(t, mesosTestMember{name: ".docker/config.json", typ: tar.TypeLink, link: "x"}), "", "is a link"},
		{"device", mesosTar(t, mesosTestMember{name: ".docker/null", typ: tar.TypeChar}), "", "device"},
		{"too large", mesosTar(t, mesosTestMember{name: ".docker/config.json", data: strings.Repeat(" ", mesosMaxMember+1)}), "", "limit"},
		{"too many", mesosTar(t, mesosManyMembers(mesosMaxMembers+1)...), "", "more than"},
		{"no config", mesosTar(t, mesosTestMember{name: ".docker/", typ: tar.TypeDir}), "", "no .docker/config.json"},
		{"truncated", mesosEncodeBytes(t)[:40], "", "archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Mesos{}.Decode([]File{{Path: "docker.tar.gz", Data: tt.data}})
			if tt.want == "" {
				var fe *Error
				if !errors.As(err, &fe) || fe.File != "docker.tar.gz" || !strings.Contains(err.Error(), tt.errRule) {
					t.Fatalf("err = %v, want *Error naming docker.tar.gz and %q", err, tt.errRule)
				}
				if strings.Contains(err.Error(), mesosSecret) {
					t.Errorf("error reveals the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			es := doc.Entries()
			if len(es) != 1 || es[0].Pattern.String() != tt.want || es[0].Credential.Password != mesosSecret || es[0].Email != "foo@bar.com" {
				t.Errorf("decoded %v", es)
			}
		})
	}
}

func mesosEncodeBytes(t *testing.T) []byte { return mesosEncode(t).Data }

func mesosManyMembers(n int) []mesosTestMember {
	var ms []mesosTestMember
	for i := range n {
		ms = append(ms, mesosTestMember{name: ".docker/f" + strings.Repeat("x", i%7) + string(rune('a'+i%26)), data: "x"})
	}
	return ms
}

func TestMesosLint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data []byte
		want []string // "severity rule field"
	}{
		{"encoded", nil, nil},
		{"top-level config", mesosTar(t, mesosTestMember{name: "config.json", mode: 0o600, data: mesosCfg}), []string{"error mesos-config-path config.json"}},
		{"missing config", mesosTar(t, mesosTestMember{name: ".docker/", typ: tar.TypeDir, mode: 0o700}), []string{"error mesos-missing-config "}},
		{"modes", mesosTar(t, mesosTestMember{name: ".docker/", typ: tar.TypeDir, mode: 0o755}, mesosTestMember{name: ".docker/config.json", mode: 0o644, data: mesosCfg}),
			[]string{"warning mesos-mode .docker/", "warning mesos-mode .docker/config.json"}},
		{"not gzip", []byte("{}"), []string{"error mesos-not-gzip "}},
		{"unsafe", mesosTar(t, mesosTestMember{name: "../x", data: "x"}), []string{`error mesos-unsafe-member "../x"`}},
		{"too large", mesosTar(t, mesosTestMember{name: ".docker/config.json", data: strings.Repeat(" ", mesosMaxMember+1)}), []string{"error mesos-member-too-large .docker/config.json"}},
		{"too many", mesosTar(t, mesosManyMembers(mesosMaxMembers+1)...), []string{"error mesos-too-many-members "}},
		{"broken config", mesosTar(t, mesosTestMember{name: ".docker/", typ: tar.TypeDir, mode: 0o700}, mesosTestMember{name: ".docker/config.json", mode: 0o600, data: `{"auths":{"quay.io":{"auth":"not base64!"}}}`}),
			[]string{`error invalid-base64 .docker/config.json.auths["quay.io"].auth`}},
		{"helper", mesosTar(t, mesosTestMember{name: ".docker/", typ: tar.TypeDir, mode: 0o700}, mesosTestMember{name: ".docker/config.json", mode: 0o600, data: `{"auths":{},"credsStore":"desktop"}`}),
			[]string{"warning mesos-helper .docker/config.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := tt.data
			if data == nil {
				data = mesosEncode(t).Data
			}
			var got []string
			for _, f := range (Mesos{}).Lint([]File{{Path: "docker.tar.gz", Data: data}}) {
				got = append(got, string(f.Severity)+" "+f.Rule+" "+f.Field)
				if f.File != "docker.tar.gz" || f.Message == "" || f.Hint == "" || strings.Contains(f.String(), mesosSecret) {
					t.Errorf("bad finding %s", f)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMesosSniff(t *testing.T) {
	t.Parallel()
	if !(Mesos{}).Sniff(mesosEncode(t)) {
		t.Error("own archive not recognised")
	}
	if (Mesos{}).Sniff(File{Data: mesosTar(t, mesosTestMember{name: "app.jar", data: "x"})}) {
		t.Error("unrelated archive taken for credentials")
	}
}

func FuzzDecodeMesos(f *testing.F) {
	var enc []byte
	if files, err := (Mesos{}).Encode(mesosTestDoc()); err == nil {
		enc = files[0].Data
	}
	f.Add(enc)
	f.Add(mesosTar(f, mesosTestMember{name: "./.docker/config.json", data: mesosCfg}))
	f.Add(mesosTar(f, mesosTestMember{name: "config.json", data: mesosCfg}))
	f.Add(mesosTar(f, mesosTestMember{name: "../config.json", data: mesosCfg}))
	f.Add(mesosTar(f, mesosTestMember{name: ".docker/config.json", typ: tar.TypeSymlink, link: "/etc/passwd"}))
	f.Add([]byte(mesosCfg))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := []File{{Path: "docker.tar.gz", Data: data}}
		if _, err := (Mesos{}).Decode(in); err != nil && strings.Contains(err.Error(), mesosSecret) {
			t.Errorf("error reveals the secret: %v", err)
		}
		for _, finding := range (Mesos{}).Lint(in) {
			if strings.Contains(finding.String(), mesosSecret) {
				t.Errorf("finding reveals the secret: %s", finding)
			}
		}
		_ = (Mesos{}).Sniff(in[0])
	})
}
