package version

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	old, oldBuild := Version, Build
	t.Cleanup(func() { Version, Build = old, oldBuild })
	Version, Build = "9.8.7", "cafe1234"
	got := String()
	for _, want := range []string{"enxame 9.8.7", "build cafe1234", GoVersion()} {
		if !strings.Contains(got, want) {
			t.Errorf("String() = %q, lacks %q", got, want)
		}
	}
	Build = ""
	if BuildID() == "" {
		t.Error("BuildID is empty without a link-time build")
	}
}
