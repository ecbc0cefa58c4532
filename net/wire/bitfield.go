package wire

// Bitfield is a HAVE bitfield: bit i, most significant bit of byte i/8
// first, is set when chunk i is held and verified.
type Bitfield []byte

// NewBitfield returns an empty bitfield for n chunks.
func NewBitfield(n int) Bitfield { return make(Bitfield, (n+7)/8) }

// Has reports whether bit i is set; out-of-range bits are unset.
func (b Bitfield) Has(i int) bool {
	return i >= 0 && i/8 < len(b) && b[i/8]&(0x80>>(i%8)) != 0
}

// Set sets bit i.
func (b Bitfield) Set(i int) { b[i/8] |= 0x80 >> (i % 8) }

// Count returns the number of set bits among the first n.
func (b Bitfield) Count(n int) int {
	c := 0
	for i := range n {
		if b.Has(i) {
			c++
		}
	}
	return c
}

// ValidFor reports whether b has the right length for n chunks and zero
// padding bits.
func (b Bitfield) ValidFor(n int) bool {
	if len(b) != (n+7)/8 {
		return false
	}
	if r := n % 8; r != 0 {
		return b[len(b)-1]&(0xff>>r) == 0
	}
	return true
}
