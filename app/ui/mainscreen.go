package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/app/vm"
)

// mainScreen is the window once joined: tabs over an always-visible
// status bar.
type mainScreen struct {
	u       *UI
	content fyne.CanvasObject
	tabs    *container.AppTabs

	search    *searchTab
	transfers *transfersTab
	network   *networkTab
	share     *shareTab

	searchItem, transfersItem, networkItem, shareItem *container.TabItem
	status                                            *statusBar
}

func newMainScreen(u *UI) *mainScreen {
	m := &mainScreen{u: u}
	m.search = newSearchTab(m)
	m.transfers = newTransfersTab(m)
	m.network = newNetworkTab(m)
	m.share = newShareTab(m)
	m.searchItem = container.NewTabItemWithIcon(lang.L("Search"), theme.SearchIcon(), m.search.content)
	m.transfersItem = container.NewTabItemWithIcon(lang.L("Transfers"), theme.DownloadIcon(), m.transfers.content)
	m.networkItem = container.NewTabItemWithIcon(lang.L("Network"), theme.ComputerIcon(), m.network.content)
	m.shareItem = container.NewTabItemWithIcon(lang.L("My share"), theme.FolderIcon(), m.share.content)
	m.tabs = container.NewAppTabs(m.searchItem, m.transfersItem, m.networkItem, m.shareItem)
	m.tabs.OnSelected = m.onTabSelected
	m.status = newStatusBar(m)

	// The Transfers tab's title counts the downloads in progress.
	u.vm.Transfers.Active.AddListener(binding.NewDataListener(m.onActiveChanged))

	m.content = container.NewBorder(nil, m.status.content, nil, nil, m.tabs)
	return m
}

func (m *mainScreen) onActiveChanged() {
	n, _ := m.u.vm.Transfers.Active.Get()
	text := lang.L("Transfers")
	if n > 0 {
		text = fmt.Sprintf("%s (%d)", text, n)
	}
	if m.transfersItem.Text != text {
		m.transfersItem.Text = text
		m.tabs.Refresh()
	}
}

// onTabSelected focuses the search box on the Search tab, and otherwise
// takes the focus away from the tab left behind: a focused entry keeps
// its cursor blinking even when its tab is hidden, and each blink step
// repaints the whole window (7–8 frames a second, idle or not; see
// docs/BENCHMARKS.md, "Desktop app").
func (m *mainScreen) onTabSelected(t *container.TabItem) {
	if t == m.searchItem {
		m.u.win.Canvas().Focus(m.search.entry)
		return
	}
	m.u.win.Canvas().Unfocus()
}

// focusSearch shows the Search tab with its box focused (Ctrl+F).
func (m *mainScreen) focusSearch() {
	m.tabs.Select(m.searchItem)
	m.u.win.Canvas().Focus(m.search.entry)
}

// showTransfers shows the Transfers tab.
func (m *mainScreen) showTransfers() { m.tabs.Select(m.transfersItem) }

// statusBar is the line at the bottom: connection, hosting, peers, share.
type statusBar struct {
	m          *mainScreen
	content    fyne.CanvasObject
	connIcon   *widget.Icon
	conn       *widget.Label
	hosting    *widget.Label
	copyButton *widget.Button
	peers      *widget.Label
	share      *widget.Label
	indexing   *widget.ProgressBar
	about      *widget.Button
}

func newStatusBar(m *mainScreen) *statusBar {
	v := m.u.vm
	s := &statusBar{m: m}
	s.connIcon = widget.NewIcon(theme.MediaRecordIcon())
	s.conn = widget.NewLabel("")
	s.conn.Truncation = fyne.TextTruncateEllipsis
	s.hosting = widget.NewLabel("")
	s.copyButton = widget.NewButtonWithIcon("", theme.ContentCopyIcon(), s.onCopy)
	s.copyButton.Importance = widget.LowImportance
	s.peers = widget.NewLabel("")
	v.PeersOnline.AddListener(binding.NewDataListener(s.onPeersChanged))
	v.Network.Peers.AddListener(binding.NewDataListener(s.onPeersChanged))
	s.share = widget.NewLabelWithData(v.ShareText)
	s.indexing = widget.NewProgressBarWithData(v.IndexFrac)
	s.indexing.Hide()
	s.about = widget.NewButtonWithIcon("", theme.InfoIcon(), m.u.onAbout)
	s.about.Importance = widget.LowImportance

	for _, b := range []binding.DataItem{v.Connection, v.Connected, v.Tracker, v.Hosting, v.HostAddrs, v.NetworkName} {
		b.AddListener(binding.NewDataListener(s.onConnChanged))
	}
	v.Indexing.AddListener(binding.NewDataListener(s.onIndexingChanged))

	right := container.NewHBox(
		widget.NewSeparator(), s.hosting, s.copyButton,
		widget.NewSeparator(), s.peers,
		widget.NewSeparator(), widget.NewIcon(theme.FolderIcon()), s.share,
		container.NewGridWrap(fyne.NewSize(120, s.indexing.MinSize().Height), s.indexing),
		widget.NewSeparator(), s.about,
	)
	s.content = container.NewVBox(widget.NewSeparator(), container.NewBorder(nil, nil, s.connIcon, right, s.conn))
	return s
}

// onConnChanged redraws the connection and hosting parts.
func (s *statusBar) onConnChanged() {
	v := s.m.u.vm
	conn, _ := v.Connection.Get()
	ok, _ := v.Connected.Get()
	tr, _ := v.Tracker.Get()
	hosting, _ := v.Hosting.Get()
	addrs, _ := v.HostAddrs.Get()
	addrs = typableAddrs(addrs)
	name, _ := v.NetworkName.Get()
	switch {
	case ok && v.Private() && name != "":
		s.connIcon.SetResource(theme.NewSuccessThemedResource(lockIcon()))
		setText(s.conn, lang.L("Connected to the private network {{.Network}}", map[string]any{"Network": name}))
	case ok && v.Private():
		s.connIcon.SetResource(theme.NewSuccessThemedResource(lockIcon()))
		setText(s.conn, lang.L("Connected to a private network through {{.Addr}}", map[string]any{"Addr": tr}))
	case ok && name != "":
		s.connIcon.SetResource(theme.NewSuccessThemedResource(theme.MediaRecordIcon()))
		setText(s.conn, lang.L("Connected to the network {{.Network}}", map[string]any{"Network": name}))
	case ok:
		s.connIcon.SetResource(theme.NewSuccessThemedResource(theme.MediaRecordIcon()))
		setText(s.conn, lang.L("Connected to tracker {{.Addr}}", map[string]any{"Addr": tr}))
	default:
		s.connIcon.SetResource(theme.NewWarningThemedResource(theme.MediaRecordIcon()))
		setText(s.conn, conn)
	}
	switch {
	case hosting && len(addrs) > 0:
		setText(s.hosting, lang.L("Hosting · others join with {{.Addr}}", map[string]any{"Addr": addrs[0]}))
		s.copyButton.Show()
	case hosting:
		setText(s.hosting, lang.L("Hosting (no network address found)"))
		s.copyButton.Hide()
	default:
		setText(s.hosting, lang.L("Not hosting"))
		s.copyButton.Hide()
	}
}

func (s *statusBar) onPeersChanged() {
	setText(s.peers, othersText(othersOnline(s.m.u.vm)))
}

// othersOnline counts the computers online besides this one (the
// tracker's list includes it).
func othersOnline(v *vm.App) int {
	if n, _ := v.PeersOnline.Get(); n == 0 {
		return 0 // the list failed or is empty
	}
	rows, _ := v.Network.Peers.Get()
	n := 0
	for _, p := range rows {
		if !p.Me {
			n++
		}
	}
	return n
}

// othersText says how many other computers are online.
func othersText(n int) string {
	if n == 0 {
		return lang.L("No other computers online")
	}
	return lang.N("{{.Count}} other computers online", i18n.Plural(n), map[string]any{"Count": n})
}

func (s *statusBar) onIndexingChanged() {
	if on, _ := s.m.u.vm.Indexing.Get(); on {
		s.indexing.Show()
	} else {
		s.indexing.Hide()
	}
}

func (s *statusBar) onCopy() {
	addrs, _ := s.m.u.vm.HostAddrs.Get()
	addrs = typableAddrs(addrs)
	if len(addrs) > 0 {
		s.m.u.app.Clipboard().SetContent(addrs[0])
	}
}
