package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestMainHelp checks enxame -h lists the subcommands and, in a build with
// the desktop app, the desktop flags too.
func TestMainHelp(t *testing.T) {
	for _, withDesktop := range []bool{false, true} {
		var out bytes.Buffer
		env := Env{Stdout: &out, Stderr: io.Discard, Desktop: func(context.Context, Env, []string) int {
			t.Fatal("-h started the desktop app")
			return 0
		}}
		if withDesktop {
			env.DesktopUsage = func(w io.Writer) { fmt.Fprintln(w, "usage: enxame [-tracker ADDR | -host]") }
		}
		if code := Main(t.Context(), []string{"-h"}, env); code != ExitOK {
			t.Fatalf("exit %d", code)
		}
		got := out.String()
		for _, cmd := range []string{"tracker", "share", "get", "peer", "networks", "version"} {
			if !strings.Contains(got, "  "+cmd+" ") {
				t.Errorf("usage lacks %s:\n%s", cmd, got)
			}
		}
		if strings.Contains(got, "-tracker ADDR | -host") != withDesktop {
			t.Errorf("desktop flags shown = %v, want %v:\n%s", !withDesktop, withDesktop, got)
		}
	}
}

func TestMainUnknownCommand(t *testing.T) {
	var errb bytes.Buffer
	code := Main(t.Context(), []string{"frobnicate"}, Env{Stdout: io.Discard, Stderr: &errb})
	if code != ExitUsage || !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
