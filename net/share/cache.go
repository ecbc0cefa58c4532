package share

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/enxame/enxame/net/wire"
)

// cacheMagic is the first line of a hash cache file; the second line is
// the hex SHA-256 of the JSON body that follows.
const cacheMagic = "enxame-hashcache 1\n"

// maxCacheBytes bounds the cache file read at start.
const maxCacheBytes = 1 << 30

// DefaultCacheFile returns the hash cache path for a shared folder:
// os.UserCacheDir()/enxame/share-<first 16 hex of SHA-256(abs dir)>.cache.
func DefaultCacheFile(absDir string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache folder: %w", err)
	}
	sum := sha256.Sum256([]byte(absDir))
	return filepath.Join(base, "enxame", "share-"+hex.EncodeToString(sum[:8])+".cache"), nil
}

type cacheFileJSON struct {
	Dir     string           `json:"dir"`
	Entries []cacheEntryJSON `json:"entries"`
}

type cacheEntryJSON struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	MtimeNs int64  `json:"mtime_ns"`
	Inode   uint64 `json:"inode"`
	ID      string `json:"id"`
	Digests []byte `json:"digests"` // the chunk digests, concatenated
}

type cached struct {
	key fileKey
	m   *wire.Manifest
}

// hashCache maps (relative path, size, mtime, inode) to a manifest. A nil
// *hashCache is a disabled cache.
type hashCache struct {
	path string
	dir  string

	mu    sync.Mutex
	byKey map[string]cached
	dirty bool
}

// loadCache reads the cache at path; a missing, foreign or corrupt file
// yields an empty cache (corruption is logged).
func loadCache(path, dir string, log *slog.Logger) *hashCache {
	c := &hashCache{path: path, dir: dir, byKey: map[string]cached{}}
	err := c.load()
	switch {
	case err == nil:
		log.Debug("Loaded hash cache", "path", path, "entries", len(c.byKey))
	case errors.Is(err, fs.ErrNotExist):
	default:
		log.Warn("Ignoring hash cache", "path", path, "error", err)
		c.byKey = map[string]cached{}
		c.dirty = true
	}
	return c
}

func (c *hashCache) load() error {
	f, err := os.Open(c.path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCacheBytes+1))
	if err != nil {
		return err
	}
	if len(data) > maxCacheBytes {
		return fmt.Errorf("cache file is over %d bytes", maxCacheBytes)
	}
	rest, ok := bytes.CutPrefix(data, []byte(cacheMagic))
	if !ok {
		return errors.New("not an Enxame hash cache")
	}
	sumHex, body, ok := bytes.Cut(rest, []byte{'\n'})
	sum := sha256.Sum256(body)
	if !ok || string(sumHex) != hex.EncodeToString(sum[:]) {
		return errors.New("checksum mismatch")
	}
	var file cacheFileJSON
	if err := json.Unmarshal(body, &file); err != nil {
		return fmt.Errorf("decoding: %w", err)
	}
	if file.Dir != c.dir {
		return fmt.Errorf("cache is for folder %q", file.Dir)
	}
	for _, e := range file.Entries {
		m, err := e.manifest()
		if err != nil {
			return fmt.Errorf("entry %q: %w", e.Name, err)
		}
		c.byKey[e.Name] = cached{key: fileKey{Size: e.Size, MtimeNs: e.MtimeNs, Inode: e.Inode}, m: m}
	}
	return nil
}

// manifest rebuilds and checks the manifest of a cache entry.
func (e *cacheEntryJSON) manifest() (*wire.Manifest, error) {
	if e.Size < 0 {
		return nil, errors.New("negative size")
	}
	cs := wire.ChunkSizeFor(e.Size)
	n := wire.NumChunksFor(e.Size, cs)
	if len(e.Digests) != n*sha256.Size {
		return nil, errors.New("wrong number of digests")
	}
	m := &wire.Manifest{Size: e.Size, ChunkSize: cs, Digests: make([]wire.Digest, n)}
	for i := range m.Digests {
		copy(m.Digests[i][:], e.Digests[i*sha256.Size:])
	}
	if m.ID() != e.ID {
		return nil, errors.New("id does not match the digests")
	}
	return m, nil
}

// get returns the cached manifest for name if its key matches.
func (c *hashCache) get(name string, key fileKey) *wire.Manifest {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[name]; ok && e.key == key {
		return e.m
	}
	return nil
}

func (c *hashCache) put(name string, key fileKey, m *wire.Manifest) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.byKey[name] = cached{key: key, m: m}
	c.dirty = true
	c.mu.Unlock()
}

// prune drops entries that are not in keep with the same key.
func (c *hashCache) prune(keep map[string]fileKey) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, e := range c.byKey {
		if k, ok := keep[name]; !ok || k != e.key {
			delete(c.byKey, name)
			c.dirty = true
		}
	}
}

// save writes the cache atomically (temporary file, then rename) if it
// changed since it was loaded or saved.
func (c *hashCache) save() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	if !c.dirty {
		c.mu.Unlock()
		return nil
	}
	file := cacheFileJSON{Dir: c.dir, Entries: make([]cacheEntryJSON, 0, len(c.byKey))}
	for name, e := range c.byKey {
		ds := make([]byte, 0, len(e.m.Digests)*sha256.Size)
		for i := range e.m.Digests {
			ds = append(ds, e.m.Digests[i][:]...)
		}
		file.Entries = append(file.Entries, cacheEntryJSON{
			Name: name, Size: e.key.Size, MtimeNs: e.key.MtimeNs, Inode: e.key.Inode,
			ID: e.m.ID(), Digests: ds,
		})
	}
	c.dirty = false
	c.mu.Unlock()

	body, err := json.Marshal(file)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), filepath.Base(c.path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(cacheMagic + hex.EncodeToString(sum[:]) + "\n")
	if err == nil {
		_, err = tmp.Write(body)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		c.mu.Lock()
		c.dirty = true
		c.mu.Unlock()
	}
	return err
}
