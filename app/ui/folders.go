package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/app/vm"
)

// folderRow is one shared folder in My share's list of folders, shown
// when more than one is shared: its label (what its files' names start
// with), its path, its counts and what it leaves out, and a button to stop
// sharing it.
type folderRow struct {
	dir                        string
	label, path, text, skipped *widget.Label
	remove                     *widget.Button
	content                    fyne.CanvasObject
}

func newFolderRow(t *shareTab, dir string) *folderRow {
	r := &folderRow{dir: dir}
	r.label = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.path = widget.NewLabel("")
	r.path.Truncation = fyne.TextTruncateEllipsis
	r.text = widget.NewLabel("")
	r.skipped = widget.NewLabel("")
	r.skipped.Importance = widget.LowImportance
	r.remove = widget.NewButtonWithIcon(lang.L("Stop sharing"), theme.ContentRemoveIcon(), func() { t.removeFolder(r.dir) })
	r.content = container.NewBorder(nil, nil, container.NewHBox(widget.NewIcon(theme.FolderIcon()), r.label),
		container.NewHBox(r.text, r.skipped, r.remove), r.path)
	return r
}

func (r *folderRow) set(f vm.FolderRow) {
	setText(r.label, f.Label)
	setText(r.path, f.Dir)
	setText(r.text, f.Text)
	setText(r.skipped, f.Skipped)
	showIf(r.skipped, f.Skipped != "")
}

// onFoldersChanged lists the shared folders when there are several,
// updating the rows in place while the folders stay the same.
func (t *shareTab) onFoldersChanged() {
	fs, _ := t.m.u.vm.Share.Folders.Get()
	same := len(fs) == len(t.folderRows)
	for i := 0; same && i < len(fs); i++ {
		same = fs[i].Dir == t.folderRows[i].dir
	}
	if !same {
		t.folderRows = t.folderRows[:0]
		objs := make([]fyne.CanvasObject, 0, len(fs))
		for _, f := range fs {
			r := newFolderRow(t, f.Dir)
			t.folderRows = append(t.folderRows, r)
			objs = append(objs, r.content)
		}
		t.folders.Objects = objs
		t.folders.Refresh()
	}
	for i, f := range fs {
		t.folderRows[i].set(f)
	}
	showIf(t.folders, len(fs) > 1)
	t.showFolderLine()
}

// showFolderLine names the shared folder, or says how many are listed
// below it.
func (t *shareTab) showFolderLine() {
	dir, _ := t.m.u.vm.ShareDir.Get()
	n := t.m.u.vm.Share.Folders.Length()
	switch {
	case n > 1:
		setText(t.folder, lang.N("You are sharing {{.Count}} folders", i18n.Plural(n), map[string]any{"Count": n}))
	case dir == "":
		setText(t.folder, lang.L("You are not sharing a folder"))
	default:
		setText(t.folder, dir)
	}
}

// onAddFolder asks for a folder to share beside those shared already.
func (t *shareTab) onAddFolder() { chooseFolder(t.m.u.win, "", t.addFolder) }

// addFolder shares dir too (from the dialog), after a confirmation for a
// home folder or a disk's root; it runs in the background.
func (t *shareTab) addFolder(dir string) {
	w := t.m.u.win
	confirmShare(w, dir, func() {
		t.m.u.vm.Background(func() {
			if err := t.m.u.vm.AddShareDir(dir); err != nil {
				fyne.Do(func() { showError(w, lang.L("Cannot share {{.Folder}}", map[string]any{"Folder": dir}), err) })
			}
		})
	})
}

// removeFolder stops sharing dir, in the background.
func (t *shareTab) removeFolder(dir string) {
	w := t.m.u.win
	t.m.u.vm.Background(func() {
		if err := t.m.u.vm.RemoveShareDir(dir); err != nil {
			fyne.Do(func() { showError(w, lang.L("Cannot stop sharing {{.Folder}}", map[string]any{"Folder": dir}), err) })
		}
	})
}

// folderDirs is the shared folders' paths, for tests.
func (t *shareTab) folderDirs() []string {
	var out []string
	for _, r := range t.folderRows {
		out = append(out, r.dir)
	}
	return slices.Clip(out)
}
