//go:build !linux

package transfer

import "testing"

func mountSmallTmpfs(t *testing.T, size int) string {
	t.Skip("mounts a tmpfs: Linux only")
	return ""
}
