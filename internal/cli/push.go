package cli

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/spf13/cobra"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/registry"
	"github.com/regauth/regauth/store"
)

type pushOptions struct {
	tls   tlsFlags
	quiet bool
}

func newPushCmd(sys *Sys, g *globalOptions) *cobra.Command {
	o := &pushOptions{}
	c := &cobra.Command{
		Use:   "push ARCHIVE REF",
		Short: "Push an image from a docker save tarball or an OCI layout, without a Docker daemon",
		Long: `Push the image in ARCHIVE to REF with regauth's credentials. ARCHIVE is a
'docker save' tarball, an OCI image layout directory, or a tar of one. A
multi-platform OCI index is pushed whole. Prints the pushed digest.`,
		Example: `  regauth push marathon-dcos-ee.1.4.0.tar registry.example.com/mesosphere/marathon-dcos-ee:1.4.0
  regauth push ./oci-layout 127.0.0.1:5000/team/app:v1 --insecure`,
		Args: args(cobra.ExactArgs(2)),
		RunE: func(c *cobra.Command, a []string) error { return runPush(c, sys, g, o, a[0], a[1]) },
	}
	addTLSFlags(c, &o.tls)
	c.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print only the digest")
	return c
}

func runPush(c *cobra.Command, sys *Sys, g *globalOptions, o *pushOptions, archive, refStr string) error {
	var opts []name.Option
	if o.tls.insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(refStr, opts...)
	if err != nil {
		return &usageError{err: fmt.Errorf("push: %w", err), hint: "give a reference such as registry.example.com/team/app:tag"}
	}
	l, err := load(c, g.store(sys))
	if err != nil {
		return err
	}
	cl, err := o.tls.client(sys, ref.Context().RegistryStr())
	if err != nil {
		return err
	}
	ropts := []remote.Option{
		remote.WithContext(c.Context()),
		remote.WithAuthFromKeychain(keychain{l: l, c: c}),
		remote.WithTransport(cl.HTTP.Transport),
		remote.WithUserAgent("regauth/" + versionShort()),
	}
	if sys.StderrTTY && !o.quiet {
		updates := make(chan v1.Update, 16)
		go progress(sys.Err, updates)
		ropts = append(ropts, remote.WithProgress(updates))
	}
	img, idx, cleanup, err := openArchive(archive, ref)
	if err != nil {
		return err
	}
	defer cleanup()
	var digest v1.Hash
	if idx != nil {
		err = remote.WriteIndex(ref, idx, ropts...)
		if err == nil {
			digest, err = idx.Digest()
		}
	} else {
		err = remote.Write(ref, img, ropts...)
		if err == nil {
			digest, err = img.Digest()
		}
	}
	if err != nil {
		return pushError(err, ref)
	}
	if !o.quiet {
		fmt.Fprintf(sys.Err, "pushed %s\n", ref)
	}
	_, err = fmt.Fprintln(sys.Out, ref.Context().Digest(digest.String()).String())
	return err
}

// pushError marks refusals as authentication failures (exit 4) with a hint.
func pushError(err error, ref name.Reference) error {
	msg := err.Error()
	if strings.Contains(msg, "UNAUTHORIZED") || strings.Contains(msg, "DENIED") || strings.Contains(msg, "401") || strings.Contains(msg, "403") {
		return withHint(fmt.Errorf("push %s: %w: %w", ref, err, registry.ErrUnauthorized),
			"check the stored credential with 'regauth get "+ref.Context().String()+" --explain'; pushing needs write (push) access")
	}
	return fmt.Errorf("push %s: %w", ref, err)
}

// keychain resolves go-containerregistry's auth through regauth's store.
type keychain struct {
	l *store.Loaded
	c *cobra.Command
}

func (k keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	t := credential.Target{Host: r.RegistryStr()}
	if repo, ok := r.(name.Repository); ok {
		if tt, err := credential.ParseTarget(repo.String()); err == nil {
			t = tt
		}
	} else if tt, err := credential.ParseServer(r.RegistryStr()); err == nil {
		t = tt
	}
	res, err := k.l.Resolve(k.c.Context(), t)
	if errors.Is(err, store.ErrNotFound) {
		return authn.Anonymous, nil
	}
	if err != nil {
		return nil, err
	}
	cr := res.Entry.Credential
	return authn.FromConfig(authn.AuthConfig{Username: cr.Username, Password: cr.Password, IdentityToken: cr.IdentityToken, RegistryToken: cr.RegistryToken}), nil
}

// openArchive reads a docker save tarball, an OCI layout directory, or a
// tar of an OCI layout.
func openArchive(path string, ref name.Reference) (v1.Image, v1.ImageIndex, func(), error) {
	noop := func() {}
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, noop, fmt.Errorf("push: %w", err)
	}
	if st.IsDir() {
		idx, img, err := fromLayout(path)
		return img, idx, noop, err
	}
	if isOCITar(path) {
		dir, err := os.MkdirTemp("", "regauth-oci-")
		if err != nil {
			return nil, nil, noop, err
		}
		cleanup := func() { os.RemoveAll(dir) }
		if err := untar(path, dir); err != nil {
			cleanup()
			return nil, nil, noop, fmt.Errorf("push: %s: %w", path, err)
		}
		idx, img, err := fromLayout(dir)
		return img, idx, cleanup, err
	}
	var tag *name.Tag
	if t, ok := ref.(name.Tag); ok {
		tag = &t
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil && tag != nil {
		img, err = tarball.ImageFromPath(path, tag) // several images: pick by tag
	}
	if err != nil {
		return nil, nil, noop, withHint(fmt.Errorf("push: %s: %w", path, err), "ARCHIVE must be a 'docker save' tarball or an OCI image layout (directory or tar)")
	}
	return img, nil, noop, nil
}

// fromLayout returns the single image of a layout, or its whole index when
// it holds several manifests (a multi-platform image).
func fromLayout(dir string) (v1.ImageIndex, v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("push: %s: not an OCI image layout: %w", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, nil, err
	}
	if len(m.Manifests) == 1 {
		d := m.Manifests[0]
		if d.MediaType.IsImage() {
			img, err := idx.Image(d.Digest)
			return nil, img, err
		}
		if d.MediaType.IsIndex() {
			inner, err := idx.ImageIndex(d.Digest)
			return inner, nil, err
		}
	}
	if len(m.Manifests) == 0 {
		return nil, nil, fmt.Errorf("push: %s: the layout holds no image", dir)
	}
	return idx, nil, nil
}

func isOCITar(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return false
		}
		if strings.TrimPrefix(h.Name, "./") == "oci-layout" {
			return true
		}
	}
}

// untar extracts an OCI layout tar safely: regular files and directories
// only, inside dir.
func untar(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(strings.TrimPrefix(h.Name, "./"))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("unsafe member %q", h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("unsupported member %q (links are not followed)", h.Name)
		}
	}
}

// progress draws a one-line bar on a terminal.
func progress(w io.Writer, updates <-chan v1.Update) {
	for u := range updates {
		if u.Error != nil {
			break
		}
		if u.Total > 0 {
			fmt.Fprintf(w, "\r%3d%% %s / %s", u.Complete*100/u.Total, human(u.Complete), human(u.Total))
		}
	}
	fmt.Fprint(w, "\r\033[K")
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
