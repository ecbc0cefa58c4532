package share

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/enxame/enxame/net/wire"
)

// found is a regular file the walk found.
type found struct {
	name string
	key  fileKey
}

// walkResult is what one walk of the folder saw.
type walkResult struct {
	files   []found
	skipped Skipped
	rules   *ignoreRules // the ignore files found
}

// walk lists the regular files of the share, following symbolic links that
// resolve to regular files inside it (as os.Root resolves them) and
// skipping everything else that must not be shared: hidden files and
// folders (unless Config.Hidden), what an ignore file excludes, and the
// ignore files themselves.
func (ix *Index) walk(ctx context.Context) (walkResult, error) {
	res := walkResult{rules: &ignoreRules{}}
	fsys := ix.root.FS()
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			if name == "." {
				return err
			}
			res.skipped.Unreadable++
			ix.log.Warn("Skipping unreadable path", "name", name, "error", err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if name != "." {
			if why := ix.skipReason(name, d.IsDir(), &res); why != nil {
				*why++
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
		}
		mode := d.Type()
		switch {
		case mode.IsDir():
			ix.watchDir(name) // before WalkDir lists it
			if err := res.rules.load(ix.root, name); err != nil {
				res.skipped.Unreadable++
				ix.log.Warn("Skipping unreadable ignore file; not sharing its folder", "name", path.Join(name, IgnoreFile), "error", err)
				return fs.SkipDir
			}
			return nil
		case mode&fs.ModeSymlink != 0:
			fi, err := ix.root.Stat(name)
			if err != nil {
				res.skipped.Outside++
				ix.log.Debug("Skipping symlink that leads outside the folder", "name", name, "error", err)
				return nil
			}
			if fi.IsDir() {
				res.skipped.DirLinks++
				return nil
			}
			if !fi.Mode().IsRegular() {
				res.skipped.Special++
				return nil
			}
			return ix.foundFile(&res, name, fi)
		case mode.IsRegular():
			fi, err := d.Info()
			if err != nil { // vanished since the listing
				return nil
			}
			return ix.foundFile(&res, name, fi)
		default:
			res.skipped.Special++
			return nil
		}
	})
	return res, err
}

// skipReason returns the counter in res of the reason name is not shared,
// or nil when it may be. res.rules holds the ignore files of the folders
// above name.
func (ix *Index) skipReason(name string, isDir bool, res *walkResult) *int {
	base := path.Base(name)
	switch {
	case strings.HasPrefix(base, PartialPrefix) || ix.isCacheFile(filepath.Join(ix.dir, filepath.FromSlash(name))):
		return &res.skipped.Partial
	case base == IgnoreFile:
		return &res.skipped.Ignored
	case hidden(base) && !ix.cfg.Hidden:
		return &res.skipped.Hidden
	case res.rules.match(name, isDir):
		return &res.skipped.Ignored
	}
	return nil
}

func (ix *Index) foundFile(res *walkResult, name string, fi fs.FileInfo) error {
	if err := wire.ValidateName(name); err != nil {
		res.skipped.BadName++
		ix.log.Warn("Skipping file whose name cannot be announced", "name", name, "error", err)
		return nil
	}
	res.files = append(res.files, found{name: name, key: keyOf(fi)})
	return nil
}

// Scan walks the folder once, publishes what it finds, and hashes what is
// new or changed, publishing each file as soon as it is hashed. It returns
// how long to wait before scanning again for files that were still being
// written (0 when none), and an error only when the folder itself cannot be
// read or ctx ended.
func (ix *Index) Scan(ctx context.Context) (retry time.Duration, err error) {
	ix.scanMu.Lock()
	defer ix.scanMu.Unlock()
	ix.setScanning(true)
	defer func() {
		ix.mu.Lock()
		ix.scanning = false
		ix.lastScan = time.Now()
		ix.lastErr = ""
		if err != nil {
			ix.lastErr = err.Error()
		}
		ix.mu.Unlock()
	}()

	walkStart := time.Now()
	res, err := ix.walk(ctx)
	if err != nil {
		return 0, fmt.Errorf("walking shared folder: %w", err)
	}
	ix.mu.Lock()
	ix.walkDur = time.Since(walkStart)
	ix.mu.Unlock()
	ix.rules.Store(res.rules)

	now := time.Now()
	ix.mu.Lock()
	cur := ix.files
	ix.mu.Unlock()
	next := make(map[string]*entry, len(res.files))
	var todo []found
	seenNow := make(map[string]seen)
	for _, f := range res.files {
		if e := cur[f.name]; e != nil && e.key == f.key {
			next[f.name] = e
			continue
		}
		if m := ix.cache.get(f.name, f.key); m != nil {
			next[f.name] = &entry{name: f.name, key: f.key, m: m, id: m.ID()}
			continue
		}
		if !ix.settled(f, now) {
			res.skipped.Unsettled++
			if s, ok := ix.seen[f.name]; ok && s.key == f.key {
				seenNow[f.name] = s
			} else {
				seenNow[f.name] = seen{key: f.key, at: now}
			}
			continue
		}
		if k, ok := ix.failed[f.name]; ok && k == f.key {
			res.skipped.Unreadable++
			continue
		}
		todo = append(todo, f)
	}
	ix.seen = seenNow
	present := make(map[string]fileKey, len(res.files))
	for _, f := range res.files {
		present[f.name] = f.key
	}
	for name, k := range ix.failed {
		if pk, ok := present[name]; !ok || pk != k {
			delete(ix.failed, name) // gone or changed: try (and log) again
		}
	}
	ix.mu.Lock()
	ix.skipped = res.skipped
	ix.mu.Unlock()
	ix.publish(next)
	ix.readyOnce.Do(func() { close(ix.ready) })

	unsettled, unreadable, err := ix.hashAll(ctx, todo)
	if err != nil {
		return 0, err
	}
	ix.mu.Lock()
	ix.skipped.Unsettled += unsettled
	ix.skipped.Unreadable += unreadable
	keep := make(map[string]fileKey, len(ix.files))
	for name, e := range ix.files {
		keep[name] = e.key
	}
	ix.mu.Unlock()
	if ix.cache != nil {
		ix.cache.prune(keep)
		if err := ix.cache.save(); err != nil {
			ix.log.Warn("Cannot save hash cache", "path", ix.cache.path, "error", err)
		}
	}
	if len(ix.seen) > 0 || unsettled > 0 {
		retry = ix.cfg.SettleTime
	}
	return retry, nil
}

// settled reports whether f has stopped changing: its modification time is
// older than the settle time, or an earlier scan at least that long ago saw
// it exactly as it is now (which copes with timestamps from the future).
func (ix *Index) settled(f found, now time.Time) bool {
	if age := now.Sub(time.Unix(0, f.key.MtimeNs)); age >= ix.cfg.SettleTime {
		return true
	}
	s, ok := ix.seen[f.name]
	return ok && s.key == f.key && now.Sub(s.at) >= ix.cfg.SettleTime
}

func (ix *Index) lastWalkDuration() time.Duration {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.walkDur
}

func (ix *Index) setScanning(on bool) {
	ix.mu.Lock()
	ix.scanning = on
	ix.mu.Unlock()
}
