package share

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	ignore "github.com/sabhiram/go-gitignore"
)

// IgnoreFile names the files, at the share's root or in any subfolder,
// that list in gitignore syntax what the share skips under that folder.
// They are never shared themselves.
const IgnoreFile = ".enxameignore"

// maxIgnoreBytes bounds one ignore file; the rest of a longer one is not
// read (and a warning is logged).
const maxIgnoreBytes = 1 << 20

// ignoreRules are the ignore files one walk found, by folder (relative to
// the share, "." for its root). They are immutable once the walk is done.
type ignoreRules struct {
	byDir map[string]*ignore.GitIgnore
}

// hidden reports a hidden file or folder name (one starting with a dot).
func hidden(base string) bool { return strings.HasPrefix(base, ".") }

// load reads dir's ignore file, if it has one, through root.
func (r *ignoreRules) load(root *os.Root, dir string) error {
	f, err := root.Open(path.Join(dir, IgnoreFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxIgnoreBytes))
	if err != nil {
		return err
	}
	if r.byDir == nil {
		r.byDir = map[string]*ignore.GitIgnore{}
	}
	r.byDir[dir] = ignore.CompileIgnoreLines(strings.Split(string(b), "\n")...)
	return nil
}

// match reports whether name (a path relative to the share, '/'
// separated) is excluded by the ignore file of any folder above it. A
// pattern applies relative to its file's folder; a '!' line re-includes
// what an earlier line of the same file excluded. What lies in an
// excluded folder is never reached, as in git.
func (r *ignoreRules) match(name string, isDir bool) bool {
	if r == nil || len(r.byDir) == 0 {
		return false
	}
	suffix := ""
	if isDir {
		suffix = "/" // so that "build/" patterns match folders only
	}
	if gi := r.byDir["."]; gi != nil && gi.MatchesPath(name+suffix) {
		return true
	}
	for i := 0; i < len(name); i++ {
		if name[i] != '/' {
			continue
		}
		if gi := r.byDir[name[:i]]; gi != nil && gi.MatchesPath(name[i+1:]+suffix) {
			return true
		}
	}
	return false
}
