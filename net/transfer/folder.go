package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errReplaced: a name the downloader made was replaced behind its back
// (by a link to another file, say): it is not the file the downloader
// holds open.
var errReplaced = errors.New("file was replaced while in use")

// folder is a download folder. Everything in it is reached through an
// os.Root, so nothing outside can be; and the downloader's own files
// (part, resume record and its temporary, the final name) are opened and
// linked without following a link planted at their name: where the
// system has the *at calls, through the folder's own handle with
// O_NOFOLLOW (os.Root follows links that stay inside it). Once a file is
// open, the downloader works through its handle; a name is trusted again
// only after checking that it still names that very file (same).
type folder struct {
	root *os.Root
	path string
	at   atFolder // the *at calls where the system has them
}

func openFolder(path string) (*folder, error) {
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	f := &folder{root: root, path: path}
	if err := f.at.open(root); err != nil {
		root.Close()
		return nil, err
	}
	return f, nil
}

func (f *folder) close() {
	f.at.close()
	f.root.Close()
}

// open opens the regular file name (one path element) with flag, never
// following a link at name: a link there is an error (ELOOP, or
// fs.ErrExist with O_EXCL), and so is anything but a regular file.
func (f *folder) open(name string, flag int, perm os.FileMode) (*os.File, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return f.at.openNoFollow(f, name, flag, perm)
}

// same reports whether name (not following a link there) is h's file.
func (f *folder) same(name string, h *os.File) bool {
	hi, err := h.Stat()
	return err == nil && f.is(name, hi)
}

// is reports whether name (not following a link there) is the file fi
// describes.
func (f *folder) is(name string, fi os.FileInfo) bool {
	ni, err := f.root.Lstat(name)
	return err == nil && os.SameFile(ni, fi)
}

// reopen opens name again with flag (another open file description, for
// O_DIRECT or for a reader) and checks that it is h's file.
func (f *folder) reopen(name string, h *os.File, flag int) (*os.File, error) {
	r, err := f.open(name, flag, 0)
	if err != nil {
		return nil, err
	}
	ri, err1 := r.Stat()
	hi, err2 := h.Stat()
	if err1 != nil || err2 != nil || !os.SameFile(ri, hi) {
		r.Close()
		return nil, fmt.Errorf("reopening %s: %w", name, errReplaced)
	}
	return r, nil
}

// link gives h's file (opened as oldname) the new name newname, never
// replacing anything at newname (fs.ErrExist). Where the system can, it
// links the open file itself, whatever oldname names by now; otherwise
// it links oldname once it has checked that oldname is h's file. Either
// way newname is checked to be h's file after, and removed if it is not.
// errReplaced: oldname is not h's file any more (and h's file, unlinked,
// cannot be linked again).
func (f *folder) link(h *os.File, oldname, newname string) error {
	err := f.at.linkHandle(f, h, newname)
	if errors.Is(err, errNoHandleLink) {
		if !f.same(oldname, h) {
			return fmt.Errorf("linking %s: %w", oldname, errReplaced)
		}
		err = f.root.Link(oldname, newname)
	}
	if err != nil {
		return err
	}
	if !f.same(newname, h) {
		f.root.Remove(newname)
		return fmt.Errorf("linking %s: %w", oldname, errReplaced)
	}
	return nil
}

// removeIf removes name if it is still h's file: a name that was
// replaced is not the downloader's to remove.
func (f *folder) removeIf(name string, h *os.File) {
	if f.same(name, h) {
		f.root.Remove(name)
	}
}

// errNoHandleLink: the system cannot link an open file by its handle.
var errNoHandleLink = errors.New("cannot link by handle")

// pathOf is name's path for messages.
func (f *folder) pathOf(name string) string { return filepath.Join(f.path, name) }
