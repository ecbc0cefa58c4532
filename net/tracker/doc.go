// Package tracker is Enxame's tracker: the registry of peers and the files
// they share (Registry), the TCP server speaking protocol v1 §2 (Server),
// and the client side peers use (Client, and Session which keeps a peer
// registered). It has no user interface; the desktop app embeds a Server
// and the `enxame tracker` subcommand runs one headless.
//
// See docs/TRACKER.md for the limits and their defaults.
package tracker
