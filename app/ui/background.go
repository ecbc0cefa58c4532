package ui

import (
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/assets"
)

// setUpTray puts Enxame in the system tray (show the window, pause every
// download, quit) where the desktop has one, and makes closing the window
// ask, once, whether to keep sharing there. Without a tray, closing the
// window quits, as before.
func (u *UI) setUpTray() {
	desk, ok := u.app.(desktop.App)
	if !ok || !trayAvailable() {
		return
	}
	desk.SetSystemTrayMenu(u.trayMenu())
	desk.SetSystemTrayIcon(assets.Icon)
	u.tray = true
	u.win.SetCloseIntercept(u.onCloseWindow)
}

// trayAvailable reports whether a tray can be used: on Linux and the BSDs
// Fyne's tray speaks D-Bus (StatusNotifierItem), and without a session bus
// it fails, then crashes the app when it quits (fyne.io/systray closes a
// connection it never made): no session bus, no tray, and closing the
// window quits. ENXAME_NO_TRAY=1 turns the tray off anywhere.
func trayAvailable() bool {
	if os.Getenv("ENXAME_NO_TRAY") != "" {
		return false
	}
	switch runtime.GOOS {
	case "windows", "darwin":
		return true
	}
	return os.Getenv("DBUS_SESSION_BUS_ADDRESS") != ""
}

// trayMenu is the tray icon's menu.
func (u *UI) trayMenu() *fyne.Menu {
	quit := fyne.NewMenuItem(lang.L("Quit Enxame"), u.app.Quit)
	quit.IsQuit = true
	return fyne.NewMenu("Enxame",
		fyne.NewMenuItem(lang.L("Show Enxame"), u.onShowWindow),
		fyne.NewMenuItem(lang.L("Pause all downloads"), u.onPauseAll),
		fyne.NewMenuItemSeparator(),
		quit,
	)
}

func (u *UI) onShowWindow() {
	u.win.Show()
	u.win.RequestFocus()
}

func (u *UI) onPauseAll() {
	u.vm.Transfers.PauseAll()
}

// onCloseWindow applies the remembered choice, or asks for it: a student
// who closes the window should not silently stop feeding the class, nor
// keep sharing without knowing it.
func (u *UI) onCloseWindow() {
	if !u.tray {
		u.app.Quit()
		return
	}
	switch u.vm.CloseAction() {
	case vm.CloseKeep:
		u.win.Hide()
	case vm.CloseQuit:
		u.app.Quit()
	default:
		u.askCloseAction()
	}
}

// askCloseAction asks whether closing the window keeps sharing, and
// remembers the answer (My share can change it).
func (u *UI) askCloseAction() {
	msg := widget.NewLabel(lang.L("Enxame can go on sharing your files with the network after the window closes. It then stays in the tray, by the clock: choose Quit Enxame there to stop. You can change this later in My share."))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(lang.L("Keep sharing when the window closes?"), lang.L("Keep sharing"), lang.L("Quit"), msg, func(keep bool) {
		if keep {
			u.vm.SetCloseAction(vm.CloseKeep)
			if u.main != nil {
				u.main.share.keepSharing.SetChecked(true) // My share says so too
			}
			u.win.Hide()
			return
		}
		u.vm.SetCloseAction(vm.CloseQuit)
		u.app.Quit()
	}, u.win)
	d.Resize(fyne.NewSize(480, 0).Max(d.MinSize()))
	u.closeDialog = d
	d.Show()
}
