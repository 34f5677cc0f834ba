package cli

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/regauth/regauth/internal/testregistry"
)

// The DC/OS seed's "push a custom image from a tarball", without a daemon:
// a docker save tarball and an OCI layout, pushed with the stored login.
func TestPushArchives(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthHtpasswd, Users: users, TLS: true})
	e := newEnv(t)
	ca := reg.WriteCA(t, t.TempDir())
	dir := t.TempDir()

	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	tag, _ := name.NewTag("mesosphere/marathon-dcos-ee:1.4.0")
	saved := filepath.Join(dir, "marathon.tar")
	if err := tarball.WriteToFile(saved, tag, img); err != nil {
		t.Fatal(err)
	}
	ref := reg.Host + "/mesosphere/marathon-dcos-ee:1.4.0"
	e.run("", "push", saved, ref, "--ca-file", ca).mustFail(t, ExitAuth, "hint:")

	e.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin", "--ca-file", ca).mustSucceed(t)
	r := e.run("", "push", saved, ref, "--ca-file", ca).mustSucceed(t)
	if got := strings.TrimSpace(r.out); got != reg.Host+"/mesosphere/marathon-dcos-ee@"+want.String() {
		t.Fatalf("push printed %q, want the digest %s", got, want)
	}
	head := func(refStr string) string {
		t.Helper()
		rf, _ := name.ParseReference(refStr)
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig.RootCAs = reg.CAPool
		d, err := remote.Head(rf, remote.WithAuth(&authn.Basic{Username: "alice", Password: pw}), remote.WithTransport(tr))
		if err != nil {
			t.Fatal(err)
		}
		return d.Digest.String()
	}
	if got := head(ref); got != want.String() {
		t.Fatalf("registry has %s, pushed %s", got, want)
	}

	// An OCI layout directory holding a two-image index is pushed whole.
	lp, err := layout.Write(filepath.Join(dir, "oci"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		im, _ := random.Image(512, 1)
		if err := lp.AppendImage(im); err != nil {
			t.Fatal(err)
		}
	}
	idx, _ := lp.ImageIndex()
	wantIdx, _ := idx.Digest()
	r = e.run("", "push", filepath.Join(dir, "oci"), reg.Host+"/team/multi:v1", "--ca-file", ca, "-q").mustSucceed(t)
	if !strings.HasSuffix(strings.TrimSpace(r.out), wantIdx.String()) || head(reg.Host+"/team/multi:v1") != wantIdx.String() {
		t.Fatalf("OCI index push: %q", r.out)
	}
	e.run("", "push", filepath.Join(dir, "missing.tar"), ref).mustFail(t, ExitError, "no such file")
	e.run("", "push", saved, "Not A Ref").mustFail(t, ExitUsage)
}

// The seed's flow end to end: push a tarball, then check the pushed ref.
func TestPushThenCheck(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{Auth: testregistry.AuthToken, Users: users})
	e := newEnv(t)
	e.run(pw, "login", reg.Host, "-u", "alice", "--password-stdin", "--insecure").mustSucceed(t)
	img, _ := random.Image(512, 1)
	tag, _ := name.NewTag("app:v1")
	saved := filepath.Join(t.TempDir(), "app.tar")
	if err := tarball.WriteToFile(saved, tag, img); err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSpace(e.run("", "push", saved, reg.Host+"/team/app:v1", "--insecure", "-q").mustSucceed(t).out)
	rep := runCheck(t, e, ExitOK, reg.Host+"/team/app:v1", "--insecure", "--push")
	want, _ := img.Digest()
	for _, s := range rep.Steps {
		if s.Name == "manifest" && s.Facts["docker-content-digest"] != want.String() {
			t.Fatalf("check sees %s, pushed %s (%s)", s.Facts["docker-content-digest"], want, out)
		}
	}
	runCheck(t, e, ExitOK, out, "--insecure") // by digest
}
