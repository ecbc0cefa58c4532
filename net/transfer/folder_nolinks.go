//go:build (!unix && !windows) || nounixfs

package transfer

import "os"

// ownedAlone: no way to count a file's names here (on Windows see
// folder_windows.go); the part file is trusted like any file in the
// folder.
func ownedAlone(f *os.File, fi os.FileInfo) bool { return true }
