package transfer

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNotFound: no file on the tracker has the requested name or id.
	ErrNotFound = errors.New("no such file on the tracker")
	// ErrNoSource: no peer answered with a valid manifest.
	ErrNoSource = errors.New("no peer could provide the file")
	// ErrStalled: no chunk arrived for the stall timeout; the partial
	// download is kept and a new run resumes it.
	ErrStalled = errors.New("download stalled")
	// ErrPaused: the download was paused; its state is kept.
	ErrPaused = errors.New("download paused")
	// ErrCanceled: the download was cancelled and its partial state removed.
	ErrCanceled = errors.New("download cancelled")
	// ErrBadManifest: a peer sent a manifest that does not match the id.
	ErrBadManifest = errors.New("manifest does not match the content id")
	// ErrBusy: the download is already running (Run called during a Run).
	ErrBusy = errors.New("download is already running")
	// ErrClosed: the Manager was closed.
	ErrClosed = errors.New("download manager is closed")
)

// NotFoundError is returned when no shared name matches exactly. It
// matches ErrNotFound and lists names a substring search found.
type NotFoundError struct {
	Name        string
	Suggestions []string
}

func (e *NotFoundError) Error() string {
	if len(e.Suggestions) == 0 {
		return fmt.Sprintf("no file named %q on the tracker", e.Name)
	}
	return fmt.Sprintf("no file named %q on the tracker; did you mean: %s", e.Name, strings.Join(quoteAll(e.Suggestions), ", "))
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
