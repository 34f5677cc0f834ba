//go:build unix

package dockerconfig

import (
	"io/fs"
	"os"
	"syscall"
)

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// copyOwner gives the new file the old one's owner, as docker does, so that
// "sudo regauth login" does not leave a user's config.json owned by root.
// Only root can do this; failure leaves the file ours, which is still safe.
func copyOwner(f *os.File, old fs.FileInfo) {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok || os.Geteuid() != 0 {
		return
	}
	if int(st.Uid) != os.Geteuid() || int(st.Gid) != os.Getegid() {
		_ = f.Chown(int(st.Uid), int(st.Gid))
	}
}
