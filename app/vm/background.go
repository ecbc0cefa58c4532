package vm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// What closing the window does (PrefCloseAction): asked the first time,
// then remembered.
const (
	PrefCloseAction = "closeAction"
	CloseAsk        = ""     // not chosen yet: the window asks
	CloseKeep       = "keep" // the window hides; sharing goes on, the tray icon stays
	CloseQuit       = "quit" // the app leaves the network and quits
)

// CloseAction is what closing the window does (CloseAsk, CloseKeep or
// CloseQuit).
func (v *App) CloseAction() string {
	switch a := v.fyne.Preferences().String(PrefCloseAction); a {
	case CloseKeep, CloseQuit:
		return a
	}
	return CloseAsk
}

// SetCloseAction remembers what closing the window does.
func (v *App) SetCloseAction(a string) {
	if a != CloseKeep && a != CloseQuit {
		a = CloseAsk
	}
	v.fyne.Preferences().SetString(PrefCloseAction, a)
}

// PauseAll pauses every download that runs or waits its turn (the tray's
// "Pause all"), each file of a folder included; it returns how many it
// paused. The last go first: a running one paused first would free its
// place for a queued one, started only to be paused.
func (t *TransfersVM) PauseAll() int {
	e, err := t.app.engine()
	if err != nil {
		return 0
	}
	ts := e.Snapshot().Transfers
	n := 0
	for i := len(ts) - 1; i >= 0; i-- {
		if rowOf(ts[i]).Active() && e.Pause(ts[i].Key) == nil {
			n++
		}
	}
	t.update(e.Snapshot().Transfers)
	return n
}

// ErrNoAutostart: starting at login is offered only where the XDG
// autostart folder is the way (Linux and the other free desktops).
var ErrNoAutostart = errors.New("starting at login is not offered on this system")

// AutostartFile is the XDG autostart entry that starts Enxame at login:
// $XDG_CONFIG_HOME/autostart/enxame.desktop (~/.config/autostart).
func AutostartFile() (string, error) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return "", ErrNoAutostart
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "autostart", "enxame.desktop"), nil
}

// Autostart reports whether Enxame starts at login (its autostart entry
// exists).
func Autostart() bool {
	p, err := AutostartFile()
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// SetAutostart writes (on) or removes (off) the autostart entry, which
// runs this program as it is installed now.
func SetAutostart(on bool) error {
	p, err := AutostartFile()
	if err != nil {
		return err
	}
	if !on {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program to start at login: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	entry := "[Desktop Entry]\nType=Application\nName=Enxame\n" +
		"Comment=Share files with the people around you\n" +
		"Exec=" + desktopQuote(exe) + "\nIcon=enxame\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(entry), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// desktopQuote quotes a path for a desktop entry's Exec key (the Desktop
// Entry Specification: double quotes, with ", `, $ and \ escaped).
func desktopQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`)
	return `"` + r.Replace(s) + `"`
}
