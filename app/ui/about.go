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
	d := dialog.NewCustom("About Enxame", "Close", container.NewVBox(icon, title, body), u.win)
	closeWithKeys(u.win, d, true)
	d.Show()
}
