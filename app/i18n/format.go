package i18n

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"
	"github.com/dustin/go-humanize"
)

// decimalSep and thousandsSep are the language's separators: "." and ","
// in English, "," and "." in Portuguese.
func decimalSep() string   { return lang.X("format.decimal", ".") }
func thousandsSep() string { return lang.X("format.thousands", ",") }

// localNumber rewrites a number go-humanize or fmt wrote the English way
// ("1,234.5") with the language's separators ("1.234,5").
func localNumber(s string) string {
	dec, th := decimalSep(), thousandsSep()
	if dec == "." && th == "," {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '.':
			b.WriteString(dec)
		case ',':
			b.WriteString(th)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Size words a byte count: "1.5 GB", in Portuguese "1,5 GB". Negative
// counts read as 0.
func Size(n int64) string {
	return localNumber(humanize.Bytes(uint64(max(n, 0))))
}

// SizeIEC words a byte count in powers of 1024: "1.4 GiB" ("1,4 GiB").
func SizeIEC(n int64) string {
	return localNumber(humanize.IBytes(uint64(max(n, 0))))
}

// Rate words a transfer rate: "12 MB/s" ("12 MB/s"; "1,5 MB/s"), or ""
// when nothing moves.
func Rate(bytesPerSec float64) string {
	if bytesPerSec < 1 {
		return ""
	}
	return Size(int64(bytesPerSec)) + "/s"
}

// Int words a count with the language's thousands separator: "12,345"
// ("12.345").
func Int(n int64) string {
	return localNumber(humanize.Comma(n))
}

// Decimal words x with the given number of decimals: "2.5" ("2,5").
func Decimal(x float64, decimals int) string {
	return localNumber(fmt.Sprintf("%.*f", decimals, x))
}

// Percent words a fraction 0…1 as a whole percentage: "42%".
func Percent(f float64) string {
	return fmt.Sprintf("%d%%", int(min(max(f, 0), 1)*100))
}

// Duration words a time span shortly, in units every language here
// writes the same way: "3 s", "4 min 05 s", "2 h 10 min"; "" for zero or
// less.
func Duration(d time.Duration) string {
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

// Remaining words the time left of something: "2 min 05 s left"
// ("2 min 05 s restantes"); "" when unknown.
func Remaining(d time.Duration) string {
	s := Duration(d)
	if s == "" {
		return ""
	}
	lead, _ := strconv.Atoi(s[:strings.IndexByte(s, ' ')]) // Duration writes "N unit…"
	return lang.N("{{.Time}} left", Plural(lead), map[string]any{"Time": s})
}

// Ago words how long ago something happened: "just now", "12 seconds ago",
// "3 minutes ago" ("agora mesmo", "há 12 segundos", "há 3 minutos").
func Ago(d time.Duration) string {
	n := func(count int64) map[string]any { return map[string]any{"Count": count} }
	switch {
	case d < 5*time.Second:
		return lang.L("just now")
	case d < time.Minute:
		s := int64(d / time.Second)
		return lang.N("{{.Count}} seconds ago", Plural(int(s)), n(s))
	case d < time.Hour:
		m := int64(d / time.Minute)
		return lang.N("{{.Count}} minutes ago", Plural(int(m)), n(m))
	case d < 24*time.Hour:
		h := int64(d / time.Hour)
		return lang.N("{{.Count}} hours ago", Plural(int(h)), n(h))
	default:
		days := int64(d / (24 * time.Hour))
		return lang.N("{{.Count}} days ago", Plural(int(days)), n(days))
	}
}

// Date words a moment as the language writes dates: "Dec 6, 2026 20:15"
// ("06/12/2026 20:15"). The translation of "format.date" is a Go time
// layout.
func Date(t time.Time) string {
	return t.Format(lang.X("format.date", "Jan 2, 2006 15:04"))
}

// Plural is the count to hand lang.N for n things: n itself, except that
// none take the plural form. CLDR files 0 under Portuguese's singular
// ("0 arquivo"), which is not how Brazilians write it ("0 arquivos");
// English says "0 files" either way.
func Plural(n int) int {
	if n == 0 {
		return 2
	}
	return n
}
