package discovery

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

const testID = "0123456789abcdef"

var parseCases = []struct {
	name string
	in   string
	want message // zero Kind: must be rejected
}{
	{"announce", `{"enxame":"announce","id":"0123456789abcdef","name":"Lab 3","port":7077,"v":1,"peers":12}`,
		message{Kind: kindAnnounce, ID: testID, Name: "Lab 3", Port: 7077, Version: 1, Peers: 12}},
	{"announce unicode name", `{"enxame":"announce","id":"0123456789abcdef","name":"Sala de reuniões ☕","port":1,"v":2,"peers":0}`,
		message{Kind: kindAnnounce, ID: testID, Name: "Sala de reuniões ☕", Port: 1, Version: 2, Peers: 0}},
	{"announce unknown fields ignored", `{"x":[1,2,{"y":null}],"enxame":"announce","id":"0123456789abcdef","name":"n","port":65535,"v":1000,"peers":1000000}`,
		message{Kind: kindAnnounce, ID: testID, Name: "n", Port: 65535, Version: 1000, Peers: 1000000}},
	{"announce surrounding space", " \n{\"enxame\":\"announce\",\"id\":\"0123456789abcdef\",\"name\":\"n\",\"port\":2,\"v\":1,\"peers\":3}\n",
		message{Kind: kindAnnounce, ID: testID, Name: "n", Port: 2, Version: 1, Peers: 3}},
	{"bye", `{"enxame":"bye","id":"0123456789abcdef"}`, message{Kind: kindBye, ID: testID}},
	{"private announce", `{"enxame":"announce","id":"0123456789abcdef","name":"Lab 3","port":7077,"v":1,"peers":12,"private":true,"mac":"` + testMACHex + `"}`,
		privateMsg(message{Kind: kindAnnounce, ID: testID, Name: "Lab 3", Port: 7077, Version: 1, Peers: 12})},
	{"private bye", `{"enxame":"bye","id":"0123456789abcdef","private":true,"mac":"` + testMACHex + `"}`,
		privateMsg(message{Kind: kindBye, ID: testID})},
	{"private without mac", `{"enxame":"bye","id":"0123456789abcdef","private":true}`, message{}},
	{"mac without private", `{"enxame":"bye","id":"0123456789abcdef","mac":"` + testMACHex + `"}`, message{}},
	{"private false with mac", `{"enxame":"bye","id":"0123456789abcdef","private":false,"mac":"` + testMACHex + `"}`, message{}},
	{"private not bool", `{"enxame":"bye","id":"0123456789abcdef","private":1,"mac":"` + testMACHex + `"}`, message{}},
	{"mac short", `{"enxame":"bye","id":"0123456789abcdef","private":true,"mac":"` + testMACHex[2:] + `"}`, message{}},
	{"mac upper case", `{"enxame":"bye","id":"0123456789abcdef","private":true,"mac":"` + strings.ToUpper(testMACHex) + `"}`, message{}},
	{"mac not string", `{"enxame":"bye","id":"0123456789abcdef","private":true,"mac":5}`, message{}},
	{"query", `{"enxame":"query"}`, message{Kind: kindQuery}},

	{"empty", ``, message{}},
	{"not json", `hello`, message{}},
	{"json array", `[1,2]`, message{}},
	{"json string", `"enxame"`, message{}},
	{"truncated", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":1,"v":1,"peers":`, message{}},
	{"trailing garbage", `{"enxame":"query"}x`, message{}},
	{"no kind", `{"id":"0123456789abcdef"}`, message{}},
	{"kind not string", `{"enxame":1}`, message{}},
	{"unknown kind", `{"enxame":"hello"}`, message{}},
	{"bye without id", `{"enxame":"bye"}`, message{}},
	{"id short", `{"enxame":"bye","id":"0123"}`, message{}},
	{"id upper case", `{"enxame":"bye","id":"0123456789ABCDEF"}`, message{}},
	{"id not hex", `{"enxame":"bye","id":"0123456789abcdeg"}`, message{}},
	{"id number", `{"enxame":"bye","id":123}`, message{}},
	{"no name", `{"enxame":"announce","id":"0123456789abcdef","port":1,"v":1,"peers":0}`, message{}},
	{"name null", `{"enxame":"announce","id":"0123456789abcdef","name":null,"port":1,"v":1,"peers":0}`, message{}},
	{"name empty", `{"enxame":"announce","id":"0123456789abcdef","name":"","port":1,"v":1,"peers":0}`, message{}},
	{"name control", `{"enxame":"announce","id":"0123456789abcdef","name":"a\u0007b","port":1,"v":1,"peers":0}`, message{}},
	{"name newline", `{"enxame":"announce","id":"0123456789abcdef","name":"a\nb","port":1,"v":1,"peers":0}`, message{}},
	{"name bidi override", `{"enxame":"announce","id":"0123456789abcdef","name":"a\u202eb","port":1,"v":1,"peers":0}`, message{}},
	{"name zero width", `{"enxame":"announce","id":"0123456789abcdef","name":"a\u200bb","port":1,"v":1,"peers":0}`, message{}},
	{"name replacement char", `{"enxame":"announce","id":"0123456789abcdef","name":"a\ufffd","port":1,"v":1,"peers":0}`, message{}},
	{"name invalid utf8", "{\"enxame\":\"announce\",\"id\":\"0123456789abcdef\",\"name\":\"a\xffb\",\"port\":1,\"v\":1,\"peers\":0}", message{}},
	{"name lone surrogate", `{"enxame":"announce","id":"0123456789abcdef","name":"a\ud800","port":1,"v":1,"peers":0}`, message{}},
	{"name leading space", `{"enxame":"announce","id":"0123456789abcdef","name":" a","port":1,"v":1,"peers":0}`, message{}},
	{"name too long", `{"enxame":"announce","id":"0123456789abcdef","name":"` + strings.Repeat("x", MaxNameBytes+1) + `","port":1,"v":1,"peers":0}`, message{}},
	{"name number", `{"enxame":"announce","id":"0123456789abcdef","name":5,"port":1,"v":1,"peers":0}`, message{}},
	{"port zero", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":0,"v":1,"peers":0}`, message{}},
	{"port negative", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":-1,"v":1,"peers":0}`, message{}},
	{"port too big", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":65536,"v":1,"peers":0}`, message{}},
	{"port huge", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":99999999999999999999999,"v":1,"peers":0}`, message{}},
	{"port fraction", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":77.5,"v":1,"peers":0}`, message{}},
	{"port string", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":"7077","v":1,"peers":0}`, message{}},
	{"no port", `{"enxame":"announce","id":"0123456789abcdef","name":"n","v":1,"peers":0}`, message{}},
	{"version zero", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":1,"v":0,"peers":0}`, message{}},
	{"version too big", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":1,"v":1001,"peers":0}`, message{}},
	{"no version", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":1,"peers":0}`, message{}},
	{"peers negative", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":1,"v":1,"peers":-5}`, message{}},
	{"peers too many", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":1,"v":1,"peers":1000001}`, message{}},
	{"no peers", `{"enxame":"announce","id":"0123456789abcdef","name":"n","port":1,"v":1}`, message{}},
	{"oversized", `{"enxame":"query","pad":"` + strings.Repeat("x", MaxDatagramBytes) + `"}`, message{}},
	{"deep nesting", `{"enxame":"query","x":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, message{Kind: kindQuery}},
}

// testMACHex is a MAC as a private beacon carries it.
var testMACHex = strings.Repeat("a1", MACBytes)

func testMAC([]byte) []byte { b, _ := hex.DecodeString(testMACHex); return b }

// privateMsg is m as parse returns it from a private datagram with
// testMAC: the signed bytes are those of m encoded without its MAC.
func privateMsg(m message) message {
	m.Private = true
	m.MAC = testMAC(nil)
	signed, err := m.marshal("")
	if err != nil {
		panic(err)
	}
	m.signed = signed
	return m
}

func sameMessage(a, b message) bool {
	return reflect.DeepEqual(a, b)
}

// macOf returns an encode MAC function for m: nil for an open message.
func macOf(m message) func([]byte) []byte {
	if !m.Private {
		return nil
	}
	return func([]byte) []byte { return m.MAC }
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parse([]byte(c.in))
			if c.want.Kind == "" {
				if err == nil {
					t.Fatalf("parse accepted %q as %+v", c.in, got)
				}
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v does not wrap ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !sameMessage(got, c.want) {
				t.Fatalf("parse = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, c := range parseCases {
		if c.want.Kind == "" {
			continue
		}
		b, err := c.want.encode(macOf(c.want))
		if err != nil {
			t.Fatalf("%s: encode: %v", c.name, err)
		}
		if len(b) > MaxDatagramBytes {
			t.Fatalf("%s: %d bytes, over the limit", c.name, len(b))
		}
		got, err := parse(b)
		if err != nil || !sameMessage(got, c.want) {
			t.Fatalf("%s: parse(encode) = %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	// The largest announcement fits in a datagram.
	big := message{Kind: kindAnnounce, ID: testID, Name: strings.Repeat("\u2603", MaxNameBytes/3), Port: 65535, Version: MaxVersion, Peers: MaxPeers}
	if b, err := big.encode(testMAC); err != nil || len(b) > MaxDatagramBytes {
		t.Fatalf("largest announcement: %d bytes, %v", len(b), err)
	}
	// The MAC covers the datagram without it, and only a private one
	// carries one.
	plain := message{Kind: kindAnnounce, ID: testID, Name: "Lab", Port: 7077, Version: 1, Peers: 3}
	var covered []byte
	b, err := plain.encode(func(signed []byte) []byte { covered = signed; return testMAC(nil) })
	if err != nil {
		t.Fatal(err)
	}
	got, err := parse(b)
	if err != nil || !got.Private || !bytes.Equal(got.signed, covered) || !bytes.Equal(got.MAC, testMAC(nil)) {
		t.Fatalf("private round trip: %+v, %v; MAC'd %q", got, err, covered)
	}
	if open, _ := plain.encode(nil); bytes.Contains(open, []byte("private")) || bytes.Contains(open, []byte("mac")) {
		t.Fatalf("an open beacon says private or carries a MAC: %s", open)
	}
	for _, bad := range []message{
		{Kind: "nope"},
		{Kind: kindAnnounce, ID: testID, Name: "", Port: 1, Version: 1},
		{Kind: kindAnnounce, ID: testID, Name: "n", Port: 0, Version: 1},
		{Kind: kindBye, ID: "short"},
	} {
		if _, err := bad.encode(nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("encode(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		switch m.Kind {
		case kindQuery:
		case kindBye:
			if !validID(m.ID) {
				t.Fatalf("bad id accepted: %q", m.ID)
			}
		case kindAnnounce:
			if err := ValidateName(m.Name); err != nil {
				t.Fatalf("bad name accepted: %q: %v", m.Name, err)
			}
			if m.Port < 1 || m.Port > 65535 || m.Version < 1 || m.Version > MaxVersion || m.Peers < 0 || m.Peers > MaxPeers || !validID(m.ID) {
				t.Fatalf("out-of-range message accepted: %+v", m)
			}
		default:
			t.Fatalf("unknown kind accepted: %q", m.Kind)
		}
		b2, err := m.encode(macOf(m))
		if err != nil {
			t.Fatalf("accepted message does not encode: %+v: %v", m, err)
		}
		if m2, err := parse(b2); err != nil || !sameMessage(m2, m) {
			t.Fatalf("round trip: %+v, %v; want %+v", m2, err, m)
		}
	})
}

func TestValidateName(t *testing.T) {
	good := []string{"Lab 3", "a", "Ünïcödé", "日本語のネットワーク", strings.Repeat("x", MaxNameBytes), "tab\u00a0inside"}
	bad := []string{"", " lead", "trail ", "\tx", "a\x00b", "a\x7fb", "a\u0085b", "a\u2028b", "a\u2029b", "a\u200db", "a\ufeffb", "a\ue000b", "a\xc3", strings.Repeat("x", MaxNameBytes+1)}
	for _, s := range good {
		if err := ValidateName(s); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range bad {
		if err := ValidateName(s); err == nil {
			t.Errorf("ValidateName(%q) = nil, want an error", s)
		}
	}
}

func TestSanitizeName(t *testing.T) {
	cases := []struct{ in, want string }{
		{"host", "host"},
		{"  host\n", "host"},
		{"a\x00b\u202ec", "abc"},
		{"", "enxame"},
		{"\x00\x01 ", "enxame"},
		{"\xff\xfe", "enxame"},
		{strings.Repeat("é", MaxNameBytes), strings.Repeat("é", MaxNameBytes/2)},
	}
	for _, c := range cases {
		got := SanitizeName(c.in)
		if got != c.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", c.in, got, c.want)
		}
		if err := ValidateName(got); err != nil || !utf8.ValidString(got) {
			t.Errorf("SanitizeName(%q) = %q is not a valid name: %v", c.in, got, err)
		}
	}
	if err := ValidateName(DefaultName()); err != nil {
		t.Errorf("DefaultName() = %q: %v", DefaultName(), err)
	}
}
