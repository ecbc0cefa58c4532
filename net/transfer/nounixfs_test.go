//go:build !unix || nounixfs

package transfer

// unixFS: this build uses the fallbacks for systems without the Unix
// calls (folder_other.go, fs_other.go): Windows, or Linux with
// -tags nounixfs, which is how `make test` runs them here.
const unixFS = false
