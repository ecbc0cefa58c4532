// Package ui holds the desktop app's windows, screens and dialogs.
package ui

import (
	"context"
	"io"

	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

// Main runs the desktop app until its window closes or ctx ends.
func Main(ctx context.Context, args []string, stderr io.Writer) int {
	a := app.NewWithID("io.github.enxame")
	w := a.NewWindow("Enxame")
	w.SetContent(widget.NewLabel("Enxame"))
	w.ShowAndRun()
	return 0
}
