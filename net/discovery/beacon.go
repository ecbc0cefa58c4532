package discovery

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"time"
	"unicode"
	"unicode/utf8"
)

// Beacon constants. docs/DISCOVERY.md documents each.
const (
	// DefaultPort is the UDP port beacons are sent to and heard on.
	DefaultPort = 7078
	// ProtocolVersion is the tracker protocol version this build speaks.
	ProtocolVersion = 1
	// MaxVersion bounds the protocol version a beacon may carry.
	MaxVersion = 1000

	// MaxDatagramBytes is the largest datagram read; longer ones are ignored.
	MaxDatagramBytes = 512
	// MaxNameBytes is the longest network name, in bytes of UTF-8.
	MaxNameBytes = 64
	// MaxPeers bounds the peer count a beacon may carry.
	MaxPeers = 1_000_000
	// idHexLen is the length of an instance id: 8 random bytes in hex.
	idHexLen = 16
	// MACBytes is the size of a private network's beacon MAC
	// (HMAC-SHA256, sent as 64 lower-case hex characters).
	MACBytes = 32

	// AnnounceInterval is the period of a tracker's beacon.
	AnnounceInterval = 2 * time.Second
	// ExpireAfter is the silence after which a Browser drops a network
	// (three lost beacons and some slack).
	ExpireAfter = 7 * time.Second
	// ReplyBurst beacons may answer queries at once; after that, one per
	// MinReplyGap (periodic beacons aside), so a flood of queries cannot
	// turn into a flood of beacons.
	ReplyBurst  = 4
	MinReplyGap = 100 * time.Millisecond
)

// Multicast groups: organisation-local IPv4, transient link-local IPv6.
var (
	GroupIPv4 = netip.MustParseAddr("239.255.70.77")
	GroupIPv6 = netip.MustParseAddr("ff12::7077")
)

// Kinds of datagram (the value of the "enxame" field).
const (
	kindAnnounce = "announce"
	kindBye      = "bye"
	kindQuery    = "query"
)

// message is one datagram, decoded and validated.
type message struct {
	Kind    string
	ID      string // instance id; announce and bye
	Name    string // announce only
	Port    int    // announce only
	Version int    // announce only
	Peers   int    // announce only
	// Private marks a private network's announce or bye; MAC is then its
	// MAC over signed, the datagram as it would be encoded without MAC.
	Private bool
	MAC     []byte
	signed  []byte
}

// announceJSON and friends fix the field order and presence on the wire.
type announceJSON struct {
	Kind    string `json:"enxame"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	Port    int    `json:"port"`
	Version int    `json:"v"`
	Peers   int    `json:"peers"`
	Private bool   `json:"private,omitempty"`
	MAC     string `json:"mac,omitempty"`
}

type byeJSON struct {
	Kind    string `json:"enxame"`
	ID      string `json:"id"`
	Private bool   `json:"private,omitempty"`
	MAC     string `json:"mac,omitempty"`
}

type queryJSON struct {
	Kind string `json:"enxame"`
}

// rawJSON is what parse decodes into: pointers tell a missing field from
// a zero one, and a mistyped field fails decoding.
type rawJSON struct {
	Kind    *string `json:"enxame"`
	ID      *string `json:"id"`
	Name    *string `json:"name"`
	Port    *int    `json:"port"`
	Version *int    `json:"v"`
	Peers   *int    `json:"peers"`
	Private *bool   `json:"private"`
	MAC     *string `json:"mac"`
}

// encode returns the datagram for m; a private message is signed with
// mac (nil for an open network's). It fails only for a message parse
// would refuse, so nothing invalid is ever sent.
func (m message) encode(mac func(signed []byte) []byte) ([]byte, error) {
	m.Private = mac != nil && m.Kind != kindQuery
	signed, err := m.marshal("")
	if err != nil {
		return nil, err
	}
	b := signed
	if m.Private {
		if b, err = m.marshal(hex.EncodeToString(mac(signed))); err != nil {
			return nil, err
		}
	}
	if _, err := parse(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return b, nil
}

// marshal encodes m with the given MAC field ("" none). The bytes a MAC
// covers are marshal(""): the same datagram without its MAC.
func (m message) marshal(mac string) ([]byte, error) {
	var v any
	switch m.Kind {
	case kindAnnounce:
		v = announceJSON{Kind: m.Kind, ID: m.ID, Name: m.Name, Port: m.Port, Version: m.Version, Peers: m.Peers, Private: m.Private, MAC: mac}
	case kindBye:
		v = byeJSON{Kind: m.Kind, ID: m.ID, Private: m.Private, MAC: mac}
	case kindQuery:
		v = queryJSON{Kind: m.Kind}
	default:
		return nil, fmt.Errorf("%w: kind %q", ErrInvalid, m.Kind)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return b, nil
}

// parsePrivacy reads the private and mac fields into m: both or neither,
// the MAC 64 lower-case hex characters; signed is then the datagram the
// MAC covers, re-encoded.
func (m *message) parsePrivacy(r rawJSON) error {
	switch {
	case r.Private == nil && r.MAC == nil:
		return nil
	case r.Private == nil || !*r.Private || r.MAC == nil:
		return fmt.Errorf("%w: \"private\": true and \"mac\" go together", ErrMalformed)
	case len(*r.MAC) != 2*MACBytes || !lowerHex(*r.MAC):
		return fmt.Errorf("%w: mac must be %d lower-case hex characters", ErrMalformed, 2*MACBytes)
	}
	m.Private = true
	m.MAC, _ = hex.DecodeString(*r.MAC)
	signed, err := m.marshal("")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	m.signed = signed
	return nil
}

// parse decodes and validates one datagram. Every error wraps ErrMalformed.
func parse(b []byte) (message, error) {
	if len(b) > MaxDatagramBytes {
		return message{}, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxDatagramBytes)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return message{}, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	var r rawJSON
	if err := json.Unmarshal(b, &r); err != nil {
		return message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if r.Kind == nil {
		return message{}, fmt.Errorf("%w: no \"enxame\" field", ErrMalformed)
	}
	m := message{Kind: *r.Kind}
	switch m.Kind {
	case kindQuery:
		return m, nil
	case kindBye, kindAnnounce:
	default:
		return message{}, fmt.Errorf("%w: unknown kind %.32q", ErrMalformed, m.Kind)
	}
	if r.ID == nil || !validID(*r.ID) {
		return message{}, fmt.Errorf("%w: id must be %d lower-case hex characters", ErrMalformed, idHexLen)
	}
	m.ID = *r.ID
	if m.Kind == kindBye {
		if err := m.parsePrivacy(r); err != nil {
			return message{}, err
		}
		return m, nil
	}
	switch {
	case r.Name == nil:
		return message{}, fmt.Errorf("%w: no name", ErrMalformed)
	case r.Port == nil || *r.Port < 1 || *r.Port > 65535:
		return message{}, fmt.Errorf("%w: port must be 1-65535", ErrMalformed)
	case r.Version == nil || *r.Version < 1 || *r.Version > MaxVersion:
		return message{}, fmt.Errorf("%w: version must be 1-%d", ErrMalformed, MaxVersion)
	case r.Peers == nil || *r.Peers < 0 || *r.Peers > MaxPeers:
		return message{}, fmt.Errorf("%w: peers must be 0-%d", ErrMalformed, MaxPeers)
	}
	if err := ValidateName(*r.Name); err != nil {
		return message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	m.Name, m.Port, m.Version, m.Peers = *r.Name, *r.Port, *r.Version, *r.Peers
	if err := m.parsePrivacy(r); err != nil {
		return message{}, err
	}
	return m, nil
}

func validID(s string) bool {
	return len(s) == idHexLen && lowerHex(s)
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ValidateName reports whether name can be a network's name: 1 to
// MaxNameBytes bytes of valid UTF-8, no control, format (bidi overrides,
// zero-width), private-use, line or paragraph separator characters, no
// U+FFFD, and no leading or trailing white space.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty network name")
	case len(name) > MaxNameBytes:
		return fmt.Errorf("network name longer than %d bytes", MaxNameBytes)
	case !utf8.ValidString(name):
		return fmt.Errorf("network name is not valid UTF-8")
	}
	for _, r := range name {
		if !nameRune(r) {
			return fmt.Errorf("network name has forbidden character %U", r)
		}
	}
	first, _ := utf8.DecodeRuneInString(name)
	last, _ := utf8.DecodeLastRuneInString(name)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return fmt.Errorf("network name starts or ends with white space")
	}
	return nil
}

func nameRune(r rune) bool {
	return r != utf8.RuneError && !unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Zl, unicode.Zp)
}

// DefaultName is the network name used when none is given: the host name,
// with forbidden characters dropped and cut to MaxNameBytes, or "enxame".
func DefaultName() string {
	host, _ := os.Hostname()
	return SanitizeName(host)
}

// SanitizeName turns any string into a valid network name: forbidden
// characters dropped, white space trimmed, cut to MaxNameBytes on a
// character boundary; "enxame" when nothing is left.
func SanitizeName(s string) string {
	var b []byte
	for _, r := range s {
		if !nameRune(r) {
			continue
		}
		if len(b)+utf8.RuneLen(r) > MaxNameBytes {
			break
		}
		b = utf8.AppendRune(b, r)
	}
	name := string(bytes.TrimFunc(b, unicode.IsSpace))
	if ValidateName(name) != nil {
		return "enxame"
	}
	return name
}
