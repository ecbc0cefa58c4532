package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
)

// The other tests read English, whatever the machine's locale.
func init() {
	if _, err := i18n.Apply(i18n.English); err != nil {
		panic(err)
	}
}

// TestEveryShownStringTranslated builds every screen, tab and dialog in
// English and in each other language, walks the widget trees, and fails
// on each string shown identically in both: a text no lang.L reaches, or
// one the language's file leaves in English. Numbers, sizes, addresses,
// paths and the names below may be the same in every language.
func TestEveryShownStringTranslated(t *testing.T) {
	if testing.Short() {
		t.Skip("starts trackers and downloads a file once per language")
	}
	t.Cleanup(func() { _, _ = i18n.Apply(i18n.English) })
	shown := func(code string) map[string][]string {
		if _, err := i18n.Apply(code); err != nil {
			t.Fatal(err)
		}
		return collectShown(t)
	}
	en := shown(i18n.English)
	if len(en) < 40 {
		t.Fatalf("only %d strings seen in English: the walk misses the screens", len(en))
	}
	for _, code := range i18n.Languages() {
		if code == i18n.English {
			continue
		}
		other := shown(code)
		for _, s := range slices.Sorted(maps.Keys(other)) {
			if _, same := en[s]; same && !sameInEveryLanguage(s) {
				where := slices.Compact(slices.Sorted(slices.Values(other[s])))
				t.Errorf("%s: untranslated: %q (%s)", code, s, strings.Join(where[:min(len(where), 2)], "; "))
			}
		}
	}
}

// sameInEveryLanguage allows a text that needs no translation: words from
// allowed, numbers, units, addresses, paths and file names.
func sameInEveryLanguage(s string) bool {
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("()[]“”\"'·,;:!?…—–", r)
	}) {
		if !neutralToken.MatchString(tok) && !allowed[tok] && !strings.ContainsAny(tok, "/\\.@") {
			return false
		}
	}
	return true
}

// neutralToken: numbers, percentages, sizes, rates, durations, ids.
var neutralToken = regexp.MustCompile(`^([-+×#%0-9]*|B|[kKMGT]i?B(/s)?|s|min|h|[0-9a-f]{8,64}|(Ctrl|Shift)\+\w+|F[0-9]+)$`)

// allowed are words every language writes the same way.
var allowed = map[string]bool{
	"Enxame": true, "OK": true, "Go": true, "id": true, "ID": true, "SHA-256": true,
	"Tab": true, "Esc": true, "Enter": true, "build": true, "Download": true, // key names; "download" is Portuguese too
	hostname(): true, // the default device and network name
}

func init() {
	for _, code := range i18n.Languages() {
		for _, w := range strings.Fields(i18n.Name(code)) { // each language names itself
			allowed[strings.Trim(w, "()")] = true
		}
	}
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

// collectShown builds each screen in the current language and returns the
// texts shown, each with where it was seen.
func collectShown(t *testing.T) map[string][]string {
	seen := map[string][]string{}
	add := func(where, s string) {
		if s = strings.TrimSpace(s); s != "" {
			seen[s] = append(seen[s], where)
		}
	}

	// The first-run screen, and what dropping a file on it says.
	a := test.NewTempApp(t)
	u := newTestUI(t, a)
	u.start(options{})
	u.win.Resize(fyne.NewSize(1100, 720))
	walkWindow(u.win, "first run", add)
	file := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	u.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(file)})
	walkWindow(u.win, "first run, a file dropped", add)
	u.shutdown()

	// The main screen, joined to a tracker with a seeder.
	addr := live.StartTracker(t)
	data := bytes.Repeat([]byte("enxame "), 300_000)
	live.StartSeeder(t, addr, map[string][]byte{"lecture/slides.pdf": data, "notes.txt": []byte("n")})
	shareDir := t.TempDir()
	os.WriteFile(filepath.Join(shareDir, "mine.txt"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(shareDir, ".hidden"), []byte("h"), 0o644)
	u = newTestUI(t, test.NewTempApp(t))
	o, err := parseFlags([]string{"-tracker", addr, "-share", shareDir, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	u.start(o)
	if u.main == nil {
		t.Fatal("the scripted start shows the first-run screen")
	}
	u.win.Resize(fyne.NewSize(1100, 720))
	enxametest.WaitFor(t, 10*time.Second, "the share to be indexed", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		return u.main.share.list.Length() == 1
	})
	walkTabs(u, "joined", add)

	// A search, a download, and the Transfers tab with its grid.
	u.main.search.entry.SetText("slides")
	walkWindow(u.win, "searched", add)
	u.main.search.entry.SetText("zzz-nothing")
	walkWindow(u.win, "searched, nothing found", add)
	u.main.search.entry.SetText("slides")
	u.vm.Search.SetQuery("slides")
	enxametest.WaitFor(t, 10*time.Second, "the search to find slides.pdf", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		return u.vm.Search.Results.Length() == 1
	})
	row, _ := u.vm.Search.Results.GetValue(0)
	u.main.search.download(row)
	enxametest.WaitFor(t, 30*time.Second, "the download to finish", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		r, err := u.vm.Transfers.Rows.GetValue(0)
		return err == nil && r.State == vm.StateDone
	})
	walkTabs(u, "downloaded", add)
	if _, err := u.vm.Transfers.Start("gone.txt", strings.Repeat("ab", 32)); err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, 10*time.Second, "the download of a file nobody has to fail", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		for i := range u.vm.Transfers.Rows.Length() {
			if r, err := u.vm.Transfers.Rows.GetValue(i); err == nil && r.State == vm.StateFailed {
				return true
			}
		}
		return false
	})
	u.main.showTransfers()
	walkWindow(u.win, "a download failed", add)

	u.onAbout()
	walkWindow(u.win, "about", add)
	dropOverlays(u.win)
	u.shutdown()

	// Hosting: the Network tab and the status bar say so.
	u = newTestUI(t, test.NewTempApp(t))
	o, _ = parseFlags([]string{"-host", "-host-listen", "127.0.0.1:0", "-listen", "127.0.0.1:0", "-downloads", t.TempDir()}, io.Discard)
	u.start(o)
	u.win.Resize(fyne.NewSize(1100, 720))
	enxametest.WaitFor(t, 10*time.Second, "the app to join its own tracker", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		ok, _ := u.vm.Connected.Get()
		return ok
	})
	walkTabs(u, "hosting", add)
	u.shutdown()

	// Every explanation an error dialog can give.
	for _, err := range []error{
		&vm.AddrError{Addr: "x"}, vm.ErrNotStarted, vm.ErrFileNotFound, vm.ErrNoSource,
		vm.ErrStalled, vm.ErrBadManifest, vm.ErrBusy, vm.ErrCanceled, vm.ErrPaused, vm.ErrClosed,
		context.DeadlineExceeded, os.ErrPermission, os.ErrNotExist, errNotAFolder, errNoDownloads,
		errors.New("odd failure"),
	} {
		p := Describe(err)
		add(fmt.Sprintf("Describe(%v)", err), p.What)
		add(fmt.Sprintf("Describe(%v)", err), strings.ReplaceAll(p.Hint, "odd failure", ""))
	}
	return seen
}

// walkTabs shows each tab of the main screen in turn and walks the window.
func walkTabs(u *UI, state string, add func(where, s string)) {
	for _, it := range u.main.tabs.Items {
		u.main.tabs.Select(it)
		walkWindow(u.win, state+", tab "+it.Text, add)
	}
}

// walkWindow collects the title, content and dialogs of w.
func walkWindow(w fyne.Window, state string, add func(where, s string)) {
	add(state+": window title", w.Title())
	walk(w.Canvas().Content(), state, add)
	for _, o := range w.Canvas().Overlays().List() {
		walk(o, state+", dialog", add)
	}
	dropOverlays(w)
}

func dropOverlays(w fyne.Window) {
	for w.Canvas().Overlays().Top() != nil {
		w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())
	}
}

// walk collects the texts of o and everything inside it: the texts
// widgets hold (whole, before wrapping; select options and placeholders,
// shown only on demand; every tab's title and content), and whatever
// else their renderers draw. What a person typed into an entry is theirs,
// not the app's: it is skipped.
func walk(o fyne.CanvasObject, where string, add func(where, s string)) {
	if o == nil {
		return
	}
	at := fmt.Sprintf("%s: %T", where, o)
	switch x := o.(type) {
	case *canvas.Text:
		add(at, x.Text)
		return
	case *widget.Label:
		add(at, x.Text)
		return
	case *widget.Button:
		add(at, x.Text)
		return
	case *widget.Check:
		add(at, x.Text)
		return
	case *widget.Hyperlink:
		add(at, x.Text)
		return
	case *widget.RichText:
		for _, seg := range x.Segments {
			switch s := seg.(type) {
			case *widget.TextSegment:
				add(at, s.Text)
			case *widget.HyperlinkSegment:
				add(at, s.Text)
			}
		}
		return
	case interface{ SetPlaceHolder(string) }: // an Entry, or a widget built on one
		if ph := reflect.Indirect(reflect.ValueOf(x)).FieldByName("PlaceHolder"); ph.Kind() == reflect.String {
			add(at+" placeholder", ph.String())
		}
		return
	case *widget.Select:
		if x.Selected == "" {
			add(at+" placeholder", x.PlaceHolder)
		}
		add(at, x.Selected)
		for _, s := range x.Options {
			add(at+" option", s)
		}
		return
	case *widget.RadioGroup:
		for _, s := range x.Options {
			add(at+" option", s)
		}
		return
	case *container.AppTabs:
		for _, it := range x.Items {
			add(at+" title", it.Text)
			walk(it.Content, where+" › "+it.Text, add)
		}
		return
	}
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, where, add)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walk(c, where, add)
		}
	}
}

// TestLanguageChoiceSaved: the Network tab's language list saves the
// choice for the next start and says so when it differs from now.
func TestLanguageChoiceSaved(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	nt := u.main.network
	if got, want := nt.language.Selected, vm.LanguageName(i18n.Auto); got != want {
		t.Errorf("the list shows %q, want %q", got, want)
	}
	if len(nt.language.Options) != len(vm.LanguageChoices()) {
		t.Errorf("options %q", nt.language.Options)
	}
	nt.language.SetSelected(i18n.Name(i18n.Portuguese))
	if got := vm.LanguageChoice(a.Preferences()); got != i18n.Portuguese {
		t.Errorf("saved %q, want pt_BR", got)
	}
	if nt.languageNote.Hidden {
		t.Error("no note that the language changes at the next start")
	}
	nt.language.SetSelected(i18n.Name(i18n.Language()))
	if !nt.languageNote.Hidden {
		t.Error("the note stays for the language in use")
	}
}
