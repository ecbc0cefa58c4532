package throttle

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/dustin/go-humanize"
)

// ErrBadRate is wrapped by ParseRate's errors.
var ErrBadRate = errors.New("not a rate")

// MinRate is the least limit ParseRate accepts, in bytes a second: under
// it peers would drop the connections as stalled.
const MinRate = 1 << 10

// ParseRate reads a rate such as "10MB/s", "500KiB/s", "1.5MiB/s" (SI and
// IEC units, as go-humanize reads them, then "/s"), or "0" for none, in
// bytes a second.
func ParseRate(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "0" {
		return 0, nil
	}
	size, ok := strings.CutSuffix(t, "/s")
	if !ok {
		return 0, fmt.Errorf("%w: %q (want a size per second such as 10MB/s or 500KiB/s, or 0 for none)", ErrBadRate, s)
	}
	n, err := humanize.ParseBigBytes(size)
	if err != nil || strings.HasPrefix(strings.TrimSpace(size), "-") {
		return 0, fmt.Errorf("%w: %q (want a size per second such as 10MB/s or 500KiB/s, or 0 for none)", ErrBadRate, s)
	}
	if !n.IsInt64() || n.Int64() > math.MaxInt64/2 {
		return 0, fmt.Errorf("%w: %q is too large", ErrBadRate, s)
	}
	if n.Int64() < MinRate {
		return 0, fmt.Errorf("%w: %q is under the least limit, 1KiB/s (use 0 for none)", ErrBadRate, s)
	}
	return n.Int64(), nil
}

// FormatRate writes bytesPerSec the way ParseRate reads it ("0" for none),
// exactly: in the largest unit that divides it ("2MB/s", "500KiB/s"), else
// in bytes.
func FormatRate(bytesPerSec int64) string {
	if bytesPerSec <= 0 {
		return "0"
	}
	for _, u := range []struct {
		size int64
		name string
	}{
		{humanize.TiByte, "TiB"}, {humanize.TByte, "TB"}, {humanize.GiByte, "GiB"}, {humanize.GByte, "GB"},
		{humanize.MiByte, "MiB"}, {humanize.MByte, "MB"}, {humanize.KiByte, "KiB"}, {humanize.KByte, "KB"},
	} {
		if bytesPerSec%u.size == 0 {
			return fmt.Sprintf("%d%s/s", bytesPerSec/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB/s", bytesPerSec)
}
