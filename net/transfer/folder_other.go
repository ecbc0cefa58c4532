//go:build !unix || nounixfs

package transfer

import "os"

// atFolder: without the *at calls the folder's files are opened through
// its os.Root, which follows links only when they stay inside the folder;
// folder.same still checks every name before it is trusted again.
type atFolder struct{}

func (a *atFolder) open(root *os.Root) error { return nil }
func (a *atFolder) close()                   {}

func (a *atFolder) openNoFollow(f *folder, name string, flag int, perm os.FileMode) (*os.File, error) {
	h, err := f.root.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	if fi, err := h.Stat(); err != nil || !fi.Mode().IsRegular() {
		h.Close()
		return nil, &os.PathError{Op: "open", Path: f.pathOf(name), Err: os.ErrInvalid}
	}
	return h, nil
}

func (a *atFolder) linkHandle(f *folder, h *os.File, newname string) error { return errNoHandleLink }
