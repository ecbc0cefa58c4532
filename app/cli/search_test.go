package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enxame/enxame/net/wire"
)

// TestPeerSearchWordsAndAccents searches the way people type, through the
// interactive peer and a real tracker: without accents, words in any order.
func TestPeerSearchWordsAndAccents(t *testing.T) {
	trackerAddr := shTracker(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "aulas"), 0o755); err != nil {
		t.Fatal(err)
	}
	shWriteOld(t, filepath.Join(dir, "aulas", "Introdução.pdf"), []byte("intro"))
	shWriteOld(t, filepath.Join(dir, "aulas", "Lecture 05.mp4"), []byte("lecture"))
	shWriteOld(t, filepath.Join(dir, "aulas", "Lecture 05 notes.txt"), []byte("notes"))

	var out, errb shBuffer
	done := make(chan int, 1)
	stdin := strings.NewReader("search introducao\nsearch MP4 lecture\n")
	ready := make(chan struct{})
	go func() {
		<-ready
		done <- Main(t.Context(), []string{"peer", "-tracker", trackerAddr, "-share", t.TempDir(), "-listen", "127.0.0.1:0", "-no-cache"},
			Env{Stdin: stdin, Stdout: &out, Stderr: &errb})
	}()
	ctx, cancel := context.WithCancel(t.Context())
	sharer := make(chan int, 1)
	go func() {
		sharer <- Main(ctx, []string{"share", "-tracker", trackerAddr, "-listen", "127.0.0.1:0", "-no-cache", dir},
			Env{Stdout: &shBuffer{}, Stderr: &shBuffer{}})
	}()
	defer func() { cancel(); <-sharer }()
	shSearchUntil(t, trackerAddr, "", "the three files", func(r []wire.SearchResult) bool { return len(r) == 3 })
	close(ready)
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
		}
	case <-time.After(e2eWait):
		t.Fatal("the searching peer did not leave at the end of its input")
	}
	got := out.String()
	if !strings.Contains(got, "aulas/Introdução.pdf") || !strings.Contains(got, "aulas/Lecture 05.mp4") ||
		strings.Contains(got, "notes.txt") || strings.Count(got, "1 result\n") != 2 {
		t.Errorf("output:\n%s\nwant Introdução.pdf and Lecture 05.mp4, one result each", got)
	}
}
