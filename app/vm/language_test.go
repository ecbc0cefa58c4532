package vm

import (
	"testing"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/enxame/enxame/app/i18n"
)

func TestLanguageSetting(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	t.Setenv("LANGUAGE", "")
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "en_US.UTF-8")
	t.Cleanup(func() { _, _ = i18n.Apply(i18n.English) })

	if got := LanguageChoice(p); got != i18n.Auto {
		t.Errorf("unset setting = %q, want auto", got)
	}
	if got := ApplyLanguage(p); got != i18n.English {
		t.Errorf("auto under en_US applied %q", got)
	}
	SetLanguage(p, i18n.Portuguese)
	if got := ApplyLanguage(p); got != i18n.Portuguese || lang.L("just now") != "agora mesmo" {
		t.Errorf("pt_BR applied %q, lang.L says %q", got, lang.L("just now"))
	}
	if got := LanguageName(i18n.Auto); got != "Automático (English)" {
		t.Errorf("auto is named %q in Portuguese", got)
	}
	if got := LanguageName(i18n.Portuguese); got != "Português (Brasil)" {
		t.Errorf("pt_BR is named %q", got)
	}
	SetLanguage(p, "klingon")
	if got := LanguageChoice(p); got != i18n.Auto {
		t.Errorf("an unknown setting reads %q, want auto", got)
	}
	if got, want := LanguageChoices(), []string{i18n.Auto, i18n.English, i18n.Portuguese}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("choices %v, want %v", got, want)
	}
}
