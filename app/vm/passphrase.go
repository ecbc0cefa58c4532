package vm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/wire"
)

// Errors of private networks, for the screens to word (see ui.Describe).
var (
	// ErrWrongPassphrase: the tracker does not know the passphrase given
	// (a typo on either side).
	ErrWrongPassphrase = secure.ErrNotMember
	// ErrNotPrivate: a passphrase was given but the network is open.
	ErrNotPrivate = secure.ErrNotPrivate
	// ErrTooManyAttempts: the tracker refuses this computer for a while
	// after too many wrong passphrases.
	ErrTooManyAttempts = secure.ErrRefused
	// ErrNeedsPassphrase: the network is private and no passphrase was
	// given (the tracker's forbidden answer).
	ErrNeedsPassphrase = wire.ErrForbidden
)

// PassphraseFile is the file, in Enxame's config folder (next to the
// device identity), that keeps the passphrase of the private network
// the app last joined or hosted, readable by this user only (0600), so
// that the app rejoins it at the next start without asking. It is removed
// when an open network is chosen.
const PassphraseFile = "network-passphrase"

// MaxPassphraseBytes bounds a passphrase typed or read from the file.
const MaxPassphraseBytes = 1024

// ProposePassphrase returns a new random passphrase: words people can
// read aloud, at least 50 bits of entropy (secure.Propose).
func ProposePassphrase() string { return secure.Propose() }

// NormalizePassphrase trims the white space around p; "" means an open
// network.
func NormalizePassphrase(p string) string { return strings.TrimSpace(p) }

// passphrasePath is where PassphraseFile lives.
func passphrasePath() (string, error) {
	dir, err := engine.IdentityDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, PassphraseFile), nil
}

// loadPassphrase reads the remembered passphrase; "" when there is none or
// it cannot be read (the app then asks again).
func loadPassphrase() string {
	path, err := passphrasePath()
	if err != nil {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, MaxPassphraseBytes+1)
	n, _ := f.Read(buf)
	if n > MaxPassphraseBytes {
		return ""
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	return NormalizePassphrase(line)
}

// savePassphrase remembers p (0600, written to a temporary file and
// renamed), or forgets the remembered one when p is "".
func savePassphrase(p string) error {
	path, err := passphrasePath()
	if err != nil {
		return err
	}
	if p == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), PassphraseFile+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(p + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// keys derives network keys, keeping the last one: the derivation is
// memory-hard on purpose (Argon2id, a good part of a second), and the app
// asks for the same key again on every reconnection.
type keys struct {
	mu         sync.Mutex
	passphrase string
	key        *secure.NetworkKey
}

// of returns the key of passphrase p; nil for "" (an open network).
func (k *keys) of(p string) (*secure.NetworkKey, error) {
	if p == "" {
		return nil, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key != nil && k.passphrase == p {
		return k.key, nil
	}
	if len(p) > MaxPassphraseBytes {
		return nil, fmt.Errorf("the passphrase is longer than %d bytes", MaxPassphraseBytes)
	}
	key, err := secure.DeriveNetworkKey(p)
	if err != nil {
		return nil, err
	}
	k.passphrase, k.key = p, key
	return key, nil
}

// checkMembership asks the tracker at addr whether this device, with the
// key of passphrase, is welcome there: an error only when it is not
// (ErrWrongPassphrase, ErrNotPrivate, ErrTooManyAttempts,
// ErrNeedsPassphrase). An unreachable tracker passes: the engine keeps
// trying it.
func (v *App) checkMembership(ctx context.Context, addr, passphrase string) error {
	key, err := v.keys.of(passphrase)
	if err != nil {
		return err
	}
	id, err := v.identity()
	if err != nil {
		return err
	}
	return engine.CheckMembership(ctx, addr, id, key)
}

// CheckJoin asks the tracker at addr, with the key of passphrase, whether
// it answers and lets this device in: the first-run screen checks an
// address a person typed before starting with it, so a dead address or a
// wrong passphrase is said at once instead of opening a window that waits.
func (v *App) CheckJoin(ctx context.Context, addr, passphrase string) error {
	key, err := v.keys.of(NormalizePassphrase(passphrase))
	if err != nil {
		return err
	}
	id, err := v.identity()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	return engine.ProbeTracker(ctx, addr, id, key)
}

// identity is the device identity: App.Identity, or the one in the user's
// config folder (loaded once).
func (v *App) identity() (*secure.Identity, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.Identity != nil {
		return v.Identity, nil
	}
	id, err := engine.LoadIdentity("")
	if err != nil {
		return nil, err
	}
	v.Identity = id
	return id, nil
}
