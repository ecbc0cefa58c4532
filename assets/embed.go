// Package assets embeds the app's icon. icon.svg is the source; icon.png
// is rendered from it with ImageMagick:
//
//	convert -background none assets/icon.svg -resize 512x512 -depth 8 assets/icon.png
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon is the app icon (512×512 PNG).
var Icon = fyne.NewStaticResource("icon.png", iconPNG)
