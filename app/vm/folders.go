package vm

import (
	"encoding/json"
	"slices"
	"time"

	"fyne.io/fyne/v2"
)

// PrefMoreShareURIs are the folders shared beside the first one
// (PrefShareURI), JSON [uri, …].
const PrefMoreShareURIs = "moreShareURIs"

// FolderRow is one shared folder as the My share tab lists it.
type FolderRow struct {
	Dir     string // the folder, a path
	Label   string // what its files' shared names start with ("" with one folder)
	Text    string // "12 files in 1.2 GB", "… · indexing 3 of 12"
	Skipped string // what it holds that is not shared, and why ("" nothing)
}

// updateFolders lists the shared folders of st. Called by the poller.
func (sv *ShareVM) updateFolders(st Snapshot) {
	rows := make([]FolderRow, len(st.ShareDirs))
	for i, f := range st.ShareDirs {
		rows[i] = FolderRow{Dir: f.Dir, Label: SafeText(f.Label), Text: shareText(f.Dir, f.Progress, f.Files, f.Bytes), Skipped: skippedText(f.Skipped)}
	}
	if old, _ := sv.Folders.Get(); !slices.Equal(old, rows) {
		_ = sv.Folders.Set(rows)
	}
}

// AddShareDir shares dir too, beside the folders shared already, and
// remembers it; downloads and the other folders carry on. Call from a
// goroutine: the folder is opened first.
func (v *App) AddShareDir(dir string) error {
	n, err := v.engine()
	if err != nil {
		return err
	}
	if err := n.AddShareDir(dir); err != nil {
		return err
	}
	v.sharedFoldersChanged(n.ShareDirs())
	return nil
}

// RemoveShareDir stops sharing dir and remembers it.
func (v *App) RemoveShareDir(dir string) error {
	n, err := v.engine()
	if err != nil {
		return err
	}
	if err := n.RemoveShareDir(dir); err != nil {
		return err
	}
	v.sharedFoldersChanged(n.ShareDirs())
	return nil
}

// sharedFoldersChanged keeps the settings as the engine now shares.
func (v *App) sharedFoldersChanged(dirs []string) {
	v.mu.Lock()
	v.settings.ShareDir, v.settings.ShareDirs = "", nil
	if len(dirs) > 0 {
		v.settings.ShareDir, v.settings.ShareDirs = dirs[0], slices.Clone(dirs[1:])
	}
	v.mu.Unlock()
	v.SavePrefs()
	v.Poll(v.rootCtx(), time.Now())
}

// loadMoreShareDirs reads the folders shared beside the first one.
func loadMoreShareDirs(p fyne.Preferences) []string {
	var uris []string
	if err := json.Unmarshal([]byte(p.String(PrefMoreShareURIs)), &uris); err != nil {
		return nil
	}
	var dirs []string
	for _, u := range uris {
		if d := pathOf(u); d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// saveMoreShareDirs remembers the folders shared beside the first one.
func saveMoreShareDirs(p fyne.Preferences, dirs []string) {
	uris := make([]string, 0, len(dirs))
	for _, d := range dirs {
		uris = append(uris, uriOf(d))
	}
	b, _ := json.Marshal(uris)
	p.SetString(PrefMoreShareURIs, string(b))
}
