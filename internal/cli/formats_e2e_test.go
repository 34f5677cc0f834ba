package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// End-to-end tests of issue 3 through the commands: export, import,
// convert, lint and create secret, each run in-process as a user would.

// e2eCred is one credential the round-trip tests log in with.
type e2eCred struct {
	ref  string // what `regauth get` is asked for
	user string // "" for an identity token
	kind string
}

// e2eCreds: Docker Hub, host:port, a password holding a colon, and an
// identity token stored through the credential-helper protocol.
var e2eCreds = []e2eCred{
	{"docker.io/library/alpine", "hubuser", "basic"},
	{"registry.example.com:5000/team/app", "alice", "basic"},
	{"quay.io/org/app", "robot", "basic"},
	{"ghcr.io/octo/app", "", "identity-token"},
}

func seededEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.run(pw, "login", "-u", "hubuser", "--password-stdin", "--skip-verify").mustSucceed(t)
	e.run(pw, "login", "registry.example.com:5000", "-u", "alice", "--password-stdin", "--skip-verify").mustSucceed(t)
	e.run(pw+":x", "login", "quay.io", "-u", "robot", "--password-stdin", "--skip-verify").mustSucceed(t)
	e.runSecret(`{"ServerURL":"ghcr.io","Username":"<token>","Secret":"tok-Pl4nted"}`, "credential-helper", "store").mustSucceed(t)
	return e
}

// flatConfig is `regauth export -f dockerconfig`: the Set as bytes.
func flatConfig(t *testing.T, e *env) string {
	t.Helper()
	return e.runSecret("", "export", "-f", "dockerconfig").mustSucceed(t).out
}

func TestE2EExportImportEveryFormat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		args   []string // export flags after -f
		out    string   // file or directory name
		detect string   // codec named in the import summary
		mode   os.FileMode
		// rkt writes identity tokens as oauth tokens, which come back as
		// registry tokens (documented on format.Rkt).
		tokenKind string
	}{
		{"dockerconfig", []string{"dockerconfig"}, "config.json", "dockerconfig", 0o600, ""},
		// podman's auth.json is docker's JSON; detection cannot and need
		// not tell them apart.
		{"podman", []string{"podman"}, "auth.json", "dockerconfig", 0o600, ""},
		{"dockercfg", []string{"dockercfg"}, ".dockercfg", "dockercfg", 0o600, ""},
		{"kubesecret-yaml", []string{"kubesecret", "--name", "pull", "-n", "apps"}, "secret.yaml", "kubesecret", 0o600, ""},
		{"kubesecret-json", []string{"kubesecret", "--json"}, "secret.json", "kubesecret", 0o600, ""},
		{"kubesecret-dockercfg", []string{"kubesecret", "--type", "dockercfg"}, "legacy.yaml", "kubesecret", 0o600, ""},
		{"rkt", []string{"rkt"}, "auth.d", "rkt", 0, "registry-token"},
		{"mesos", []string{"mesos"}, "docker.tar.gz", "mesos", 0o600, ""},
		// docker_credentials is a docker config, recognised by its name.
		{"dcos-credentials", []string{"dcos-credentials"}, "docker_credentials", "dcos-credentials", 0o600, ""},
		{"dcos-config-inline", []string{"dcos-config", "--inline"}, "config.yaml", "dcos-config", 0o600, ""},
		{"butane-inline", []string{"butane"}, "config.bu", "butane", 0o600, ""},
		{"butane-rkt", []string{"butane", "--rkt"}, "config.bu", "butane", 0o600, ""},
		{"butane-source", []string{"butane", "--source-url", "https://files.example.com/node/config.json"}, "bu", "butane", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := seededEnv(t)
			out := filepath.Join(t.TempDir(), tc.out)
			r := src.run("", append([]string{"export", "-f"}, append(tc.args, "-o", out)...)...).mustSucceed(t)
			if !strings.Contains(r.err, "wrote ") {
				t.Errorf("export summary:\n%s", r.err)
			}
			if tc.mode != 0 {
				if st, err := os.Stat(out); err != nil || st.Mode().Perm() != tc.mode {
					t.Errorf("%s: mode %v (%v), want %v", out, st.Mode().Perm(), err, tc.mode)
				}
			}
			src.run("", "lint", out).mustSucceed(t)

			dst := newEnv(t)
			r = dst.run("", "import", out).mustSucceed(t)
			if want := "imported 4 credential(s) from " + out + " (" + tc.detect + ")"; !strings.Contains(r.err, want) {
				t.Fatalf("import summary, want %q:\n%s", want, r.err)
			}
			for _, c := range e2eCreds {
				got := dst.run("", "get", c.ref).mustSucceed(t).out
				kind := c.kind
				if kind == "identity-token" && tc.tokenKind != "" {
					kind = tc.tokenKind
				}
				if !strings.Contains(got, "username:  "+dash(c.user)+"\n") || !strings.Contains(got, "kind:      "+kind+"\n") {
					t.Errorf("get %s after import, want user %q kind %s:\n%s", c.ref, c.user, kind, got)
				}
			}
			want, got := flatConfig(t, src), flatConfig(t, dst)
			if tc.tokenKind == "registry-token" {
				want = strings.Replace(want, `"identitytoken"`, `"registrytoken"`, 1)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip through %s changed the Set (-exported +imported):\n%s", tc.name, diff)
			}
		})
	}
}

func TestE2EExportDeterministicTarball(t *testing.T) {
	t.Parallel()
	e := seededEnv(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.tar.gz"), filepath.Join(dir, "b.tar.gz")
	e.run("", "export", "-f", "mesos", "-o", a).mustSucceed(t)
	e.run("", "export", "-f", "mesos", "-o", b).mustSucceed(t)
	if readFile(t, a) != readFile(t, b) {
		t.Fatal("two exports of the same credentials give different tarballs")
	}
	// The tarball on stdin is detected too.
	r := newEnv(t).run(readFile(t, a), "import", "-").mustSucceed(t)
	if !strings.Contains(r.err, "(mesos)") {
		t.Fatalf("import - of a tarball:\n%s", r.err)
	}
}

// What a format cannot express is refused with a clear error, not dropped.
func TestE2EExportRefusesWhatFormatsCannotHold(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Run("rkt path", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.run(pw, "login", "registry.example.com/team", "-u", "t", "--password-stdin", "--skip-verify").mustSucceed(t)
		e.run("", "export", "-f", "rkt", "-o", filepath.Join(dir, "path.d")).mustFail(t, ExitError, "registry.example.com/team", "repository path or wildcard cannot be expressed", "--registry registry.example.com")
	})
	t.Run("rkt wildcard", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		globs := filepath.Join(t.TempDir(), "globs.json")
		writeConfig(t, globs, `{"auths": {"*.example.org": {"auth": "Zzp4"}}}`)
		e.run("", "import", globs).mustSucceed(t)
		e.run("", "export", "-f", "rkt", "-o", filepath.Join(dir, "glob.d")).mustFail(t, ExitError, "*.example.org", "cannot be expressed")
	})
	t.Run("rkt dockerAuth token", func(t *testing.T) {
		t.Parallel()
		e := seededEnv(t)
		e.run("", "export", "-f", "rkt", "--docker-auth", "-o", filepath.Join(dir, "da.d")).mustFail(t, ExitError, "ghcr.io", "user and password only")
		out := filepath.Join(dir, "da-ok.d")
		e.run("", "export", "-f", "rkt", "--docker-auth", "-r", "quay.io", "-r", "docker.io", "-o", out).mustSucceed(t)
		dst := newEnv(t)
		dst.run("", "import", out).mustSucceed(t)
		if got := dst.run("", "get", "quay.io/x/y").mustSucceed(t).out; !strings.Contains(got, "username:  robot") {
			t.Errorf("dockerAuth round trip:\n%s", got)
		}
	})
	t.Run("dockercfg helper", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.installFakeHelper()
		writeConfig(t, e.configPath(), `{"credHelpers": {"gcr.io": "test"}}`)
		e.run(pw, "login", "gcr.io", "-u", "_json_key", "--password-stdin", "--skip-verify").mustSucceed(t)
		e.run("", "export", "-f", "dockercfg", "--keep-helpers").mustFail(t, ExitError, "docker-credential-test", "cannot reference helpers", "hint:")
		e.run("", "convert", "--to", "dockercfg", e.configPath()).mustFail(t, ExitError, "gcr.io", "docker-credential-test", "hint:")
		// Flattened by default, so the same export works.
		if got := e.runSecret("", "export", "-f", "dockercfg").mustSucceed(t).out; !strings.Contains(got, `"gcr.io"`) {
			t.Errorf("flattened dockercfg:\n%s", got)
		}
	})
	t.Run("nothing stored", func(t *testing.T) {
		t.Parallel()
		newEnv(t).run("", "export", "-f", "kubesecret").mustFail(t, ExitError, "no stored credentials", "hint: log in first")
	})
	t.Run("directory format to stdout", func(t *testing.T) {
		t.Parallel()
		seededEnv(t).run("", "export", "-f", "rkt").mustFail(t, ExitUsage, "-o DIR")
	})
}

// dockercfg -> kubesecret -> butane -> dockerconfig gives back docker's
// config byte for byte; the middle steps read standard input.
func TestE2EConvertChain(t *testing.T) {
	t.Parallel()
	e := seededEnv(t)
	orig := flatConfig(t, e)
	dir := t.TempDir()
	legacy := filepath.Join(dir, "legacy.dockercfg")
	e.run("", "export", "-f", "dockercfg", "-o", legacy).mustSucceed(t)

	secret := e.run("", "convert", "--to", "kubesecret", "--type", "dockercfg", "--name", "chain", legacy).mustSucceed(t).out
	if !strings.Contains(secret, "type: kubernetes.io/dockercfg") || !strings.Contains(secret, "name: chain") {
		t.Fatalf("kubesecret step:\n%s", secret)
	}
	bu := e.runSecret(secret, "convert", "--to", "butane", "-").mustSucceed(t).out
	if !strings.Contains(bu, "variant: flatcar") {
		t.Fatalf("butane step:\n%s", bu)
	}
	back := e.runSecret(bu, "convert", "--to", "dockerconfig", "-").mustSucceed(t).out
	if diff := cmp.Diff(orig, back); diff != "" {
		t.Fatalf("dockercfg -> kubesecret -> butane -> dockerconfig (-orig +back):\n%s", diff)
	}
	// convert never touches the store.
	if got := flatConfig(t, e); got != orig {
		t.Fatalf("convert changed the store:\n%s", got)
	}
	// An aliased --to and a file target.
	out := filepath.Join(dir, "auth.json")
	e.run(bu, "convert", "--to", "auth.json", "-", "-o", out).mustSucceed(t)
	if got := readFile(t, out); strings.TrimSuffix(orig, "\n") != strings.TrimSuffix(got, "\n") {
		t.Fatalf("convert -o auth.json:\n%s", readFile(t, out))
	}
}

func TestE2ECreateSecretMatchesKubectl(t *testing.T) {
	t.Parallel()
	kubectl, kerr := exec.LookPath("kubectl")
	cases := []struct {
		name, server, user, email, ns string
		json                          bool
	}{
		{"quay", "quay.io", "alice", "alice@example.com", "apps", false},
		{"hub json", "https://index.docker.io/v1/", "hubuser", "", "default", true},
		{"host port", "registry.example.com:5000", "bob", "b@example.com", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			args := []string{"create", "secret", "regcred", "--server", tc.server, "-u", tc.user, "--password-stdin"}
			kargs := []string{"create", "secret", "docker-registry", "regcred", "--docker-server=" + tc.server, "--docker-username=" + tc.user, "--docker-password=" + pw, "--dry-run=client"}
			if tc.email != "" {
				args, kargs = append(args, "--email", tc.email), append(kargs, "--docker-email="+tc.email)
			}
			if tc.ns != "" {
				args, kargs = append(args, "-n", tc.ns), append(kargs, "--namespace="+tc.ns)
			}
			if tc.json {
				args, kargs = append(args, "--json"), append(kargs, "-o", "json")
			} else {
				kargs = append(kargs, "-o", "yaml")
			}
			got := e.run(pw, args...).mustSucceed(t).out
			// The Secret is what import reads back.
			r := newEnv(t).run(got, "import", "-").mustSucceed(t)
			if !strings.Contains(r.err, "(kubesecret)") || !strings.Contains(r.out, "("+tc.user+")") {
				t.Errorf("import of create secret output:\n%s%s", r.out, r.err)
			}
			if kerr != nil {
				t.Skip("kubectl not installed")
			}
			cmd := exec.Command(kubectl, kargs...)
			cmd.Env = []string{"HOME=" + e.home, "KUBECONFIG=" + filepath.Join(e.home, "nokubeconfig")}
			want, err := cmd.Output()
			if err != nil {
				t.Fatalf("kubectl: %v", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("create secret differs from kubectl (-kubectl +regauth):\n%s", diff)
			}
		})
	}
	t.Run("stored credential", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.run(pw, "login", "quay.io", "-u", "alice", "--password-stdin", "--skip-verify").mustSucceed(t)
		stored := e.run("", "create", "secret", "regcred", "--server", "quay.io", "-n", "apps").mustSucceed(t).out
		explicit := e.run(pw, "create", "secret", "regcred", "--server", "quay.io", "-u", "alice", "--password-stdin", "-n", "apps").mustSucceed(t).out
		if stored != explicit {
			t.Errorf("stored credential gives a different Secret:\n%s\nwant\n%s", stored, explicit)
		}
		e.run("", "create", "secret", "regcred", "--server", "ghcr.io").mustFail(t, ExitError, "no stored credential for ghcr.io", "hint:")
		e.run("", "create", "secret", "regcred").mustFail(t, ExitUsage, "--server is required")
	})
}

const e2eCA = "../../format/testdata/certsd/fixtures/ca.pem"

func TestE2ETLSFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	host := "registry.example.com:5000"
	ca := readFile(t, e2eCA)
	exp := func(f string) string {
		out := filepath.Join(dir, f)
		e.run("", "export", "-f", f, "-r", host, "--ca-file", e2eCA, "-o", out).mustSucceed(t)
		e.run("", "lint", out).mustSucceed(t)
		return out
	}

	hosts := exp("hoststoml")
	toml := readFile(t, filepath.Join(hosts, host, "hosts.toml"))
	for _, want := range []string{`server = "https://` + host + `"`, `[host."https://` + host + `"]`, `ca = "ca.crt"`} {
		if !strings.Contains(toml, want) {
			t.Errorf("hosts.toml lacks %s:\n%s", want, toml)
		}
	}
	if readFile(t, filepath.Join(hosts, host, "ca.crt")) != ca {
		t.Error("hoststoml: ca.crt is not the CA given")
	}

	certs := exp("certsd")
	if readFile(t, filepath.Join(certs, host, "ca.crt")) != ca {
		t.Error("certsd: ca.crt is not the CA given")
	}

	pki := exp("pki")
	links, _ := filepath.Glob(filepath.Join(pki, "*.0"))
	if len(links) != 1 {
		t.Fatalf("pki: want one <hash>.0 link, got %v", links)
	}
	if target, err := os.Readlink(links[0]); err != nil || target != "docker-registry-ca.crt" {
		t.Errorf("pki link %s -> %q (%v)", links[0], target, err)
	}
	if readFile(t, filepath.Join(pki, "docker-registry-ca.crt")) != ca {
		t.Error("pki: CA file is not the CA given")
	}
	if openssl, err := exec.LookPath("openssl"); err == nil {
		h, err := exec.Command(openssl, "x509", "-hash", "-noout", "-in", e2eCA).Output()
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimSpace(string(h)) + ".0"; filepath.Base(links[0]) != want {
			t.Errorf("pki link %s, openssl says %s", filepath.Base(links[0]), want)
		}
	}

	conv := filepath.Join(dir, "converted")
	e.run("", "convert", "--to", "certsd", hosts, "-o", conv).mustSucceed(t)
	if readFile(t, filepath.Join(conv, host, "ca.crt")) != ca {
		t.Error("convert hoststoml -> certsd lost the CA")
	}
	e.run("", "lint", conv).mustSucceed(t)

	// TLS settings are not credentials.
	e.run("", "import", hosts).mustFail(t, ExitError, "holds no credentials")

	e.run("", "export", "-f", "hoststoml", "--ca-file", e2eCA, "-o", filepath.Join(dir, "x")).mustFail(t, ExitUsage, "--registry is required", "hint:")
	e.run("", "export", "-f", "certsd", "-r", host, "-o", filepath.Join(dir, "y")).mustFail(t, ExitUsage, "nothing to configure for "+host, "hint:")
	e.run("", "export", "-f", "pki", "-r", host, "--ca-file", e2eCA).mustFail(t, ExitUsage, "-o DIR")
}

// One broken input per format family: exit 1 and the rule's id.
func TestE2ELintBrokenInputs(t *testing.T) {
	t.Parallel()
	src := seededEnv(t)
	exported := func(t *testing.T, args ...string) string {
		out := filepath.Join(t.TempDir(), "out")
		src.run("", append([]string{"export", "-o", out, "-f"}, args...)...).mustSucceed(t)
		return out
	}
	cases := []struct {
		name  string
		input func(t *testing.T) string // a path to lint
		flags []string
		rule  string
	}{
		{"dockerconfig not user:password", file(`{"auths": {"quay.io": {"auth": "bm9jb2xvbg=="}}}`), nil, "auth-not-user-password"},
		{"secret key mismatch", file("apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockercfg: e30=\n"), nil, "secret-key-mismatch"},
		{"secret name", file("apiVersion: v1\nkind: Secret\nmetadata:\n  name: Reg_Cred\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: eyJhdXRocyI6e319\n"), nil, "secret-name-invalid"},
		{"rkt duplicate domain", func(t *testing.T) string {
			d := exported(t, "rkt", "-r", "quay.io")
			data := readFile(t, filepath.Join(d, "quay.io.json"))
			writeConfig(t, filepath.Join(d, "again.json"), data)
			return d
		}, nil, "rkt-duplicate-domain"},
		{"mesos config at top level", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "docker.tar.gz")
			writeConfig(t, p, mesosTarball(t, "config.json", flatConfig(t, src)))
			return p
		}, nil, "mesos-config-path"},
		{"dcos credentials empty", file(""), []string{"-f", "dcos-credentials"}, "dcos-credentials-empty"},
		{"dcos config invalid", file("cluster_docker_credentials_enabled: 'true'\ncluster_docker_credentials: '{not json'\n"), nil, "dcos-config-credentials-invalid"},
		{"butane hash mismatch", func(t *testing.T) string {
			d := exported(t, "butane", "--source-url", "https://files.example.com/config.json")
			writeConfig(t, filepath.Join(d, "config.json"), `{"auths": {}}`)
			return d
		}, nil, "butane-hash-mismatch"},
		{"marathon secret missing", file(`{"id": "/app", "container": {"type": "MESOS", "docker": {"image": "quay.io/a/b", "pullConfig": {"secret": "nope"}}}}`), nil, "marathon-secret-missing"},
		{"hosts.toml syntax", func(t *testing.T) string {
			d := t.TempDir()
			writeConfig(t, filepath.Join(d, "quay.io", "hosts.toml"), "server = \"https://quay.io\n")
			return d
		}, []string{"-f", "hoststoml"}, "toml-syntax"},
		{"certs.d bad certificate", func(t *testing.T) string {
			d := t.TempDir()
			writeConfig(t, filepath.Join(d, "quay.io", "ca.crt"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
			return d
		}, []string{"-f", "certsd"}, "invalid-certificate"},
		{"pki wrong hash", func(t *testing.T) string {
			d := t.TempDir()
			writeConfig(t, filepath.Join(d, "ca.crt"), readFile(t, e2eCA))
			if err := os.Symlink("ca.crt", filepath.Join(d, "00000000.0")); err != nil {
				t.Fatal(err)
			}
			return d
		}, []string{"-f", "pki"}, "hash-mismatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			in := tc.input(t)
			r := e.run("", append(append([]string{"lint"}, tc.flags...), in)...).mustFail(t, ExitError)
			if !strings.Contains(r.out, "["+tc.rule+"]") || !strings.Contains(r.out, "error") {
				t.Errorf("lint output lacks [%s]:\n%s", tc.rule, r.out)
			}
			var js struct{ Findings []struct{ Rule string } }
			r = e.run("", append(append([]string{"lint", "-o", "json"}, tc.flags...), in)...)
			if r.code != ExitError || json.Unmarshal([]byte(r.out), &js) != nil || len(js.Findings) == 0 {
				t.Fatalf("lint -o json: exit %d\n%s", r.code, r.out)
			}
		})
	}
	t.Run("warnings only", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		d := t.TempDir()
		writeConfig(t, filepath.Join(d, "quay.json"), `{"rktKind": "auth", "rktVersion": "v1", "domains": ["https://quay.io"], "type": "basic", "credentials": {"user": "u", "password": "p"}}`)
		r := e.run("", "lint", d).mustSucceed(t)
		if !strings.Contains(r.out, "[rkt-domain-url]") || !strings.Contains(r.out, "0 error(s), 1 warning(s)") {
			t.Errorf("warnings only:\n%s", r.out)
		}
	})
}

// An empty docker_credentials stops a DC/OS agent: lint must say so
// without being told the format.
func TestE2ELintDetectsDCOSCredentials(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "docker_credentials")
	writeConfig(t, p, "")
	r := newEnv(t).run("", "lint", p).mustFail(t, ExitError)
	if !strings.Contains(r.out, "[dcos-credentials-empty]") {
		t.Fatalf("lint:\n%s", r.out)
	}
}

func TestE2EMarathonSnippets(t *testing.T) {
	t.Parallel()
	e := seededEnv(t)
	cases := []struct {
		args []string
		want []string
	}{
		{nil, []string{`"fetch"`, `"uri": "file:///etc/docker.tar.gz"`}},
		{[]string{"--legacy-uris", "--uri", "https://files.example.com/docker.tar.gz"}, []string{`"uris"`, `"https://files.example.com/docker.tar.gz"`}},
		{[]string{"--pull-config", "--image", "quay.io/org/app"}, []string{`"type": "MESOS"`, `"pullConfig"`, `"secret": "pullConfigSecret"`, `"source": "/mesos-docker/pullConfig"`, `"image": "quay.io/org/app"`}},
		{[]string{"--pod", "--secret", "/team/pull"}, []string{`"containers"`, `"kind": "DOCKER"`, `"pullConfig"`, `"source": "/team/pull"`}},
	}
	dir := t.TempDir()
	for i, tc := range cases {
		r := e.run("", append([]string{"export", "-f", "marathon"}, tc.args...)...).mustSucceed(t)
		if !json.Valid([]byte(r.out)) {
			t.Errorf("%v: not JSON:\n%s", tc.args, r.out)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.out, w) {
				t.Errorf("%v: stanza lacks %s:\n%s", tc.args, w, r.out)
			}
		}
		app := filepath.Join(dir, "app"+string(rune('0'+i))+".json")
		writeConfig(t, app, r.out)
		e.run("", "lint", app).mustSucceed(t)
		newEnv(t).run("", "import", app).mustFail(t, ExitError, "(marathon) holds no credentials", "hint:")
	}
	e.run("", "export", "-f", "marathon", "--pod", "--legacy-uris").mustFail(t, ExitError, "pods have no")
}

// file returns an input maker writing content to a fresh file.
func file(content string) func(t *testing.T) string {
	return func(t *testing.T) string {
		p := filepath.Join(t.TempDir(), "input")
		writeConfig(t, p, content)
		return p
	}
}

func mesosTarball(t *testing.T, name, content string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(content))
	tw.Close()
	zw.Close()
	return buf.String()
}

// Credentials and TLS settings are separate models: converting one into a
// format of the other has nothing to write and must say so, not succeed
// with an empty file.
func TestE2EConvertAcrossFamiliesRefuses(t *testing.T) {
	t.Parallel()
	src := seededEnv(t)
	hosts := filepath.Join(t.TempDir(), "hosts")
	src.run("", "export", "-f", "hoststoml", "-r", "registry.example.com:5000", "--ca-file", e2eCA, "-o", hosts).mustSucceed(t)
	cfg := flatConfig(t, src)
	cases := []struct {
		to, stdin, in string
	}{
		{"kubesecret", "", hosts},
		{"mesos", "", hosts},
		{"dcos-config", "", hosts},
		{"marathon", "", hosts},
		{"pki", cfg, "-"},
		{"dockerconfig", "", hosts},
		{"dockercfg", "", hosts},
		{"butane", "", hosts},
		{"hoststoml", cfg, "-"},
		{"certsd", cfg, "-"},
	}
	for _, tc := range cases {
		t.Run(tc.to, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			r := src.runSecret(tc.stdin, "convert", "--to", tc.to, tc.in, "-o", out)
			if r.code != ExitError || !strings.Contains(r.err, "no ") {
				t.Fatalf("convert --to %s from the other family: exit %d\nstderr: %s", tc.to, r.code, r.err)
			}
		})
	}
}
