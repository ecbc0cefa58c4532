package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDesktopBuildQuietUnderCLocale builds the binary with the desktop
// app in it (app/cli's tests cover the headless build) and runs headless
// subcommands under the C locales: they print what they print and nothing
// of Fyne's (its lang package used to print "Fyne error: Error parsing
// user locale C" three times over under LANG=C.UTF-8).
func TestDesktopBuildQuietUnderCLocale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the desktop binary")
	}
	bin := filepath.Join(t.TempDir(), "enxame")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, locale := range []string{"LANG=C.UTF-8", "LC_ALL=C.UTF-8", "LANG=C", "LANGUAGE=C"} {
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(t.Context(), bin, "version")
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), locale}
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s enxame version: %v\n%s", locale, err, stderr.String())
		}
		if stderr.Len() != 0 || !strings.HasPrefix(stdout.String(), "enxame ") {
			t.Errorf("%s enxame version: stdout %q, stderr %q", locale, stdout.String(), stderr.String())
		}
	}
}
