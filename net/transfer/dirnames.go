package transfer

import (
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// dirNames remembers, for a Manager's downloads, what a listing of each
// download folder found, for dirNamesTTL, kept up to date with what those
// downloads create and remove meanwhile. Every download lists its folder
// twice (for a part file to resume, and for the names taken when it is
// saved): a folder of n files fetched whole was n² names read, 2.4 s of
// the 11 s of a flat folder of 3,000 files. With the listing shared, it
// is read once per folder every dirNamesTTL.
//
// What another process does in the folder within the TTL is not seen:
// its part files are locked by it anyway (not to be resumed), and a name
// it saves is still never replaced (saving links or creates exclusively);
// a name differing from it in case only is the one thing that could slip
// through, for at most dirNamesTTL.
type dirNames struct {
	mu   sync.Mutex
	dirs map[string]*listing
	now  func() time.Time
}

// dirNamesTTL is how long a listing is trusted.
const dirNamesTTL = 2 * time.Second

// listing is one folder's names: the hidden ones (part files, resume
// records) as they are, every one by its case-folded form.
type listing struct {
	at     time.Time
	names  map[string]bool
	hidden map[string]bool
	folded map[string]int // foldCase(name) → how many names fold to it
}

func newDirNames() *dirNames {
	return &dirNames{dirs: map[string]*listing{}, now: time.Now}
}

// foldCase maps names that strings.EqualFold calls equal to one key (the
// simple folding of upper then lower case: "ς", "σ" and "Σ" alike).
func foldCase(s string) string { return strings.ToLower(strings.ToUpper(s)) }

// get returns dir's listing, listing it with list when it has none or an
// old one. Call with c.mu held.
func (c *dirNames) getLocked(dir string, list func() ([]string, error)) (*listing, error) {
	dir = filepath.Clean(dir)
	now := c.now()
	if l := c.dirs[dir]; l != nil && now.Sub(l.at) < dirNamesTTL {
		return l, nil
	}
	names, err := list()
	if err != nil {
		delete(c.dirs, dir)
		return nil, err
	}
	l := &listing{at: now, names: make(map[string]bool, len(names)), hidden: map[string]bool{}, folded: make(map[string]int, len(names))}
	for _, n := range names {
		l.add(n)
	}
	c.dirs[dir] = l
	for d, old := range c.dirs { // forget the folders done with
		if now.Sub(old.at) >= dirNamesTTL {
			delete(c.dirs, d)
		}
	}
	return l, nil
}

func (l *listing) add(n string) {
	if l.names[n] {
		return
	}
	l.names[n] = true
	if strings.HasPrefix(n, hiddenPrefix) {
		l.hidden[n] = true
	}
	l.folded[foldCase(n)]++
}

func (l *listing) remove(n string) {
	if !l.names[n] {
		return
	}
	delete(l.names, n)
	delete(l.hidden, n)
	k := foldCase(n)
	if l.folded[k] > 1 {
		l.folded[k]--
	} else {
		delete(l.folded, k)
	}
}

// hiddenNames returns dir's names that begin with prefix (itself hidden).
func (c *dirNames) hiddenNames(dir, prefix string, list func() ([]string, error)) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, err := c.getLocked(dir, list)
	if err != nil {
		return nil, err
	}
	var out []string
	for n := range l.hidden {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out, nil
}

// takenFold reports whether a name of dir equals cand ignoring case
// (takenIgnoringCase); false when the folder cannot be listed.
func (c *dirNames) takenFold(dir, cand string, list func() ([]string, error)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, err := c.getLocked(dir, list)
	return err == nil && l.folded[foldCase(cand)] > 0
}

// added and removed keep a listing of dir true to what this process did.
func (c *dirNames) added(dir, name string)   { c.change(dir, name, (*listing).add) }
func (c *dirNames) removed(dir, name string) { c.change(dir, name, (*listing).remove) }

func (c *dirNames) change(dir, name string, f func(*listing, string)) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.dirs[filepath.Clean(dir)]; l != nil {
		f(l, name)
	}
}
