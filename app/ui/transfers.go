package ui

import (
	"cmp"
	"image/color"
	"net/url"
	"slices"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/app/widgets"
)

// Column widths: the source table (name first, flexible), and a download's
// top line (name first, then state, then its buttons).
var (
	peerColumns     = []float32{110, 80, 110, 150}
	transferColumns = []float32{280, 330}
)

// transfersTab is the Transfers tab: every download above, the selected
// one's chunk grid and sources below.
type transfersTab struct {
	m       *mainScreen
	content fyne.CanvasObject
	list    *widget.List
	empty   *widget.Label
	listBox *fyne.Container // the list, as high as its rows (up to a few)
	title   *widget.Label
	grid    *widgets.ChunkGrid
	peers   *widget.List
	// The queue's buttons: the selected download up or down the list,
	// and the done and failed ones off it.
	queueBar                *fyne.Container
	moveUp, moveDown, clear *widget.Button

	// Every row widget the lists made, to update in place: a list's own
	// Refresh rebuilds and redraws all of it, four times a second.
	rowWidgets  []*transferRow
	peerWidgets []*peerRow
	rowsShown   int
	peersShown  int
}

func newTransfersTab(m *mainScreen) *transfersTab {
	v := m.u.vm.Transfers
	t := &transfersTab{m: m}
	t.list = widget.NewList(
		func() int { return v.Rows.Length() },
		func() fyne.CanvasObject {
			r := newTransferRow(t)
			t.rowWidgets = append(t.rowWidgets, r)
			return r
		},
		t.updateRow,
	)
	t.list.OnSelected = t.onSelected
	t.empty = widget.NewLabelWithStyle(lang.L("No downloads yet. Find a file in the Search tab and press Download."), fyne.TextAlignCenter, fyne.TextStyle{Italic: true})

	t.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.title.Truncation = fyne.TextTruncateEllipsis
	t.grid = widgets.NewChunkGrid()
	t.peers = widget.NewList(
		func() int { return v.Peers.Length() },
		func() fyne.CanvasObject {
			r := newPeerRow()
			t.peerWidgets = append(t.peerWidgets, r)
			return r
		},
		t.updatePeer,
	)
	peerHeader := columns(peerColumns, bold(lang.L("Source")), bold(lang.L("Rate")), bold(lang.L("Chunks")), bold(lang.L("Bad chunks")), bold(lang.L("State")))

	t.moveUp = widget.NewButtonWithIcon(lang.L("Move up"), theme.MoveUpIcon(), t.onMoveUp)
	t.moveDown = widget.NewButtonWithIcon(lang.L("Move down"), theme.MoveDownIcon(), t.onMoveDown)
	t.clear = widget.NewButtonWithIcon(lang.L("Clear finished"), theme.DeleteIcon(), t.onClearFinished)
	queueHint := widget.NewLabelWithStyle(lang.L("Downloads start in this order"), fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	t.queueBar = container.NewHBox(t.moveUp, t.moveDown, queueHint, layout.NewSpacer(), t.clear)
	t.queueBar.Hide()

	listArea := container.NewStack(t.list, container.NewCenter(t.empty))
	t.listBox = container.New(&rowsHeight{rows: 1, row: newTransferRow(t).MinSize().Height}, listArea)

	v.Rows.AddListener(binding.NewDataListener(t.onRowsChanged))
	v.Grid.AddListener(binding.NewDataListener(t.onGridChanged))
	v.Peers.AddListener(binding.NewDataListener(t.onPeersChanged))
	v.Title.AddListener(binding.NewDataListener(t.onTitleChanged))
	v.Selected.AddListener(binding.NewDataListener(t.updateQueueButtons))

	peersArea := container.NewBorder(peerHeader, nil, nil, nil, t.peers)
	details := container.NewBorder(t.title, nil, nil, nil,
		container.NewVSplit(t.grid, peersArea))
	t.content = container.NewBorder(container.NewVBox(t.queueBar, t.listBox, widget.NewSeparator()), nil, nil, nil, details)
	return t
}

func (t *transfersTab) onRowsChanged() {
	rows, _ := t.m.u.vm.Transfers.Rows.Get()
	showIf(t.empty, len(rows) == 0)
	if l := t.listBox.Layout.(*rowsHeight); l.rows != fitRows(len(rows)) {
		l.rows = fitRows(len(rows))
		t.listBox.Refresh()
	}
	inPlace := len(rows) == t.rowsShown
	for _, w := range t.rowWidgets {
		if inPlace && w.id >= 0 && w.id < len(rows) && w.row.Key != rows[w.id].Key {
			inPlace = false
		}
	}
	if inPlace {
		// Same downloads, new values: update the row widgets in place.
		for _, w := range t.rowWidgets {
			if w.id >= 0 && w.id < len(rows) {
				w.set(w.id, rows[w.id])
			}
		}
	} else {
		t.rowsShown = len(rows)
		t.list.Refresh()
	}
	sel, _ := t.m.u.vm.Transfers.Selected.Get()
	for i, r := range rows {
		if r.Key == sel {
			t.list.Select(i)
		}
	}
	t.updateQueueButtons()
}

// updateQueueButtons offers Move up and Move down where the selected
// item (a download, or a folder with all its files) can go, and Clear
// finished when an item is done or failed. A file shown under its folder
// does not move on its own: its folder's files start in the folder's
// order, and the folder moves as one.
func (t *transfersTab) updateQueueButtons() {
	rows, _ := t.m.u.vm.Transfers.Rows.Get()
	sel, _ := t.m.u.vm.Transfers.Selected.Get()
	items := slices.DeleteFunc(slices.Clone(rows), func(r vm.TransferRow) bool { return r.Kind == vm.RowChild })
	i := slices.IndexFunc(items, func(r vm.TransferRow) bool { return r.Key == sel })
	showIf(t.queueBar, len(rows) > 0)
	enableIf(t.moveUp, i > 0)
	enableIf(t.moveDown, i >= 0 && i < len(items)-1)
	enableIf(t.clear, slices.ContainsFunc(items, vm.TransferRow.Finished))
}

func enableIf(b *widget.Button, on bool) {
	if on && b.Disabled() {
		b.Enable()
	} else if !on && !b.Disabled() {
		b.Disable()
	}
}

func (t *transfersTab) onMoveUp()   { t.moveSelected(t.m.u.vm.Transfers.MoveUp) }
func (t *transfersTab) onMoveDown() { t.moveSelected(t.m.u.vm.Transfers.MoveDown) }

func (t *transfersTab) moveSelected(move func(string) error) {
	if sel, _ := t.m.u.vm.Transfers.Selected.Get(); sel != "" {
		t.act(lang.L("Cannot move the download"), move, sel)
	}
}

// onClearFinished takes the done and failed downloads off the list (their
// files stay), in the background.
func (t *transfersTab) onClearFinished() {
	w := t.m.u.win
	t.m.u.vm.Background(func() {
		if _, err := t.m.u.vm.Transfers.ClearFinished(); err != nil {
			fyne.Do(func() { showError(w, lang.L("Cannot clear the finished downloads"), err) })
		}
	})
}

func (t *transfersTab) onPeersChanged() {
	peers, _ := t.m.u.vm.Transfers.Peers.Get()
	if len(peers) == t.peersShown {
		names := t.m.u.names()
		for _, w := range t.peerWidgets {
			if w.id >= 0 && w.id < len(peers) {
				w.set(w.id, peers[w.id], names[peers[w.id].Addr])
			}
		}
		return
	}
	t.peersShown = len(peers)
	t.peers.Refresh()
}

func (t *transfersTab) onSelected(id widget.ListItemID) {
	row, err := t.m.u.vm.Transfers.Rows.GetValue(id)
	if err == nil {
		t.m.u.vm.Transfers.Select(row.Key)
	}
}

func (t *transfersTab) onTitleChanged() {
	s, _ := t.m.u.vm.Transfers.Title.Get()
	if s == "" {
		setText(t.title, lang.L("Select a download to see its chunks"))
		return
	}
	setText(t.title, lang.L("Chunks of {{.Name}}", map[string]any{"Name": s}))
}

// onGridChanged hands the selected download's chunk map to the grid, its
// sources by computer name where the network list knows it.
func (t *transfersTab) onGridChanged() {
	g, _ := t.m.u.vm.Transfers.Grid.Get()
	names := t.m.u.names()
	sources := make([]string, len(g.Sources))
	for i, a := range g.Sources {
		sources[i] = cmp.Or(names[a], a)
	}
	t.grid.SetScale(g.Per, g.Files)
	t.grid.SetCells(g.Cells, sources)
}

// MaxListedRows is how many downloads the list shows before it scrolls.
const MaxListedRows = 3

func fitRows(n int) int { return min(max(n, 1), MaxListedRows) }

// rowsHeight gives its object the height of a number of list rows: the
// list of downloads takes the room its rows need and leaves the rest to
// the chunk grid, with no empty band between them.
type rowsHeight struct {
	rows int
	row  float32 // one row's height
}

func (l *rowsHeight) height() float32 {
	return float32(l.rows) * (l.row + theme.Padding())
}

func (l *rowsHeight) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *rowsHeight) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(0, l.height())
}

func (t *transfersTab) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	row, err := t.m.u.vm.Transfers.Rows.GetValue(id)
	if err != nil {
		return
	}
	o.(*transferRow).set(id, row)
}

func (t *transfersTab) updatePeer(id widget.ListItemID, o fyne.CanvasObject) {
	p, err := t.m.u.vm.Transfers.Peers.GetValue(id)
	if err != nil {
		return
	}
	o.(*peerRow).set(id, p, t.m.u.names()[p.Addr])
}

// act runs a Pause, Resume, Cancel or move in the background and reports
// a failure under the title fail.
func (t *transfersTab) act(fail string, f func(string) error, key string) {
	w := t.m.u.win
	t.m.u.vm.Background(func() {
		if err := f(key); err != nil {
			fyne.Do(func() { showError(w, fail, err) })
		}
	})
}

// open asks the desktop to open path (a file or a folder).
func (t *transfersTab) open(path string) {
	u, err := url.Parse(storage.NewFileURI(path).String())
	if err == nil {
		err = t.m.u.app.OpenURL(u)
	}
	if err != nil {
		showError(t.m.u.win, lang.L("Cannot open {{.Path}}", map[string]any{"Path": path}), err)
	}
}

// transferRow is one download in the list, or a folder's row (with the
// toggle that shows its files), or one file of an expanded folder
// (indented under it).
type transferRow struct {
	widget.BaseWidget
	tab                              *transfersTab
	id                               widget.ListItemID // the list item it shows now
	row                              vm.TransferRow
	name, state, detail              *widget.Label
	bar                              *widget.ProgressBar
	pause, cancel, openFile, openDir *widget.Button
	toggle                           *widget.Button    // a folder's ▸ / ▾
	indent                           *canvas.Rectangle // before a folder's file
}

// ChildIndent is how far a folder's files are set in under it.
const ChildIndent = float32(28)

func newTransferRow(t *transfersTab) *transferRow {
	r := &transferRow{tab: t, id: -1}
	r.name = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.state = widget.NewLabel("")
	r.state.Truncation = fyne.TextTruncateEllipsis
	r.detail = widget.NewLabel("")
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.bar = widget.NewProgressBar()
	r.pause = widget.NewButtonWithIcon(lang.L("Pause"), theme.MediaPauseIcon(), r.onPause)
	r.cancel = widget.NewButtonWithIcon(lang.L("Cancel"), theme.CancelIcon(), r.onCancel)
	r.openFile = widget.NewButtonWithIcon(lang.L("Open"), theme.FileIcon(), r.onOpen)
	r.openDir = widget.NewButtonWithIcon(lang.L("Show in folder"), theme.FolderOpenIcon(), r.onOpenDir)
	r.toggle = widget.NewButtonWithIcon("", theme.MenuExpandIcon(), r.onToggle)
	r.toggle.Importance = widget.LowImportance
	r.toggle.Hide()
	r.indent = canvas.NewRectangle(color.Transparent)
	r.indent.SetMinSize(fyne.NewSize(ChildIndent, 1))
	r.indent.Hide()
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer lays the row out in fixed columns, so that the states
// and buttons of every row line up whatever buttons each one shows.
func (r *transferRow) CreateRenderer() fyne.WidgetRenderer {
	buttons := container.NewBorder(nil, nil, nil, container.NewHBox(r.pause, r.cancel, r.openFile, r.openDir))
	name := container.NewBorder(nil, nil, r.toggle, nil, r.name)
	top := columns(transferColumns, name, r.state, buttons)
	body := container.NewVBox(top, r.bar, r.detail)
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, r.indent, nil, body))
}

func (r *transferRow) set(id widget.ListItemID, row vm.TransferRow) {
	r.id, r.row = id, row
	setText(r.name, row.Name)
	state := row.StateText()
	if row.Err != nil && (row.State == vm.StateFailed || row.State == vm.StateStalled) {
		state += ": " + Describe(row.Err).What
	}
	setText(r.state, state)
	switch row.State {
	case vm.StateFailed:
		setImportance(r.state, widget.DangerImportance)
	case vm.StateDone:
		setImportance(r.state, widget.SuccessImportance)
	default:
		setImportance(r.state, widget.MediumImportance)
	}
	if r.bar.Value != row.Fraction {
		r.bar.SetValue(row.Fraction)
	}
	setText(r.detail, rowDetail(row))
	r.setFolder(row)

	done := row.State == vm.StateDone
	folder := row.Kind == vm.RowFolder
	showIf(r.openFile, done && !folder)
	showIf(r.openDir, done || folder)
	showIf(r.cancel, !done)
	switch {
	case row.Active():
		setButton(r.pause, lang.L("Pause"), theme.MediaPauseIcon())
		r.pause.Show()
	case row.Resumable():
		setButton(r.pause, lang.L("Resume"), theme.MediaPlayIcon())
		r.pause.Show()
	default:
		r.pause.Hide()
	}
}

// rowDetail is the line under a row's name: once done, where it was saved.
func rowDetail(row vm.TransferRow) string {
	switch {
	case row.State != vm.StateDone || row.Path == "":
		return row.Detail()
	case row.Kind == vm.RowFolder:
		return row.Detail() + " · " + lang.L("saved in {{.Path}}", map[string]any{"Path": row.Path})
	}
	return vm.Size(row.Size) + " · " + lang.L("saved as {{.Path}}", map[string]any{"Path": row.Path})
}

// setFolder shows a folder's toggle (▸ its files hidden, ▾ shown) and
// Open folder, or sets a folder's file in under it.
func (r *transferRow) setFolder(row vm.TransferRow) {
	folder := row.Kind == vm.RowFolder
	showIf(r.toggle, folder)
	showIf(r.indent, row.Kind == vm.RowChild)
	if folder {
		icon := theme.MenuExpandIcon()
		if row.Expanded {
			icon = theme.MenuDropDownIcon()
		}
		if r.toggle.Icon == nil || r.toggle.Icon.Name() != icon.Name() {
			r.toggle.SetIcon(icon)
		}
		setButton(r.openDir, lang.L("Open folder"), theme.FolderOpenIcon())
	} else {
		setButton(r.openDir, lang.L("Show in folder"), theme.FolderOpenIcon())
	}
}

// setButton changes a button's text and icon only when they differ.
func setButton(b *widget.Button, text string, icon fyne.Resource) {
	if b.Text != text || b.Icon == nil || b.Icon.Name() != icon.Name() {
		b.Text, b.Icon = text, icon
		b.Refresh()
	}
}

func showIf(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

func (r *transferRow) onPause() {
	v := r.tab.m.u.vm.Transfers
	if r.row.Resumable() {
		r.tab.act(lang.L("Cannot resume the download"), v.Resume, r.row.Key)
	} else {
		r.tab.act(lang.L("Cannot pause the download"), v.Pause, r.row.Key)
	}
}

func (r *transferRow) onCancel() {
	r.tab.act(lang.L("Cannot cancel the download"), r.tab.m.u.vm.Transfers.Cancel, r.row.Key)
}

func (r *transferRow) onOpen() { r.tab.open(r.row.Path) }

// onOpenDir shows a file in its folder, or opens a folder's root.
func (r *transferRow) onOpenDir() {
	if r.row.Kind == vm.RowFolder {
		r.tab.open(r.row.Path)
		return
	}
	r.tab.open(r.row.Dir)
}

// onToggle shows or hides a folder's files under its row.
func (r *transferRow) onToggle() {
	v, key, open := r.tab.m.u.vm.Transfers, r.row.Key, !r.row.Expanded
	r.tab.m.u.vm.Background(func() { v.SetExpanded(key, open) })
}

// peerRow is one source of the selected download, with its grid colour:
// the computer's name, and its address in grey.
type peerRow struct {
	widget.BaseWidget
	id                                       widget.ListItemID
	swatch                                   *canvas.Rectangle
	name, addr, rate, chunks, strikes, state *widget.Label
}

func newPeerRow() *peerRow {
	r := &peerRow{id: -1, swatch: canvas.NewRectangle(theme.Color(theme.ColorNameDisabled))}
	r.swatch.SetMinSize(fyne.NewSize(12, 12))
	r.name, r.addr = widget.NewLabel(""), widget.NewLabel("")
	r.rate, r.chunks, r.strikes, r.state = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.addr.Importance = widget.LowImportance
	r.ExtendBaseWidget(r)
	return r
}

func (r *peerRow) CreateRenderer() fyne.WidgetRenderer {
	who := container.NewBorder(nil, nil, container.NewCenter(r.swatch), r.addr, r.name)
	return widget.NewSimpleRenderer(columns(peerColumns, who, r.rate, r.chunks, r.strikes, r.state))
}

// peerStateWords says what a source is doing, in words.
func peerStateWords(state string) string {
	switch state {
	case "connected":
		return lang.L("Sending")
	case "idle":
		return lang.L("Waiting")
	case "dropped":
		return lang.L("No longer used")
	}
	return state
}

// set shows source p, by name when the network list knows it.
func (r *peerRow) set(id widget.ListItemID, p vm.PeerRow, name string) {
	r.id = id
	if c := widgets.PeerColor(p.Color); r.swatch.FillColor != c {
		r.swatch.FillColor = c
		r.swatch.Refresh()
	}
	if name == "" {
		setText(r.name, p.Addr)
		setText(r.addr, "")
	} else {
		setText(r.name, name)
		setText(r.addr, p.Addr)
	}
	rate := vm.Rate(p.Rate)
	if rate == "" || p.State != "connected" {
		rate = "—"
	}
	setText(r.rate, rate)
	setText(r.chunks, strconv.Itoa(p.Chunks))
	strikes := ""
	if p.Strikes > 0 {
		strikes = strconv.Itoa(p.Strikes)
	}
	setText(r.strikes, strikes)
	setText(r.state, peerStateWords(p.State))
}
