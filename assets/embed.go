// Package assets embeds the app's icon and its own symbols. icon.svg is
// the icon's source; icon.png is rendered from it with ImageMagick:
//
//	convert -background none assets/icon.svg -resize 512x512 -depth 8 assets/icon.png
//
// lock.svg (drawn for Enxame: Fyne's theme has no lock) marks private
// networks; the screens theme it (theme.NewThemedResource).
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon is the app icon (512×512 PNG).
var Icon = fyne.NewStaticResource("icon.png", iconPNG)

//go:embed lock.svg
var lockSVG []byte

// Lock marks a private network (an SVG for theme.NewThemedResource).
var Lock = fyne.NewStaticResource("lock.svg", lockSVG)
