package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
)

// Digest is the SHA-256 of one chunk.
type Digest = [sha256.Size]byte

// ChunkSizeFor returns the chunk size protocol v1 fixes for a file size:
// 256 KiB, doubled while the file would have more than 2048 chunks, up to
// 16 MiB.
func ChunkSizeFor(size int64) int64 {
	c := int64(MinChunkSize)
	for c < MaxChunkSize && ceilDiv(size, c) > TargetChunks {
		c *= 2
	}
	return c
}

// NumChunksFor is ceil(size / chunkSize); 0 for an empty file.
func NumChunksFor(size, chunkSize int64) int {
	return int(ceilDiv(size, chunkSize))
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a-1)/b + 1
}

// Manifest describes a file's content: its size, chunk size and the digest
// of every chunk. Its content id is derived from exactly these.
type Manifest struct {
	Size      int64
	ChunkSize int64
	Digests   []Digest
}

// NumChunks is the number of chunks of the file.
func (m *Manifest) NumChunks() int { return len(m.Digests) }

// Chunk returns the byte range [off, off+n) of chunk i.
func (m *Manifest) Chunk(i int) (off, n int64) {
	off = int64(i) * m.ChunkSize
	n = min(m.ChunkSize, m.Size-off)
	return off, n
}

// ID computes the content id: lower-case hex SHA-256 of
// "enxame/1" || uint64_be(size) || uint32_be(chunk_size) || digests.
func (m *Manifest) ID() string {
	h := sha256.New()
	var hdr [len(ProtocolTag) + 8 + 4]byte
	copy(hdr[:], ProtocolTag)
	binary.BigEndian.PutUint64(hdr[len(ProtocolTag):], uint64(m.Size))
	binary.BigEndian.PutUint32(hdr[len(ProtocolTag)+8:], uint32(m.ChunkSize))
	h.Write(hdr[:])
	for i := range m.Digests {
		h.Write(m.Digests[i][:])
	}
	var sum Digest
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// Validate checks that the manifest is self-consistent under protocol v1.
func (m *Manifest) Validate() error {
	if m.Size < 0 {
		return Errorf(CodeBadRequest, "manifest size %d is negative", m.Size)
	}
	if want := ChunkSizeFor(m.Size); m.ChunkSize != want {
		return Errorf(CodeBadRequest, "manifest chunk size %d, want %d for size %d", m.ChunkSize, want, m.Size)
	}
	if want := NumChunksFor(m.Size, m.ChunkSize); len(m.Digests) != want {
		return Errorf(CodeBadRequest, "manifest has %d chunks, want %d", len(m.Digests), want)
	}
	return nil
}

type manifestJSON struct {
	Size      *int64    `json:"size"`
	ChunkSize *int64    `json:"chunk_size"`
	Chunks    *[]string `json:"chunks"`
}

// MarshalJSON encodes {"size":N,"chunk_size":C,"chunks":["hex",…]}.
func (m *Manifest) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(48 + len(m.Digests)*(2*sha256.Size+3))
	fmt.Fprintf(&b, `{"size":%d,"chunk_size":%d,"chunks":[`, m.Size, m.ChunkSize)
	var hx [2 * sha256.Size]byte
	for i := range m.Digests {
		if i > 0 {
			b.WriteByte(',')
		}
		hex.Encode(hx[:], m.Digests[i][:])
		b.WriteByte('"')
		b.Write(hx[:])
		b.WriteByte('"')
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// UnmarshalJSON decodes and validates a manifest. Missing or mistyped
// fields and malformed digests are errors.
func (m *Manifest) UnmarshalJSON(data []byte) error {
	if len(data) > MaxManifestBytes {
		return Errorf(CodeTooLarge, "manifest of %d bytes is over %d", len(data), MaxManifestBytes)
	}
	var raw manifestJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return Errorf(CodeBadRequest, "decoding manifest: %v", err)
	}
	if raw.Size == nil || raw.ChunkSize == nil || raw.Chunks == nil {
		return Errorf(CodeBadRequest, "manifest lacks size, chunk_size or chunks")
	}
	out := Manifest{Size: *raw.Size, ChunkSize: *raw.ChunkSize}
	if out.Size < 0 {
		return Errorf(CodeBadRequest, "manifest size %d is negative", out.Size)
	}
	if want := NumChunksFor(out.Size, max(out.ChunkSize, 1)); out.ChunkSize <= 0 || len(*raw.Chunks) != want {
		return Errorf(CodeBadRequest, "manifest has %d chunks for size %d and chunk size %d", len(*raw.Chunks), out.Size, out.ChunkSize)
	}
	out.Digests = make([]Digest, len(*raw.Chunks))
	for i, s := range *raw.Chunks {
		if !ValidID(s) {
			return Errorf(CodeBadRequest, "manifest chunk %d digest %q is not 64 lower-case hex characters", i, s)
		}
		hex.Decode(out.Digests[i][:], []byte(s))
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*m = out
	return nil
}

// ParseManifest decodes a manifest and checks that its id is wantID.
func ParseManifest(data []byte, wantID string) (*Manifest, error) {
	var m Manifest
	if err := m.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	if got := m.ID(); got != wantID {
		return nil, Errorf(CodeBadRequest, "manifest id %s does not match the requested %s", got, wantID)
	}
	return &m, nil
}

// ValidID reports whether s is 64 lower-case hex characters (a content id
// or a chunk digest).
func ValidID(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ManifestOf reads exactly size bytes from r and returns their manifest.
// progress, if not nil, is called after each chunk with the bytes hashed
// in that chunk. buf, if at least one chunk long, is reused as scratch.
func ManifestOf(r io.Reader, size int64, buf []byte, progress func(n int64)) (*Manifest, error) {
	if size < 0 {
		return nil, fmt.Errorf("negative size %d", size)
	}
	cs := ChunkSizeFor(size)
	m := &Manifest{Size: size, ChunkSize: cs, Digests: make([]Digest, NumChunksFor(size, cs))}
	if int64(len(buf)) < cs {
		buf = make([]byte, min(cs, max(size, 1)))
	}
	for i := range m.Digests {
		_, n := m.Chunk(i)
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return nil, fmt.Errorf("reading chunk %d: %w", i, err)
		}
		m.Digests[i] = sha256.Sum256(buf[:n])
		if progress != nil {
			progress(n)
		}
	}
	return m, nil
}
