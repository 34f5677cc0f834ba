package helper

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/client"
)

// waitDelay bounds how long a killed helper (or a grandchild holding its
// pipes) may keep a call waiting after ctx is done.
const waitDelay = 2 * time.Second

// maxStderr caps what is kept of a helper's stderr: only its tail end is
// worth showing, and a chatty helper must not grow memory without bound.
const maxStderr = 64 << 10

// program is one run of a helper binary. It implements client.Program so the
// client package keeps owning the wire format, and it remembers what the
// helper printed because client flattens failures into text.
type program struct {
	ctx  context.Context
	path string
	args []string
	env  []string
	in   io.Reader

	ran    bool
	stdout []byte
	stderr []byte
	err    error
}

var _ client.Program = (*program)(nil)

func (p *program) Input(in io.Reader) { p.in = in }

func (p *program) Output() ([]byte, error) {
	cmd := exec.CommandContext(p.ctx, p.path, p.args...)
	// A nil Env would hand the child our own environment, which the caller
	// did not choose; an empty one is what was injected.
	cmd.Env = p.env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdin = p.in
	var stdout bytes.Buffer
	stderr := &cappedBuffer{max: maxStderr}
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	cmd.WaitDelay = waitDelay

	p.err = cmd.Run()
	p.ran = true
	p.stdout = stdout.Bytes()
	p.stderr = stderr.buf.Bytes()
	return p.stdout, p.err
}

// cappedBuffer keeps the first max bytes written and drops the rest while
// still reporting success, so the child never blocks on a full pipe.
type cappedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// lookPath finds name in the PATH-style list pathList the way exec.LookPath
// does, but over an injected list rather than the process environment.
// Relative entries (including the empty one, meaning ".") are skipped so a
// helper is never picked up from the current directory.
func lookPath(name, pathList string, environ []string) (string, bool) {
	exts := []string{""}
	if runtime.GOOS == "windows" {
		exts = windowsExts(environ)
	}
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		for _, ext := range exts {
			path := filepath.Join(dir, name+ext)
			if isExecutable(path) {
				return path, true
			}
		}
	}
	return "", false
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() {
		return false
	}
	if runtime.GOOS == "windows" {
		return true
	}
	return fi.Mode().Perm()&0o111 != 0
}

func windowsExts(environ []string) []string {
	pathext := ".com;.exe;.bat;.cmd"
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.EqualFold(k, "PATHEXT") && v != "" {
			pathext = v
		}
	}
	var exts []string
	for _, e := range strings.Split(strings.ToLower(pathext), ";") {
		if e != "" && e[0] == '.' {
			exts = append(exts, e)
		}
	}
	return exts
}
