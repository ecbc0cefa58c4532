package tracker

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
	"unicode/utf8"

	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/wire"
)

// ErrBadAnswer is returned (wrapped) when a tracker's answer breaks the
// protocol: an id that is not 64 lower-case hex characters, a name the
// protocol forbids, an address that is not ip:port, a negative size or
// count. Nothing of such an answer is used.
var ErrBadAnswer = errors.New("invalid tracker answer")

// Bounds on the intervals a tracker may ask for. A register answer's
// heartbeat_s and timeout_s are clamped into them (0 or less means the
// tracker did not say, and takes the protocol's default).
const (
	MinHeartbeatInterval = 10 * time.Millisecond
	MaxHeartbeatInterval = time.Hour
	MaxPeerTimeout       = 24 * time.Hour
	// maxErrorBytes bounds a tracker's error message kept for people.
	maxErrorBytes = 512
)

// Every value a Client hands on comes through here: answers are checked
// where they are decoded, so no caller ever sees a short id, a name with
// control characters, an address it cannot dial or an interval that
// overflows.

func badAnswer(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadAnswer, fmt.Sprintf(format, a...))
}

// checkAddr accepts "ip:port" with a port in 1–65535.
func checkAddr(what, addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || ap.Port() == 0 || !ap.Addr().IsValid() {
		return badAnswer("%s %q is not ip:port", what, wire.SafeText(trimText(addr, 64)))
	}
	return nil
}

// checkDevice checks a peer's name and device id (protocol version 2),
// each optional: a name as register takes it, a device id in the one
// spelling secure.DeviceID.String writes.
func checkDevice(what, name, device string) error {
	if name != "" {
		if err := wire.ValidateDeviceName(name); err != nil {
			return badAnswer("%s: name: %s", what, err.(*wire.Error).Msg)
		}
	}
	if device != "" {
		if d, err := secure.ParseDeviceID(device); err != nil || d.String() != device {
			return badAnswer("%s: device %q is not a device id", what, wire.SafeText(trimText(device, 80)))
		}
	}
	return nil
}

// checkRegisterAnswer checks a register answer and clamps its intervals.
func checkRegisterAnswer(r *wire.RegisterResponse) error {
	if r.Token == "" || len(r.Token) > wire.MaxTokenBytes || !utf8.ValidString(r.Token) {
		return badAnswer("token is not 1-%d bytes of UTF-8", wire.MaxTokenBytes)
	}
	if err := checkAddr("addr", r.Addr); err != nil {
		return err
	}
	if r.Secret != "" {
		if _, err := secure.ParseNetworkSecret(r.Secret); err != nil {
			return badAnswer("secret is not %d bytes in base64", secure.NetworkSecretBytes)
		}
	}
	r.HeartbeatS = clampSeconds(r.HeartbeatS, wire.DefaultHeartbeatInterval, MinHeartbeatInterval, MaxHeartbeatInterval)
	r.TimeoutS = clampSeconds(r.TimeoutS, wire.DefaultPeerTimeout, time.Duration(r.HeartbeatS*float64(time.Second)), MaxPeerTimeout)
	return nil
}

// clampSeconds returns v seconds within [lo, hi]; a value that is not
// positive is def (the tracker did not say).
func clampSeconds(v float64, def, lo, hi time.Duration) float64 {
	d := def
	if v > 0 { // NaN is not: JSON has none, but a caller might
		d = time.Duration(min(v, hi.Seconds()) * float64(time.Second))
	}
	return min(max(d, lo), hi).Seconds()
}

// checkListAnswer checks a list answer.
func checkListAnswer(r *wire.ListResponse) error {
	for i, p := range r.Peers {
		if err := checkAddr(fmt.Sprintf("peer %d: addr", i), p.Addr); err != nil {
			return err
		}
		if p.Files < 0 || p.LastSeenS < 0 {
			return badAnswer("peer %d: negative files or last_seen_s", i)
		}
		if err := checkDevice(fmt.Sprintf("peer %d", i), p.Name, p.Device); err != nil {
			return err
		}
	}
	return nil
}

// checkSearchAnswer checks a search answer.
func checkSearchAnswer(r *wire.SearchResponse) error {
	for i, res := range r.Results {
		if !wire.ValidID(res.ID) {
			return badAnswer("result %d: id %q is not 64 lower-case hex characters", i, wire.SafeText(trimText(res.ID, 80)))
		}
		if err := wire.ValidateName(res.Name); err != nil {
			return badAnswer("result %d: name: %s", i, err.(*wire.Error).Msg)
		}
		if res.Size < 0 || res.Hosts < 0 {
			return badAnswer("result %d: negative size or hosts", i)
		}
		for j, p := range res.Peers {
			what := fmt.Sprintf("result %d: holder %d", i, j)
			if err := checkAddr(what, p.Addr); err != nil {
				return err
			}
			if err := checkDevice(what, p.Name, p.Device); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkFailure makes a refusal safe to keep and show: a code that is not
// a plain word becomes internal, and the message is cut and cleaned.
func checkFailure(code wire.Code, msg string) *wire.Error {
	if !plainCode(string(code)) {
		code = wire.CodeInternal
	}
	return &wire.Error{Code: code, Msg: wire.SafeText(trimText(msg, maxErrorBytes))}
}

func plainCode(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// trimText cuts s to at most n bytes on a character boundary.
func trimText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
