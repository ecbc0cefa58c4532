package ui

import (
	"cmp"
	"os"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/app/vm"
)

var netPeerColumns = []float32{90, 110}
var eventColumns = []float32{70, 130, 60}

// networkTab is the Network tab: hosting, the tracker in use, the peers
// online, and (when hosting) the embedded tracker's activity.
type networkTab struct {
	m       *mainScreen
	content fyne.CanvasObject

	hostCheck    *widget.Check
	canHostCheck *widget.Check
	addrsBox     *fyne.Container
	hostSummary  *widget.Label
	trackerEntry *appEntry
	passEntry    *appEntry     // the passphrase of the network to join
	passHint     *widget.Label // says which network asks for one
	joinBox      *fyne.Container
	joinButton   *widget.Button
	status       *widget.Label
	conn         *widget.Label
	peers        *widget.List
	events       *widget.List
	eventsArea   fyne.CanvasObject
	nearby       *nearbyList

	language     *widget.Select
	languageNote *widget.Label

	settingHost    bool // the check is being set from the binding
	settingCanHost bool // likewise for canHostCheck
}

func newNetworkTab(m *mainScreen) *networkTab {
	v := m.u.vm
	t := &networkTab{m: m}

	t.hostCheck = widget.NewCheck(lang.L("Host the network on this computer"), t.onHostToggled)
	t.addrsBox = container.NewVBox()
	t.hostSummary = widget.NewLabel("")
	t.hostSummary.Wrapping = fyne.TextWrapWord
	t.canHostCheck = widget.NewCheck(lang.L("Take over hosting if the host leaves"), t.onCanHostToggled)
	hostCard := widget.NewCard(lang.L("Hosting"), "", container.NewVBox(t.hostCheck, t.addrsBox, t.hostSummary, t.canHostCheck))

	t.trackerEntry = newAppEntry(m.u)
	t.trackerEntry.SetPlaceHolder(lang.L("address:port of the host"))
	t.trackerEntry.OnSubmitted = func(string) { t.onJoin() }
	t.joinButton = widget.NewButtonWithIcon(lang.L("Join"), theme.LoginIcon(), t.onJoin)
	t.passEntry = newAppEntry(m.u)
	t.passEntry.SetPlaceHolder(lang.L("Passphrase, if the network is private"))
	t.passEntry.OnSubmitted = func(string) { t.onJoin() }
	t.passHint = widget.NewLabel("")
	t.passHint.Wrapping = fyne.TextWrapWord
	t.passHint.Importance = widget.WarningImportance
	t.passHint.Hide()
	conn := widget.NewLabel("")
	conn.Wrapping = fyne.TextWrapWord
	t.conn = conn
	v.Connection.AddListener(binding.NewDataListener(t.onConnectionChanged))
	v.Connected.AddListener(binding.NewDataListener(t.onConnectionChanged))
	nearby := newNearbyList(m.u, t.onPickNearby, true)
	t.nearby = nearby
	t.joinBox = container.NewVBox(conn,
		container.NewBorder(nil, nil, nil, t.joinButton, t.trackerEntry), t.passEntry, t.passHint, nearby.content)
	joinCard := widget.NewCard(lang.L("Tracker"), "", t.joinBox)

	t.status = widget.NewLabel("")
	t.peers = widget.NewList(
		func() int { return v.Network.Peers.Length() },
		func() fyne.CanvasObject {
			name, addr := widget.NewLabel(""), widget.NewLabel("")
			name.Truncation = fyne.TextTruncateEllipsis
			addr.Importance = widget.LowImportance
			who := container.NewBorder(nil, nil, nil, addr, name)
			return columns(netPeerColumns, who, widget.NewLabel(""), widget.NewLabel(""))
		},
		t.updatePeer,
	)
	peersArea := container.NewBorder(
		container.NewVBox(t.status, columns(netPeerColumns, bold(lang.L("Computer")), bold(lang.L("Files")), bold(lang.L("Last seen")))),
		nil, nil, nil, t.peers)

	t.events = widget.NewList(
		func() int { return v.Network.Events.Length() },
		func() fyne.CanvasObject {
			return columns(eventColumns, widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""))
		},
		t.updateEvent,
	)
	t.eventsArea = container.NewBorder(
		container.NewVBox(bold(lang.L("Your tracker's activity")), columns(eventColumns, bold(lang.L("Computer")), bold(lang.L("Time")), bold(lang.L("Event")), bold(lang.L("Files")))),
		nil, nil, nil, t.events)

	v.Hosting.AddListener(binding.NewDataListener(t.onHostingChanged))
	v.CanHost.AddListener(binding.NewDataListener(t.onCanHostChanged))
	v.NetworkName.AddListener(binding.NewDataListener(t.onConnectionChanged))
	v.HostAddrs.AddListener(binding.NewDataListener(t.onHostingChanged))
	v.Tracker.AddListener(binding.NewDataListener(t.onTrackerChanged))
	v.Network.HostSummary.AddListener(binding.NewDataListener(t.onHostSummaryChanged))
	v.Network.Peers.AddListener(binding.NewDataListener(t.peers.Refresh))
	v.Network.Peers.AddListener(binding.NewDataListener(t.onStatusChanged))
	v.Network.Events.AddListener(binding.NewDataListener(t.events.Refresh))
	v.Network.Status.AddListener(binding.NewDataListener(t.onStatusChanged))
	v.Network.Err.AddListener(binding.NewDataListener(t.onStatusChanged))

	top := container.NewGridWithColumns(2, hostCard, joinCard)
	lists := container.NewHSplit(peersArea, t.eventsArea)
	lists.Offset = 0.55
	t.content = container.NewBorder(top, t.newLanguageRow(), nil, nil, lists)
	return t
}

func (t *networkTab) onHostToggled(on bool) {
	if t.settingHost {
		return
	}
	w := t.m.u.win
	t.hostCheck.Disable()
	t.m.u.vm.Background(func() {
		err := t.m.u.vm.SetHosting(on)
		fyne.Do(func() {
			t.hostCheck.Enable()
			if err != nil {
				t.onHostingChanged() // put the check back
				showError(w, lang.L("Cannot change hosting"), err)
			}
		})
	})
}

// onCanHostToggled applies the take-over preference at once.
func (t *networkTab) onCanHostToggled(on bool) {
	if t.settingCanHost {
		return
	}
	if err := t.m.u.vm.SetCanHost(on); err != nil {
		t.onCanHostChanged() // put the check back
		showError(t.m.u.win, lang.L("Cannot change the hosting preference"), err)
	}
}

func (t *networkTab) onCanHostChanged() {
	on, _ := t.m.u.vm.CanHost.Get()
	t.settingCanHost = true
	t.canHostCheck.SetChecked(on)
	t.settingCanHost = false
}

func (t *networkTab) onJoin() {
	addr := strings.TrimSpace(t.trackerEntry.Text)
	w := t.m.u.win
	if err := vm.ValidateTrackerAddr(addr); err != nil {
		showError(w, lang.L("Cannot join"), err)
		return
	}
	pass := t.passEntry.Text
	t.joinButton.Disable()
	t.passHint.Hide()
	t.joinBox.Refresh()
	t.m.u.vm.Background(func() {
		// Another passphrase (or none, from a private network) restarts
		// the engine with the new key: see vm.JoinNetwork.
		err := t.m.u.vm.JoinNetwork(addr, pass)
		fyne.Do(func() {
			t.joinButton.Enable()
			if err != nil {
				showError(w, lang.L("Cannot join {{.Addr}}", map[string]any{"Addr": addr}), err)
			}
		})
	})
}

// onPickNearby joins a network heard on the LAN; a private one first asks
// for its passphrase, when none is typed.
func (t *networkTab) onPickNearby(r vm.NearbyRow) {
	t.trackerEntry.SetText(r.Addr)
	if r.Private && strings.TrimSpace(t.passEntry.Text) == "" {
		t.passHint.SetText(lang.L("“{{.Network}}” is private: type the passphrase its host gave you, then press Join.", map[string]any{"Network": vm.Ellipsize(r.Name, 40)}))
		t.passHint.Show()
		t.joinBox.Refresh()
		t.m.u.win.Canvas().Focus(t.passEntry)
		return
	}
	t.onJoin()
}

func (t *networkTab) onHostingChanged() {
	t.onConnectionChanged() // "Hosting the network …"
	v := t.m.u.vm
	on, _ := v.Hosting.Get()
	t.settingHost = true
	t.hostCheck.SetChecked(on)
	t.settingHost = false
	addrs, _ := v.HostAddrs.Get()
	addrs = typableAddrs(addrs)
	var objs []fyne.CanvasObject
	if on {
		if len(addrs) == 0 {
			objs = append(objs, widget.NewLabel(lang.L("No network address found: others cannot reach this computer.")))
		} else {
			objs = append(objs, widget.NewLabel(lang.L("Others join by typing this address:")), t.bigAddr(addrs[0]))
		}
		if len(addrs) > 1 {
			objs = append(objs, widget.NewLabel(lang.L("If that one does not work, they can try:")))
		}
		for _, a := range addrs[min(1, len(addrs)):] {
			objs = append(objs, t.addrLine(a))
		}
		t.eventsArea.Show()
	} else {
		l := widget.NewLabel(lang.L("Turn this on to start a network here; the others then join this computer. It leaves the network you are in now."))
		l.Wrapping = fyne.TextWrapWord
		objs = append(objs, l)
		t.eventsArea.Hide()
	}
	setObjects(t.addrsBox, objs...)
}

// bigAddr is the address others type, large enough to read across a
// classroom, with a copy button.
func (t *networkTab) bigAddr(addr string) fyne.CanvasObject {
	txt := canvas.NewText(addr, theme.Color(theme.ColorNameForeground))
	txt.TextSize = 2.5 * theme.TextSize()
	txt.TextStyle = fyne.TextStyle{Monospace: true}
	b := widget.NewButtonWithIcon(lang.L("Copy"), theme.ContentCopyIcon(), func() {
		t.m.u.app.Clipboard().SetContent(addr)
	})
	return container.NewHBox(txt, container.NewCenter(b))
}

// typableAddrs leaves out the IPv6 addresses when there is an IPv4 one:
// "192.168.1.20:7077" is what a person can read out and type, not
// "[fd00::2]:7077".
func typableAddrs(addrs []string) []string {
	var v4 []string
	for _, a := range addrs {
		if !strings.HasPrefix(a, "[") {
			v4 = append(v4, a)
		}
	}
	if len(v4) == 0 {
		return addrs
	}
	return v4
}

// addrLine is one address others can type, with a copy button.
func (t *networkTab) addrLine(addr string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(addr, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.Selectable = true
	b := widget.NewButtonWithIcon(lang.L("Copy"), theme.ContentCopyIcon(), func() {
		t.m.u.app.Clipboard().SetContent(addr)
	})
	return container.NewHBox(l, b)
}

func (t *networkTab) onConnectionChanged() {
	v := t.m.u.vm
	conn, _ := v.Connection.Get()
	ok, _ := v.Connected.Get()
	tr, _ := v.Tracker.Get()
	hosting, _ := v.Hosting.Get()
	name, _ := v.NetworkName.Get()
	switch {
	case ok && hosting && name != "":
		conn = lang.L("Hosting the network {{.Network}} (your tracker: {{.Addr}}).", map[string]any{"Network": name, "Addr": tr})
	case ok && hosting:
		conn = lang.L("Connected to your own tracker ({{.Addr}}).", map[string]any{"Addr": tr})
	case ok && name != "":
		conn = lang.L("Connected to the network {{.Network}} at {{.Addr}}.", map[string]any{"Network": name, "Addr": tr})
	case ok:
		conn = lang.L("Connected to {{.Addr}}.", map[string]any{"Addr": tr})
	}
	setText(t.conn, conn+" "+lang.L("To join another network, type its address:"))
}

// onTrackerChanged words the connection. The address box stays as the
// person left it: it is for another network, not the one in use.
func (t *networkTab) onTrackerChanged() {
	t.onConnectionChanged()
}

func (t *networkTab) onHostSummaryChanged() {
	s, _ := t.m.u.vm.Network.HostSummary.Get()
	setText(t.hostSummary, s)
	showIf(t.hostSummary, s != "")
}

func (t *networkTab) onStatusChanged() {
	nv := t.m.u.vm.Network
	if err, _ := nv.Err.Get(); err != nil {
		setText(t.status, Describe(err).String())
		setImportance(t.status, widget.DangerImportance)
	} else {
		setText(t.status, othersText(othersOnline(t.m.u.vm)))
		setImportance(t.status, widget.MediumImportance)
	}
}

func (t *networkTab) updatePeer(id widget.ListItemID, o fyne.CanvasObject) {
	p, err := t.m.u.vm.Network.Peers.GetValue(id)
	if err != nil {
		return
	}
	objs := o.(*fyne.Container).Objects
	who := o.(*fyne.Container).Objects[0].(*fyne.Container).Objects
	name, addr := who[0].(*widget.Label), who[1].(*widget.Label)
	switch {
	case p.Me && p.Name != "":
		setText(name, lang.L("{{.Name}} (you)", map[string]any{"Name": p.Name}))
	case p.Me:
		setText(name, lang.L("This computer"))
	case p.Name != "":
		setText(name, p.Name)
	default:
		setText(name, p.Addr)
	}
	if p.Name != "" || p.Me {
		setText(addr, p.Addr)
	} else {
		setText(addr, "")
	}
	setText(objs[1].(*widget.Label), strconv.Itoa(p.Files))
	setText(objs[2].(*widget.Label), vm.Ago(p.LastSeen))
}

func (t *networkTab) updateEvent(id widget.ListItemID, o fyne.CanvasObject) {
	e, err := t.m.u.vm.Network.Events.GetValue(id)
	if err != nil {
		return
	}
	objs := o.(*fyne.Container).Objects
	setText(objs[0].(*widget.Label), cmp.Or(t.m.u.names()[e.Addr], e.Addr))
	setText(objs[1].(*widget.Label), e.Time.Format("15:04:05"))
	setText(objs[2].(*widget.Label), eventWords(e.Kind))
	setText(objs[3].(*widget.Label), strconv.Itoa(e.Files))
}

func eventWords(kind string) string {
	switch kind {
	case "joined":
		return lang.L("joined")
	case "left":
		return lang.L("left")
	case "expired":
		return lang.L("went silent")
	case "updated":
		return lang.L("updated files")
	}
	return kind
}

// newLanguageRow is the language setting: a list of the languages, each
// named in itself, and a note once the choice differs from the language
// in use (the window is worded once, at start).
func (t *networkTab) newLanguageRow() fyne.CanvasObject {
	prefs := t.m.u.app.Preferences()
	choices := vm.LanguageChoices()
	names := make([]string, len(choices))
	for i, c := range choices {
		names[i] = vm.LanguageName(c)
	}
	t.language = widget.NewSelect(names, nil)
	t.language.Selected = vm.LanguageName(vm.LanguageChoice(prefs))
	t.language.OnChanged = func(name string) {
		if i := slices.Index(names, name); i >= 0 {
			t.onLanguage(choices[i])
		}
	}
	t.languageNote = widget.NewLabel(lang.L("Enxame speaks the new language from its next start."))
	t.languageNote.Importance = widget.WarningImportance
	t.languageNote.Hide()
	// A Select is as wide as its placeholder: room for the longest name.
	wide := fyne.NewSize(max(t.language.MinSize().Width, 280), t.language.MinSize().Height)
	return container.NewHBox(widget.NewLabel(lang.L("Language")), container.NewGridWrap(wide, t.language), t.languageNote)
}

// onLanguage saves the language chosen and says when it takes effect.
func (t *networkTab) onLanguage(choice string) {
	vm.SetLanguage(t.m.u.app.Preferences(), choice)
	showIf(t.languageNote, i18n.Resolve(choice, os.Getenv, nil) != i18n.Language())
}
