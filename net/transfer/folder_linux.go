//go:build linux && !nounixfs

package transfer

import (
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// linkHandle links the file open as h to newname in the folder through
// /proc/self/fd, so it is that file which gets the name whatever its old
// name names by now; linkat never replaces an existing newname.
func (a *atFolder) linkHandle(f *folder, h *os.File, newname string) error {
	rc, err := h.SyscallConn()
	if err != nil {
		return errNoHandleLink
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		lerr = a.at(func(dirfd int) error {
			return unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(fd)), dirfd, newname, unix.AT_SYMLINK_FOLLOW)
		})
	}); err != nil {
		return errNoHandleLink
	}
	if errors.Is(lerr, unix.ENOENT) {
		return errNoHandleLink // no /proc
	}
	if lerr != nil {
		return &os.LinkError{Op: "link", Old: h.Name(), New: f.pathOf(newname), Err: lerr}
	}
	return nil
}
