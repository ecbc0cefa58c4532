package ui

import (
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/assets"
)

// lockIcon marks a private network, in the theme's colours.
func lockIcon() fyne.Resource { return theme.NewThemedResource(assets.Lock) }

// nearbyList shows the networks heard on the LAN, one button each, a lock
// on private ones; a tap hands the network to pick.
type nearbyList struct {
	u       *UI
	pick    func(r vm.NearbyRow)
	box     *fyne.Container
	content fyne.CanvasObject
	// quiet hides the whole list while nothing is heard, instead of
	// explaining: on the Network tab, where you are already connected.
	quiet bool
}

func newNearbyList(u *UI, pick func(r vm.NearbyRow), quiet bool) *nearbyList {
	l := &nearbyList{u: u, pick: pick, box: container.NewVBox(), quiet: quiet}
	title := widget.NewLabelWithStyle(lang.L("Networks found nearby"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.content = container.NewVBox(title, l.box)
	u.vm.Nearby.AddListener(binding.NewDataListener(l.onChanged))
	if quiet {
		u.vm.Tracker.AddListener(binding.NewDataListener(l.onChanged))
	}
	return l
}

func (l *nearbyList) onChanged() {
	rows, _ := l.u.vm.Nearby.Get()
	if l.quiet {
		// Connected: the network in use is not one to join.
		tr, _ := l.u.vm.Tracker.Get()
		rows = slices.DeleteFunc(slices.Clone(rows), func(r vm.NearbyRow) bool { return r.Addr == tr })
		showIf(l.content, len(rows) > 0)
	}
	if len(rows) == 0 {
		hint := widget.NewLabel(lang.L("None heard yet. If someone hosts on this network it shows up here; otherwise ask them for the address."))
		hint.Wrapping = fyne.TextWrapWord
		hint.TextStyle.Italic = true
		setObjects(l.box, hint)
		return
	}
	objs := make([]fyne.CanvasObject, 0, len(rows))
	for _, r := range rows {
		objs = append(objs, l.button(r))
	}
	setObjects(l.box, objs...)
}

func (l *nearbyList) button(r vm.NearbyRow) fyne.CanvasObject {
	peers := lang.N("{{.Count}} computers", i18n.Plural(r.Peers), map[string]any{"Count": r.Peers})
	text := fmt.Sprintf("%s · %s · %s", vm.Ellipsize(r.Name, 40), peers, r.Addr)
	icon := theme.LoginIcon()
	if r.Private {
		text = fmt.Sprintf("%s · %s · %s · %s", vm.Ellipsize(r.Name, 40), lang.L("private"), peers, r.Addr)
		icon = lockIcon()
	}
	b := widget.NewButtonWithIcon(text, icon, func() { l.pick(r) })
	b.Alignment = widget.ButtonAlignLeading
	return b
}
