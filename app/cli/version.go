package cli

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/app/version"
)

func init() {
	register("version", lang.L("print version, build and Go version"), runVersion)
}

func runVersion(ctx context.Context, env Env, args []string) int {
	fmt.Fprintln(env.Stdout, version.String())
	return ExitOK
}
