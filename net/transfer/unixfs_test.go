//go:build unix && !nounixfs

package transfer

// unixFS: this build uses the Unix paths (folder_unix.go, fs_unix.go).
const unixFS = true
