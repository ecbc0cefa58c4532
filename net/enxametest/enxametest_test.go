package enxametest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIsolateUserDirs: on this OS, whichever variables it reads, the
// user's home, cache and config folders are inside the temporary home.
func TestIsolateUserDirs(t *testing.T) {
	for _, v := range userDirVars {
		t.Setenv(v.name, "/the/real/one") // restored after the test
	}
	cleanup := IsolateUserDirs()
	defer cleanup()
	home := os.Getenv("HOME")
	if !strings.Contains(filepath.Base(home), "enxame-test-home-") {
		t.Fatalf("HOME = %q, not a temporary home", home)
	}
	for _, f := range []struct {
		name string
		dir  func() (string, error)
	}{{"UserHomeDir", os.UserHomeDir}, {"UserCacheDir", os.UserCacheDir}, {"UserConfigDir", os.UserConfigDir}} {
		got, err := f.dir()
		if err != nil {
			t.Fatalf("os.%s: %v", f.name, err)
		}
		rel, err := filepath.Rel(home, got)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			t.Errorf("os.%s = %q, outside the temporary home %q", f.name, got, home)
		}
		if fi, err := os.Stat(got); err != nil || !fi.IsDir() {
			t.Errorf("os.%s = %q is not a folder: %v", f.name, got, err)
		}
	}
	cleanup()
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Errorf("cleanup left %s: %v", home, err)
	}
}
