package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/vm"
)

var shareColumns = []float32{100}

// shareTab is the My share tab: the shared folder and its files.
type shareTab struct {
	keepSharing *widget.Check // closing the window keeps sharing (vm.CloseKeep)
	downloads   *widget.Label // where new downloads go
	autostart   *widget.Check // start at login (vm.SetAutostart)

	m       *mainScreen
	content fyne.CanvasObject
	folder  *widget.Label
	summary *widget.Label
	bar     *widget.ProgressBar
	list    *widget.List
	empty   *widget.Label
	problem *widget.Label
	skipped *widget.Label
	hidden  *widget.Check
	maxUp   *appEntry // rate limits: "2MB/s", "0" for none
	maxDown *appEntry
	apply   *widget.Button
	// maxActive is how many downloads run at once; the rest wait queued.
	maxActive *widget.Select
	// folders lists the shared folders when there are several (folders.go).
	folders    *fyne.Container
	folderRows []*folderRow
}

func newShareTab(m *mainScreen) *shareTab {
	v := m.u.vm
	t := &shareTab{m: m}
	t.folder = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.folder.Truncation = fyne.TextTruncateEllipsis
	t.summary = widget.NewLabelWithData(v.ShareText)
	t.bar = widget.NewProgressBarWithData(v.IndexFrac)
	change := widget.NewButtonWithIcon(lang.L("Change folder…"), theme.FolderOpenIcon(), t.onChoose)
	openDir := widget.NewButtonWithIcon(lang.L("Open"), theme.FolderIcon(), t.onOpen)
	add := widget.NewButtonWithIcon(lang.L("Add folder…"), theme.ContentAddIcon(), t.onAddFolder)
	t.folders = container.NewVBox()
	t.folders.Hide()
	v.Share.Folders.AddListener(binding.NewDataListener(t.onFoldersChanged))
	hint := widget.NewLabelWithStyle(lang.L("Tip: drop a folder anywhere on this window to share it instead. Files you download are shared too, while they stay in your downloads folder."), fyne.TextAlignLeading, fyne.TextStyle{Italic: true})

	hint.Wrapping = fyne.TextWrapWord // as wide as the window, in every language
	t.list = widget.NewList(
		func() int { return v.Share.Files.Length() },
		func() fyne.CanvasObject {
			name := widget.NewLabel("")
			name.Truncation = fyne.TextTruncateEllipsis
			return columns(shareColumns, name, widget.NewLabel(""))
		},
		t.updateRow,
	)
	t.empty = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	t.problem = widget.NewLabel("")
	t.problem.Wrapping = fyne.TextWrapWord
	t.problem.Importance = widget.DangerImportance
	t.problem.Hide()
	v.PeerErr.AddListener(binding.NewDataListener(t.onPeerErr))
	t.skipped = widget.NewLabel("")
	t.skipped.Wrapping = fyne.TextWrapWord
	t.skipped.Hide()
	v.ShareSkipped.AddListener(binding.NewDataListener(t.onSkippedChanged))
	t.hidden = widget.NewCheck(lang.L("Share hidden files and folders too (names starting with a dot)"), t.onHidden)
	v.ShareHidden.AddListener(binding.NewDataListener(t.onHiddenChanged))
	t.maxUp, t.maxDown = newAppEntry(m.u), newAppEntry(m.u)
	t.maxUp.SetPlaceHolder(lang.L("no limit (such as 2MB/s)"))
	t.maxDown.SetPlaceHolder(lang.L("no limit (such as 2MB/s)"))
	t.maxUp.OnSubmitted = func(string) { t.onApplyLimits() }
	t.maxDown.OnSubmitted = func(string) { t.onApplyLimits() }
	v.MaxUpload.AddListener(binding.NewDataListener(t.onLimitsChanged))
	v.MaxDownload.AddListener(binding.NewDataListener(t.onLimitsChanged))
	t.apply = widget.NewButton(lang.L("Apply"), t.onApplyLimits)
	limits := container.NewBorder(nil, nil, widget.NewLabel(lang.L("Limit sending to")), t.apply,
		container.NewGridWithColumns(3, t.maxUp, widget.NewLabel(lang.L("and receiving to")), t.maxDown))

	var counts []string
	for n := 1; n <= vm.MaxMaxActive; n++ {
		counts = append(counts, strconv.Itoa(n))
	}
	t.maxActive = widget.NewSelect(counts, t.onMaxActive)
	v.MaxActive.AddListener(binding.NewDataListener(t.onMaxActiveChanged))
	atOnce := container.NewHBox(widget.NewLabel(lang.L("Downloads at once")), t.maxActive,
		widget.NewLabelWithStyle(lang.L("the others wait their turn in Transfers"), fyne.TextAlignLeading, fyne.TextStyle{Italic: true}))
	t.keepSharing = widget.NewCheck(lang.L("Keep sharing when the window closes (Enxame stays in the tray)"), t.onKeepSharing)
	t.keepSharing.SetChecked(v.CloseAction() == vm.CloseKeep)
	showIf(t.keepSharing, m.u.tray)
	t.autostart = widget.NewCheck(lang.L("Start Enxame when I log in"), t.onAutostart)
	t.autostart.SetChecked(vm.Autostart())
	if _, err := vm.AutostartFile(); err != nil {
		t.autostart.Hide()
	}
	background := container.NewHBox(t.keepSharing, t.autostart)
	t.downloads = widget.NewLabelWithData(v.DownloadsDir)
	t.downloads.Truncation = fyne.TextTruncateEllipsis
	changeDownloads := widget.NewButtonWithIcon(lang.L("Change…"), theme.FolderOpenIcon(), t.onChangeDownloads)
	downloadsRow := container.NewBorder(nil, nil, widget.NewLabel(lang.L("Downloads go to")), changeDownloads, t.downloads)

	v.ShareDir.AddListener(binding.NewDataListener(t.onFolderChanged))
	v.Indexing.AddListener(binding.NewDataListener(t.onFolderChanged))
	v.Share.Files.AddListener(binding.NewDataListener(t.onFilesChanged))

	top := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewIcon(theme.FolderIcon()), container.NewHBox(openDir, change, add), t.folder),
		t.folders,
		container.NewBorder(nil, nil, nil, container.NewGridWrap(fyne.NewSize(180, t.bar.MinSize().Height), t.bar), t.summary),
		t.problem,
		t.skipped,
		t.hidden,
		limits,
		atOnce,
		downloadsRow,
		background,
		hint,
		columns(shareColumns, bold(lang.L("Name")), bold(lang.L("Size"))),
	)
	t.content = container.NewBorder(top, nil, nil, nil, container.NewStack(t.list, container.NewCenter(t.empty)))
	return t
}

func (t *shareTab) onFolderChanged() {
	t.showFolderLine()
	indexing, _ := t.m.u.vm.Indexing.Get()
	showIf(t.bar, indexing)
	t.onFilesChanged()
}

// onPeerErr shows why sharing stopped, if it did.
func (t *shareTab) onPeerErr() {
	err, _ := t.m.u.vm.PeerErr.Get()
	if err == nil {
		t.problem.Hide()
		return
	}
	setText(t.problem, lang.L("Sharing stopped.")+" "+Describe(err).String()+" "+lang.L("Choose the folder again, or another one."))
	t.problem.Show()
}

func (t *shareTab) onFilesChanged() {
	dir, _ := t.m.u.vm.ShareDir.Get()
	n := t.m.u.vm.Share.Files.Length()
	indexing, _ := t.m.u.vm.Indexing.Get()
	switch {
	case n > 0:
		t.empty.Hide()
	case dir == "":
		setText(t.empty, lang.L("Share a folder so others can download from you: press Change folder… or drop one here."))
		t.empty.Show()
	case indexing:
		setText(t.empty, lang.L("Looking at the files in your folder…"))
		t.empty.Show()
	default:
		setText(t.empty, lang.L("Your shared folder is empty. Put files in it and they appear here."))
		t.empty.Show()
	}
	t.list.Refresh()
}

func (t *shareTab) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	f, err := t.m.u.vm.Share.Files.GetValue(id)
	if err != nil {
		return
	}
	objs := o.(*fyne.Container).Objects
	setText(objs[0].(*widget.Label), f.Name)
	setText(objs[1].(*widget.Label), vm.Size(f.Size))
}

func (t *shareTab) onChoose() {
	dir, _ := t.m.u.vm.ShareDir.Get()
	chooseFolder(t.m.u.win, dir, t.changeFolder)
}

func (t *shareTab) onOpen() {
	if dir, _ := t.m.u.vm.ShareDir.Get(); dir != "" {
		t.m.transfers.open(dir)
	}
}

// changeFolder shares dir instead (from the dialog or a drop), after a
// confirmation for a home folder or a disk's root, and shows this tab. The
// switch runs in the background.
func (t *shareTab) changeFolder(dir string) { t.shareFolders([]string{dir}) }

// shareFolders shares dirs instead of the folders shared now (a drop of
// several), each home folder or disk's root confirmed first (Cancel on any
// cancels the drop), and shows this tab. The switch runs in the
// background, the folders shared in order.
func (t *shareTab) shareFolders(dirs []string) {
	t.m.tabs.Select(t.m.shareItem)
	w := t.m.u.win
	var confirm func(i int)
	confirm = func(i int) {
		if i < len(dirs) {
			confirmShare(w, dirs[i], func() { confirm(i + 1) })
			return
		}
		t.m.u.vm.Background(func() {
			for i, dir := range dirs {
				set := t.m.u.vm.AddShareDir
				if i == 0 {
					set = t.m.u.vm.SetShareDir
				}
				if err := set(dir); err != nil {
					fyne.Do(func() { showError(w, lang.L("Cannot share {{.Folder}}", map[string]any{"Folder": dir}), err) })
					return
				}
			}
		})
	}
	confirm(0)
}

// onSkippedChanged says what is not shared, and takes no room when
// nothing is left out.
func (t *shareTab) onSkippedChanged() {
	s, _ := t.m.u.vm.ShareSkipped.Get()
	setText(t.skipped, s)
	showIf(t.skipped, s != "")
}

// onHidden applies the hidden-files check box (the folder is indexed
// again, in the background).
func (t *shareTab) onHidden(on bool) {
	if cur, _ := t.m.u.vm.ShareHidden.Get(); cur == on {
		return
	}
	w := t.m.u.win
	t.m.u.vm.Background(func() {
		if err := t.m.u.vm.SetShareHidden(on); err != nil {
			fyne.Do(func() {
				showError(w, lang.L("Cannot change what is shared"), err)
				t.onHiddenChanged()
			})
		}
	})
}

// onHiddenChanged shows the setting in the check box.
func (t *shareTab) onHiddenChanged() {
	on, _ := t.m.u.vm.ShareHidden.Get()
	if t.hidden.Checked != on {
		t.hidden.SetChecked(on)
	}
}

// limitOf reads a limit field: empty (or 0) is no limit.
func limitOf(text string) (int64, error) {
	if strings.TrimSpace(text) == "" {
		return 0, nil
	}
	return vm.ParseRate(text)
}

// onApplyLimits applies the rate limits typed (such as 2MB/s; empty or 0
// for none).
func (t *shareTab) onApplyLimits() {
	w := t.m.u.win
	up, err := limitOf(t.maxUp.Text)
	if err == nil {
		var down int64
		if down, err = limitOf(t.maxDown.Text); err == nil {
			t.m.u.vm.Background(func() {
				if err := t.m.u.vm.SetRateLimits(up, down); err != nil {
					fyne.Do(func() { showError(w, lang.L("Cannot change the speed limits"), err) })
				}
			})
			return
		}
	}
	showError(w, lang.L("Cannot change the speed limits"), err)
}

// onLimitsChanged shows the rate limits in force.
func (t *shareTab) onLimitsChanged() {
	shown := func(limit string) string {
		if limit == "0" {
			return "" // the placeholder says "no limit"
		}
		return limit
	}
	up, _ := t.m.u.vm.MaxUpload.Get()
	down, _ := t.m.u.vm.MaxDownload.Get()
	t.maxUp.SetText(shown(up))
	t.maxDown.SetText(shown(down))
}

// onMaxActive applies the downloads-at-once choice.
func (t *shareTab) onMaxActive(choice string) {
	n, err := strconv.Atoi(choice)
	if cur, _ := t.m.u.vm.MaxActive.Get(); err != nil || cur == n {
		return
	}
	w := t.m.u.win
	t.m.u.vm.Background(func() {
		if err := t.m.u.vm.SetMaxActive(n); err != nil {
			fyne.Do(func() {
				showError(w, lang.L("Cannot change how many downloads run at once"), err)
				t.onMaxActiveChanged()
			})
		}
	})
}

// onMaxActiveChanged shows the downloads-at-once setting.
func (t *shareTab) onMaxActiveChanged() {
	n, _ := t.m.u.vm.MaxActive.Get()
	if n > 0 && t.maxActive.Selected != strconv.Itoa(n) {
		t.maxActive.SetSelected(strconv.Itoa(n))
	}
}

// onKeepSharing remembers what closing the window does.
func (t *shareTab) onKeepSharing(on bool) {
	if on {
		t.m.u.vm.SetCloseAction(vm.CloseKeep)
	} else {
		t.m.u.vm.SetCloseAction(vm.CloseQuit)
	}
}

// onAutostart writes or removes the login entry.
func (t *shareTab) onAutostart(on bool) {
	if err := vm.SetAutostart(on); err != nil {
		t.autostart.SetChecked(vm.Autostart())
		showError(t.m.u.win, lang.L("Cannot change starting at login"), err)
	}
}

// onChangeDownloads picks another folder for the next downloads; those
// already started finish where they are.
func (t *shareTab) onChangeDownloads() {
	w := t.m.u.win
	cur, _ := t.m.u.vm.DownloadsDir.Get()
	chooseFolder(w, cur, func(dir string) {
		if err := t.m.u.vm.SetDownloads(dir); err != nil {
			showError(w, lang.L("Cannot save downloads there"), err)
		}
	})
}
