package transfer

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

const precious = "precious, not the downloader's\n"

// plantVictim makes the file a planted link points at: inside the
// download folder, outside it, or missing (a dangling link, which must
// not be created through). It returns the link's target and a check that
// the victim is as it was.
func plantVictim(t *testing.T, parent, dir, where string) (target string, intact func() error) {
	t.Helper()
	var victim string
	switch where {
	case "inside":
		victim, target = filepath.Join(dir, "victim.txt"), "victim.txt"
	case "outside":
		victim = filepath.Join(parent, "victim.txt")
		target = victim
	case "missing":
		victim, target = filepath.Join(dir, "new.txt"), "new.txt"
		return target, func() error {
			if _, err := os.Lstat(victim); !errors.Is(err, os.ErrNotExist) {
				return errors.New("a file was created through a dangling link")
			}
			return nil
		}
	}
	if err := os.WriteFile(victim, []byte(precious), 0o644); err != nil {
		t.Fatal(err)
	}
	return target, func() error {
		if b, err := os.ReadFile(victim); err != nil || string(b) != precious {
			return errors.New("the victim was overwritten: " + string(b[:min(len(b), 40)]))
		}
		return nil
	}
}

// TestPlantedLinks: someone who can write into the download folder plants
// a symbolic link at each name the downloader uses (the part file, the
// resume record and its temporary, the final name), pointing at a file
// inside the folder, outside it, or nowhere. The victim is never written,
// created or served, and the download still succeeds. Before, a link at
// the record's temporary name made the downloader overwrite (or create)
// the file it pointed to.
func TestPlantedLinks(t *testing.T) {
	for _, name := range []string{"state.tmp", "state", "part", "final"} {
		for _, where := range []string{"inside", "outside", "missing"} {
			t.Run(name+"/"+where, func(t *testing.T) {
				data, m := randomFile(t, 4*chunk)
				parent := t.TempDir()
				dir := filepath.Join(parent, "out")
				os.Mkdir(dir, 0o755)
				target, intact := plantVictim(t, parent, dir, where)
				stem := testStem(m)
				plant := func(n string) {
					if err := os.Symlink(target, filepath.Join(dir, n)); err != nil {
						t.Fatal(err)
					}
				}
				switch name {
				case "state.tmp":
					writePart(t, dir, m, data, []int{0, 1}, []int{0, 1})
					plant(stem + stateSuffix + ".tmp")
				case "state":
					writePart(t, dir, m, data, []int{0, 1}, nil)
					plant(stem + stateSuffix)
				case "part":
					writePart(t, dir, m, data, nil, []int{0, 1, 2, 3})
					os.Remove(filepath.Join(dir, stem+partSuffix))
					plant(stem + partSuffix)
				case "final":
					plant("f.bin")
				}

				// A first run that stops early writes its resume record
				// (after the chunks found on disk, if any).
				mute := newTestPeer(data, m)
				mute.hangGet = true
				mute.start(t)
				tr := &fakeTracker{}
				tr.set(result("f.bin", m, mute))
				opts := testOptions(tr)
				opts.StallTimeout = 300 * time.Millisecond
				opts.RequestTimeout = 200 * time.Millisecond
				if err := run(t, New(Request{Name: "f.bin", Dir: dir}, opts)); !errors.Is(err, ErrStalled) {
					t.Fatalf("first run: got %v, want ErrStalled", err)
				}
				if err := intact(); err != nil {
					t.Fatalf("after a stopped run: %v", err)
				}

				// Then a seeder: the download finishes, under a free name.
				seed := newTestPeer(data, m).start(t)
				tr.set(result("f.bin", m, seed))
				d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
				if err := run(t, d); err != nil {
					t.Fatal(err)
				}
				if err := intact(); err != nil {
					t.Fatal(err)
				}
				want := filepath.Join(dir, "f.bin")
				if name == "final" {
					want = filepath.Join(dir, "f (1).bin")
				}
				p := d.Progress()
				if p.Path != want {
					t.Fatalf("saved at %s, want %s", p.Path, want)
				}
				if fi, err := os.Lstat(p.Path); err != nil || !fi.Mode().IsRegular() {
					t.Fatalf("saved file is not a regular file: %v %v", fi, err)
				}
				if got, _ := os.ReadFile(p.Path); !bytes.Equal(got, data) {
					t.Fatal("saved file differs from the original")
				}
			})
		}
	}
}

// TestPartReplacedUnderneath: once the part file is open, its name is
// never trusted again. Someone replaces it (by a link to a victim, or by
// a file of their own) after the checks: the chunk server's reader
// refuses it, and the final name still goes to the bytes the download
// wrote and verified, not to what the part name names by now. Before,
// both opened and linked whatever was at the name.
func TestPartReplacedUnderneath(t *testing.T) {
	for _, how := range []string{"symlink", "file"} {
		t.Run(how, func(t *testing.T) {
			data, m := randomFile(t, 3*chunk+10)
			dir := t.TempDir()
			victim := filepath.Join(dir, "victim.txt")
			os.WriteFile(victim, []byte(precious), 0o644)
			st, _, err := openStore(dir, m.ID(), "f.bin", m, nil, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer st.close()
			for i := range m.NumChunks() {
				off, size := m.Chunk(i)
				buf := alignedBuf(m.ChunkSize)[:size]
				copy(buf, data[off:off+size])
				if err := st.writeChunk(i, buf); err != nil {
					t.Fatal(err)
				}
			}
			part := filepath.Join(dir, st.part)
			switch how {
			case "symlink":
				os.Remove(part)
				os.Symlink("victim.txt", part)
			case "file":
				os.WriteFile(part+".x", []byte(precious), 0o644)
				os.Rename(part+".x", part)
			}
			if f, err := st.openPart(); err == nil {
				b := make([]byte, len(precious))
				f.ReadAt(b, 0)
				f.Close()
				t.Fatalf("the chunk server's reader opened what the part name names now (%q)", b)
			}
			p, err := st.finish()
			if err != nil {
				t.Fatalf("finish: %v", err)
			}
			if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("saved file is not a regular file: %v %v", fi, err)
			}
			if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
				t.Fatalf("saved %q, not the downloaded bytes", got[:min(len(got), 40)])
			}
			if b, _ := os.ReadFile(victim); string(b) != precious {
				t.Fatal("the victim was changed")
			}
		})
	}
}

// TestPartWithSecondNameNotResumed: a part file with another name (a hard
// link someone keeps, through which they could change chunks after they
// were verified) is not resumed; a fresh one is made.
func TestPartWithSecondNameNotResumed(t *testing.T) {
	if !unixFS && runtime.GOOS != "windows" {
		t.Skip("the fallback for systems without the Unix calls cannot count a file's names (folder_nolinks.go)")
	}
	data, m := randomFile(t, 3*chunk)
	dir := t.TempDir()
	writePart(t, dir, m, data, []int{0, 1, 2}, []int{0, 1, 2})
	spy := filepath.Join(dir, "spy")
	if err := os.Link(filepath.Join(dir, testStem(m)+partSuffix), spy); err != nil {
		t.Skip("no hard links here:", err)
	}
	seed := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
	if err := run(t, d); err != nil {
		t.Fatal(err)
	}
	p := d.Progress()
	if p.Resumed != 0 {
		t.Fatalf("resumed %d bytes from a part file with a second name", p.Resumed)
	}
	a, _ := os.Stat(p.Path)
	b, _ := os.Stat(spy)
	if os.SameFile(a, b) {
		t.Fatal("the saved file is the one someone else holds a name for")
	}
	if got, _ := os.ReadFile(p.Path); !bytes.Equal(got, data) {
		t.Fatal("saved file differs")
	}
}
