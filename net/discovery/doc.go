// Package discovery finds Enxame networks on the local network without an
// address typed: a tracker announces itself with a small UDP multicast
// beacon on every LAN interface (Announce), and a Browser keeps a live list
// of the networks it hears, dropping those that fall silent (Find is the
// one-shot form the CLI uses).
//
// The beacon is one JSON object per datagram, sent to 239.255.70.77 and
// ff12::7077 on UDP port 7078; docs/DISCOVERY.md is its specification and
// explains why it is a beacon rather than DNS-SD over mDNS. Everything read
// from the network is bounded and validated before it is kept, and the
// number of networks a Browser remembers is capped.
package discovery
