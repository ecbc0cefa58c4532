// Package version says which Enxame this binary is: the version and build
// set at link time by the Makefile, and the Go toolchain that built it.
// Both faces show it (enxame -version, the desktop app's About box).
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Build are set at link time:
//
//	-ldflags "-X github.com/enxame/enxame/app/version.Version=0.1.0 -X github.com/enxame/enxame/app/version.Build=abc123"
var (
	Version = "0.1.0-dev"
	Build   = ""
)

// BuildID is Build, else the VCS revision Go recorded, else "unknown".
func BuildID() string {
	if Build != "" {
		return Build
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
	}
	return "unknown"
}

// GoVersion is the toolchain and platform, e.g. "go1.26.8 linux/amd64".
func GoVersion() string {
	return fmt.Sprintf("%s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// String describes this binary in one line.
func String() string {
	return fmt.Sprintf("enxame %s (build %s, %s)", Version, BuildID(), GoVersion())
}
