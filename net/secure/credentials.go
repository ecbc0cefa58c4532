package secure

import (
	"sync"
)

// Credentials are what one process shows on a network: its device
// identity and, on a private network, the network's key. Every server and
// client of the engine takes them, so that one identity and one key (derived
// once) serve the whole process. The zero value is an open network with
// the process's DefaultIdentity.
type Credentials struct {
	// Identity is the device identity; nil uses DefaultIdentity.
	Identity *Identity
	// Key is the network's key; nil for an open network.
	Key *NetworkKey
	// Limiter, if set, is shared by the Guards of the process's servers
	// (failed attempts counted once per source, whichever server they hit);
	// nil gives each Guard its own.
	Limiter *Limiter
}

// Private reports whether the credentials are for a private network.
func (c Credentials) Private() bool { return c.Key != nil }

// identity returns c's identity, or the process's default.
func (c Credentials) identity() *Identity {
	if c.Identity != nil {
		return c.Identity
	}
	return DefaultIdentity()
}

// Dialer returns a Dialer with c for a server of role ("tracker", "peer").
func (c Credentials) Dialer(role string) *Dialer {
	return &Dialer{Identity: c.identity(), Key: c.Key, Role: role}
}

// Guard returns a server's Guard with c.
func (c Credentials) Guard() *Guard {
	g, err := NewGuard(GuardConfig{Identity: c.identity(), Key: c.Key, Limiter: c.Limiter})
	if err != nil { // only for a nil identity, which identity() rules out
		panic(err)
	}
	return g
}

var defaultIdentity = sync.OnceValue(func() *Identity {
	id, err := GenerateIdentity()
	if err != nil { // crypto/rand does not fail (it crashes the program)
		panic(err)
	}
	return id
})

// DefaultIdentity returns an identity made in memory once per process, for
// servers and clients given none: tests and tools. The product loads the
// device's persistent identity (LoadOrCreateIdentity) and passes it.
func DefaultIdentity() *Identity { return defaultIdentity() }
