package secure

import (
	"crypto/tls"
	"errors"
	"net"
)

// ALPN is the application protocol every version 2 connection negotiates.
const ALPN = "enxame/2"

// ServerConfig returns the TLS configuration of a tracker or peer server:
// TLS 1.3 only, ALPN "enxame/2" required, the device's certificate, and a
// client certificate required but not verified against any CA: any
// self-signed certificate will do (Python's ssl with one made by `openssl
// req -x509` included), since trust comes from device ids and, on a
// private network, from the membership proof. TLS 1.3 still makes the
// client prove it holds the certificate's key (CertificateVerify), which
// is what makes DeviceIDFromState meaningful.
//
// Session tickets are off: every connection does a full handshake, so
// every connection carries the client's certificate and a fresh exporter
// secret, and there is no resumption state to reason about.
func ServerConfig(id *Identity) *tls.Config {
	return &tls.Config{
		MinVersion:             tls.VersionTLS13,
		MaxVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{id.cert},
		NextProtos:             []string{ALPN},
		ClientAuth:             tls.RequireAnyClientCert,
		SessionTicketsDisabled: true,
		VerifyConnection:       checkConnection,
	}
}

// ClientConfig returns the TLS configuration of a client: TLS 1.3 only,
// ALPN "enxame/2", presenting the device's certificate.
//
// InsecureSkipVerify is set because servers' certificates are self-signed
// and name no host, so Go's CA-and-hostname verification can only fail.
// It does not switch checking off: VerifyConnection still runs and
// insists on TLS 1.3, on ALPN "enxame/2" and on a certificate (which
// crypto/tls has parsed, and whose key signed the handshake). Who the
// server is, is decided by its device id (Dialer.Device) and, on a
// private network, by its membership proof, which a server without the
// passphrase cannot make.
func ClientConfig(id *Identity) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		MaxVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{id.cert},
		NextProtos:         []string{ALPN},
		InsecureSkipVerify: true,
		VerifyConnection:   checkConnection,
	}
}

var (
	errNotTLS13    = errors.New("peer does not speak TLS 1.3")
	errWrongALPN   = errors.New("peer does not speak " + ALPN + " (ALPN)")
	errNoPeerCert  = errors.New("peer sent no certificate")
	errNotTLSConn  = errors.New("not a TLS connection")
	errNoHandshake = errors.New("TLS handshake not complete")
)

// checkConnection is both sides' VerifyConnection.
func checkConnection(cs tls.ConnectionState) error {
	if cs.Version != tls.VersionTLS13 {
		return errNotTLS13
	}
	if cs.NegotiatedProtocol != ALPN {
		return errWrongALPN
	}
	if len(cs.PeerCertificates) == 0 {
		return errNoPeerCert
	}
	return nil
}

// DeviceIDFromState returns the device id of the other side of a
// completed handshake.
func DeviceIDFromState(cs tls.ConnectionState) (DeviceID, error) {
	if !cs.HandshakeComplete {
		return DeviceID{}, errNoHandshake
	}
	if len(cs.PeerCertificates) == 0 {
		return DeviceID{}, errNoPeerCert
	}
	return DeviceIDOf(cs.PeerCertificates[0]), nil
}

// PeerDeviceID returns the device id of the other side of c, a *tls.Conn
// whose handshake is complete (one from Guard.Admit or a Dialer).
func PeerDeviceID(c net.Conn) (DeviceID, error) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return DeviceID{}, errNotTLSConn
	}
	return DeviceIDFromState(tc.ConnectionState())
}
