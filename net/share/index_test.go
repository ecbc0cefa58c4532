package share

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/enxame/enxame/net/enxametest"

	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// writeOld writes a file with a modification time in the past, so the
// index does not wait for it to settle.
func writeOld(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

func newIndex(t *testing.T, cfg Config) *Index {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	if cfg.CacheFile == "" && !cfg.NoCache {
		cfg.NoCache = true
	}
	ix, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func scan(t *testing.T, ix *Index) {
	t.Helper()
	if _, err := ix.Scan(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func byName(files []wire.FileEntry) map[string]wire.FileEntry {
	m := map[string]wire.FileEntry{}
	for _, f := range files {
		m[f.Name] = f
	}
	return m
}

func TestIDsMatchContract(t *testing.T) {
	dir := t.TempDir()
	const c = 256 << 10
	sizes := map[string]int{
		"empty":         0,
		"one":           1,
		"chunk-1":       c - 1,
		"chunk":         c,
		"chunk+1":       c + 1,
		"sub/multi":     5*c + 17,
		"sub/deep/segs": 40<<20 + 5, // several hashing segments
	}
	want := map[string]string{}
	for name, size := range sizes {
		data := randomBytes(uint64(size), size)
		writeOld(t, filepath.Join(dir, filepath.FromSlash(name)), data)
		want[name] = enxametest.ContentID(data)
	}
	ix := newIndex(t, Config{Dir: dir, Workers: 3})
	scan(t, ix)
	got := byName(ix.Files())
	if len(got) != len(want) {
		t.Fatalf("indexed %d files, want %d: %v", len(got), len(want), got)
	}
	for name, id := range want {
		f, ok := got[name]
		if !ok {
			t.Errorf("%s: not indexed", name)
			continue
		}
		if f.ID != id || f.Size != int64(sizes[name]) || !f.Complete {
			t.Errorf("%s: got %+v, want id %s size %d", name, f, id, sizes[name])
		}
		it, ok := ix.Lookup(id)
		if !ok || it.Manifest.ID() != id || it.Have != nil {
			t.Errorf("%s: Lookup(%s) = %v", name, id, ok)
		}
	}
	p := ix.Progress()
	if p.Scanning || p.Files != len(want) || p.HashBytesDone != p.HashBytes || p.HashFilesDone != p.HashFiles {
		t.Errorf("progress after scan: %+v", p)
	}
}

// countingOpen wraps ix.open to count the files opened for hashing.
func countingOpen(ix *Index) *atomic.Int64 {
	var n atomic.Int64
	open := ix.open
	ix.open = func(name string) (*os.File, error) {
		n.Add(1)
		return open(name)
	}
	return &n
}

func TestCacheHitAndInvalidation(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(t.TempDir(), "sub", "hash.cache")
	for i, name := range []string{"a", "b", "dir/c"} {
		writeOld(t, filepath.Join(dir, name), randomBytes(uint64(i), 300<<10))
	}
	first := newIndex(t, Config{Dir: dir, CacheFile: cache})
	opens := countingOpen(first)
	scan(t, first)
	if opens.Load() != 3 {
		t.Fatalf("first scan hashed %d files, want 3", opens.Load())
	}
	want := first.Files()

	// Restart on the unchanged folder: nothing is hashed.
	second := newIndex(t, Config{Dir: dir, CacheFile: cache})
	opens = countingOpen(second)
	scan(t, second)
	if opens.Load() != 0 {
		t.Errorf("restart hashed %d files, want 0", opens.Load())
	}
	if got := second.Files(); !slices.Equal(got, want) {
		t.Errorf("from cache: %v, want %v", got, want)
	}

	// Change one file (content and mtime): only it is hashed again.
	data := randomBytes(99, 300<<10)
	writeOld(t, filepath.Join(dir, "b"), data)
	os.Chtimes(filepath.Join(dir, "b"), time.Now().Add(-time.Minute), time.Now().Add(-time.Minute))
	third := newIndex(t, Config{Dir: dir, CacheFile: cache})
	opens = countingOpen(third)
	scan(t, third)
	if opens.Load() != 1 {
		t.Errorf("after a change hashed %d files, want 1", opens.Load())
	}
	if got := byName(third.Files())["b"].ID; got != enxametest.ContentID(data) {
		t.Errorf("changed file id %s, want %s", got, enxametest.ContentID(data))
	}

	// Same size and mtime but a new inode (replaced by rename): hashed again.
	tmp := filepath.Join(dir, "a.new")
	data = randomBytes(100, 300<<10)
	writeOld(t, tmp, data)
	fi, _ := os.Stat(filepath.Join(dir, "a"))
	os.Chtimes(tmp, fi.ModTime(), fi.ModTime())
	if err := os.Rename(tmp, filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	fourth := newIndex(t, Config{Dir: dir, CacheFile: cache})
	opens = countingOpen(fourth)
	scan(t, fourth)
	if opens.Load() != 1 || byName(fourth.Files())["a"].ID != enxametest.ContentID(data) {
		t.Errorf("after replacing by rename: hashed %d, id %s", opens.Load(), byName(fourth.Files())["a"].ID)
	}

	// A corrupt cache is ignored: everything is hashed again, correctly.
	raw, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"flipped byte": func() []byte { b := slices.Clone(raw); b[len(b)-10] ^= 1; return b }(),
		"truncated":    raw[:len(raw)/2],
		"garbage":      []byte("not a cache at all"),
		"empty":        {},
	} {
		if err := os.WriteFile(cache, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		ix := newIndex(t, Config{Dir: dir, CacheFile: cache})
		opens = countingOpen(ix)
		scan(t, ix)
		if opens.Load() != 3 {
			t.Errorf("%s cache: hashed %d files, want 3", name, opens.Load())
		}
		if got := byName(ix.Files())["a"].ID; got != enxametest.ContentID(data) {
			t.Errorf("%s cache: id %s", name, got)
		}
	}
}

func TestCacheOfAnotherFolderIgnored(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "hash.cache")
	d1, d2 := t.TempDir(), t.TempDir()
	writeOld(t, filepath.Join(d1, "x"), []byte("one"))
	writeOld(t, filepath.Join(d2, "x"), []byte("two"))
	scan(t, newIndex(t, Config{Dir: d1, CacheFile: cache}))
	ix := newIndex(t, Config{Dir: d2, CacheFile: cache})
	scan(t, ix)
	if got := byName(ix.Files())["x"].ID; got != enxametest.ContentID([]byte("two")) {
		t.Errorf("id %s, want the second folder's", got)
	}
}

func TestUnreadableFileSkipped(t *testing.T) {
	dir := t.TempDir()
	writeOld(t, filepath.Join(dir, "ok.txt"), []byte("fine"))
	writeOld(t, filepath.Join(dir, "secret.txt"), []byte("no"))
	ix := newIndex(t, Config{Dir: dir})
	// Tests run as root, which chmod 000 does not stop: fail the open the
	// way an unreadable file does instead.
	open := ix.open
	ix.open = func(name string) (*os.File, error) {
		if name == "secret.txt" {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
		}
		return open(name)
	}
	scan(t, ix)
	got := byName(ix.Files())
	if _, ok := got["ok.txt"]; !ok || len(got) != 1 {
		t.Fatalf("indexed %v, want only ok.txt", got)
	}
	if sk := ix.Progress().Skipped; sk.Unreadable != 1 {
		t.Errorf("skipped %+v", sk)
	}
	// A later scan does not retry (or log) it until it changes.
	scan(t, ix)
	if sk := ix.Progress().Skipped; sk.Unreadable != 1 {
		t.Errorf("second scan skipped %+v", sk)
	}
}

func TestUnreadableFileChmod(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permission bits do not stop root from reading (TestUnreadableFileSkipped covers the path)")
	}
	dir := t.TempDir()
	writeOld(t, filepath.Join(dir, "ok.txt"), []byte("fine"))
	writeOld(t, filepath.Join(dir, "secret.txt"), []byte("no"))
	os.Chmod(filepath.Join(dir, "secret.txt"), 0)
	ix := newIndex(t, Config{Dir: dir})
	scan(t, ix)
	if got := byName(ix.Files()); len(got) != 1 {
		t.Fatalf("indexed %v, want only ok.txt", got)
	}
}

func TestOpenRefusesChangedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	data := randomBytes(1, 1000)
	writeOld(t, path, data)
	ix := newIndex(t, Config{Dir: dir})
	scan(t, ix)
	id := enxametest.ContentID(data)
	it, ok := ix.Lookup(id)
	if !ok {
		t.Fatal("not indexed")
	}
	f, err := it.Open()
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	// Same size, new content and mtime.
	if err := os.WriteFile(path, randomBytes(2, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := it.Open(); !errors.Is(err, peer.ErrChanged) {
		t.Fatalf("open after change: %v, want ErrChanged", err)
	}
	select {
	case <-ix.nudge:
	default:
		t.Error("a changed file did not ask for a rescan")
	}
	os.Remove(path)
	if _, err := it.Open(); !errors.Is(err, peer.ErrChanged) {
		t.Fatalf("open after delete: %v, want ErrChanged", err)
	}
}

func TestNewMissingFolder(t *testing.T) {
	if _, err := New(Config{Dir: filepath.Join(t.TempDir(), "nope"), NoCache: true}); err == nil {
		t.Fatal("New on a missing folder succeeded")
	}
}

// waitFiles waits (bounded) until cond holds for the announced files,
// re-checking whenever the index signals a change.
func waitFiles(t *testing.T, ix *Index, what string, cond func(map[string]wire.FileEntry) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if cond(byName(ix.Files())) {
			return
		}
		select {
		case <-ix.Changed():
		case <-deadline:
			t.Fatalf("%s: not seen within 10s; files %v", what, ix.Files())
		}
	}
}

func TestWatcher(t *testing.T) {
	dir := t.TempDir()
	writeOld(t, filepath.Join(dir, "start.txt"), []byte("start"))
	ix := newIndex(t, Config{
		Dir: dir, RescanInterval: time.Hour, // events only: no safety net here
		Debounce: 20 * time.Millisecond, SettleTime: 100 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	waitFiles(t, ix, "initial scan", func(m map[string]wire.FileEntry) bool { return len(m) == 1 })

	write := func(name string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a1 := []byte("first version")
	write("a.txt", a1)
	waitFiles(t, ix, "add", func(m map[string]wire.FileEntry) bool { return m["a.txt"].ID == enxametest.ContentID(a1) })

	a2 := []byte("second version, longer")
	write("a.txt", a2)
	waitFiles(t, ix, "change", func(m map[string]wire.FileEntry) bool { return m["a.txt"].ID == enxametest.ContentID(a2) })

	if err := os.Rename(filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")); err != nil {
		t.Fatal(err)
	}
	waitFiles(t, ix, "rename", func(m map[string]wire.FileEntry) bool {
		_, old := m["a.txt"]
		return !old && m["b.txt"].ID == enxametest.ContentID(a2)
	})

	os.Remove(filepath.Join(dir, "b.txt"))
	waitFiles(t, ix, "delete", func(m map[string]wire.FileEntry) bool { _, ok := m["b.txt"]; return !ok })

	// A new folder tree: its files are seen, and later changes inside it too.
	c := []byte("deep")
	write("new/deeper/c.txt", c)
	waitFiles(t, ix, "new folder", func(m map[string]wire.FileEntry) bool { return m["new/deeper/c.txt"].ID == enxametest.ContentID(c) })
	d := []byte("in a watched new folder")
	write("new/deeper/d.txt", d)
	write(".enxame-x.part", []byte("partial"))
	waitFiles(t, ix, "file in new folder", func(m map[string]wire.FileEntry) bool { return m["new/deeper/d.txt"].ID == enxametest.ContentID(d) })
	if _, ok := byName(ix.Files())[".enxame-x.part"]; ok {
		t.Error("a partial download file was indexed")
	}
}

// TestWatcherWaitsForWriter checks that a file still being written is not
// indexed with a half-written content.
func TestWatcherWaitsForWriter(t *testing.T) {
	dir := t.TempDir()
	ix := newIndex(t, Config{Dir: dir, RescanInterval: time.Hour, Debounce: 10 * time.Millisecond, SettleTime: time.Second})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	defer func() { cancel(); <-done }()

	f, err := os.Create(filepath.Join(dir, "growing"))
	if err != nil {
		t.Fatal(err)
	}
	all := randomBytes(5, 64<<10)
	f.Write(all[:1000])
	// Keep writing within the settle time: no intermediate version may be
	// announced.
	for i := 1; i < 4; i++ {
		<-time.After(50 * time.Millisecond)
		if got := byName(ix.Files())["growing"]; got.ID != "" {
			t.Fatalf("half-written file indexed after %d writes", i)
		}
		f.Write(all[i*1000 : (i+1)*1000])
	}
	f.Write(all[4000:])
	f.Close()
	waitFiles(t, ix, "settled file", func(m map[string]wire.FileEntry) bool { return m["growing"].ID == enxametest.ContentID(all) })
}

// carelessHome is a home folder as a careless user would share it.
func carelessHome(t *testing.T) string {
	dir := t.TempDir()
	for name, data := range map[string]string{
		".ssh/id_ed25519":          "PRIVATE KEY",
		".env":                     "PASSWORD=hunter2",
		".git/config":              "[remote]",
		"docs/a.txt":               "a",
		".enxameignore":            "# secrets\n*.key\nprivate/\n/top-only.txt\n",
		"secret.key":               "k",
		"sub/also.key":             "k",
		"private/x.txt":            "x",
		"top-only.txt":             "t",
		"sub/top-only.txt":         "shared: the pattern is anchored at the root",
		"sub/.enxameignore":        "draft*\n!draft-final.txt\nbuild/\n",
		"sub/draft1.txt":           "d",
		"sub/deeper/draft2.txt":    "d",
		"sub/draft-final.txt":      "f",
		"sub/build/out.o":          "o",
		"sub/build.txt":            "a file named like the build folder",
		"sub/keep.txt":             "k",
		"draft-at-root.txt":        "the sub folder's rules do not reach up",
		"sub/deeper/.hidden/x.txt": "h",
	} {
		writeOld(t, filepath.Join(dir, filepath.FromSlash(name)), []byte(data))
	}
	return dir
}

// TestCarelessShare is the attack "careless share" (issue 13): sharing a
// home folder shared .ssh, .env and .git, and nothing could be excluded.
// Hidden files and folders are skipped unless asked for, .enxameignore
// files (gitignore syntax, at the root or in any subfolder) exclude what
// they match, and they are never shared themselves.
func TestCarelessShare(t *testing.T) {
	dir := carelessHome(t)
	shared := []string{"docs/a.txt", "draft-at-root.txt", "sub/build.txt", "sub/draft-final.txt", "sub/keep.txt", "sub/top-only.txt"}
	ix := newIndex(t, Config{Dir: dir})
	scan(t, ix)
	if got := slices.Sorted(maps.Keys(byName(ix.Files()))); !slices.Equal(got, shared) {
		t.Fatalf("shared %v, want %v", got, shared)
	}
	// Hidden: .ssh, .env, .git, sub/deeper/.hidden. Ignored: two ignore
	// files, secret.key, sub/also.key, private, top-only.txt, sub/draft1.txt,
	// sub/deeper/draft2.txt, sub/build.
	if sk := ix.Progress().Skipped; sk.Hidden != 4 || sk.Ignored != 9 {
		t.Errorf("skipped hidden %d, ignored %d; want 4 and 9 (%+v)", sk.Hidden, sk.Ignored, sk)
	}

	ixh := newIndex(t, Config{Dir: dir, Hidden: true})
	scan(t, ixh)
	withHidden := append([]string{".env", ".git/config", ".ssh/id_ed25519"}, shared...)
	withHidden = append(withHidden, "sub/deeper/.hidden/x.txt")
	slices.Sort(withHidden)
	if got := slices.Sorted(maps.Keys(byName(ixh.Files()))); !slices.Equal(got, withHidden) {
		t.Fatalf("with Hidden: shared %v, want %v", got, withHidden)
	}
	if sk := ixh.Progress().Skipped; sk.Hidden != 0 || sk.Ignored != 9 {
		t.Errorf("with Hidden: skipped %+v", sk)
	}
}

// TestWatcherHonoursIgnores: files added later are skipped by the same
// rules, and a change to an ignore file changes what is shared.
func TestWatcherHonoursIgnores(t *testing.T) {
	dir := carelessHome(t)
	ix := newIndex(t, Config{Dir: dir, RescanInterval: time.Hour, Debounce: 20 * time.Millisecond, SettleTime: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	waitFiles(t, ix, "initial scan", func(m map[string]wire.FileEntry) bool { return len(m) == 6 })
	for _, name := range []string{".aws/credentials", "new.key", "private/y.txt", "sub/draft3.txt", "sub/.netrc", "new.txt"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	waitFiles(t, ix, "new.txt", func(m map[string]wire.FileEntry) bool { _, ok := m["new.txt"]; return ok })
	if got := slices.Sorted(maps.Keys(byName(ix.Files()))); len(got) != 7 {
		t.Fatalf("after adding files: shared %v, want only new.txt added", got)
	}
	if err := os.WriteFile(filepath.Join(dir, ".enxameignore"), []byte("*.key\nprivate/\nnew.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFiles(t, ix, "new.txt ignored", func(m map[string]wire.FileEntry) bool {
		_, gone := m["new.txt"]
		_, back := m["top-only.txt"] // no longer listed in the new rules
		return !gone && back
	})
}

func TestIgnoreRules(t *testing.T) {
	root, err := os.OpenRoot(carelessHome(t))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var r ignoreRules
	for _, d := range []string{".", "sub", "docs"} {
		if err := r.load(root, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		dir   bool
		match bool
	}{
		{"secret.key", false, true},
		{"deep/down/x.key", false, true},
		{"x.keys", false, false},
		{"private", true, true},
		{"private", false, false}, // "private/" matches folders only
		{"a/private", true, true},
		{"top-only.txt", false, true},
		{"sub/top-only.txt", false, false},
		{"sub/draft9", false, true},
		{"sub/x/draft9", false, true},
		{"draft9", false, false},
		{"sub/draft-final.txt", false, false},
		{"sub/build", true, true},
		{"sub/build", false, false},
		{"docs/a.txt", false, false},
	} {
		if got := r.match(c.name, c.dir); got != c.match {
			t.Errorf("match(%q, dir %v) = %v, want %v", c.name, c.dir, got, c.match)
		}
	}
}
