package share

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// scanGapFactor bounds the share of time spent rescanning a busy folder.
const scanGapFactor = 4

// Run indexes the folder and then follows it until ctx ends: file system
// events (debounced) and a periodic full rescan, the safety net for events
// that were missed or dropped, each trigger a scan. Only what changed is
// hashed again. It returns nil when ctx ends, or the first scan's error
// when the folder cannot be read at all.
func (ix *Index) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	w, err := fsnotify.NewWatcher()
	if err != nil {
		ix.log.Warn("Cannot watch the shared folder; relying on periodic rescans", "error", err, "every", ix.cfg.RescanInterval)
	} else {
		// Scans add a watch on each folder before listing it, so nothing
		// created after a walk saw a folder can go unnoticed.
		ix.watcher.Store(w)
		defer ix.watcher.Store(nil)
		wg.Go(func() { ix.watch(ctx, w) })
	}

	retry, err := ix.Scan(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	lastEnd, lastDur := time.Now(), ix.lastWalkDuration()
	ticker := time.NewTicker(ix.cfg.RescanInterval)
	defer ticker.Stop()
	for {
		var retryC <-chan time.Time
		var t *time.Timer
		if retry > 0 {
			t = time.NewTimer(retry)
			retryC = t.C
		}
		select {
		case <-ctx.Done():
		case <-ix.nudge:
		case <-ticker.C:
		case <-retryC:
		}
		if t != nil {
			t.Stop()
		}
		// A folder that keeps changing (a log being written) must not keep
		// a core walking it: leave at least scanGapFactor times the last
		// walk's duration between scans (hashing time does not count).
		if wait := lastDur*scanGapFactor - time.Since(lastEnd); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		retry, err = ix.Scan(ctx)
		lastEnd, lastDur = time.Now(), ix.lastWalkDuration()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			ix.log.Warn("Rescan failed", "error", err)
		}
	}
}

// watch reads w's events until ctx ends, then closes w. It watches new
// folders as soon as they are created (scans watch the others) and turns
// bursts of events into one rescan request, Debounce after the first event
// of the burst.
func (ix *Index) watch(ctx context.Context, w *fsnotify.Watcher) {
	defer w.Close()
	var debounce <-chan time.Time
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ix.ignored(ev.Name, false) {
				continue
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
					ix.addTree(w, ev.Name)
				}
			}
			if debounce == nil {
				timer = time.NewTimer(ix.cfg.Debounce)
				debounce = timer.C
			}
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			if !errors.Is(err, fsnotify.ErrEventOverflow) {
				ix.log.Warn("Watching the shared folder", "error", err)
			}
			ix.Rescan()
		case <-debounce:
			debounce, timer = nil, nil
			ix.Rescan()
		}
	}
}

// ignored reports whether abs (a folder when isDir) is nothing the index
// shares, so that its events need no rescan and it needs no watch: partial
// downloads, the hash cache itself, hidden files and folders (unless
// shared), and what the ignore files of the last walk exclude. An ignore
// file is never ignored: a change to it changes what is shared.
func (ix *Index) ignored(abs string, isDir bool) bool {
	rel, err := filepath.Rel(ix.dir, abs)
	if err != nil {
		return true
	}
	rel = filepath.ToSlash(rel)
	if rel == "." {
		return false
	}
	els := strings.Split(rel, "/")
	for i, el := range els {
		switch {
		case el == ".." || strings.HasPrefix(el, PartialPrefix):
			return true
		case el == IgnoreFile && i == len(els)-1:
			return false
		case hidden(el) && !ix.cfg.Hidden:
			return true
		}
	}
	return ix.isCacheFile(abs) || ix.rules.Load().match(rel, isDir)
}

// isCacheFile reports whether abs is the hash cache or one of its
// temporary files (when the cache lives inside the shared folder).
func (ix *Index) isCacheFile(abs string) bool {
	return ix.cache != nil && strings.HasPrefix(abs, ix.cache.path)
}

// watchDir watches a folder of the share (name relative to it) if a
// watcher is running.
func (ix *Index) watchDir(name string) {
	if w := ix.watcher.Load(); w != nil {
		ix.addWatch(w, filepath.Join(ix.dir, filepath.FromSlash(name)))
	}
}

// addTree watches a newly created folder and its subfolders (not following
// symbolic links).
func (ix *Index) addTree(w *fsnotify.Watcher, abs string) {
	filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if ix.ignored(p, true) {
			return fs.SkipDir
		}
		ix.addWatch(w, p)
		return nil
	})
}

func (ix *Index) addWatch(w *fsnotify.Watcher, abs string) {
	err := w.Add(abs)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fsnotify.ErrClosed) &&
		ix.watchWarned.CompareAndSwap(false, true) { // once: a watch limit would repeat it per folder
		ix.log.Warn("Cannot watch folder; relying on periodic rescans", "path", abs, "error", err, "every", ix.cfg.RescanInterval)
	}
}
