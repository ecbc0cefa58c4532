package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/app/vm"
)

// Column widths of the result list.
var searchColumns = []float32{100, 230, 140}

// searchTab is the Search tab: a box, a status line and the results.
type searchTab struct {
	m        *mainScreen
	content  fyne.CanvasObject
	entry    *searchEntry
	status   *widget.Label
	notice   *widget.Label // what the last download left out (files you have), hidden when nothing
	list     *widget.List
	selected widget.ListItemID
	folders  *fyne.Container // the folders the results come from, one Download each

	// Several results picked (their check boxes, Ctrl+click, Shift+click,
	// Ctrl+A) download with one button.
	picked     map[string]bool // pickKey of the picked results
	anchor     int             // the last row picked by click: Shift+click picks up to here
	pickBar    *fyne.Container
	pickButton *widget.Button

	ask dialog.Dialog // the question asked before downloading what you have (tests)
}

// pickKey identifies a result across searches: its content and name.
func pickKey(r vm.SearchRow) string { return r.ID + "\x00" + r.Name }

func newSearchTab(m *mainScreen) *searchTab {
	v := m.u.vm.Search
	t := &searchTab{m: m, selected: -1, picked: map[string]bool{}, anchor: -1}
	t.pickButton = widget.NewButtonWithIcon("", theme.DownloadIcon(), t.onDownloadPicked)
	t.pickButton.Importance = widget.HighImportance
	t.pickBar = container.NewHBox(t.pickButton,
		widget.NewButton(lang.L("Clear selection"), t.clearPicked),
		widget.NewLabelWithStyle(lang.L("Ctrl+click or Shift+click picks more; Ctrl+A picks all"), fyne.TextAlignLeading, fyne.TextStyle{Italic: true}))
	t.pickBar.Hide()
	t.entry = newSearchEntry(t)
	t.entry.SetPlaceHolder(lang.L("Type part of a file name (Ctrl+F)"))
	t.entry.OnChanged = t.onQueryChanged
	t.entry.OnSubmitted = t.onSubmitted
	t.status = widget.NewLabel("")
	t.status.Wrapping = fyne.TextWrapWord
	t.notice = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	t.notice.Wrapping = fyne.TextWrapWord
	t.notice.Hide()

	t.list = widget.NewList(
		func() int { return v.Results.Length() },
		func() fyne.CanvasObject { return newResultRow(t) },
		t.updateRow,
	)
	t.list.OnSelected = func(id widget.ListItemID) { t.selected = id }
	t.list.OnUnselected = func(widget.ListItemID) { t.selected = -1 }
	v.Results.AddListener(binding.NewDataListener(t.onResultsChanged))
	v.Status.AddListener(binding.NewDataListener(t.onStatusChanged))
	v.Err.AddListener(binding.NewDataListener(t.onStatusChanged))

	t.folders = container.NewVBox()
	v.Folders.AddListener(binding.NewDataListener(t.onFoldersChanged))
	header := columns(searchColumns, bold(lang.L("Name")), bold(lang.L("Size")), bold(lang.L("Where")), bold(""))
	top := container.NewVBox(t.entry, t.status, t.notice, t.folders, t.pickBar, header, widget.NewSeparator())
	t.content = container.NewBorder(top, nil, nil, nil, t.list)
	return t
}

func bold(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func (t *searchTab) onQueryChanged(q string) {
	t.setNotice("")
	t.m.u.vm.Search.SetQuery(q)
}

// setNotice shows s under the status line ("" hides it).
func (t *searchTab) setNotice(s string) {
	setText(t.notice, s)
	showIf(t.notice, s != "")
}

// onSubmitted (Enter in the box) searches at once, without waiting for
// the typing pause. It never downloads: a result is downloaded with its
// button (Tab to it, then Space) or a double click.
func (t *searchTab) onSubmitted(q string) {
	u := t.m.u
	u.vm.Background(func() { _ = u.vm.Search.Run(u.ctx, q) })
}

// holdersText says on how many computers a result is.
func holdersText(r vm.SearchRow) string {
	switch {
	case r.Complete == 0:
		return lang.N("Partly on {{.Count}} computers", i18n.Plural(r.Partial), map[string]any{"Count": r.Partial})
	case r.Partial == 0:
		return lang.N("On {{.Count}} computers", i18n.Plural(r.Complete), map[string]any{"Count": r.Complete})
	}
	return lang.N("On {{.Count}} computers", i18n.Plural(r.Complete), map[string]any{"Count": r.Complete}) + ", " +
		lang.N("partly on {{.Count}} more", i18n.Plural(r.Partial), map[string]any{"Count": r.Partial})
}

func (t *searchTab) onResultsChanged() {
	t.selected = -1
	t.anchor = -1
	t.list.UnselectAll()
	// Picks of results no longer shown are dropped.
	rows, _ := t.m.u.vm.Search.Results.Get()
	shown := make(map[string]bool, len(rows))
	for _, r := range rows {
		shown[pickKey(r)] = true
	}
	for k := range t.picked {
		if !shown[k] {
			delete(t.picked, k)
		}
	}
	t.pickedChanged()
}

// pick sets whether result i is picked.
func (t *searchTab) pick(i int, on bool) {
	r, err := t.m.u.vm.Search.Results.GetValue(i)
	if err != nil {
		return
	}
	if on {
		t.picked[pickKey(r)] = true
	} else {
		delete(t.picked, pickKey(r))
	}
}

// pickRange picks results from the anchor to i (Shift+click).
func (t *searchTab) pickRange(i int) {
	from := t.anchor
	if from < 0 {
		from = i
	}
	for j := min(from, i); j <= max(from, i); j++ {
		t.pick(j, true)
	}
	t.pickedChanged()
}

// onPickAll picks every result (Ctrl+A on the Search tab).
func (t *searchTab) onPickAll() {
	for i := range t.m.u.vm.Search.Results.Length() {
		t.pick(i, true)
	}
	t.pickedChanged()
}

func (t *searchTab) clearPicked() {
	clear(t.picked)
	t.pickedChanged()
}

// pickedChanged redraws the rows' boxes and the bar.
func (t *searchTab) pickedChanged() {
	n := len(t.picked)
	t.pickButton.SetText(lang.N("Download {{.Count}} files", i18n.Plural(n), map[string]any{"Count": n}))
	showIf(t.pickBar, n > 0)
	t.list.Refresh()
}

// onDownloadPicked downloads every picked result. When this computer
// has some of them already it asks once, for them all, whether to skip
// them (see askHad).
func (t *searchTab) onDownloadPicked() {
	rows, _ := t.m.u.vm.Search.Results.Get()
	var picked []vm.SearchRow
	had := 0
	for _, r := range rows {
		if t.picked[pickKey(r)] {
			picked = append(picked, r)
			if r.Have != vm.HaveNone {
				had++
			}
		}
	}
	if had == 0 {
		t.downloadPicked(picked, false)
		return
	}
	t.askHad(had, func(again bool) { t.downloadPicked(picked, again) })
}

// downloadPicked downloads rows in the background, those you have
// already too when again is set, then shows Transfers (or, when some
// were skipped, says so here).
func (t *searchTab) downloadPicked(rows []vm.SearchRow, again bool) {
	u := t.m.u
	w := u.win
	u.vm.Background(func() {
		started, skipped, err := u.vm.Search.DownloadAll(rows, again)
		fyne.Do(func() {
			t.clearPicked()
			if err != nil {
				showError(w, lang.L("Some files could not be downloaded"), err)
				return
			}
			t.reportStarted(started, skipped)
		})
	})
}

// reportStarted tells what a download of several files did: Transfers shows
// when nothing was skipped; otherwise the tab says what was started and
// what was skipped, under the status line.
func (t *searchTab) reportStarted(started, skipped int) {
	if skipped == 0 {
		t.setNotice("")
		t.m.showTransfers()
		return
	}
	t.setNotice(skippedText(started, skipped))
}

// skippedText says how many downloads started and how many files you
// have already were skipped.
func skippedText(started, skipped int) string {
	s := lang.N("Skipped {{.Count}} files you already have.", i18n.Plural(skipped), map[string]any{"Count": skipped})
	if started == 0 {
		return s + " " + lang.L("Nothing new to download.")
	}
	return s + " " + lang.N("Started {{.Count}} downloads (see Transfers).", i18n.Plural(started), map[string]any{"Count": started})
}

// askHad asks once, for several files, what to do with the had of them
// this computer has already: skip them (the default), download them too,
// or cancel. then runs with again set when they are to be downloaded too.
func (t *searchTab) askHad(had int, then func(again bool)) {
	msg := widget.NewLabel(lang.N("You already have {{.Count}} of these files, in your shared folders or your downloads. Download only the others, or those too?", i18n.Plural(had), map[string]any{"Count": had}))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons(lang.L("You already have some of these files"), msg, t.m.u.win)
	answer := func(again bool) func() {
		return func() {
			d.Hide()
			then(again)
		}
	}
	skip := widget.NewButtonWithIcon(lang.L("Skip them"), theme.ConfirmIcon(), answer(false))
	skip.Importance = widget.HighImportance
	again := widget.NewButtonWithIcon(lang.L("Download them too"), theme.DownloadIcon(), answer(true))
	cancel := widget.NewButtonWithIcon(lang.L("Cancel"), theme.CancelIcon(), d.Hide)
	d.SetButtons([]fyne.CanvasObject{cancel, again, skip})
	t.showAsk(d, answer(false))
}

// askAgain asks whether to download another copy of row, which this
// computer has already; then runs once confirmed.
func (t *searchTab) askAgain(row vm.SearchRow, then func()) {
	name := vm.SafeText(vm.Ellipsize(row.Name, 60)) // its name, not the row's notes ("also as …")
	text := lang.L("You already have {{.Name}} in your shared folder. Download another copy?", map[string]any{"Name": name})
	if row.Have == vm.HaveDownloaded {
		text = lang.L("You already have {{.Name}} in your downloads. Download another copy?", map[string]any{"Name": name})
	}
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(lang.L("Download another copy?"), lang.L("Download again"), lang.L("Cancel"), msg, func(ok bool) {
		if ok {
			then()
		}
	}, t.m.u.win)
	t.showAsk(d, nil)
}

// showAsk shows question d: Esc closes it, Enter answers with enter
// (the default answer) unless nil.
func (t *searchTab) showAsk(d dialog.Dialog, enter func()) {
	w := t.m.u.win
	d.Resize(fyne.NewSize(480, 0).Max(d.MinSize()))
	closeWithKeys(w, d, false)
	if enter != nil {
		c := w.Canvas()
		esc := c.OnTypedKey() // closeWithKeys puts the window's own back on close
		c.SetOnTypedKey(func(k *fyne.KeyEvent) {
			if k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter {
				enter()
				return
			}
			esc(k)
		})
	}
	t.ask = d
	d.Show()
}

func (t *searchTab) onStatusChanged() {
	v := t.m.u.vm.Search
	if err, _ := v.Err.Get(); err != nil {
		setText(t.status, Describe(err).String())
		setImportance(t.status, widget.DangerImportance)
	} else {
		s, _ := v.Status.Get()
		setText(t.status, s)
		setImportance(t.status, widget.MediumImportance)
	}
}

// onDownload downloads row, asking first when this computer has it
// already.
func (t *searchTab) onDownload(row vm.SearchRow) {
	switch {
	case row.Have != vm.HaveNone && !row.Elsewhere:
		t.onlyHere(row)
	case row.Have != vm.HaveNone:
		t.askAgain(row, func() { t.download(row) })
	default:
		t.download(row)
	}
}

// onlyHere tells that row, which this computer has, is held by no other
// computer: there is nowhere to download another copy from.
func (t *searchTab) onlyHere(row vm.SearchRow) {
	name := vm.SafeText(vm.Ellipsize(row.Name, 60)) // its name, not the row's notes ("also as …")
	text := lang.L("You already have {{.Name}} in your shared folder, and no other computer has it: there is no other copy to download.", map[string]any{"Name": name})
	if row.Have == vm.HaveDownloaded {
		text = lang.L("You already have {{.Name}} in your downloads, and no other computer has it: there is no other copy to download.", map[string]any{"Name": name})
	}
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons(lang.L("Only this computer has it"), msg, t.m.u.win)
	d.SetButtons([]fyne.CanvasObject{widget.NewButton(lang.L("OK"), d.Hide)})
	t.showAsk(d, nil)
}

// download starts row's download in the background and shows Transfers.
func (t *searchTab) download(row vm.SearchRow) {
	w := t.m.u.win
	t.m.u.vm.Background(func() {
		_, err := t.m.u.vm.Search.Download(row)
		fyne.Do(func() {
			if err != nil {
				showError(w, lang.L("Cannot download {{.Name}}", map[string]any{"Name": vm.Ellipsize(row.Display, 60)}), err)
				return
			}
			t.m.showTransfers()
		})
	})
}

func (t *searchTab) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	row, err := t.m.u.vm.Search.Results.GetValue(id)
	if err != nil {
		return
	}
	o.(*resultRow).set(id, row)
}

// moveSelection moves the highlighted result by delta (arrow keys in the
// box).
func (t *searchTab) moveSelection(delta int) {
	n := t.m.u.vm.Search.Results.Length()
	if n == 0 {
		return
	}
	i := max(0, min(n-1, t.selected+delta))
	t.list.Select(i)
	t.list.ScrollTo(i)
}

// searchEntry is the search box: arrow keys move through the results.
type searchEntry struct {
	widget.Entry
	tab *searchTab
}

func newSearchEntry(t *searchTab) *searchEntry {
	e := &searchEntry{tab: t}
	e.ExtendBaseWidget(e)
	e.ActionItem = widget.NewIcon(theme.SearchIcon())
	return e
}

// TypedShortcut leaves the window's shortcuts (Ctrl+1…4) to the window.
// Part of fyne.Shortcutable.
// Ctrl+A with nothing typed picks every result (with text, it selects the
// text, as in any box).
func (e *searchEntry) TypedShortcut(s fyne.Shortcut) {
	if _, all := s.(*fyne.ShortcutSelectAll); all && e.Text == "" {
		e.tab.onPickAll()
		return
	}
	if !e.tab.m.u.appShortcut(s) {
		e.Entry.TypedShortcut(s)
	}
}

// TypedKey handles Up and Down; everything else is the entry's.
func (e *searchEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyDown:
		e.tab.moveSelection(1)
	case fyne.KeyUp:
		e.tab.moveSelection(-1)
	default:
		e.Entry.TypedKey(k)
	}
}

// resultRow is one result: name, size, holders and a Download button.
// Tapping selects it, double-tapping downloads it.
type resultRow struct {
	widget.BaseWidget
	tab                *searchTab
	id                 widget.ListItemID
	row                vm.SearchRow
	name, size, holder *widget.Label
	button             *widget.Button
	haveIcon           *widget.Icon  // a check: this computer has the file already
	have               *widget.Label // "You have this", "You downloaded this"
	haveBox            *fyne.Container
	check              *widget.Check // picked for "Download N files"
	setting            bool          // the check is being set from the tab
}

func newResultRow(t *searchTab) *resultRow {
	r := &resultRow{tab: t, name: widget.NewLabel(""), size: widget.NewLabel(""), holder: widget.NewLabel("")}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.button = widget.NewButtonWithIcon(lang.L("Download"), theme.DownloadIcon(), r.onDownload)
	r.haveIcon = widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
	r.have = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	r.have.Importance = widget.SuccessImportance
	r.haveBox = container.NewHBox(r.haveIcon, r.have)
	r.haveBox.Hide()
	r.check = widget.NewCheck("", r.onCheck)
	r.ExtendBaseWidget(r)
	return r
}

func (r *resultRow) onCheck(on bool) {
	if r.setting {
		return
	}
	r.tab.pick(r.id, on)
	r.tab.anchor = r.id
	r.tab.pickedChanged()
}

// MouseDown picks with Ctrl (toggle) or Shift (a range). Part of
// desktop.Mouseable.
func (r *resultRow) MouseDown(e *desktop.MouseEvent) {
	switch {
	case e.Modifier&fyne.KeyModifierShortcutDefault != 0:
		r.tab.pick(r.id, !r.tab.picked[pickKey(r.row)])
		r.tab.anchor = r.id
		r.tab.pickedChanged()
	case e.Modifier&fyne.KeyModifierShift != 0:
		r.tab.pickRange(r.id)
	}
}

// MouseUp does nothing. Part of desktop.Mouseable.
func (r *resultRow) MouseUp(*desktop.MouseEvent) {}

func (r *resultRow) set(id widget.ListItemID, row vm.SearchRow) {
	r.id, r.row = id, row
	setText(r.name, row.Display)
	setText(r.size, vm.Size(row.Size))
	setText(r.holder, holdersText(row))
	setText(r.have, haveText(row.Have))
	showIf(r.haveBox, row.Have != vm.HaveNone)
	r.setting = true
	r.check.SetChecked(r.tab.picked[pickKey(row)])
	r.setting = false
	if row.Complete == 0 && row.Partial == 0 {
		r.button.Disable()
	} else {
		r.button.Enable()
	}
}

// haveText words where this computer has a result already ("" nowhere).
func haveText(h vm.Have) string {
	switch h {
	case vm.HaveShared:
		return lang.L("You have this")
	case vm.HaveDownloaded:
		return lang.L("You downloaded this")
	}
	return ""
}

func (r *resultRow) onDownload() {
	r.tab.onDownload(r.row)
}

// Tapped selects the row. Part of fyne.Tappable.
func (r *resultRow) Tapped(*fyne.PointEvent) { r.tab.list.Select(r.id) }

// DoubleTapped downloads the row. Part of fyne.DoubleTappable.
func (r *resultRow) DoubleTapped(*fyne.PointEvent) { r.onDownload() }

// CreateRenderer lays the row out in the list's columns.
func (r *resultRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(columns(searchColumns, container.NewBorder(nil, nil, r.check, r.haveBox, r.name), r.size, r.holder, r.button))
}

// columns lays objects out as a table row: the first takes the room the
// fixed widths of the others leave.
func columns(widths []float32, objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(&columnsLayout{widths: widths}, objs...)
}

type columnsLayout struct{ widths []float32 }

func (l *columnsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	fixed := float32(0)
	for _, w := range l.widths {
		fixed += w + pad
	}
	x := float32(0)
	for i, o := range objs {
		w := size.Width - fixed
		if i > 0 && i-1 < len(l.widths) {
			w = l.widths[i-1]
		}
		h := o.MinSize().Height
		o.Move(fyne.NewPos(x, (size.Height-h)/2))
		o.Resize(fyne.NewSize(max(w, 0), h))
		x += w + pad
	}
}

func (l *columnsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	pad := theme.Padding()
	for i, o := range objs {
		m := o.MinSize()
		s.Height = max(s.Height, m.Height)
		if i == 0 {
			s.Width += 120
		} else if i-1 < len(l.widths) {
			s.Width += l.widths[i-1] + pad
		}
	}
	return s
}

// onFoldersChanged shows the folders among the results, each with its
// file count, size and one Download for all of it.
func (t *searchTab) onFoldersChanged() {
	rows, _ := t.m.u.vm.Search.Folders.Get()
	objs := make([]fyne.CanvasObject, 0, len(rows))
	for _, r := range rows {
		files := lang.N("{{.Count}} files", i18n.Plural(r.Files), map[string]any{"Count": r.Files})
		text := lang.L("Folder {{.Path}} · {{.Files}} · {{.Size}}", map[string]any{
			"Path": vm.Ellipsize(r.Display, 60), "Files": files, "Size": i18n.Size(r.Size)})
		if r.More {
			text = lang.L("Folder {{.Path}} · {{.Files}} · {{.Size}} shown, maybe more", map[string]any{
				"Path": vm.Ellipsize(r.Display, 60), "Files": files, "Size": i18n.Size(r.Size)})
		}
		if r.Had > 0 {
			text += " · " + lang.N("you have {{.Count}} of them", i18n.Plural(r.Had), map[string]any{"Count": r.Had})
		}
		folder := r.Path
		b := widget.NewButtonWithIcon(lang.L("Download folder"), theme.DownloadIcon(), func() { t.onDownloadFolder(folder) })
		objs = append(objs, container.NewBorder(nil, nil, widget.NewIcon(theme.FolderIcon()), b, widget.NewLabel(text)))
	}
	setObjects(t.folders, objs...)
}

// onDownloadFolder fetches every file of the folder (see
// vm.TransfersVM.PlanFolder and StartPlan) and shows Transfers. When this
// computer has some of its files already it asks once whether to skip
// them.
func (t *searchTab) onDownloadFolder(folder string) {
	u := t.m.u
	w := u.win
	u.vm.Background(func() {
		p, err := u.vm.Transfers.PlanFolder(u.ctx, folder)
		fyne.Do(func() {
			if err != nil {
				showFolderError(w, folder, err)
				return
			}
			if p.Had == 0 {
				t.startFolder(p, false)
				return
			}
			t.askHad(p.Had, func(again bool) { t.startFolder(p, again) })
		})
	})
}

// startFolder downloads the files of p in the background, those you have
// already too when again is set.
func (t *searchTab) startFolder(p vm.FolderPlan, again bool) {
	u := t.m.u
	w := u.win
	u.vm.Background(func() {
		started, skipped, err := u.vm.Transfers.StartPlan(p, again)
		fyne.Do(func() {
			if err != nil {
				showFolderError(w, p.Folder, err)
				return
			}
			t.reportStarted(started, skipped)
		})
	})
}

func showFolderError(w fyne.Window, folder string, err error) {
	showError(w, lang.L("Cannot download the folder {{.Name}}", map[string]any{"Name": vm.Ellipsize(vm.SafeText(folder), 60)}), err)
}
