package share

import "errors"

// Sentinel errors of the share package.
var (
	// errUnsettled means a file changed while it was being indexed; it is
	// indexed again once it is stable.
	errUnsettled = errors.New("file is still changing")
	// errNotRegular means a path is not a regular file (any more).
	errNotRegular = errors.New("not a regular file")
)
