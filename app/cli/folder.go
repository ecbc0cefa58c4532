package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/transfer"
	"github.com/enxame/enxame/net/wire"
)

// maxFolderFiles bounds the files one get of a folder reads from the
// tracker (search pages of 200).
const maxFolderFiles = 100_000

// folderConcurrency is how many files of a folder download at once: small
// files are bound by each download's round trips (plan, manifest, chunk,
// save), so several run together (4 took 1.9x aria2c's speed on 100 files
// of 64 KiB, 16 took 2.2x on 200: scripts/bench-folder.sh); few enough
// that a folder of thousands of files does not open thousands of
// connections.
const folderConcurrency = 16

// folderFile is one file of a shared folder: its shared name, its path
// inside the folder, and the version to fetch ("" lets the download pick,
// by the most hosts, when several are offered).
type folderFile struct {
	name  string
	rel   string
	id    string
	size  int64
	offer []wire.SearchResult // the folder search's results of this name
}

// matchesFile reports whether a search answer has a file that get NAME
// would fetch: a shared name or last path element equal to name, or its
// content id.
func matchesFile(resp *wire.SearchResponse, name string) bool {
	isID := wire.ValidID(name)
	return slices.ContainsFunc(resp.Results, func(r wire.SearchResult) bool {
		return r.Name == name || path.Base(r.Name) == name || (isID && r.ID == name)
	})
}

// folderPaths returns the folders a search answer holds that name names
// (shared/CLI.md, "Folders"): a folder whose path, or whose last element,
// is name. Sorted.
func folderPaths(resp *wire.SearchResponse, name string) []string {
	name = strings.Trim(name, "/")
	if name == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, r := range resp.Results {
		dir := path.Dir(r.Name)
		for dir != "." && dir != "/" && dir != "" {
			if !seen[dir] && (dir == name || path.Base(dir) == name) {
				seen[dir] = true
			}
			dir = path.Dir(dir)
		}
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// folderFiles lists the files under folder dir, one entry per shared
// name; a name offered in one version only is pinned to it.
func folderFiles(resp *wire.SearchResponse, dir string) []folderFile {
	ids := map[string]map[string]int64{}
	offers := map[string][]wire.SearchResult{}
	for _, r := range resp.Results {
		if !wire.ValidID(r.ID) || !strings.HasPrefix(r.Name, dir+"/") {
			continue
		}
		if ids[r.Name] == nil {
			ids[r.Name] = map[string]int64{}
		}
		ids[r.Name][r.ID] = r.Size
		offers[r.Name] = append(offers[r.Name], r)
	}
	var out []folderFile
	for name, versions := range ids {
		f := folderFile{name: name, rel: strings.TrimPrefix(name, dir+"/"), offer: offers[name]}
		if len(versions) == 1 {
			for id, size := range versions {
				f.id, f.size = id, size
			}
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b folderFile) int { return strings.Compare(a.rel, b.rel) })
	return out
}

// getFolder downloads every file of folder dir into out/<its last
// element>/…, keeping the tree, at most folderConcurrency at once, and
// prints the folder's path on stdout when every file is saved. A file
// that fails stops the others (their verified chunks are kept: the same
// command resumes), and the first failure is the exit reason.
func getFolder(ctx context.Context, env Env, e *engine.Engine, resp *wire.SearchResponse, dir, out string) int {
	parent := ctx
	files := folderFiles(resp, dir)
	root := filepath.Join(out, transfer.SafeName(path.Base(dir)))
	var total int64
	for _, f := range files {
		total += f.size
	}
	fmt.Fprintln(env.Stderr, "enxame get: "+lang.N("folder {{.Folder}}: {{.Count}} files, {{.Size}}", i18n.Plural(len(files)), vars{
		"Folder": wire.SafeText(dir), "Count": len(files), "Size": i18n.SizeIEC(total)}))
	if len(files) == 0 {
		fmt.Fprintln(env.Stderr, "enxame get: "+lang.L("folder {{.Folder}} holds no file", vars{"Folder": wire.SafeText(dir)}))
		return ExitFailure
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Files of one content id go to one worker, one after the other: the
	// engine runs one download per id at a time.
	var groups [][]folderFile
	byID := map[string]int{}
	for _, f := range files {
		if i, ok := byID[f.id]; ok && f.id != "" {
			groups[i] = append(groups[i], f)
			continue
		}
		byID[f.id] = len(groups)
		groups = append(groups, []folderFile{f})
	}
	work := make(chan []folderFile)
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		kept     int                   // saved by an earlier run: not fetched again
		keys     = map[string]string{} // rel → engine key, while running
	)
	fail := func(f folderFile, err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", f.rel, err)
			cancel()
		}
	}
	// fetchOne downloads f and waits for it, unless an earlier run saved
	// it already.
	fetchOne := func(f folderFile) {
		target := transfer.FolderDir(root, f.rel)
		if alreadySaved(filepath.Join(target, transfer.SafeName(path.Base(f.name))), f) {
			mu.Lock()
			done++
			kept++
			mu.Unlock()
			return
		}
		if err := os.MkdirAll(target, 0o755); err != nil {
			fail(f, err)
			return
		}
		// The folder's search answered where each file is: the download
		// plans from that, not from a search of its own.
		key, err := e.Download(engine.Request{Name: f.name, ID: f.id, Dir: target, Offer: f.offer})
		if err != nil {
			fail(f, err)
			return
		}
		mu.Lock()
		keys[f.rel] = key
		mu.Unlock()
		err = e.WaitDownload(context.WithoutCancel(ctx), key)
		mu.Lock()
		delete(keys, f.rel)
		if err == nil {
			done++
		}
		mu.Unlock()
		if err != nil {
			fail(f, err)
		}
	}
	var wg sync.WaitGroup
	for range min(folderConcurrency, len(groups)) {
		wg.Go(func() {
			for g := range work {
				for _, f := range g {
					if ctx.Err() == nil {
						fetchOne(f)
					}
				}
			}
		})
	}
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		defer close(work)
		for _, g := range groups {
			select {
			case work <- g:
			case <-ctx.Done():
				return
			}
		}
	}()
	// Stopping (an interrupt, or a failure) cancels what runs: each keeps
	// its verified chunks for the next run.
	stopRunning := context.AfterFunc(ctx, func() {
		mu.Lock()
		running := make([]string, 0, len(keys))
		for _, k := range keys {
			running = append(running, k)
		}
		mu.Unlock()
		for _, k := range running {
			e.Pause(k)
		}
	})
	defer stopRunning()

	tick := time.NewTicker(plainInterval)
	defer tick.Stop()
	finished := make(chan struct{})
	go func() { wg.Wait(); <-feedDone; close(finished) }()
	lastLine := time.Time{}
	progress := func(force bool) {
		mu.Lock()
		n := done
		running := make([]string, 0, len(keys))
		for _, k := range keys {
			running = append(running, k)
		}
		mu.Unlock()
		if !force && time.Since(lastLine) < plainEvery {
			return
		}
		lastLine = time.Now()
		var inFlight int64
		for _, k := range running {
			if tr, ok := e.Transfer(k); ok {
				inFlight += tr.Done
			}
		}
		fmt.Fprintln(env.Stderr, "enxame get: "+lang.N("folder {{.Folder}}: {{.Done}} of {{.Count}} files saved ({{.Size}} in files under way)", i18n.Plural(len(files)), vars{
			"Folder": wire.SafeText(dir), "Done": n, "Count": len(files), "Size": i18n.SizeIEC(inFlight)}))
	}
	for waiting := true; waiting; {
		select {
		case <-finished:
			waiting = false
		case <-tick.C:
			progress(false)
		}
	}
	mu.Lock()
	err, n := firstErr, done
	if kept > 0 {
		fmt.Fprintln(env.Stderr, "enxame get: "+lang.N("{{.Count}} files were saved by an earlier run and checked: not fetched again", i18n.Plural(kept), vars{"Count": kept}))
	}
	mu.Unlock()
	switch {
	case err == nil && n == len(files):
		fmt.Fprintln(env.Stderr, "enxame get: "+lang.N("saved folder {{.Folder}} ({{.Count}} files, {{.Size}})", i18n.Plural(n), vars{
			"Folder": root, "Count": n, "Size": i18n.SizeIEC(total)}))
		fmt.Fprintln(env.Stdout, root)
		return ExitOK
	case parent.Err() != nil:
		fmt.Fprintln(env.Stderr, "enxame get: "+lang.N("interrupted with {{.Done}} of {{.Count}} files saved in {{.Folder}}; run the same command again to resume", i18n.Plural(len(files)), vars{
			"Done": n, "Count": len(files), "Folder": root}))
		return ExitOK
	default:
		fmt.Fprintf(env.Stderr, "enxame get: %s: %s (%s)\n", lang.L("folder {{.Folder}}", vars{"Folder": wire.SafeText(dir)}), wire.SafeText(oneLine(err)),
			lang.N("{{.Done}} of {{.Count}} files saved in {{.Folder}}; run the same command again to resume", i18n.Plural(len(files)), vars{"Done": n, "Count": len(files), "Folder": root}))
		return ExitFailure
	}
}

// alreadySaved reports whether the file f of a folder is saved at p
// already, by an earlier run of the same get (one interrupted, and run
// again to resume): a regular file of f's size whose content id is one
// f may be (f.id, or a version the folder's search offered under its
// name), checked by hashing it. Without it, the files the earlier run
// saved were fetched again beside themselves, as "name (1)".
func alreadySaved(p string, f folderFile) bool {
	sizes := map[string]int64{}
	for _, r := range f.offer {
		if f.id == "" || r.ID == f.id {
			sizes[r.ID] = r.Size
		}
	}
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	if !slices.Contains(slices.Collect(maps.Values(sizes)), fi.Size()) {
		return false
	}
	fh, err := os.Open(p)
	if err != nil {
		return false
	}
	defer fh.Close()
	m, err := wire.ManifestOf(fh, fi.Size(), nil, nil)
	if err != nil {
		return false
	}
	size, ok := sizes[m.ID()]
	return ok && size == fi.Size()
}

// listFolders tells which folders of that name exist, for the user to
// pick one by its path.
func listFolders(w io.Writer, name string, dirs []string) {
	fmt.Fprintln(w, "enxame get: "+lang.L("several folders named {{.Name}}:", vars{"Name": strconv.Quote(wire.SafeText(name))}))
	for _, d := range dirs {
		fmt.Fprintf(w, "enxame get:   %s\n", wire.SafeText(d))
	}
	fmt.Fprintln(w, "enxame get: "+lang.L("pick one by its path, e.g. enxame get {{.Path}}", vars{"Path": quoteArg(dirs[0])}))
}

// quoteArg quotes s for a shell when it needs it.
func quoteArg(s string) string {
	if strings.ContainsAny(s, " \t'\"\\$`!*?&;|<>()") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}
