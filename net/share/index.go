package share

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/wire"
)

// PartialPrefix starts the name of every file Enxame's downloader keeps
// while a download is in progress (".enxame-<x>.part", ".enxame-<x>.state").
// The index skips every path element that starts with it.
const PartialPrefix = ".enxame-"

// Defaults of Config.
const (
	DefaultRescanInterval = 60 * time.Second
	DefaultSettleTime     = time.Second
	DefaultDebounce       = 300 * time.Millisecond
	// segmentBytes is the amount of one file a hashing worker takes at a
	// time: big files are hashed by all workers at once.
	segmentBytes = 32 << 20
)

// Config configures an Index.
type Config struct {
	// Dir is the shared folder.
	Dir string
	// CacheFile is where the hash cache is kept. Empty means the default,
	// os.UserCacheDir()/enxame/share-<hash of Dir>.cache.
	CacheFile string
	// NoCache disables the persistent hash cache.
	NoCache bool
	// Hidden shares hidden files and folders (names starting with '.'),
	// which are skipped by default: a home folder's .ssh, .env or .git
	// must not be shared by accident. Ignore files (IgnoreFile) and
	// Enxame's own partial downloads are never shared either way.
	Hidden bool
	// Workers is the number of hashing goroutines; 0 means GOMAXPROCS.
	Workers int
	// RescanInterval is the period of the safety-net full rescan while
	// watching; 0 means DefaultRescanInterval.
	RescanInterval time.Duration
	// SettleTime is how long a file's size and modification time must stay
	// the same before it is hashed; 0 means DefaultSettleTime.
	SettleTime time.Duration
	// Debounce is how long the watcher waits for more events before it
	// rescans; 0 means DefaultDebounce.
	Debounce time.Duration
	// Logger receives the index's logs; nil means slog.Default().
	Logger *slog.Logger
}

// fileKey is what identifies a version of a file on disk: a change in any
// of these invalidates its hash.
type fileKey struct {
	Size    int64
	MtimeNs int64
	Inode   uint64
}

func keyOf(fi fs.FileInfo) fileKey {
	return fileKey{Size: fi.Size(), MtimeNs: fi.ModTime().UnixNano(), Inode: inodeOf(fi)}
}

// entry is one indexed file. Entries are immutable once published.
type entry struct {
	name string
	key  fileKey
	m    *wire.Manifest
	id   string
}

// seen remembers a file that was not yet stable, to tell later whether it
// stopped changing.
type seen struct {
	key fileKey
	at  time.Time
}

// Skipped counts what the last scan left out, by reason.
type Skipped struct {
	// Outside counts symbolic links that lead outside the folder (or are
	// absolute, or dangling); Dirs counts links to folders, not followed.
	Outside, DirLinks int
	// Special counts FIFOs, sockets and devices.
	Special int
	// Unreadable counts files and folders that could not be read.
	Unreadable int
	// Partial counts Enxame's own partial-download files.
	Partial int
	// BadName counts files whose names cannot be announced (control
	// characters, invalid UTF-8, too long).
	BadName int
	// Unsettled counts files still being written, indexed later.
	Unsettled int
	// Hidden counts hidden files and folders (a name starting with '.')
	// left out because Config.Hidden is off; a folder counts once.
	Hidden int
	// Ignored counts files and folders excluded by an ignore file
	// (IgnoreFile), and the ignore files themselves; a folder counts once.
	Ignored int
}

// Progress is a snapshot of the index's state for the faces.
type Progress struct {
	// Scanning is true while a scan (walk and hashing) runs.
	Scanning bool
	// Files and Bytes are what is indexed now.
	Files int
	Bytes int64
	// HashFiles and HashBytes are what the current (or last) scan had to
	// hash; the Done fields say how much of it is done.
	HashFiles, HashFilesDone int64
	HashBytes, HashBytesDone int64
	// Skipped is what the last completed walk left out.
	Skipped Skipped
	// LastScan is when the last scan finished; LastError its error, if any.
	LastScan  time.Time
	LastError string
}

// Index is the index of one shared folder. Its methods are safe for
// concurrent use; Scan and Run serialise their scans.
type Index struct {
	cfg  Config
	dir  string // absolute
	root *os.Root
	log  *slog.Logger

	// open opens a file of the share for hashing; tests replace it.
	open func(name string) (*os.File, error)

	scanMu sync.Mutex // held for a whole scan
	seen   map[string]seen
	failed map[string]fileKey // unreadable files already logged
	cache  *hashCache

	mu       sync.Mutex
	files    map[string]*entry
	byID     map[string][]*entry
	skipped  Skipped
	lastScan time.Time
	lastErr  string
	scanning bool
	walkDur  time.Duration // of the last walk

	hashFiles, hashFilesDone atomic.Int64
	hashBytes, hashBytesDone atomic.Int64

	changed chan struct{} // cap 1: the announced list changed
	nudge   chan struct{} // cap 1: something asks for a rescan

	watcher     atomic.Pointer[fsnotify.Watcher] // set while Run watches
	watchWarned atomic.Bool
	rules       atomic.Pointer[ignoreRules] // the last walk's ignore files, for the watcher

	ready     chan struct{} // closed after the first walk is published
	readyOnce sync.Once
}

// New opens the shared folder and loads the hash cache. It does not scan:
// call Scan or Run.
func New(cfg Config) (*Index, error) {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("resolving shared folder %q: %w", cfg.Dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening shared folder: %w", err)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.RescanInterval <= 0 {
		cfg.RescanInterval = DefaultRescanInterval
	}
	if cfg.SettleTime <= 0 {
		cfg.SettleTime = DefaultSettleTime
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ix := &Index{
		cfg:     cfg,
		dir:     dir,
		root:    root,
		log:     cfg.Logger.With("component", "share"),
		seen:    map[string]seen{},
		failed:  map[string]fileKey{},
		files:   map[string]*entry{},
		byID:    map[string][]*entry{},
		changed: make(chan struct{}, 1),
		nudge:   make(chan struct{}, 1),
		ready:   make(chan struct{}),
	}
	ix.open = root.Open
	if !cfg.NoCache {
		path := cfg.CacheFile
		if path == "" {
			path, err = DefaultCacheFile(dir)
			if err != nil {
				ix.log.Warn("No hash cache", "error", err)
			}
		}
		if path != "" {
			ix.cache = loadCache(path, dir, ix.log)
		}
	}
	return ix, nil
}

// Dir returns the absolute path of the shared folder.
func (ix *Index) Dir() string { return ix.dir }

// Close releases the folder handle. Call it after Run has returned.
func (ix *Index) Close() error { return ix.root.Close() }

// Ready is closed once the first scan has walked the folder and published
// what needed no hashing (unchanged and cached files); files being hashed
// are added as they are done.
func (ix *Index) Ready() <-chan struct{} { return ix.ready }

// Changed is signalled (coalesced) whenever the list Files returns changed.
// It has one consumer.
func (ix *Index) Changed() <-chan struct{} { return ix.changed }

// Rescan asks a running Run loop for a rescan soon; it never blocks.
func (ix *Index) Rescan() {
	select {
	case ix.nudge <- struct{}{}:
	default:
	}
}

// Files returns every indexed file, complete, sorted by name. (The Node
// caps what it announces; files beyond the cap are still served by id.)
func (ix *Index) Files() []wire.FileEntry {
	ix.mu.Lock()
	out := make([]wire.FileEntry, 0, len(ix.files))
	for _, e := range ix.files {
		out = append(out, wire.FileEntry{Name: e.name, Size: e.m.Size, ID: e.id, Complete: true})
	}
	ix.mu.Unlock()
	slices.SortFunc(out, func(a, b wire.FileEntry) int { return cmpString(a.Name, b.Name) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Lookup returns the item served under a content id (peer.Catalog). When
// one id is shared under several names, Open uses whichever still holds it.
func (ix *Index) Lookup(id string) (peer.Item, bool) {
	ix.mu.Lock()
	es := slices.Clone(ix.byID[id])
	ix.mu.Unlock()
	if len(es) == 0 {
		return peer.Item{}, false
	}
	return peer.Item{
		Manifest: es[0].m,
		Open:     func() (*os.File, error) { return ix.openEntries(es) },
		Stale:    ix.Rescan,
	}, true
}

// openEntries opens the first of es that is still what was indexed.
func (ix *Index) openEntries(es []*entry) (*os.File, error) {
	var last error
	for _, e := range es {
		f, err := ix.root.Open(e.name)
		if err != nil {
			last = err
			continue
		}
		fi, err := f.Stat()
		if err == nil && fi.Mode().IsRegular() && keyOf(fi) == e.key {
			return f, nil
		}
		f.Close()
		last = peer.ErrChanged
	}
	ix.Rescan()
	if errors.Is(last, fs.ErrNotExist) || errors.Is(last, peer.ErrChanged) {
		return nil, peer.ErrChanged
	}
	return nil, fmt.Errorf("opening shared file: %w", last)
}

// Progress returns a snapshot of the index's state.
func (ix *Index) Progress() Progress {
	ix.mu.Lock()
	p := Progress{
		Scanning:  ix.scanning,
		Files:     len(ix.files),
		Skipped:   ix.skipped,
		LastScan:  ix.lastScan,
		LastError: ix.lastErr,
	}
	for _, e := range ix.files {
		p.Bytes += e.m.Size
	}
	ix.mu.Unlock()
	p.HashFiles, p.HashFilesDone = ix.hashFiles.Load(), ix.hashFilesDone.Load()
	p.HashBytes, p.HashBytesDone = ix.hashBytes.Load(), ix.hashBytesDone.Load()
	return p
}

func (ix *Index) signalChanged() {
	select {
	case ix.changed <- struct{}{}:
	default:
	}
}

// publish replaces the indexed set and signals a change if the announced
// list differs.
func (ix *Index) publish(next map[string]*entry) {
	byID := make(map[string][]*entry, len(next))
	for _, e := range next {
		byID[e.id] = append(byID[e.id], e)
	}
	ix.mu.Lock()
	differs := len(next) != len(ix.files)
	if !differs {
		for name, e := range next {
			if old := ix.files[name]; old == nil || old.id != e.id {
				differs = true
				break
			}
		}
	}
	ix.files, ix.byID = next, byID
	ix.mu.Unlock()
	if differs {
		ix.signalChanged()
	}
}

// add publishes one newly hashed file. The maps are only touched under
// mu; readers copy what they need under mu too.
func (ix *Index) add(e *entry) {
	ix.mu.Lock()
	old := ix.files[e.name]
	ix.files[e.name] = e
	if old != nil {
		ix.removeIDLocked(old)
	}
	ix.byID[e.id] = append(ix.byID[e.id], e)
	ix.mu.Unlock()
	if old == nil || old.id != e.id {
		ix.signalChanged()
	}
}

// removeIDLocked drops e from the by-id map.
func (ix *Index) removeIDLocked(e *entry) {
	es := slices.DeleteFunc(ix.byID[e.id], func(x *entry) bool { return x == e })
	if len(es) == 0 {
		delete(ix.byID, e.id)
	} else {
		ix.byID[e.id] = es
	}
}
