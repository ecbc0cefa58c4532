//go:build linux

package transfer

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// mountSmallTmpfs mounts a tmpfs of size bytes on a new folder and
// unmounts it when the test ends; it skips the test where mounting is
// not allowed (not root, no CAP_SYS_ADMIN, a restricted container).
func mountSmallTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("enxame-test", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size="+strconv.Itoa(size)); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
		os.Remove(dir)
	})
	return dir
}
