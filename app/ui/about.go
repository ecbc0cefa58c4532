package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/version"
	"github.com/enxame/enxame/assets"
)

// aboutText is what the About box says: the same facts as enxame -version.
func aboutText() string {
	return lang.L("Version {{.Version}} · build {{.Build}}", map[string]any{"Version": version.Version, "Build": version.BuildID()}) + "\n" +
		lang.L("Built with {{.Go}}", map[string]any{"Go": version.GoVersion()}) + "\n\n" +
		lang.L("Share files with the machines around you: search, click,\nand download from every peer that has the file at once.")
}

// onAbout shows the About box.
func (u *UI) onAbout() {
	icon := canvas.NewImageFromResource(assets.Icon)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSize(96, 96))
	title := widget.NewLabelWithStyle("Enxame", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	body := widget.NewLabelWithStyle(aboutText(), fyne.TextAlignCenter, fyne.TextStyle{})
	keysTitle := widget.NewLabelWithStyle(lang.L("Keyboard"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	d := dialog.NewCustom(lang.L("About Enxame"), lang.L("Close"), container.NewVBox(icon, title, body, keysTitle, keysTable()), u.win)
	closeWithKeys(u.win, d, true)
	d.Show()
}

// keysTable lists the keyboard shortcuts, key and what it does.
func keysTable() fyne.CanvasObject {
	rows := [][2]string{
		{"Ctrl+F", lang.L("Search")},
		{"Ctrl+1", lang.L("Search tab")},
		{"Ctrl+2", lang.L("Transfers tab")},
		{"Ctrl+3", lang.L("Network tab")},
		{"Ctrl+4", lang.L("My share tab")},
		{"Tab, Shift+Tab", lang.L("Move between buttons and fields")},
		{lang.L("Space"), lang.L("Press the focused button or tick the focused box")},
		{"Enter", lang.L("Search, join or confirm, in the focused field")},
		{lang.L("Arrow keys"), lang.L("Move through results, or through the chunks once the grid has the focus")},
		{"Esc", lang.L("Close a dialog")},
		{"F1", lang.L("This window")},
	}
	objs := make([]fyne.CanvasObject, 0, 2*len(rows))
	for _, r := range rows {
		objs = append(objs, widget.NewLabelWithStyle(r[0], fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true}), widget.NewLabel(r[1]))
	}
	return container.NewGridWithColumns(2, objs...)
}
