package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/version"
	"github.com/enxame/enxame/assets"
)

// aboutText is what the About box says: the same facts as enxame -version.
func aboutText() string {
	return "Version " + version.Version + " · build " + version.BuildID() + "\n" +
		"Built with " + version.GoVersion() + "\n\n" +
		"Share files with the machines around you: search, click,\n" +
		"and download from every peer that has the file at once."
}

// onAbout shows the About box.
func (u *UI) onAbout() {
	icon := canvas.NewImageFromResource(assets.Icon)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSize(96, 96))
	title := widget.NewLabelWithStyle("Enxame", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	body := widget.NewLabelWithStyle(aboutText(), fyne.TextAlignCenter, fyne.TextStyle{})
	keysTitle := widget.NewLabelWithStyle("Keyboard", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	d := dialog.NewCustom("About Enxame", "Close", container.NewVBox(icon, title, body, keysTitle, keysTable()), u.win)
	closeWithKeys(u.win, d, true)
	d.Show()
}

// keysTable lists the keyboard shortcuts, key and what it does.
func keysTable() fyne.CanvasObject {
	rows := [][2]string{
		{"Ctrl+F", "Search"},
		{"Ctrl+1", "Search tab"},
		{"Ctrl+2", "Transfers tab"},
		{"Ctrl+3", "Network tab"},
		{"Ctrl+4", "My share tab"},
		{"Tab, Shift+Tab", "Move between buttons and fields"},
		{"Space", "Press the focused button or tick the focused box"},
		{"Enter", "Search, join or confirm, in the focused field"},
		{"Arrow keys", "Move through results, or through the chunks once the grid has the focus"},
		{"Esc", "Close a dialog"},
		{"F1", "This window"},
	}
	objs := make([]fyne.CanvasObject, 0, 2*len(rows))
	for _, r := range rows {
		objs = append(objs, widget.NewLabelWithStyle(r[0], fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true}), widget.NewLabel(r[1]))
	}
	return container.NewGridWithColumns(2, objs...)
}
