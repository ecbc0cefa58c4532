package ui

import (
	"image/color"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/assets"
)

// firstRun is the welcome screen: choose the folders, then host or join.
type firstRun struct {
	u        *UI
	settings vm.Settings
	content  fyne.CanvasObject

	shareEntry     *widget.Entry
	downloadsEntry *widget.Entry
	trackerEntry   *widget.Entry
	networkEntry   *widget.Entry // the name of a network hosted here
	hostButton     *widget.Button
	joinButton     *widget.Button
	nearby         *nearbyList

	// Private networks: hosting one, and the passphrase to join one.
	privateCheck  *widget.Check
	hostPassEntry *widget.Entry
	hostPassRow   *fyne.Container
	hostBox       *fyne.Container // the host card's content, laid out again when it changes
	joinPassEntry *widget.Entry
	joinPassHint  *widget.Label   // says which network asks for a passphrase
	joinBox       *fyne.Container // the fields under the join card
	scroll        *container.Scroll
}

// relayout lays the screen out again after a part was shown or hidden:
// Show and Hide alone leave the cards at their old sizes.
func (f *firstRun) relayout() {
	if f.scroll == nil {
		return
	}
	f.scroll.Content.Refresh()
	f.scroll.Refresh()
}

func newFirstRun(u *UI, s vm.Settings) *firstRun {
	f := &firstRun{u: u, settings: s}

	logo := canvas.NewImageFromResource(assets.Icon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(80, 80))
	title := widget.NewLabelWithStyle(lang.L("Welcome to Enxame"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	tagline := widget.NewLabelWithStyle(lang.L("Share files with the people around you — no server, no USB stick, no cloud."), fyne.TextAlignCenter, fyne.TextStyle{})

	f.shareEntry = widget.NewEntry()
	f.shareEntry.SetPlaceHolder(lang.L("No folder: you can still download"))
	f.shareEntry.SetText(s.ShareDir)
	shareRow := container.NewBorder(nil, nil, nil,
		widget.NewButtonWithIcon(lang.L("Choose…"), theme.FolderOpenIcon(), f.onChooseShare), f.shareEntry)

	f.downloadsEntry = widget.NewEntry()
	f.downloadsEntry.SetText(s.Downloads)
	downloadsRow := container.NewBorder(nil, nil, nil,
		widget.NewButtonWithIcon(lang.L("Choose…"), theme.FolderOpenIcon(), f.onChooseDownloads), f.downloadsEntry)

	folders := widget.NewForm(
		widget.NewFormItem(lang.L("Folder to share"), shareRow),
		widget.NewFormItem(lang.L("Save downloads in"), downloadsRow),
	)
	folders.Items[0].HintText = lang.L("Optional. Or drop a folder anywhere on this window.")
	folders.Items[1].HintText = lang.L("Enxame creates it if needed.")
	readable := container.NewThemeOverride(folders, readableHints{})

	f.hostButton = widget.NewButtonWithIcon(lang.L("Start hosting"), theme.HomeIcon(), f.onHost)
	f.hostButton.Importance = widget.HighImportance
	hostText := widget.NewLabel(lang.L("Nobody is hosting yet? Start a network on this computer. Enxame then shows the address the others type to join."))
	hostText.Wrapping = fyne.TextWrapWord
	f.networkEntry = widget.NewEntry()
	f.networkEntry.SetPlaceHolder(lang.L("Name it, such as Sala 12 (optional)"))
	if s.Host {
		f.networkEntry.SetText(s.Network)
	}
	f.networkEntry.OnSubmitted = func(string) { f.onHost() }
	f.hostPassEntry = widget.NewEntry()
	f.hostPassEntry.SetPlaceHolder(lang.L("Passphrase everyone types to join"))
	f.hostPassEntry.OnSubmitted = func(string) { f.onHost() }
	suggest := widget.NewButton(lang.L("Suggest"), f.onSuggestPassphrase)
	passHint := widget.NewLabel(lang.L("Read it aloud or write it on the board: only people who type it can join, see or download anything."))
	passHint.Wrapping = fyne.TextWrapWord
	f.hostPassRow = container.NewVBox(container.NewBorder(nil, nil, nil, suggest, f.hostPassEntry), passHint)
	f.privateCheck = widget.NewCheck(lang.L("Private: ask for a passphrase"), f.onPrivateToggled)
	if s.Host && s.Passphrase != "" {
		f.hostPassEntry.SetText(s.Passphrase)
		f.privateCheck.SetChecked(true)
	}
	f.hostBox = container.NewVBox(hostText, f.networkEntry, f.privateCheck, f.hostPassRow, f.hostButton)
	f.onPrivateToggled(f.privateCheck.Checked)
	hostCard := widget.NewCard(lang.L("Host a network"), "", f.hostBox)

	f.trackerEntry = widget.NewEntry()
	f.trackerEntry.SetPlaceHolder(lang.L("address:port, e.g. 192.168.1.20:7077"))
	f.trackerEntry.SetText(s.Tracker)
	f.trackerEntry.OnSubmitted = func(string) { f.onJoin() }
	f.trackerEntry.OnChanged = f.onAddrChanged
	f.joinButton = widget.NewButtonWithIcon(lang.L("Join"), theme.LoginIcon(), f.onJoin)
	f.joinButton.Importance = widget.HighImportance
	f.onAddrChanged(f.trackerEntry.Text)
	joinText := widget.NewLabel(lang.L("Someone is hosting? Pick their network, or type the address shown in their Enxame."))
	joinText.Wrapping = fyne.TextWrapWord
	f.joinPassEntry = widget.NewEntry()
	f.joinPassEntry.SetPlaceHolder(lang.L("Passphrase, if the network is private"))
	f.joinPassEntry.OnSubmitted = func(string) { f.onJoin() }
	if !s.Host {
		f.joinPassEntry.SetText(s.Passphrase)
	}
	f.joinPassHint = widget.NewLabel("")
	f.joinPassHint.Wrapping = fyne.TextWrapWord
	f.joinPassHint.Importance = widget.WarningImportance
	f.joinPassHint.Hide()
	f.nearby = newNearbyList(u, f.onPickNearby, false)
	nearby := f.nearby
	f.joinBox = container.NewVBox(f.trackerEntry, f.joinPassEntry, f.joinPassHint, f.joinButton)
	joinCard := widget.NewCard(lang.L("Join a network"), "", container.NewBorder(nil, f.joinBox, nil, nil,
		container.NewVBox(joinText, nearby.content)))

	body := container.NewVBox(
		container.NewCenter(logo),
		title,
		tagline,
		widget.NewSeparator(),
		readable,
		widget.NewSeparator(),
		container.NewGridWithColumns(2, hostCard, joinCard),
	)
	f.scroll = container.NewScroll(container.New(&maxWidthLayout{Width: 780}, body))
	f.content = f.scroll
	return f
}

// onPrivateToggled shows the passphrase field while hosting a private
// network is chosen, with a passphrase proposed when there is none.
func (f *firstRun) onPrivateToggled(on bool) {
	if on && strings.TrimSpace(f.hostPassEntry.Text) == "" {
		f.onSuggestPassphrase()
	}
	showIf(f.hostPassRow, on)
	f.relayout()
}

// onSuggestPassphrase proposes a new passphrase: words people can read
// aloud, at least 50 bits.
func (f *firstRun) onSuggestPassphrase() {
	f.hostPassEntry.SetText(vm.ProposePassphrase())
}

// onAddrChanged enables Join only once there is an address to join.
func (f *firstRun) onAddrChanged(addr string) {
	if strings.TrimSpace(addr) == "" {
		f.joinButton.Disable()
	} else {
		f.joinButton.Enable()
	}
}

// readableHints is the app's theme with hint text (a form's HintText, a
// caption) at the size of ordinary text.
type readableHints struct{}

func (readableHints) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return fyne.CurrentApp().Settings().Theme().Color(n, v)
}

func (readableHints) Font(s fyne.TextStyle) fyne.Resource {
	return fyne.CurrentApp().Settings().Theme().Font(s)
}

func (readableHints) Icon(n fyne.ThemeIconName) fyne.Resource {
	return fyne.CurrentApp().Settings().Theme().Icon(n)
}

func (readableHints) Size(n fyne.ThemeSizeName) float32 {
	th := fyne.CurrentApp().Settings().Theme()
	if n == theme.SizeNameCaptionText {
		return th.Size(theme.SizeNameText)
	}
	return th.Size(n)
}

// setShareDir fills the shared folder field (from a dialog or a drop).
func (f *firstRun) setShareDir(dir string) { f.shareEntry.SetText(dir) }

func (f *firstRun) onChooseShare() {
	chooseFolder(f.u.win, f.shareEntry.Text, f.setShareDir)
}

func (f *firstRun) onChooseDownloads() {
	chooseFolder(f.u.win, f.downloadsEntry.Text, f.downloadsEntry.SetText)
}

// collect reads the fields into settings.
func (f *firstRun) collect() (vm.Settings, error) {
	s := f.settings
	s.ShareDir = strings.TrimSpace(f.shareEntry.Text)
	s.Downloads = strings.TrimSpace(f.downloadsEntry.Text)
	if s.Downloads == "" {
		return s, errNoDownloads
	}
	if s.ShareDir != "" {
		fi, err := os.Stat(s.ShareDir)
		if err != nil {
			return s, err
		}
		if !fi.IsDir() {
			return s, errNotAFolder
		}
	}
	return s, nil
}

func (f *firstRun) onHost() {
	s, err := f.collect()
	if err != nil {
		showError(f.u.win, lang.L("Cannot start yet"), err)
		return
	}
	s.Host = true
	// Named, or else after this computer; a network joined before is
	// not followed any more.
	s.Network, s.NetworkID = vm.NetworkName(f.networkEntry.Text), ""
	s.Passphrase = ""
	if f.privateCheck.Checked {
		s.Passphrase = vm.NormalizePassphrase(f.hostPassEntry.Text)
		if s.Passphrase == "" {
			showError(f.u.win, lang.L("Cannot start yet"), errNoPassphrase)
			return
		}
	}
	f.start(s)
}

func (f *firstRun) onJoin() {
	s, err := f.collect()
	if err != nil {
		showError(f.u.win, lang.L("Cannot start yet"), err)
		return
	}
	addr := strings.TrimSpace(f.trackerEntry.Text)
	if err := vm.ValidateTrackerAddr(addr); err != nil {
		showError(f.u.win, lang.L("Cannot join"), err)
		return
	}
	s.Host = false
	s.Tracker = addr
	s.Passphrase = vm.NormalizePassphrase(f.joinPassEntry.Text)
	// A dead address or a wrong passphrase is said here, before the main
	// screen opens on a network that is not there.
	f.joinButton.Disable()
	f.u.vm.Background(func() {
		err := f.u.vm.CheckJoin(f.u.ctx, addr, s.Passphrase)
		fyne.Do(func() {
			f.joinButton.Enable()
			if err != nil {
				showError(f.u.win, lang.L("Cannot join {{.Addr}}", map[string]any{"Addr": addr}), err)
				return
			}
			f.start(s)
		})
	})
}

// onPickNearby joins a network heard on the LAN; a private one first asks
// for its passphrase, when none is typed.
func (f *firstRun) onPickNearby(r vm.NearbyRow) {
	f.trackerEntry.SetText(r.Addr)
	if r.Private && strings.TrimSpace(f.joinPassEntry.Text) == "" {
		f.joinPassHint.SetText(lang.L("“{{.Network}}” is private: type the passphrase its host gave you, then press Join.", map[string]any{"Network": vm.Ellipsize(r.Name, 40)}))
		f.joinPassHint.Show()
		f.relayout()
		f.u.win.Canvas().Focus(f.joinPassEntry)
		return
	}
	f.joinPassHint.Hide()
	f.relayout()
	f.onJoin()
}

func (f *firstRun) start(s vm.Settings) {
	confirmShare(f.u.win, s.ShareDir, func() {
		if err := f.u.join(s); err != nil {
			showError(f.u.win, lang.L("Could not start"), err)
		}
	})
}

// confirmShare runs share at once, or, when sharing dir deserves a second
// thought (a home folder, the root of a disk: vm.ShareRisk), after the
// person said yes. Call on the Fyne goroutine.
func confirmShare(w fyne.Window, dir string, share func()) {
	risk := ""
	if dir != "" {
		risk = vm.ShareRisk(dir)
	}
	if risk == "" {
		share()
		return
	}
	msg := widget.NewLabel(risk + " " + lang.L("Hidden files (such as .ssh) are left out unless you choose otherwise; a .enxameignore file leaves out more. Share it anyway?"))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(lang.L("Share “{{.Folder}}”?", map[string]any{"Folder": vm.SafeText(vm.Ellipsize(dir, 60))}), lang.L("Share it"), lang.L("Cancel"), msg, func(ok bool) {
		if ok {
			share()
		}
	}, w)
	d.Resize(fyne.NewSize(480, 0).Max(d.MinSize()))
	closeWithKeys(w, d, false) // Esc cancels; sharing takes a deliberate press
	d.Show()
}

// chooseFolder opens a folder dialog at current (when it exists) and hands
// the chosen folder's path to set.
func chooseFolder(w fyne.Window, current string, set func(string)) {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			showError(w, lang.L("Cannot open that folder"), err)
			return
		}
		if u == nil {
			return // cancelled
		}
		if p := vm.PathOfURI(u); p != "" {
			set(p)
		}
	}, w)
	if current != "" {
		if l, err := storage.ListerForURI(storage.NewFileURI(current)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// maxWidthLayout centres its objects horizontally, no wider than Width.
type maxWidthLayout struct{ Width float32 }

func (l *maxWidthLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, l.Width)
	for _, o := range objs {
		o.Move(fyne.NewPos((size.Width-w)/2, theme.Padding()*4))
		o.Resize(fyne.NewSize(w, o.MinSize().Height))
	}
}

func (l *maxWidthLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return fyne.NewSize(min(s.Width, l.Width), s.Height+theme.Padding()*8)
}
