package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// ConfigDirName is Enxame's folder in the user's config folder; the device
// identity lives there (secure.IdentityFile).
const ConfigDirName = "enxame"

// IdentityDir is where this user's device identity is kept:
// os.UserConfigDir()/enxame.
func IdentityDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the device identity's folder: %w", err)
	}
	return filepath.Join(dir, ConfigDirName), nil
}

// LoadIdentity loads this device's identity from dir ("" IdentityDir()),
// making one the first time (folder 0700, file 0600). Every face loads it
// once per process and passes it in Config.Identity.
func LoadIdentity(dir string) (*secure.Identity, error) {
	if dir == "" {
		var err error
		if dir, err = IdentityDir(); err != nil {
			return nil, err
		}
	}
	return secure.LoadOrCreateIdentity(dir)
}

// membershipCheckTimeout bounds CheckMembership: a tracker that has not
// answered by then is left to the usual retries.
const membershipCheckTimeout = 3 * time.Second

// CheckMembership asks the tracker at addr once whether a device with id
// and key (nil: none) is welcome on its network. It returns an error only
// when it is not: a *secure.AuthError (ErrNotMember: the tracker does not
// know this passphrase; ErrNotPrivate: the network is open but a
// passphrase was given; ErrRefused), or the tracker's forbidden answer
// (wire.ErrForbidden: the network is private and no passphrase was
// given). A tracker that cannot be reached, or answers anything else,
// passes: the engine keeps trying it as usual. A face calls it before
// Start, so that a wrong passphrase fails at once, with nothing written.
func CheckMembership(ctx context.Context, addr string, id *secure.Identity, key *secure.NetworkKey) error {
	ctx, cancel := context.WithTimeout(ctx, membershipCheckTimeout)
	defer cancel()
	c := tracker.NewClientWith(addr, secure.Credentials{Identity: id, Key: key})
	defer c.Close()
	_, err := c.List(ctx)
	var ae *secure.AuthError
	if errors.As(err, &ae) || errors.Is(err, wire.ErrForbidden) {
		return err
	}
	return nil
}

// ProbeTracker asks the tracker at addr, as a device with id and key (nil:
// none), for its peers: nil when it answered, else why not (it cannot be
// reached, a membership failure as CheckMembership's). A face checks an
// address a person typed before it starts with it.
func ProbeTracker(ctx context.Context, addr string, id *secure.Identity, key *secure.NetworkKey) error {
	if err := ValidateTrackerAddr(addr); err != nil {
		return err
	}
	c := tracker.NewClientWith(addr, secure.Credentials{Identity: id, Key: key})
	defer c.Close()
	_, err := c.List(ctx)
	return err
}
