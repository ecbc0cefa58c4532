//go:build windows && !nounixfs

package transfer

import (
	"os"

	"golang.org/x/sys/windows"
)

// ownedAlone reports whether f has no other name: NTFS has hard links
// too, and whoever holds a second name could change verified chunks
// behind the downloader's back. Ownership is not checked: the download
// folder's access rules (a user's profile, by default) decide who may
// write there.
func ownedAlone(f *os.File, fi os.FileInfo) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var info windows.ByHandleFileInformation
	var ierr error
	if err := rc.Control(func(h uintptr) { ierr = windows.GetFileInformationByHandle(windows.Handle(h), &info) }); err != nil || ierr != nil {
		return false
	}
	return info.NumberOfLinks == 1
}
