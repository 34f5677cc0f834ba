//go:build !unix

package dockerconfig

import (
	"io/fs"
	"os"
)

// syncDir is a no-op: Windows cannot open a directory for flushing, and
// MoveFileEx's replace is as durable as that system offers.
func syncDir(string) error { return nil }

func copyOwner(*os.File, fs.FileInfo) {}
