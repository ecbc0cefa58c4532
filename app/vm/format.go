package vm

import (
	"fmt"
	"time"

	"github.com/dustin/go-humanize"
)

// Size words a byte count for people: "1.2 GB".
func Size(n int64) string {
	if n < 0 {
		n = 0
	}
	return humanize.Bytes(uint64(n))
}

// Rate words a transfer rate: "12 MB/s", or "" when nothing moves.
func Rate(bytesPerSec float64) string {
	if bytesPerSec < 1 {
		return ""
	}
	return humanize.Bytes(uint64(bytesPerSec)) + "/s"
}

// ETA words a time left: "3 s", "4 min 05 s", "2 h 10 min"; "" if unknown.
func ETA(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()+0.5))
	case d < time.Hour:
		return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
	}
}

// Ago words a number of seconds since something: "just now", "12 s ago".
func Ago(seconds int64) string {
	switch {
	case seconds < 2:
		return "just now"
	case seconds < 120:
		return fmt.Sprintf("%d s ago", seconds)
	default:
		return fmt.Sprintf("%d min ago", seconds/60)
	}
}

// ShortID is the first 12 hex characters of a content id.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
