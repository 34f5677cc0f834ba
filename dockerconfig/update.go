package dockerconfig

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// fileMode is the most a written file may allow. Docker copies the old
// file's mode; we tighten it instead (0644 becomes 0600, 0400 stays 0400)
// because the file holds secrets and a world-readable config.json is a leak
// nobody asked for.
const fileMode fs.FileMode = 0o600

// Load reads and parses the file at path. A missing file (or dangling
// symlink) is an empty File; anything else that cannot be read, a directory
// included, is an error naming the path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, stripPath(err))
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return f, nil
}

// Update changes the file at path under a lock: it waits (honouring ctx) for
// the advisory lock on the target's sibling "<name>.lock", re-reads the file,
// calls fn, and if fn returns nil replaces the file atomically. If fn fails
// nothing is written and its error is returned unchanged.
//
// A symlink at path is followed and its final target replaced; the link stays.
// A missing directory is created 0700. The write goes to a temporary file in
// the target's directory which is fsynced, given mode 0600 (or the old mode
// if stricter) and the old owner, renamed over the target, and the directory
// fsynced, so a crash at any moment leaves either the old or the new file.
// The lock file is never removed: deleting it would let a waiter lock a fresh
// inode while another process still holds the old one.
func Update(ctx context.Context, path string, fn func(*File) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("update %s: create directory: %w", path, stripPath(err))
	}
	target, err := resolve(path)
	if err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	unlock, err := lock(ctx, target+".lock")
	if err != nil {
		return fmt.Errorf("update %s: lock: %w", path, err)
	}
	defer unlock()

	removeStaleTemps(target)
	data, err := os.ReadFile(target)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("update %s: %w", path, stripPath(err))
	}
	f, err := Parse(data)
	if err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	if err := fn(f); err != nil {
		return err
	}
	out, err := f.Marshal()
	if err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	if err := writeAtomic(target, out); err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	return nil
}

// resolve follows symlinks at path's final component to the file that should
// be replaced, which may not exist yet (a dangling link is written through,
// as docker does). Directories along the way are resolved with EvalSymlinks
// so that a relative link is taken relative to its real directory.
func resolve(path string) (string, error) {
	p := path
	for range 64 {
		dir := filepath.Dir(p)
		real, err := filepath.EvalSymlinks(dir)
		if errors.Is(err, fs.ErrNotExist) {
			// A link into a missing directory: create it, like our own.
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return "", fmt.Errorf("create directory: %w", stripPath(err))
			}
			real, err = filepath.EvalSymlinks(dir)
		}
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", dir, stripPath(err))
		}
		p = filepath.Join(real, filepath.Base(p))
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Mode()&fs.ModeSymlink == 0) {
			return p, nil
		}
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", p, stripPath(err))
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", p, stripPath(err))
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(real, link)
		}
		p = link
	}
	return "", fmt.Errorf("resolve %s: too many levels of symbolic links", path)
}

// tempPrefix names our temporary files so that stale ones, left by a writer
// that was killed, can be recognised and removed by the next lock holder.
func tempPrefix(target string) string {
	return "." + filepath.Base(target) + ".tmp-"
}

func writeAtomic(target string, data []byte) error { return writeAtomicMode(target, data, fileMode) }

// WriteAtomic writes a whole file the way Update writes config files:
// through a temporary file that is fsynced and renamed, symlinks followed,
// with mode perm (or the existing file's mode if stricter). Exports of other
// formats (Secrets, tarballs, rkt auth.d) use it. It takes no lock: there is
// no read-modify-write, and a lock file would litter output directories.
func WriteAtomic(ctx context.Context, path string, data []byte, perm fs.FileMode) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write %s: create directory: %w", path, stripPath(err))
	}
	target, err := resolve(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := writeAtomicMode(target, data, perm.Perm()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeAtomicMode(target string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(target)
	mode := perm
	old, statErr := os.Stat(target)
	if statErr == nil {
		if !old.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", target)
		}
		mode = old.Mode().Perm() & perm
	}
	tmp, err := os.CreateTemp(dir, tempPrefix(target)+"*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", stripPath(err))
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write temporary file: %w", stripPath(err))
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("chmod temporary file: %w", stripPath(err))
	}
	if statErr == nil {
		copyOwner(tmp, old)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync temporary file: %w", stripPath(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temporary file: %w", stripPath(err))
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("replace file: %w", stripPath(err))
	}
	// Without this the rename itself may not survive a power loss.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("sync directory: %w", stripPath(err))
	}
	return nil
}

// removeStaleTemps deletes temporary files a killed writer left behind. Only
// lock holders create them, and we hold the lock, so none is in use.
func removeStaleTemps(target string) {
	dir := filepath.Dir(target)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(target)
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), prefix) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// stripPath drops the *fs.PathError wrapper, whose path the caller already
// names, keeping the cause (errors.Is(err, fs.ErrPermission) still works).
func stripPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	if le, ok := errors.AsType[*os.LinkError](err); ok {
		return fmt.Errorf("%s: %w", le.Op, le.Err)
	}
	return err
}
