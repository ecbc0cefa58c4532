//go:build nogui

package main

import (
	"context"
	"fmt"
	"io"

	"github.com/enxame/enxame/app/cli"
)

// desktop explains that this headless build has no desktop app.
func desktop(ctx context.Context, env cli.Env, args []string) int {
	fmt.Fprintln(env.Stderr, "enxame: the desktop app is not in this build (built with -tags nogui); use a subcommand: tracker, share, get, peer, version")
	return 2
}

// desktopUsage is nil: this build has no desktop app.
var desktopUsage func(w io.Writer)
