//go:build !nogui

package main

import (
	"context"

	"github.com/enxame/enxame/app/cli"
	"github.com/enxame/enxame/app/ui"
)

// desktop runs the Fyne desktop app.
func desktop(ctx context.Context, env cli.Env, args []string) int {
	return ui.Main(ctx, args, env.Stderr)
}
