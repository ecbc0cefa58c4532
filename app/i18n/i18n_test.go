package i18n

import (
	"encoding/json"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
)

// use switches the language for one test and back to English after it.
func use(t *testing.T, code string) {
	t.Helper()
	got, err := Apply(code)
	if err != nil || got != code {
		t.Fatalf("Apply(%q) = %q, %v", code, got, err)
	}
	t.Cleanup(func() { _, _ = Apply(English) })
}

func TestDetect(t *testing.T) {
	none := func() string { return "" }
	tests := []struct {
		name   string
		env    map[string]string
		system func() string
		want   string
	}{
		{"nothing set", nil, none, English},
		{"nothing set, system Portuguese", nil, func() string { return "pt-BR" }, Portuguese},
		{"LANG Brazilian", map[string]string{"LANG": "pt_BR.UTF-8"}, none, Portuguese},
		{"LANG Portugal", map[string]string{"LANG": "pt_PT.UTF-8"}, none, Portuguese},
		{"LANG American", map[string]string{"LANG": "en_US.UTF-8"}, none, English},
		{"LANG French", map[string]string{"LANG": "fr_FR.UTF-8"}, none, English},
		{"LANG C", map[string]string{"LANG": "C"}, none, English},
		{"LANG C.UTF-8", map[string]string{"LANG": "C.UTF-8"}, none, English},
		{"C ignores LANGUAGE", map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "pt_BR"}, none, English},
		{"LANGUAGE wins over LANG", map[string]string{"LANG": "en_US.UTF-8", "LANGUAGE": "pt_BR:en"}, none, Portuguese},
		{"LANGUAGE list falls through", map[string]string{"LANG": "en_US.UTF-8", "LANGUAGE": "fr:pt"}, none, Portuguese},
		{"LANGUAGE unknown, LANG counts", map[string]string{"LANG": "pt_BR.UTF-8", "LANGUAGE": "fr"}, none, Portuguese},
		{"LC_ALL wins over LANG", map[string]string{"LC_ALL": "en_GB.UTF-8", "LANG": "pt_BR.UTF-8"}, none, English},
		{"LC_MESSAGES", map[string]string{"LC_MESSAGES": "pt_BR", "LANG": "en_US"}, none, Portuguese},
		{"modifier", map[string]string{"LANG": "pt_BR@euro"}, none, Portuguese},
		{"env wins over system", map[string]string{"LANG": "en_US.UTF-8"}, func() string { return "pt-BR" }, English},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(func(k string) string { return tt.env[k] }, tt.system); got != tt.want {
				t.Errorf("Detect = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	env := func(k string) string { return map[string]string{"LANG": "pt_BR.UTF-8"}[k] }
	for choice, want := range map[string]string{
		Auto: Portuguese, "": Portuguese, "klingon": Portuguese,
		English: English, Portuguese: Portuguese, "pt-BR": Portuguese,
	} {
		if got := Resolve(choice, env, nil); got != want {
			t.Errorf("Resolve(%q) = %q, want %q", choice, got, want)
		}
	}
}

func TestApplyTranslates(t *testing.T) {
	use(t, Portuguese)
	if got := lang.L("just now"); got != "agora mesmo" {
		t.Errorf("in Portuguese, %q", got)
	}
	if Language() != Portuguese {
		t.Errorf("Language() = %q", Language())
	}
	use(t, English)
	if got := lang.L("just now"); got != "just now" {
		t.Errorf("in English, %q", got)
	}
}

func TestFormat(t *testing.T) {
	date := time.Date(2026, time.December, 6, 20, 15, 0, 0, time.UTC)
	tests := []struct {
		code, what, got, want string
	}{}
	add := func(code string) {
		for _, c := range []struct{ what, got string }{
			{"size", Size(1_500_000_000)},
			{"size small", Size(512)},
			{"size negative", Size(-3)},
			{"size iec", SizeIEC(1536)},
			{"rate", Rate(2_500_000)},
			{"rate idle", Rate(0.5)},
			{"int", Int(1234567)},
			{"decimal", Decimal(2.25, 1)},
			{"percent", Percent(0.426)},
			{"remaining", Remaining(2*time.Minute + 5*time.Second)},
			{"remaining one", Remaining(time.Minute + 5*time.Second)},
			{"remaining unknown", Remaining(0)},
			{"just now", Ago(2 * time.Second)},
			{"seconds", Ago(12 * time.Second)},
			{"a minute", Ago(90 * time.Second)},
			{"minutes", Ago(3 * time.Minute)},
			{"hours", Ago(5 * time.Hour)},
			{"a day", Ago(30 * time.Hour)},
			{"date", Date(date)},
		} {
			tests = append(tests, struct{ code, what, got, want string }{code, c.what, c.got, ""})
		}
	}
	want := map[string][]string{
		English: {"1.5 GB", "512 B", "0 B", "1.5 KiB", "2.5 MB/s", "", "1,234,567", "2.2", "42%",
			"2 min 05 s left", "1 min 05 s left", "", "just now", "12 seconds ago", "1 minute ago",
			"3 minutes ago", "5 hours ago", "1 day ago", "Dec 6, 2026 20:15"},
		Portuguese: {"1,5 GB", "512 B", "0 B", "1,5 KiB", "2,5 MB/s", "", "1.234.567", "2,2", "42%",
			"2 min 05 s restantes", "1 min 05 s restante", "", "agora mesmo", "há 12 segundos", "há 1 minuto",
			"há 3 minutos", "há 5 horas", "há 1 dia", "06/12/2026 20:15"},
	}
	for _, code := range []string{English, Portuguese} {
		if _, err := Apply(code); err != nil {
			t.Fatal(err)
		}
		start := len(tests)
		add(code)
		for i, w := range want[code] {
			tests[start+i].want = w
		}
	}
	_, _ = Apply(English)
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.code, tt.what, tt.got, tt.want)
		}
	}
}

// message is one entry of a translations file: a string, or plural forms.
type message struct {
	text  string
	forms map[string]string
}

func (m *message) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &m.text); err == nil {
		return nil
	}
	return json.Unmarshal(b, &m.forms)
}

func readFile(t *testing.T, code string) map[string]message {
	t.Helper()
	b, err := files.ReadFile(path.Join(dir, code+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s.json: %v", code, err)
	}
	return m
}

// pluralForms are the CLDR forms each language's plural messages need
// (the ones go-i18n picks for it; "many" in Portuguese is 1 000 000).
var pluralForms = map[string][]string{
	English:    {"one", "other"},
	Portuguese: {"one", "many", "other"},
}

// TestFilesAgree fails when a language file lacks a key English has, has
// one English does not, or a plural message lacks one of its language's
// forms. English is the reference: every key in use is in en.json
// (TestKeysUsedAndKnown).
func TestFilesAgree(t *testing.T) {
	en := readFile(t, English)
	for _, code := range Languages() {
		msgs := readFile(t, code)
		for k, m := range en {
			tm, ok := msgs[k]
			switch {
			case !ok:
				t.Errorf("%s.json lacks %q", code, k)
			case (m.forms == nil) != (tm.forms == nil):
				t.Errorf("%s.json: %q is plural in one file and not in the other", code, k)
			}
		}
		for k, m := range msgs {
			if _, ok := en[k]; !ok {
				t.Errorf("%s.json has %q, which en.json has not", code, k)
			}
			if m.forms == nil {
				continue
			}
			forms, ok := pluralForms[code]
			if !ok {
				t.Errorf("%s.json: add its plural forms to pluralForms in this test", code)
			}
			for _, f := range forms {
				if m.forms[f] == "" {
					t.Errorf("%s.json: %q lacks the plural form %q", code, k, f)
				}
			}
		}
	}
}

// TestFilesParse loads every file the way lang does: a file it cannot
// parse would leave its language half translated.
func TestFilesParse(t *testing.T) {
	for _, code := range Languages() {
		if _, err := Apply(code); err != nil {
			t.Errorf("%s: %v", code, err)
		}
	}
	_, _ = Apply(English)
}

// TestKeysUsedAndKnown fails on a key in en.json no code uses, on a key
// the code uses that en.json lacks, and on a translation call whose key is
// not a string literal (a key built at run time escapes both checks).
func TestKeysUsedAndKnown(t *testing.T) {
	used, dynamic, err := scanKeys(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dynamic {
		t.Errorf("%s: the key is not a string literal; write the text in the call", d)
	}
	used[nameKey] = append(used[nameKey], "Name (read from the files, not through lang)")
	en := readFile(t, English)
	for _, k := range slices.Sorted(maps.Keys(en)) {
		if _, ok := used[k]; !ok {
			t.Errorf("en.json: no code uses %q; remove it from every file", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(used)) {
		if _, ok := en[k]; !ok {
			t.Errorf("%s: %q is in no translations file; add it to each (docs/TRANSLATING.md)", strings.Join(used[k], ", "), k)
		}
	}
}

func TestName(t *testing.T) {
	for code, want := range map[string]string{English: "English", Portuguese: "Português (Brasil)", "xx": "xx"} {
		if got := Name(code); got != want {
			t.Errorf("Name(%q) = %q, want %q", code, got, want)
		}
	}
}

// TestPluralZero: none takes the plural in both languages, one the
// singular.
func TestPluralZero(t *testing.T) {
	for code, want := range map[string][3]string{
		English:    {"0 files", "1 file", "2 files"},
		Portuguese: {"0 arquivos", "1 arquivo", "2 arquivos"},
	} {
		use(t, code)
		for n, w := range want {
			if got := lang.N("{{.Count}} files", Plural(n), map[string]any{"Count": n}); got != w {
				t.Errorf("%s, %d: %q, want %q", code, n, got, w)
			}
		}
	}
}
