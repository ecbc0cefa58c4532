//go:build !nogui

package main

import (
	"context"
	"io"

	"github.com/enxame/enxame/app/cli"
	"github.com/enxame/enxame/app/ui"
)

// desktop runs the Fyne desktop app.
func desktop(ctx context.Context, env cli.Env, args []string) int {
	return ui.Main(ctx, args, env.Stderr)
}

// desktopUsage prints the desktop app's flags.
var desktopUsage = func(w io.Writer) { ui.Usage(w) }
