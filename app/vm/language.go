package vm

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/app/i18n"
)

// PrefLanguage is the language setting: i18n.Auto (the system's, the
// default) or a language code ("en", "pt_BR").
const PrefLanguage = "language"

// LanguageChoices are the values of the language setting, Auto first.
func LanguageChoices() []string {
	return append([]string{i18n.Auto}, i18n.Languages()...)
}

// LanguageName words a choice of the language setting for its list: each
// language in itself ("English", "Português (Brasil)"), Auto in the
// language in use, with the language it means now.
func LanguageName(choice string) string {
	if choice == i18n.Auto {
		return lang.L("Automatic ({{.Language}})", map[string]any{"Language": i18n.Name(i18n.Detected())})
	}
	return i18n.Name(choice)
}

// LanguageChoice is the saved language setting (i18n.Auto when unset or
// unknown).
func LanguageChoice(p fyne.Preferences) string {
	c := p.StringWithFallback(PrefLanguage, i18n.Auto)
	for _, k := range LanguageChoices() {
		if c == k {
			return c
		}
	}
	return i18n.Auto
}

// ApplyLanguage makes the saved setting the language of what is built
// from now on and returns the language code chosen. Call it before
// building the window, while no other goroutine translates.
func ApplyLanguage(p fyne.Preferences) string {
	code, _ := i18n.Apply(LanguageChoice(p)) // the embedded files parse (i18n's tests)
	return code
}

// SetLanguage saves the language setting; it takes effect at the next
// ApplyLanguage (the next start).
func SetLanguage(p fyne.Preferences, choice string) {
	p.SetString(PrefLanguage, choice)
}
