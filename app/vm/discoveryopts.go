package vm

import (
	"fmt"
	"strings"

	"github.com/enxame/enxame/net/discovery"
)

// DiscoveryOptions turns the desktop app's -discovery-interface and
// -discovery-port flags into options for App.Discovery: ifaces is a
// comma-separated list of interface names ("" = every LAN interface),
// port 0 the default port.
func DiscoveryOptions(ifaces string, port int) ([]discovery.Option, error) {
	var opts []discovery.Option
	if ifaces != "" {
		names := strings.Split(ifaces, ",")
		for _, n := range names {
			if strings.TrimSpace(n) == "" {
				return nil, fmt.Errorf("empty interface name in %q", ifaces)
			}
		}
		opts = append(opts, discovery.WithInterfaces(names...))
	}
	if port != 0 {
		if port < 1 || port > 65535 {
			return nil, fmt.Errorf("discovery port %d is not in 1-65535", port)
		}
		opts = append(opts, discovery.WithPort(port))
	}
	return opts, nil
}
