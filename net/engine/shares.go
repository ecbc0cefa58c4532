package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/share"
	"github.com/enxame/enxame/net/wire"
)

// ErrNotShared is returned by RemoveShareDir for a folder not shared.
var ErrNotShared = errors.New("the folder is not shared")

// ErrAlreadyShared is returned by AddShareDir for a folder shared already.
var ErrAlreadyShared = errors.New("the folder is shared already")

// shareSet is the node's index: the shared folders, one share.Index each,
// added and removed while the node runs (the node, its chunk server and
// the downloads go on). With several folders each file's shared name
// starts with its folder's label: the folder's base name, made unique
// ("docs", "docs (2)") in the order the folders were added.
//
// The folders' indexes run under the context Run was given; a folder
// added before Run starts with it.
type shareSet struct {
	newIndex func(dir string) (*share.Index, error)
	changed  chan struct{} // cap 1: Files changed
	ready    chan struct{} // closed when the first folders were walked once

	mu      sync.Mutex
	ctx     context.Context // Run's, nil before
	fail    func(error)     // ends Run with an error
	wg      *sync.WaitGroup // Run's folder goroutines
	folders []*sharedFolder
}

// sharedFolder is one shared folder and its index's run.
type sharedFolder struct {
	dir    string // as given
	ix     *share.Index
	cancel context.CancelFunc // set while its index runs
	done   chan struct{}      // closed when its index stopped
}

func newShareSet(newIndex func(dir string) (*share.Index, error)) *shareSet {
	return &shareSet{newIndex: newIndex, changed: make(chan struct{}, 1), ready: make(chan struct{})}
}

// FolderStatus is one shared folder in a Snapshot.
type FolderStatus struct {
	Dir   string // the folder, as given
	Label string // what its files' shared names start with ("" with one folder)
	share.Progress
}

func (s *shareSet) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// add opens dir and indexes it (at once if Run is running).
func (s *shareSet) add(dir string) error {
	s.mu.Lock()
	dup := slices.ContainsFunc(s.folders, func(f *sharedFolder) bool { return sameDir(f.dir, dir) })
	s.mu.Unlock()
	if dup {
		return fmt.Errorf("%s: %w", dir, ErrAlreadyShared)
	}
	ix, err := s.newIndex(dir)
	if err != nil {
		return err
	}
	f := &sharedFolder{dir: dir, ix: ix, done: make(chan struct{})}
	s.mu.Lock()
	s.folders = append(s.folders, f)
	if s.ctx != nil {
		s.startLocked(f)
	}
	s.mu.Unlock()
	s.signal()
	return nil
}

// remove stops sharing dir and waits for its index to stop.
func (s *shareSet) remove(dir string) error {
	s.mu.Lock()
	i := slices.IndexFunc(s.folders, func(f *sharedFolder) bool { return sameDir(f.dir, dir) })
	if i < 0 {
		s.mu.Unlock()
		return fmt.Errorf("%s: %w", dir, ErrNotShared)
	}
	f := s.folders[i]
	s.folders = slices.Delete(s.folders, i, i+1)
	cancel := f.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-f.done
	}
	f.ix.Close()
	s.signal()
	return nil
}

// startLocked runs f's index under Run's context, forwarding its changes.
func (s *shareSet) startLocked(f *sharedFolder) {
	ctx, cancel := context.WithCancel(s.ctx)
	f.cancel = cancel
	fail := s.fail
	s.wg.Go(func() {
		defer close(f.done)
		var fwd sync.WaitGroup
		fwd.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-f.ix.Changed():
					s.signal()
				}
			}
		})
		err := f.ix.Run(ctx)
		cancel()
		fwd.Wait()
		if err != nil && ctx.Err() == nil {
			fail(fmt.Errorf("%s: %w", f.dir, err))
		}
	})
}

// Run indexes and watches every folder, and those added meanwhile, until
// ctx ends or one of them cannot be indexed at all.
func (s *shareSet) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	s.mu.Lock()
	s.ctx, s.wg, s.fail = ctx, &wg, func(err error) { cancel(err) }
	first := slices.Clone(s.folders)
	for _, f := range s.folders {
		s.startLocked(f)
	}
	s.mu.Unlock()
	// Ready once the folders shared at the start were walked once.
	wg.Go(func() {
		for _, f := range first {
			select {
			case <-f.ix.Ready():
			case <-f.done:
			case <-ctx.Done():
				return
			}
		}
		close(s.ready)
	})
	<-ctx.Done()
	wg.Wait()
	s.mu.Lock()
	s.ctx = nil
	for _, f := range s.folders {
		f.cancel = nil
	}
	s.mu.Unlock()
	if err := context.Cause(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// Ready is closed once the folders shared at the start were walked.
func (s *shareSet) Ready() <-chan struct{} { return s.ready }

// Changed is signalled (coalesced) when Files changed.
func (s *shareSet) Changed() <-chan struct{} { return s.changed }

// close releases every folder's handle; call after Run returned.
func (s *shareSet) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.folders {
		f.ix.Close()
	}
}

// labelled is the folders with their labels, in the order added.
func (s *shareSet) labelled() ([]*sharedFolder, []string) {
	s.mu.Lock()
	fs := slices.Clone(s.folders)
	s.mu.Unlock()
	dirs := make([]string, len(fs))
	for i, f := range fs {
		dirs[i] = f.dir
	}
	return fs, folderLabels(dirs)
}

// folderLabels names each folder for the prefix of its files' names: none
// with one folder; else its base name, the second of a name "name (2)" and
// so on.
func folderLabels(dirs []string) []string {
	labels := make([]string, len(dirs))
	if len(dirs) < 2 {
		return labels
	}
	used := map[string]bool{}
	for i, d := range dirs {
		base := filepath.Base(filepath.Clean(d))
		if base == "." || base == string(filepath.Separator) || base == "" {
			base = "shared"
		}
		label := base
		for n := 2; used[label]; n++ {
			label = base + " (" + strconv.Itoa(n) + ")"
		}
		used[label] = true
		labels[i] = label
	}
	return labels
}

// Files lists every folder's files, named under their folder's label when
// there are several; a name made too long by its label is left out.
func (s *shareSet) Files() []wire.FileEntry {
	fs, labels := s.labelled()
	var out []wire.FileEntry
	for i, f := range fs {
		for _, fe := range f.ix.Files() {
			if labels[i] != "" {
				fe.Name = labels[i] + "/" + fe.Name
				if wire.ValidateName(fe.Name) != nil {
					continue
				}
			}
			out = append(out, fe)
		}
	}
	return out
}

// Lookup serves id from the first folder holding it.
func (s *shareSet) Lookup(id string) (peer.Item, bool) {
	s.mu.Lock()
	fs := slices.Clone(s.folders)
	s.mu.Unlock()
	for _, f := range fs {
		if it, ok := f.ix.Lookup(id); ok {
			return it, true
		}
	}
	return peer.Item{}, false
}

// status is each folder's state, and all of them summed up.
func (s *shareSet) status() ([]FolderStatus, share.Progress) {
	fs, labels := s.labelled()
	out := make([]FolderStatus, len(fs))
	var sum share.Progress
	for i, f := range fs {
		p := f.ix.Progress()
		out[i] = FolderStatus{Dir: f.dir, Label: labels[i], Progress: p}
		sum = addProgress(sum, p)
	}
	return out, sum
}

// addProgress adds b's counts to a's: the state of several folders as one.
func addProgress(a, b share.Progress) share.Progress {
	a.Scanning = a.Scanning || b.Scanning
	a.Files += b.Files
	a.Bytes += b.Bytes
	a.HashFiles += b.HashFiles
	a.HashFilesDone += b.HashFilesDone
	a.HashBytes += b.HashBytes
	a.HashBytesDone += b.HashBytesDone
	k, l := &a.Skipped, b.Skipped
	k.Outside += l.Outside
	k.DirLinks += l.DirLinks
	k.Special += l.Special
	k.Unreadable += l.Unreadable
	k.Partial += l.Partial
	k.BadName += l.BadName
	k.Unsettled += l.Unsettled
	k.Hidden += l.Hidden
	k.Ignored += l.Ignored
	if b.LastScan.After(a.LastScan) {
		a.LastScan = b.LastScan
	}
	if a.LastError == "" {
		a.LastError = b.LastError
	}
	return a
}

// sameDir reports whether a and b name the same folder.
func sameDir(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return aa == bb
}

var _ peer.Index = (*shareSet)(nil)
