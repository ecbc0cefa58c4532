package vm

import (
	"time"

	"github.com/enxame/enxame/app/i18n"
)

// Size words a byte count for people: "1.2 GB" ("1,2 GB").
func Size(n int64) string { return i18n.Size(n) }

// Rate words a transfer rate: "12 MB/s", or "" when nothing moves.
func Rate(bytesPerSec float64) string { return i18n.Rate(bytesPerSec) }

// ETA words a time left: "3 s", "4 min 05 s", "2 h 10 min"; "" if unknown.
func ETA(d time.Duration) string { return i18n.Duration(d) }

// Ago words a number of seconds since something: "just now", "12 seconds
// ago" ("agora mesmo", "há 12 segundos").
func Ago(seconds int64) string { return i18n.Ago(time.Duration(seconds) * time.Second) }

// ShortID is the first 12 hex characters of a content id.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
