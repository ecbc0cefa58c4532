//go:build unix

package share

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/enxame/enxame/net/enxametest"
)

// Symbolic links and FIFOs: created here with calls Windows lacks (or
// grants only to administrators), so this test runs on Unix only; the
// index's checks themselves are portable (os.Root, file modes).
func TestSymlinksAndSkips(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "share")
	outside := filepath.Join(base, "outside.txt")
	writeOld(t, outside, []byte("secret outside the share"))
	inside := []byte("inside the share")
	writeOld(t, filepath.Join(dir, "real.txt"), inside)
	writeOld(t, filepath.Join(dir, "sub", "x.bin"), []byte("x"))
	writeOld(t, filepath.Join(dir, ".enxame-foo.part"), []byte("partial"))
	writeOld(t, filepath.Join(dir, "sub", ".enxame-foo.state"), []byte("state"))
	writeOld(t, filepath.Join(dir, ".hidden"), []byte("hidden files are not shared by default"))
	links := map[string]string{
		"link-inside.txt":  "real.txt",
		"sub/link-up.txt":  "../real.txt",
		"link-outside.txt": "../outside.txt",
		"link-absolute":    outside,
		"link-abs-inside":  filepath.Join(dir, "real.txt"),
		"link-dangling":    "nowhere",
		"link-dir":         "sub",
		"link-loop":        "link-loop",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix := newIndex(t, Config{Dir: dir})
	scan(t, ix)
	got := byName(ix.Files())
	var names []string
	for n := range got {
		names = append(names, n)
	}
	slices.Sort(names)
	wantNames := []string{"link-inside.txt", "real.txt", "sub/link-up.txt", "sub/x.bin"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("indexed %v, want %v", names, wantNames)
	}
	id := enxametest.ContentID(inside)
	for _, n := range []string{"real.txt", "link-inside.txt", "sub/link-up.txt"} {
		if got[n].ID != id {
			t.Errorf("%s: id %s, want %s", n, got[n].ID, id)
		}
	}
	sk := ix.Progress().Skipped
	// Outside: link-outside, link-absolute, link-abs-inside (absolute links
	// are refused by os.Root), link-dangling, link-loop.
	if sk.Outside != 5 || sk.DirLinks != 1 || sk.Special != 1 || sk.Partial != 2 || sk.Hidden != 1 {
		t.Errorf("skipped %+v", sk)
	}
	// One id under three names: served while any of them holds it.
	it, ok := ix.Lookup(id)
	if !ok {
		t.Fatal("shared id not found")
	}
	if err := os.Remove(filepath.Join(dir, "link-inside.txt")); err != nil {
		t.Fatal(err)
	}
	f, err := it.Open()
	if err != nil {
		t.Fatalf("open with one name gone: %v", err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != string(inside) {
		t.Errorf("read %q", b)
	}
}
