//go:build !windows && (!unix || aix)

package dockerconfig

import (
	"errors"
	"os"
)

// tryLock refuses to run where no inter-process lock is implemented: writing
// unlocked could lose another process's entries.
func tryLock(*os.File) (bool, error) {
	return false, errors.ErrUnsupported
}

func unlockFile(*os.File) error { return nil }
