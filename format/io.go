package format

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/regauth/regauth/dockerconfig"
)

// Input limits: credential files are small, and refusing huge or deep trees
// keeps `import ~` from reading a home directory.
const (
	maxInputFile  = 4 << 20
	maxInputFiles = 10000
)

// ReadPath reads a file (one File whose Path is the name given) or a
// directory (every file below it, Path relative and slash-separated;
// symbolic links are kept as links, not followed).
func ReadPath(name string) ([]File, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		data, err := readLimited(name)
		if err != nil {
			return nil, err
		}
		return []File{{Path: name, Mode: st.Mode().Perm(), Data: data}}, nil
	}
	var files []File
	err = filepath.WalkDir(name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(name, p)
		if err != nil {
			return err
		}
		if len(files) >= maxInputFiles {
			return fmt.Errorf("%s: more than %d files; point at the credential directory itself", name, maxInputFiles)
		}
		f := File{Path: filepath.ToSlash(rel)}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f.Mode = info.Mode().Perm()
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			if f.Link, err = os.Readlink(p); err != nil {
				return err
			}
		case d.Type().IsRegular():
			if f.Data, err = readLimited(p); err != nil {
				return err
			}
		default:
			return nil // sockets, devices: never credential files
		}
		files = append(files, f)
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, err
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	n, err := b.ReadFrom(&limitedReader{f, maxInputFile + 1})
	if err != nil {
		return nil, err
	}
	if n > maxInputFile {
		return nil, fmt.Errorf("%s: larger than %d MiB, not a credential file", name, maxInputFile>>20)
	}
	return b.Bytes(), nil
}

type limitedReader struct {
	r interface{ Read([]byte) (int, error) }
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("EOF") // never surfaces: ReadFrom stops at n
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// ErrNeedsDirectory is returned when a multi-file format is written without
// a target directory.
var ErrNeedsDirectory = errors.New("this format writes several files: give a directory with -o DIR")

// WriteFiles writes a codec's output. A single stream (one File with Path
// "") goes to target as a file; anything else goes under target as a
// directory. Files are written atomically with their modes (0600 when
// unset), directories 0700; existing files are replaced, others kept.
func WriteFiles(ctx context.Context, target string, files []File) error {
	if len(files) == 1 && files[0].Path == "" {
		return writeOne(ctx, target, files[0])
	}
	for _, f := range files {
		if f.Path == "" || path.IsAbs(f.Path) || !filepath.IsLocal(filepath.FromSlash(f.Path)) {
			return fmt.Errorf("%s: refusing to write outside the target directory", f.Path)
		}
		if err := writeOne(ctx, filepath.Join(target, filepath.FromSlash(f.Path)), f); err != nil {
			return err
		}
	}
	return nil
}

func writeOne(ctx context.Context, name string, f File) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return err
	}
	if f.Link != "" {
		if cur, err := os.Readlink(name); err == nil && cur == f.Link {
			return nil
		}
		tmp := name + ".regauth-link"
		_ = os.Remove(tmp)
		if err := os.Symlink(f.Link, tmp); err != nil {
			return err
		}
		return os.Rename(tmp, name)
	}
	mode := f.Mode
	if mode == 0 {
		mode = 0o600
	}
	return dockerconfig.WriteAtomic(ctx, name, f.Data, mode)
}
