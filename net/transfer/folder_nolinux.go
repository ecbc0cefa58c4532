//go:build unix && !linux && !nounixfs

package transfer

import "os"

// linkHandle: no /proc/self/fd here; folder.link links by name and checks.
func (a *atFolder) linkHandle(f *folder, h *os.File, newname string) error {
	return errNoHandleLink
}
