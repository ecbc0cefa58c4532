package ui

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/net/wire"
)

// Problem is an error in words a person reads: what happened, and what to
// try.
type Problem struct {
	What string
	Hint string
}

// String is the problem on one line, for status lines.
func (p Problem) String() string {
	if p.Hint == "" {
		return p.What
	}
	return p.What + " " + p.Hint
}

// Describe is the one place where errors become words. Every error the
// window shows goes through it; none is shown bare.
func Describe(err error) Problem {
	var addrErr *vm.AddrError
	var opErr *net.OpError
	var wireErr *wire.Error
	switch {
	case err == nil:
		return Problem{}
	case errors.As(err, &addrErr):
		return Problem{
			What: lang.L("“{{.Addr}}” is not a tracker address.", map[string]any{"Addr": vm.SafeText(vm.Ellipsize(addrErr.Addr, 60))}),
			Hint: lang.L("Type it as address:port, for example 192.168.1.20:7077 — the host sees it in Enxame's Network tab."),
		}
	case errors.Is(err, errNotAFolder):
		return Problem{What: lang.L("Enxame shares whole folders, not single files."), Hint: lang.L("Drop the folder that holds the file instead, or put the file in your shared folder.")}
	case errors.Is(err, errNotLocalFolder):
		return Problem{What: lang.L("Only folders on this computer can be shared."), Hint: lang.L("Copy the files into a local folder and share that.")}
	case errors.Is(err, errNoPassphrase):
		return Problem{What: lang.L("A private network needs a passphrase."), Hint: lang.L("Type one, or press Suggest for words that are easy to read aloud.")}
	case errors.Is(err, vm.ErrWrongPassphrase):
		return Problem{
			What: lang.L("The passphrase is wrong for this network."),
			Hint: lang.L("Check it with the host, word by word: the words and their order count, capitals do not."),
		}
	case errors.Is(err, vm.ErrNeedsPassphrase):
		return Problem{
			What: lang.L("This network is private: it needs a passphrase."),
			Hint: lang.L("Ask the host for it and type it under the address, then join again."),
		}
	case errors.Is(err, vm.ErrNotPrivate):
		return Problem{
			What: lang.L("This network is open: it has no passphrase."),
			Hint: lang.L("Leave the passphrase empty to join it."),
		}
	case errors.Is(err, vm.ErrTooManyAttempts):
		return Problem{
			What: lang.L("The host refuses this computer for now: too many wrong passphrases were tried from here."),
			Hint: lang.L("Wait a minute, then try again with the right passphrase."),
		}
	case errors.Is(err, errNoDownloads):
		return Problem{What: lang.L("Choose where downloads should go."), Hint: lang.L("Any folder you can write to; Enxame creates it if needed.")}
	case errors.Is(err, vm.ErrBadRate):
		return Problem{
			What: lang.L("That is not a speed limit."),
			Hint: lang.L("Type a size per second, such as 2MB/s or 500KiB/s (at least 1KiB/s), or 0 for no limit."),
		}
	case errors.Is(err, vm.ErrNotStarted):
		return Problem{What: lang.L("Enxame is not connected to a network yet."), Hint: lang.L("Host a network or join one first.")}
	case vm.IsAddrInUse(err):
		return Problem{
			What: lang.L("Cannot host here: the tracker's port is already in use."),
			Hint: lang.L("Another Enxame (or another program) is hosting on this computer. Join it instead, or start with -host-listen :7078."),
		}
	case isErrno(err, errnoConnRefused):
		return Problem{
			What: lang.L("The tracker refused the connection."),
			Hint: lang.L("Check the address, and that Enxame is running and hosting on that computer."),
		}
	case isErrno(err, errnoUnreachable):
		return Problem{
			What: lang.L("That computer cannot be reached from here."),
			Hint: lang.L("Check that you are on the same network as the host, and the address."),
		}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return Problem{
			What: lang.L("The tracker did not answer in time."),
			Hint: lang.L("The address may be wrong or the network slow; Enxame keeps trying."),
		}
	case errors.Is(err, context.Canceled):
		return Problem{What: lang.L("Stopped.")}
	case errors.Is(err, vm.ErrFileNotFound):
		return Problem{What: lang.L("Nobody shares that file any more."), Hint: lang.L("Search again: the peers that had it may have left.")}
	case errors.Is(err, vm.ErrNoSource):
		return Problem{
			What: lang.L("None of the peers that have this file could be reached."),
			Hint: lang.L("They may have left or a firewall may block them. Resume later: nothing is lost."),
		}
	case errors.Is(err, vm.ErrStalled):
		return Problem{
			What: lang.L("No peer sent anything for a while."),
			Hint: lang.L("The chunks you have are kept; press Resume when a peer with the file is back."),
		}
	case errors.Is(err, vm.ErrBadManifest):
		return Problem{
			What: lang.L("A peer sent damaged data."),
			Hint: lang.L("Enxame threw it away; the download continues from the other peers."),
		}
	case errors.Is(err, vm.ErrBusy):
		return Problem{What: lang.L("That file is already downloading."), Hint: lang.L("See the Transfers tab.")}
	case errors.Is(err, vm.ErrCanceled):
		return Problem{What: lang.L("Cancelled.")}
	case errors.Is(err, vm.ErrPaused):
		return Problem{What: lang.L("Paused."), Hint: lang.L("Press Resume to continue.")}
	case errors.Is(err, vm.ErrClosed):
		return Problem{What: lang.L("Enxame is shutting down.")}
	case errors.Is(err, fs.ErrPermission):
		return Problem{What: lang.L("Enxame may not use that folder."), Hint: lang.L("Choose a folder you can read and write.")}
	case errors.Is(err, fs.ErrNotExist):
		return Problem{What: lang.L("That folder does not exist (any more)."), Hint: lang.L("Choose another one.")}
	case isErrno(err, errnoDiskFull):
		return Problem{What: lang.L("The disk is full."), Hint: lang.L("Free some space, then press Resume.")}
	case errors.As(err, &wireErr):
		switch wireErr.Code {
		case wire.CodeLimit, wire.CodeTooLarge:
			return Problem{What: lang.L("The tracker is busy or full."), Hint: lang.L("Try again in a moment.")}
		default:
			return Problem{What: lang.L("The tracker did not understand Enxame's request."), Hint: lang.L("It may run another version of Enxame.")}
		}
	case errors.As(err, &opErr):
		return Problem{
			What: lang.L("The network connection failed."),
			Hint: lang.L("Check the address and that you are on the same network as the host."),
		}
	}
	return Problem{What: lang.L("Something went wrong."), Hint: lang.L("Details: {{.Error}}", map[string]any{"Error": vm.SafeText(vm.Ellipsize(err.Error(), 200))})}
}

// showError shows err in a dialog on w. Call on the Fyne goroutine.
func showError(w fyne.Window, title string, err error) {
	p := Describe(err)
	what := widget.NewLabel(p.What)
	what.TextStyle.Bold = true
	what.Wrapping = fyne.TextWrapWord
	hint := widget.NewLabel(p.Hint)
	hint.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(what, hint)
	d := dialog.NewCustom(title, lang.L("OK"), content, w)
	d.Resize(fyne.NewSize(440, 0).Max(d.MinSize()))
	closeWithKeys(w, d, true)
	d.Show()
}
