//go:build unix && !nounixfs

package transfer

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// atFolder is the folder's own handle, for openat(2) with O_NOFOLLOW.
type atFolder struct {
	dir *os.File
	rc  syscall.RawConn
}

func (a *atFolder) open(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	rc, err := d.SyscallConn()
	if err != nil {
		d.Close()
		return err
	}
	a.dir, a.rc = d, rc
	return nil
}

func (a *atFolder) close() { a.dir.Close() }

// at calls fn with the folder's descriptor, held open meanwhile (the
// chunk server may open a part file while its download closes).
func (a *atFolder) at(fn func(dirfd int) error) error {
	var ferr error
	if err := a.rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// openNoFollow opens name in the folder with O_NOFOLLOW and O_NONBLOCK
// (so a planted FIFO cannot hold the open), and accepts only a regular
// file, returned in blocking mode.
func (a *atFolder) openNoFollow(f *folder, name string, flag int, perm os.FileMode) (*os.File, error) {
	var fd int
	err := a.at(func(dirfd int) error {
		var err error
		for {
			fd, err = unix.Openat(dirfd, name, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, uint32(perm.Perm()))
			if err != unix.EINTR {
				return err
			}
		}
	})
	if err != nil {
		return nil, &os.PathError{Op: "openat", Path: f.pathOf(name), Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		if err == nil {
			err = syscall.EINVAL
		}
		return nil, &os.PathError{Op: "open", Path: f.pathOf(name), Err: err}
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err == nil {
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl&^unix.O_NONBLOCK)
	}
	if err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fcntl", Path: f.pathOf(name), Err: err}
	}
	return os.NewFile(uintptr(fd), f.pathOf(name)), nil
}

// ownedAlone reports whether f (fi its Stat) is a file of this user's
// with no other name: nobody else can change it behind the downloader's
// back, through a second link or a handle of their own.
func ownedAlone(f *os.File, fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid() && st.Nlink == 1
}
