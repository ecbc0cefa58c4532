package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
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
	list     *widget.List
	selected widget.ListItemID
	folders  *fyne.Container // the folders the results come from, one Download each

	// Several results picked (their check boxes, Ctrl+click, Shift+click,
	// Ctrl+A) download with one button.
	picked     map[string]bool // pickKey of the picked results
	anchor     int             // the last row picked by click: Shift+click picks up to here
	pickBar    *fyne.Container
	pickButton *widget.Button
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
	top := container.NewVBox(t.entry, t.status, t.folders, t.pickBar, header, widget.NewSeparator())
	t.content = container.NewBorder(top, nil, nil, nil, t.list)
	return t
}

func bold(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func (t *searchTab) onQueryChanged(q string) {
	t.m.u.vm.Search.SetQuery(q)
}

// onSubmitted (Enter in the box) searches at once, without waiting for
// the typing pause. It never downloads: a result is downloaded with its
// button (Tab to it, then Space) or a double click.
func (t *searchTab) onSubmitted(q string) {
	u := t.m.u
	u.vm.Background(func() { _ = u.vm.Search.Run(u.ctx, q) })
}

// isMine reports whether this computer shares the file with content id.
func (t *searchTab) isMine(id string) bool {
	files, _ := t.m.u.vm.Share.Files.Get()
	for _, f := range files {
		if f.ID == id {
			return true
		}
	}
	return false
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
	if err != nil || t.isMine(r.ID) {
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

// onDownloadPicked downloads every picked result and shows Transfers.
func (t *searchTab) onDownloadPicked() {
	rows, _ := t.m.u.vm.Search.Results.Get()
	var picked []vm.SearchRow
	for _, r := range rows {
		if t.picked[pickKey(r)] {
			picked = append(picked, r)
		}
	}
	u := t.m.u
	w := u.win
	u.vm.Background(func() {
		var firstErr error
		for _, r := range picked {
			if _, err := u.vm.Search.Download(r); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		fyne.Do(func() {
			t.clearPicked()
			if firstErr != nil {
				showError(w, lang.L("Some files could not be downloaded"), firstErr)
				return
			}
			t.m.showTransfers()
		})
	})
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
	mine               *widget.Label // "You share this", instead of the button
	check              *widget.Check // picked for "Download N files"
	setting            bool          // the check is being set from the tab
}

func newResultRow(t *searchTab) *resultRow {
	r := &resultRow{tab: t, name: widget.NewLabel(""), size: widget.NewLabel(""), holder: widget.NewLabel("")}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.button = widget.NewButtonWithIcon(lang.L("Download"), theme.DownloadIcon(), r.onDownload)
	r.mine = widget.NewLabelWithStyle(lang.L("You share this"), fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	r.mine.Hide()
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
	mine := r.tab.isMine(row.ID)
	showIf(r.mine, mine)
	showIf(r.button, !mine)
	r.setting = true
	r.check.SetChecked(r.tab.picked[pickKey(row)])
	r.setting = false
	if mine {
		r.check.Disable()
	} else {
		r.check.Enable()
	}
	if row.Complete == 0 && row.Partial == 0 {
		r.button.Disable()
	} else {
		r.button.Enable()
	}
}

func (r *resultRow) onDownload() {
	if !r.tab.isMine(r.row.ID) {
		r.tab.download(r.row)
	}
}

// Tapped selects the row. Part of fyne.Tappable.
func (r *resultRow) Tapped(*fyne.PointEvent) { r.tab.list.Select(r.id) }

// DoubleTapped downloads the row. Part of fyne.DoubleTappable.
func (r *resultRow) DoubleTapped(*fyne.PointEvent) { r.onDownload() }

// CreateRenderer lays the row out in the list's columns.
func (r *resultRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(columns(searchColumns, container.NewBorder(nil, nil, r.check, nil, r.name), r.size, r.holder, container.NewStack(r.button, r.mine)))
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
		folder := r.Path
		b := widget.NewButtonWithIcon(lang.L("Download folder"), theme.DownloadIcon(), func() { t.onDownloadFolder(folder) })
		objs = append(objs, container.NewBorder(nil, nil, widget.NewIcon(theme.FolderIcon()), b, widget.NewLabel(text)))
	}
	setObjects(t.folders, objs...)
}

// onDownloadFolder fetches every file of the folder (see
// vm.TransfersVM.StartFolder) and shows Transfers.
func (t *searchTab) onDownloadFolder(folder string) {
	u := t.m.u
	w := u.win
	u.vm.Background(func() {
		_, err := u.vm.Transfers.StartFolder(u.ctx, folder)
		fyne.Do(func() {
			if err != nil {
				showError(w, lang.L("Cannot download the folder {{.Name}}", map[string]any{"Name": vm.Ellipsize(vm.SafeText(folder), 60)}), err)
				return
			}
			t.m.showTransfers()
		})
	})
}
