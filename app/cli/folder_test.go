package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/enxame/enxame/net/wire"
)

// TestGetFolder: get NAME of a shared folder, through the real binary
// (shared/CLI.md, "Folders"): its path or its last element fetches every
// file under it into -o/<last element>/…, keeping the tree, and prints the
// folder's path; two folders of that name exit 1 listing both; a name
// that is a file is still a file; folder elements from the network are
// made safe file names.
func TestGetFolder(t *testing.T) {
	trackerAddr := shTracker(t)
	src := t.TempDir()
	files := map[string]string{
		"course/slides/a.txt":              "slide a",
		"course/slides/sub/deeper/c.txt":   "deep c",
		"course/slides/CON/aux.txt":        "a reserved name on Windows",
		"course/handouts/h.txt":            "handout",
		"archive/2025/slides/old.txt":      "last year's",
		"course/slides-extra/not-this.txt": "a folder that only starts alike",
	}
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, _, sum := writeRandom(t, filepath.Join(src, "course", "slides", "sub"), "b.bin", 3<<20)
	sharer := shStart(t, nil, nil, "share", "-tracker", trackerAddr, "-listen", "127.0.0.1:0", "-no-cache", "-log-level", "warn", src)
	shSearchUntil(t, trackerAddr, "", "the share indexed", func(rs []wire.SearchResult) bool { return len(rs) == len(files)+1 })

	out := t.TempDir()
	r := runGetBin(t, "-tracker", trackerAddr, "-o", out, "course/slides")
	root := filepath.Join(out, "slides")
	if r.code != 0 || r.stdout != root+"\n" {
		t.Fatalf("get course/slides: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	for rel, body := range map[string]string{"a.txt": "slide a", "sub/deeper/c.txt": "deep c", "_CON/_aux.txt": "a reserved name on Windows"} {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil || string(got) != body {
			t.Errorf("%s: %q, %v; want %q", rel, got, err, body)
		}
	}
	if fileSum(t, filepath.Join(root, "sub", "b.bin")) != sum {
		t.Error("sub/b.bin differs")
	}
	var saved []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			saved = append(saved, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(saved) != 4 {
		t.Errorf("saved %q; want the folder's 4 files and nothing else", saved)
	}

	r = runGetBin(t, "-tracker", trackerAddr, "-o", t.TempDir(), "slides")
	if r.code != ExitFailure || r.stdout != "" || !strings.Contains(r.stderr, "several folders") ||
		!strings.Contains(r.stderr, "archive/2025/slides") || !strings.Contains(r.stderr, "course/slides") {
		t.Fatalf("get slides (two folders): exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}

	out = t.TempDir()
	r = runGetBin(t, "-tracker", trackerAddr, "-o", out, "handouts")
	if r.code != 0 || r.stdout != filepath.Join(out, "handouts")+"\n" {
		t.Fatalf("get handouts: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "handouts", "h.txt")); string(got) != "handout" {
		t.Errorf("handouts/h.txt: %q", got)
	}

	out = t.TempDir()
	r = runGetBin(t, "-tracker", trackerAddr, "-o", out, "a.txt")
	if r.code != 0 || r.stdout != filepath.Join(out, "a.txt")+"\n" {
		t.Fatalf("get a.txt (a file): exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	r = runGetBin(t, "-tracker", trackerAddr, "-o", out, "nothing-named-so")
	if r.code != ExitFailure || r.stdout != "" {
		t.Fatalf("get of nothing: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}

	// The only holder dies (no goodbye: the tracker still lists it): the
	// folder fails with a reason, nothing on stdout.
	sharer.cmd.Process.Kill()
	r = runGetBin(t, "-tracker", trackerAddr, "-o", t.TempDir(), "-stall-timeout", "1s", "course/handouts")
	if r.code != ExitFailure || r.stdout != "" || !strings.Contains(r.stderr, "folder course/handouts: h.txt:") ||
		!strings.Contains(r.stderr, "0 of 1 files saved") {
		t.Fatalf("a folder whose holder is gone: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
}

// TestGetBigFolder: a folder of more files than one search answer lists
// (200) is read page by page and fetched whole.
func TestGetBigFolder(t *testing.T) {
	trackerAddr := shTracker(t)
	src := t.TempDir()
	const n = 230
	for i := range n {
		p := filepath.Join(src, "big", fmt.Sprintf("sub-%d", i%3), fmt.Sprintf("f-%03d.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("file %d", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shStart(t, nil, nil, "share", "-tracker", trackerAddr, "-listen", "127.0.0.1:0", "-no-cache", "-log-level", "warn", src)
	shSearchUntil(t, trackerAddr, "f-229", "the share indexed", func(rs []wire.SearchResult) bool { return len(rs) == 1 })
	out := t.TempDir()
	r := runGetBin(t, "-tracker", trackerAddr, "-o", out, "big")
	if r.code != 0 || r.stdout != filepath.Join(out, "big")+"\n" {
		t.Fatalf("get big: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	for i := range n {
		p := filepath.Join(out, "big", fmt.Sprintf("sub-%d", i%3), fmt.Sprintf("f-%03d.txt", i))
		if got, err := os.ReadFile(p); err != nil || string(got) != fmt.Sprintf("file %d", i) {
			t.Fatalf("%s: %q, %v", p, got, err)
		}
	}
}

// The same get of a folder run again (after an interruption, or by habit)
// keeps what an earlier run saved: each file already at its place, of its
// size and content, is checked and not fetched again; a file changed
// since is left as it is and a fresh copy saved beside it.
func TestGetFolderAgainKeepsSaved(t *testing.T) {
	trackerAddr := shTracker(t)
	src := t.TempDir()
	files := map[string]string{"proj/a.txt": "file a", "proj/sub/b.txt": "file b", "proj/sub/c.txt": "file c"}
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shStart(t, nil, nil, "share", "-tracker", trackerAddr, "-listen", "127.0.0.1:0", "-no-cache", "-log-level", "warn", src)
	shSearchUntil(t, trackerAddr, "", "the share indexed", func(rs []wire.SearchResult) bool { return len(rs) == len(files) })

	out := t.TempDir()
	listed := func() []string {
		var got []string
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(out, p)
				got = append(got, filepath.ToSlash(rel))
			}
			return nil
		})
		slices.Sort(got)
		return got
	}
	if r := runGetBin(t, "-tracker", trackerAddr, "-o", out, "proj"); r.code != 0 {
		t.Fatalf("first get: exit %d, stderr %s", r.code, r.stderr)
	}
	r := runGetBin(t, "-tracker", trackerAddr, "-o", out, "proj")
	if r.code != 0 || !strings.Contains(r.stderr, "3 files were saved by an earlier run") {
		t.Fatalf("second get: exit %d, stderr %s", r.code, r.stderr)
	}
	if got, want := listed(), []string{"proj/a.txt", "proj/sub/b.txt", "proj/sub/c.txt"}; !slices.Equal(got, want) {
		t.Fatalf("after a second get: %q, want %q (nothing fetched again)", got, want)
	}

	b := filepath.Join(out, "proj", "sub", "b.txt")
	if err := os.WriteFile(b, []byte("file B, edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runGetBin(t, "-tracker", trackerAddr, "-o", out, "proj")
	if r.code != 0 || !strings.Contains(r.stderr, "2 files were saved by an earlier run") {
		t.Fatalf("third get: exit %d, stderr %s", r.code, r.stderr)
	}
	if got, want := listed(), []string{"proj/a.txt", "proj/sub/b (1).txt", "proj/sub/b.txt", "proj/sub/c.txt"}; !slices.Equal(got, want) {
		t.Fatalf("after editing b.txt: %q, want %q", got, want)
	}
	if got, _ := os.ReadFile(b); string(got) != "file B, edited" {
		t.Fatalf("the edited file holds %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "proj", "sub", "b (1).txt")); string(got) != "file b" {
		t.Fatalf("the fresh copy holds %q", got)
	}
}
