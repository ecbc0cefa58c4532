package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Build are set at link time (-ldflags "-X ...") by the Makefile.
var (
	Version = "0.1.0-dev"
	Build   = ""
)

func init() {
	register("version", "print version, build and Go version", runVersion)
}

// BuildInfo describes this binary in one line.
func BuildInfo() string {
	build := Build
	if build == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					build = s.Value[:12]
				}
			}
		}
	}
	if build == "" {
		build = "unknown"
	}
	return fmt.Sprintf("enxame %s (build %s, %s %s/%s)", Version, build, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func runVersion(ctx context.Context, env Env, args []string) int {
	fmt.Fprintln(env.Stdout, BuildInfo())
	return ExitOK
}
