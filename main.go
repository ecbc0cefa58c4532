// Command enxame shares files over a peer-to-peer network coordinated by a
// tracker. Without a subcommand it opens the desktop app; the subcommands
// (tracker, share, get, peer, version) run headless. See docs/CLI.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/enxame/enxame/app/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{
		Stdin:        os.Stdin,
		Stdout:       os.Stdout,
		Stderr:       os.Stderr,
		Desktop:      desktop,
		DesktopUsage: desktopUsage,
	})
	stop()
	os.Exit(code)
}
