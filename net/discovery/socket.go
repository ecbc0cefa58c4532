package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// mconn is the multicast endpoint shared by the announcer and the browser:
// one UDP socket per IP family, bound to the discovery port, joined to the
// group on every chosen interface. Reads run in one goroutine per family
// (read); everything else is called from the owner's goroutine.
type mconn struct {
	logger *slog.Logger
	opts   options
	fams   []*family
}

// family is one IP family's socket and the interfaces it joined.
type family struct {
	name  string // "IPv4" or "IPv6"
	group *net.UDPAddr
	conn  net.PacketConn
	// Per-family operations of golang.org/x/net/ipv4 or ipv6.
	join, leave func(*net.Interface) error
	write       func(b []byte, ifi *net.Interface, src net.IP) error
	read        func([]byte) (n, ifIndex int, src net.Addr, err error)

	mu     sync.Mutex
	joined map[int]*net.Interface // by index; read by the reader goroutine
	srcs   map[int]net.IP         // source address to send from, by index; may be nil
}

// openConn opens a socket per family. One family failing (no IPv6 on the
// host, say) is logged at Debug; both failing is ErrNoSocket.
func openConn(ctx context.Context, opts options, logger *slog.Logger) (*mconn, error) {
	c := &mconn{logger: logger, opts: opts}
	var errs []error
	for _, open := range []func(context.Context, int) (*family, error){openIPv4, openIPv6} {
		f, err := open(ctx, opts.port)
		if err != nil {
			logger.Debug("Discovery socket unavailable", "error", err)
			errs = append(errs, err)
			continue
		}
		c.fams = append(c.fams, f)
	}
	if len(c.fams) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrNoSocket, errors.Join(errs...))
	}
	return c, nil
}

func listen(ctx context.Context, network string, port int) (net.PacketConn, error) {
	lc := net.ListenConfig{Control: reuseControl}
	addr := "0.0.0.0"
	if network == "udp6" {
		addr = "::"
	}
	pc, err := lc.ListenPacket(ctx, network, net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listening on %s port %d: %w", network, port, err)
	}
	return pc, nil
}

func openIPv4(ctx context.Context, port int) (*family, error) {
	pc, err := listen(ctx, "udp4", port)
	if err != nil {
		return nil, err
	}
	p := ipv4.NewPacketConn(pc)
	// Link-local reach, and our own beacons looped back so a browser on
	// the tracker's host sees it too.
	p.SetMulticastTTL(1)
	p.SetMulticastLoopback(true)
	cmOK := p.SetControlMessage(ipv4.FlagInterface, true) == nil
	group := &net.UDPAddr{IP: GroupIPv4.AsSlice(), Port: port}
	return &family{
		name: "IPv4", group: group, conn: pc, joined: map[int]*net.Interface{}, srcs: map[int]net.IP{},
		join:  func(ifi *net.Interface) error { return p.JoinGroup(ifi, group) },
		leave: func(ifi *net.Interface) error { return p.LeaveGroup(ifi, group) },
		write: func(b []byte, ifi *net.Interface, src net.IP) error {
			if err := p.SetMulticastInterface(ifi); err != nil {
				return err
			}
			// Send from the interface's own address: the kernel would
			// pick another interface's for loopback, say.
			if src != nil {
				if _, err := p.WriteTo(b, &ipv4.ControlMessage{Src: src}, group); err == nil {
					return nil
				}
			}
			_, err := p.WriteTo(b, nil, group)
			return err
		},
		read: func(b []byte) (int, int, net.Addr, error) {
			n, cm, src, err := p.ReadFrom(b)
			if cm != nil && cmOK {
				return n, cm.IfIndex, src, err
			}
			return n, 0, src, err
		},
	}, nil
}

func openIPv6(ctx context.Context, port int) (*family, error) {
	pc, err := listen(ctx, "udp6", port)
	if err != nil {
		return nil, err
	}
	p := ipv6.NewPacketConn(pc)
	p.SetMulticastHopLimit(1)
	p.SetMulticastLoopback(true)
	cmOK := p.SetControlMessage(ipv6.FlagInterface, true) == nil
	group := &net.UDPAddr{IP: GroupIPv6.AsSlice(), Port: port}
	return &family{
		name: "IPv6", group: group, conn: pc, joined: map[int]*net.Interface{}, srcs: map[int]net.IP{},
		join:  func(ifi *net.Interface) error { return p.JoinGroup(ifi, group) },
		leave: func(ifi *net.Interface) error { return p.LeaveGroup(ifi, group) },
		write: func(b []byte, ifi *net.Interface, _ net.IP) error {
			if err := p.SetMulticastInterface(ifi); err != nil {
				return err
			}
			_, err := p.WriteTo(b, nil, group)
			return err
		},
		read: func(b []byte) (int, int, net.Addr, error) {
			n, cm, src, err := p.ReadFrom(b)
			if cm != nil && cmOK {
				return n, cm.IfIndex, src, err
			}
			return n, 0, src, err
		},
	}, nil
}

// close closes the sockets, which ends the read loops.
func (c *mconn) close() {
	for _, f := range c.fams {
		f.conn.Close()
	}
}

// candidates lists the interfaces discovery may use, with the IPv4 address
// to send from on each (none: no IPv4) and whether each has IPv6.
func (c *mconn) candidates() (ifs []net.Interface, src4 map[int]net.IP, has6 map[int]bool) {
	all, err := net.Interfaces()
	if err != nil {
		c.logger.Debug("Listing interfaces failed", "error", err)
		return nil, nil, nil
	}
	src4, has6 = map[int]net.IP{}, map[int]bool{}
	for _, ifi := range all {
		if ifi.Flags&net.FlagUp == 0 {
			continue
		}
		if c.opts.interfaces != nil {
			if !slices.Contains(c.opts.interfaces, ifi.Name) {
				continue
			}
		} else if ifi.Flags&net.FlagLoopback != 0 || ifi.Flags&net.FlagMulticast == 0 {
			continue
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			if ip4 := ipn.IP.To4(); ip4 != nil {
				// Prefer a routable address to a link-local one.
				if src4[ifi.Index] == nil || src4[ifi.Index].IsLinkLocalUnicast() {
					src4[ifi.Index] = ip4
				}
			} else {
				has6[ifi.Index] = true
			}
		}
		if src4[ifi.Index] != nil || has6[ifi.Index] {
			ifs = append(ifs, ifi)
		}
	}
	return ifs, src4, has6
}

// refresh joins the group on interfaces that appeared and forgets those
// that went away. It reports whether any interface was newly joined.
func (c *mconn) refresh() (joinedNew bool) {
	ifs, src4, has6 := c.candidates()
	for _, f := range c.fams {
		want := map[int]*net.Interface{}
		for i := range ifs {
			// IPv6 multicast needs the interface's multicast flag
			// (Linux's loopback lacks it); IPv4 can do without.
			v6ok := has6[ifs[i].Index] && ifs[i].Flags&net.FlagMulticast != 0
			if f.name == "IPv4" && src4[ifs[i].Index] != nil || f.name == "IPv6" && v6ok {
				want[ifs[i].Index] = &ifs[i]
			}
		}
		f.mu.Lock()
		if f.name == "IPv4" {
			f.srcs = src4
		}
		for idx, ifi := range f.joined {
			if w, ok := want[idx]; !ok || w.Name != ifi.Name {
				f.leave(ifi) // the kernel may have dropped it already
				delete(f.joined, idx)
				c.logger.Debug("Discovery interface gone", "family", f.name, "interface", ifi.Name)
			}
		}
		for idx, ifi := range want {
			if _, ok := f.joined[idx]; ok {
				continue
			}
			if err := f.join(ifi); err != nil {
				c.logger.Debug("Joining multicast group failed", "family", f.name, "interface", ifi.Name, "error", err)
				continue
			}
			f.joined[idx] = ifi
			joinedNew = true
			c.logger.Debug("Discovery interface joined", "family", f.name, "interface", ifi.Name)
		}
		f.mu.Unlock()
	}
	return joinedNew
}

// interfaces returns the names of the interfaces joined, for logs.
func (c *mconn) interfaces() []string {
	var names []string
	for _, f := range c.fams {
		f.mu.Lock()
		for _, ifi := range f.joined {
			names = append(names, ifi.Name+"/"+f.name)
		}
		f.mu.Unlock()
	}
	slices.Sort(names)
	return names
}

// send multicasts b on every joined interface of every family. Failures
// (an interface going down under us) are logged at Debug only.
func (c *mconn) send(b []byte) {
	for _, f := range c.fams {
		type target struct {
			ifi *net.Interface
			src net.IP
		}
		f.mu.Lock()
		targets := make([]target, 0, len(f.joined))
		for idx, ifi := range f.joined {
			targets = append(targets, target{ifi, f.srcs[idx]})
		}
		f.mu.Unlock()
		for _, t := range targets {
			if err := f.write(b, t.ifi, t.src); err != nil {
				c.logger.Debug("Sending datagram failed", "family", f.name, "interface", t.ifi.Name, "error", err)
			}
		}
	}
}

// datagram is one received datagram with where it came from.
type datagram struct {
	msg message
	src netip.Addr // source IP, with zone for link-local IPv6
}

// read runs one read loop per family until the sockets are closed, passing
// each valid datagram that arrived on a joined interface to handle (from
// several goroutines). Malformed datagrams are logged at Debug and dropped.
func (c *mconn) read(handle func(datagram)) {
	var wg sync.WaitGroup
	for _, f := range c.fams {
		wg.Go(func() { c.readLoop(f, handle) })
	}
	wg.Wait()
}

func (c *mconn) readLoop(f *family, handle func(datagram)) {
	buf := make([]byte, MaxDatagramBytes+1)
	for {
		n, ifIndex, src, err := f.read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient (ICMP-induced errors and the like): keep serving.
			c.logger.Debug("Reading beacon failed", "family", f.name, "error", err)
			continue
		}
		if ifIndex != 0 {
			f.mu.Lock()
			_, ok := f.joined[ifIndex]
			f.mu.Unlock()
			if !ok {
				continue // another socket's group membership, or another interface
			}
		}
		ua, ok := src.(*net.UDPAddr)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ua.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if ip.Is6() && ua.Zone != "" {
			ip = ip.WithZone(ua.Zone)
		}
		if n > MaxDatagramBytes {
			c.logger.Debug("Ignoring oversized datagram", "from", ip)
			continue
		}
		m, err := parse(buf[:n])
		if err != nil {
			c.logger.Debug("Ignoring datagram", "from", ip, "error", err)
			continue
		}
		handle(datagram{msg: m, src: ip})
	}
}
