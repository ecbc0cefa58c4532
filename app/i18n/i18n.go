// Package i18n chooses the language Enxame speaks and holds its
// translations: one JSON file per language in translations/, embedded, and
// handed to Fyne's lang package, so the code translates with lang.L and
// lang.N (the English text is the key). It also words numbers, sizes,
// rates and times for that language (format.go).
//
// The language is chosen when the package initialises, from the
// environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as gettext reads them);
// Apply changes it, for the app's setting. A locale with no translations
// file (French, "C", none at all) means English. See docs/TRANSLATING.md.
package i18n

import (
	"embed"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/app/i18n/early"
)

// Choices of the language setting besides a language's code.
const (
	// Auto follows the system's language.
	Auto = "auto"
	// English is also the language of the keys and the fallback.
	English = "en"
	// Portuguese is Brazilian Portuguese.
	Portuguese = "pt_BR"
)

//go:embed translations/*.json
var files embed.FS

const dir = "translations"

var (
	applyMu sync.Mutex   // one Apply at a time: it borrows the environment
	current atomic.Value // string: the language in use
)

func init() {
	early.Restore()
	_, _ = Apply(Auto) // an unreadable embedded file fails TestFilesParse
}

// Languages lists the codes of the languages there is a file for, sorted.
func Languages() []string {
	ents, _ := fs.ReadDir(files, dir) // embedded: cannot fail
	var out []string
	for _, e := range ents {
		if code, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	return out
}

// Language is the code of the language in use ("en", "pt_BR").
func Language() string {
	if s, ok := current.Load().(string); ok {
		return s
	}
	return English
}

// Apply makes choice (Auto or a code from Languages) the language of
// every lang.L from now on, and returns the code it chose. An unknown
// choice counts as Auto.
//
// Fyne's lang package only reads the system's locale, never a choice; on
// Linux and the BSDs it reads it from the environment, so Apply lends it
// LC_ALL for the moment it looks. Elsewhere (Windows, macOS) Apply files
// the chosen translations under the system's language as well. Call it
// before building the screens it should affect, and not while other
// goroutines translate (lang swaps its state unguarded).
func Apply(choice string) (string, error) {
	code := Resolve(choice, os.Getenv, systemLocale)
	applyMu.Lock()
	defer applyMu.Unlock()
	err := force(code)
	current.Store(code)
	return code, err
}

// Detected is the language Auto means here and now.
func Detected() string { return Detect(os.Getenv, systemLocale) }

// Resolve turns a setting's choice into a language code: the choice itself
// when a file exists for it, otherwise what Detect finds.
func Resolve(choice string, getenv func(string) string, system func() string) string {
	if code := match(choice); code != "" && choice != Auto {
		return code
	}
	return Detect(getenv, system)
}

// Detect finds the language the user asked for through the environment,
// read as gettext does: LANGUAGE (a colon-separated list of preferences)
// unless the locale is "C" or "POSIX", then the locale itself, the first
// of LC_ALL, LC_MESSAGES and LANG that is set. With none of them set,
// system (the operating system's choice) decides. Nothing matching a file
// means English.
func Detect(getenv func(string) string, system func() string) string {
	locale := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(k); locale != "" {
			break
		}
	}
	var wants []string
	if !isCLocale(locale) {
		if l := getenv("LANGUAGE"); l != "" {
			wants = strings.Split(l, ":")
		}
		wants = append(wants, locale)
	}
	if locale == "" && getenv("LANGUAGE") == "" && system != nil {
		wants = append(wants, system())
	}
	for _, w := range wants {
		if code := match(w); code != "" {
			return code
		}
	}
	return English
}

// isCLocale reports whether locale is the C or POSIX locale ("C.UTF-8"
// included), which speaks English whatever LANGUAGE says.
func isCLocale(locale string) bool {
	base, _, _ := strings.Cut(locale, ".")
	return base == "C" || base == "POSIX"
}

// match finds the file for a locale such as "pt_BR.UTF-8", "pt-BR", "pt"
// or "en_GB": the exact language and region first, then the first file
// for the language alone. "" when there is none.
func match(locale string) string {
	l, _, _ := strings.Cut(locale, ".")
	l, _, _ = strings.Cut(l, "@")
	l = strings.ReplaceAll(l, "-", "_")
	if l == "" || isCLocale(l) {
		return ""
	}
	langs := Languages()
	for _, code := range langs {
		if strings.EqualFold(code, l) {
			return code
		}
	}
	base, _, _ := strings.Cut(l, "_")
	for _, code := range langs {
		b, _, _ := strings.Cut(code, "_")
		if strings.EqualFold(b, base) {
			return code
		}
	}
	return ""
}

// envLocale reports whether Fyne's lang package takes the locale from the
// environment on this system (go-locale's locale_unix.go).
var envLocale = !slices.Contains([]string{"windows", "darwin", "ios", "android", "js"}, runtime.GOOS)

func systemLocale() string { return lang.SystemLocale().String() }

// force makes lang translate into code. The caller holds applyMu.
func force(code string) error {
	restore := lendEnv(map[string]string{"LC_ALL": code, "LANGUAGE": ""})
	err := lang.AddTranslationsFS(files, dir)
	restore()
	if envLocale || err != nil {
		return err
	}
	// lang matches the system's language, whatever the environment says:
	// give that language (and English, its fallback) the chosen words.
	data, err := files.ReadFile(path.Join(dir, code+".json"))
	if err != nil {
		return err
	}
	sys := lang.SystemLocale()
	base, _, _ := strings.Cut(sys.String(), "-")
	for _, l := range []string{sys.String(), base, English} {
		if err := lang.AddTranslationsForLocale(data, fyne.Locale(l)); err != nil {
			return err
		}
	}
	return nil
}

// lendEnv sets (or, for "", unsets) the variables in vars and returns the
// function that puts them back.
func lendEnv(vars map[string]string) (restore func()) {
	type was struct {
		v  string
		ok bool
	}
	old := make(map[string]was, len(vars))
	for k, v := range vars {
		ov, ok := os.LookupEnv(k)
		old[k] = was{ov, ok}
		if v == "" {
			os.Unsetenv(k)
		} else {
			os.Setenv(k, v)
		}
	}
	return func() {
		for k, w := range old {
			if w.ok {
				os.Setenv(k, w.v)
			} else {
				os.Unsetenv(k)
			}
		}
	}
}

// nameKey is the key of a language's name in its own file.
const nameKey = "language.name"

// Name is the language's name in that language, as its file gives it
// ("English", "Português (Brasil)"), or code when the file has none.
func Name(code string) string {
	b, err := files.ReadFile(path.Join(dir, code+".json"))
	if err != nil {
		return code
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return code
	}
	if s, ok := m[nameKey].(string); ok && s != "" {
		return s
	}
	return code
}
