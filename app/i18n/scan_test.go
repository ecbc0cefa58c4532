package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const langPath = "fyne.io/fyne/v2/lang"

// keyArg maps the lang functions that translate to the argument holding
// the key.
var keyArg = map[string]int{
	"L": 0, "N": 0, "X": 0, "XN": 0,
	"Localize": 0, "LocalizePlural": 0, "LocalizeKey": 0, "LocalizePluralKey": 0,
}

// moduleRoot is the folder holding go.mod, above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		up := filepath.Dir(d)
		if up == d {
			t.Fatal("no go.mod above the test's folder")
		}
		d = up
	}
}

// scanKeys reads every non-test Go file under root and returns the keys
// passed to lang's translating functions (with where each is used), and
// the places where a key is not a string literal.
func scanKeys(root string) (used map[string][]string, dynamic []string, err error) {
	used = map[string][]string{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "dist") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		name := langName(f)
		if name == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			i, translating := keyArg[sel.Sel.Name]
			if !ok || pkg.Name != name || !translating || len(call.Args) <= i {
				return true
			}
			pos := fset.Position(call.Pos())
			rel, _ := filepath.Rel(root, pos.Filename)
			where := fmt.Sprintf("%s:%d", rel, pos.Line)
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				dynamic = append(dynamic, where)
				return true
			}
			key, err := strconv.Unquote(lit.Value)
			if err != nil {
				dynamic = append(dynamic, where)
				return true
			}
			used[key] = append(used[key], where)
			return true
		})
		return nil
	})
	return used, dynamic, err
}

// langName is the name file f imports Fyne's lang package under, or "".
func langName(f *ast.File) string {
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == langPath {
			if im.Name != nil {
				return im.Name.Name
			}
			return "lang"
		}
	}
	return ""
}

// TestScanKeys checks the scanner itself on a file of known calls.
func TestScanKeys(t *testing.T) {
	root := t.TempDir()
	src := `package x

import tr "fyne.io/fyne/v2/lang"

var key = "built"

func f(n int) {
	_ = tr.L("Hello")
	_ = tr.N("{{.Count}} files", n)
	_ = tr.X("format.date", "Jan 2")
	_ = tr.L(` + "`raw`" + `)
	_ = tr.L(key)
}
`
	if err := os.WriteFile(filepath.Join(root, "x.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "x_test.go"), []byte(strings.ReplaceAll(src, "Hello", "Test only")), 0o644); err != nil {
		t.Fatal(err)
	}
	used, dynamic, err := scanKeys(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Hello", "{{.Count}} files", "format.date", "raw"} {
		if _, ok := used[k]; !ok {
			t.Errorf("key %q not found; found %v", k, used)
		}
	}
	if len(used) != 4 {
		t.Errorf("found %d keys, want 4: %v", len(used), used)
	}
	if len(dynamic) != 1 || dynamic[0] != "x.go:12" {
		t.Errorf("dynamic keys at %v, want [x.go:12]", dynamic)
	}
}
