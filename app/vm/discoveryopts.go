package vm

import "github.com/enxame/enxame/net/discovery"

// DiscoveryOptions turns the desktop app's -discovery-interface and
// -discovery-port flags into options for App.Discovery (see
// discovery.FlagOptions).
func DiscoveryOptions(ifaces string, port int) ([]discovery.Option, error) {
	return discovery.FlagOptions(ifaces, port)
}
