package transfer

import (
	"bytes"
	"context"
	"crypto/rand"
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
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/enxame/enxame/net/wire"
)

// errLocked: another downloader holds the part file.
var errLocked = errors.New("part file is in use")

const (
	partSuffix  = ".part"
	stateSuffix = ".state"
	// maxStateBytes bounds a resume record read from disk.
	maxStateBytes = 1 << 20
	// orphanAge: a part file without a resume record and older than this
	// is left over from a crash before the first record and is removed.
	orphanAge = time.Minute
	// maxFreeNames bounds the "name (N).ext" search.
	maxFreeNames = 10000
)

// stateRecord is the resume record kept beside a part file. It is a hint:
// on resume every chunk the part file may hold, listed or not, is
// re-verified against its digest (verify).
type stateRecord struct {
	V    int    `json:"v"`
	ID   string `json:"id"`
	Size int64  `json:"size"`
	Name string `json:"name"`
	Have []byte `json:"have"`
}

// partStore is the on-disk side of one download: the part file (locked
// while open), its resume record, and the final link. Its files are
// opened without following links (folder) and, once open, used through
// their handle: the part file from its creation or resume to the final
// link.
type partStore struct {
	fold  *folder
	root  *os.Root // fold.root
	dir   string
	id    string
	name  string // safe base name the file is saved under
	m     *wire.Manifest
	part  string // part file name in root
	state string // resume record name in root
	f     *os.File
	w     io.WriterAt
	wc    io.Closer // closes what w opened beside f
	log   *slog.Logger
	// names, if set, is the Manager's memory of folder listings (nil:
	// the folder is listed each time).
	names *dirNames
	// recorded: a resume record of this part file was written (or found).
	recorded bool
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// alignedBuf returns an n-byte buffer aligned for direct I/O.
func alignedBuf(n int64) []byte {
	b := make([]byte, n+directAlign)
	off := (directAlign - int(uintptr(unsafe.Pointer(&b[0]))%directAlign)) % directAlign
	return b[off : off+int(n) : off+int(n)]
}

// openStore opens dir, resumes a part file of id that no other downloader
// holds, or creates a new one. It returns the chunks to re-verify: every
// chunk of a resumed part file, which may hold chunks its record does
// not list (a crash comes between a chunk's write and the next record);
// none for a new one.
func openStore(dir, id, name string, m *wire.Manifest, wrap func(io.WriterAt) io.WriterAt, log *slog.Logger) (*partStore, wire.Bitfield, error) {
	return openStoreMode(dir, id, name, m, wrap, log, nil, true)
}

// errNoPart: openStoreMode found nothing to resume and was told not to create.
var errNoPart = errors.New("no part file to resume")

func openStoreMode(dir, id, name string, m *wire.Manifest, wrap func(io.WriterAt) io.WriterAt, log *slog.Logger, names *dirNames, create bool) (*partStore, wire.Bitfield, error) {
	fold, err := openFolder(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("opening download folder: %w", err)
	}
	s := &partStore{fold: fold, root: fold.root, dir: dir, id: id, name: name, m: m, log: log, names: names}
	claimed, err := s.resume()
	if err != nil {
		fold.close()
		return nil, nil, err
	}
	if s.f == nil {
		if !create {
			fold.close()
			return nil, nil, errNoPart
		}
		if err := s.create(); err != nil {
			fold.close()
			return nil, nil, err
		}
		claimed = wire.NewBitfield(m.NumChunks())
	}
	if wrap == nil {
		wrap = func(w io.WriterAt) io.WriterAt { return w }
	}
	s.w, s.wc = newChunkWriter(fold, s.part, s.f, wrap)
	return s, claimed, nil
}

func (s *partStore) prefix() string { return hiddenPrefix + s.id[:16] + "-" }

// resume looks for a part file of this id that is free: one with a
// resume record first, else one without (left by a crash before its
// first record, or whose record was lost); the other part files of this
// id without a record, older than orphanAge and free, are removed.
func (s *partStore) resume() (wire.Bitfield, error) {
	// Names only: a folder of thousands of downloads is listed once per
	// download, and a listing with types stats every entry where the
	// file system gives none (an overlay): 300 stats a file for a folder
	// of 1,000 (scripts/bench-folder.sh). Only this id's names are looked
	// at more closely.
	var names []string
	var err error
	if s.names != nil {
		names, err = s.names.hiddenNames(s.dir, s.prefix(), s.listNames)
	} else {
		names, err = s.listNames()
	}
	if err != nil {
		return nil, fmt.Errorf("reading download folder: %w", err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return !strings.HasPrefix(n, s.prefix()) })
	slices.Sort(names)
	states := map[string]bool{}
	for _, n := range names {
		if strings.HasSuffix(n, stateSuffix) {
			states[strings.TrimSuffix(n, stateSuffix)] = true
		}
	}
	type orphan struct {
		name string
		info fs.FileInfo
	}
	var orphans []orphan
	for _, n := range names {
		if !strings.HasSuffix(n, partSuffix) {
			continue
		}
		info, err := s.root.Lstat(n)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		stem := strings.TrimSuffix(n, partSuffix)
		if !states[stem] {
			orphans = append(orphans, orphan{n, info})
			continue
		}
		if have, ok := s.tryResume(stem, true); ok {
			return have, nil
		}
	}
	for i, o := range orphans {
		if have, ok := s.tryResume(strings.TrimSuffix(o.name, partSuffix), false); ok {
			for _, rest := range orphans[i+1:] {
				s.removeOrphan(rest.name, rest.info)
			}
			return have, nil
		}
	}
	return nil, nil
}

// tryResume takes the part file stem+partSuffix if it is free, this
// user's alone, and not recorded as another file's (a record that cannot
// be read is no record: a crash may have cut it). It returns every chunk,
// to be re-verified.
func (s *partStore) tryResume(stem string, recorded bool) (wire.Bitfield, bool) {
	log := s.log.With("part", stem+partSuffix)
	if recorded {
		rec, err := s.readState(stem + stateSuffix)
		if err == nil && (rec.ID != s.id || rec.Size != s.m.Size) {
			log.Info("Ignoring another file's part file", "id", rec.ID)
			return nil, false
		}
		if err != nil {
			log.Info("Resume record unreadable; checking the part file", "error", err)
		}
	}
	f, err := s.fold.open(stem+partSuffix, os.O_RDWR, 0)
	if err != nil {
		log.Info("Cannot open part file", "error", err)
		return nil, false
	}
	if fi, err := f.Stat(); err != nil || !ownedAlone(f, fi) {
		// Another user's file, or one with a second name: whoever holds
		// it could change verified chunks behind the downloader's back.
		f.Close()
		log.Warn("Ignoring a part file that is not this user's alone", "error", err)
		return nil, false
	}
	if err := lockFile(f); err != nil {
		f.Close()
		log.Info("Part file in use by another download", "error", err)
		return nil, false
	}
	if st, err := f.Stat(); err != nil || st.Size() != s.m.Size {
		if err := f.Truncate(s.m.Size); err != nil {
			f.Close()
			log.Info("Cannot size part file", "error", err)
			return nil, false
		}
	}
	n := s.m.NumChunks()
	all := wire.NewBitfield(n)
	for i := range n {
		all.Set(i)
	}
	s.f, s.part, s.state = f, stem+partSuffix, stem+stateSuffix
	s.recorded = recorded
	log.Info("Resuming download", "recorded", recorded)
	return all, true
}

func (s *partStore) readState(name string) (*stateRecord, error) {
	f, err := s.fold.open(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxStateBytes {
		return nil, errors.New("resume record too large")
	}
	var rec stateRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// removeOrphan removes a stale part file that has no resume record.
func (s *partStore) removeOrphan(name string, info fs.FileInfo) {
	if time.Since(info.ModTime()) < orphanAge {
		return
	}
	f, err := s.fold.open(name, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if lockFile(f) == nil {
		s.log.Info("Removing orphan part file", "part", name)
		s.fold.removeIf(name, f)
		s.names.removed(s.dir, name)
	}
}

// create makes a new, exclusively created, preallocated part file.
func (s *partStore) create() error {
	for range 8 {
		var rnd [8]byte
		rand.Read(rnd[:])
		stem := s.prefix() + hex.EncodeToString(rnd[:])
		f, err := s.fold.open(stem+partSuffix, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("creating part file in %s: %w", s.dir, err)
		}
		abandon := func() {
			s.fold.removeIf(stem+partSuffix, f)
			s.names.removed(s.dir, stem+partSuffix)
			f.Close()
		}
		if err := lockFile(f); errors.Is(err, errLocked) {
			// Another download listing the folder between our create and
			// our lock took the new, empty file as one to resume: it is
			// theirs now (not removed); take another name.
			f.Close()
			continue
		} else if err != nil {
			abandon()
			return fmt.Errorf("locking part file: %w", err)
		}
		if err := preallocate(f, s.m.Size); err != nil {
			abandon()
			return fmt.Errorf("reserving %d bytes in %s: %w", s.m.Size, s.dir, err)
		}
		// No resume record yet: a part file without one is resumed all
		// the same (re-verified), and the first record is written at the
		// first save, or when the fetch stops short (endFetch). A small
		// file is saved before it would be: that is a file created,
		// written and renamed less for each file of a folder.
		s.f, s.part, s.state = f, stem+partSuffix, stem+stateSuffix
		s.names.added(s.dir, s.part)
		return nil
	}
	return fmt.Errorf("creating part file in %s: no free name", s.dir)
}

// verify re-checks the claimed chunks against their digests and returns
// those that hold; progress is called (from several goroutines) with
// each chunk checked. Chunks are checked on all cores, each with a buffer
// from bufs (so memory stays bounded). A chunk in a hole of the part file
// (SEEK_DATA) is not read, and one that reads as zeros is not hashed:
// either holds only if the chunk is zeros.
func (s *partStore) verify(ctx context.Context, claimed wire.Bitfield, bufs *chunkBufs, progress func(i int, ok bool)) (wire.Bitfield, error) {
	n := s.m.NumChunks()
	ok := make([]bool, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), cap(bufs.sem), n)) {
		wg.Go(func() {
			bp, err := bufs.get(ctx)
			if err != nil {
				return
			}
			defer bufs.put(bp)
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if claimed.Has(i) {
					ok[i] = s.onDisk(i, *bp)
					progress(i, ok[i])
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	have := wire.NewBitfield(n)
	for i, o := range ok {
		if o {
			have.Set(i)
		}
	}
	return have, nil
}

// onDisk reports whether the part file holds chunk i, read into buf.
func (s *partStore) onDisk(i int, buf []byte) bool {
	off, size := s.m.Chunk(i)
	if dataFrom(s.f, off) >= off+size {
		return s.m.Digests[i] == zeroDigest(size) // a hole reads as zeros
	}
	b := buf[:size]
	if _, err := s.f.ReadAt(b, off); err != nil {
		return false
	}
	if isZero(b) {
		return s.m.Digests[i] == zeroDigest(size)
	}
	return sha256.Sum256(b) == s.m.Digests[i]
}

// isZero reports whether b is all zeros.
func isZero(b []byte) bool {
	var zeros [16 << 10]byte
	for len(b) > 0 {
		k := min(len(b), len(zeros))
		if !bytes.Equal(b[:k], zeros[:k]) {
			return false
		}
		b = b[k:]
	}
	return true
}

// zeroDigests caches the digests of chunks of zeros, by size.
var zeroDigests sync.Map

func zeroDigest(size int64) wire.Digest {
	if d, ok := zeroDigests.Load(size); ok {
		return d.(wire.Digest)
	}
	h := sha256.New()
	io.CopyN(h, zeroReader{}, size)
	var d wire.Digest
	h.Sum(d[:0])
	zeroDigests.Store(size, d)
	return d
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// writeChunk writes chunk i's verified bytes.
func (s *partStore) writeChunk(i int, p []byte) error {
	off, _ := s.m.Chunk(i)
	if _, err := s.w.WriteAt(p, off); err != nil {
		return fmt.Errorf("writing to %s: %w", s.dir, err)
	}
	return nil
}

// saveState replaces the resume record (write, optional fsync, rename).
// The temporary file is created exclusively, without following a link:
// whatever is found at its name (a leftover, or a link planted there) is
// removed, never written through; rename replaces the record's name
// itself, never what a link there points to.
func (s *partStore) saveState(have wire.Bitfield, sync bool) error {
	data, _ := json.Marshal(stateRecord{V: 1, ID: s.id, Size: s.m.Size, Name: s.name, Have: have})
	tmp := s.state + ".tmp"
	f, err := s.fold.open(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		s.root.Remove(tmp)
		f, err = s.fold.open(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	}
	if err != nil {
		return fmt.Errorf("writing resume record in %s: %w", s.dir, err)
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	fi, serr := f.Stat()
	if err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !s.fold.is(tmp, fi) {
		err = errReplaced
	}
	if err == nil {
		err = s.root.Rename(tmp, s.state)
	}
	if err == nil {
		s.recorded = true
		s.names.added(s.dir, s.state)
	}
	if err != nil {
		if fi != nil && s.fold.is(tmp, fi) {
			s.root.Remove(tmp)
		}
		return fmt.Errorf("writing resume record in %s: %w", s.dir, err)
	}
	return nil
}

// openPart opens the part file for reading (serving verified chunks): a
// new handle on the very file this download writes, never on what its
// name may name by now.
func (s *partStore) openPart() (*os.File, error) { return s.fold.reopen(s.part, s.f, os.O_RDONLY) }

// finish syncs the part file and gives it its final, free name without
// ever replacing an existing file, nor following a link found there; the
// name goes to the file this download wrote (folder.link), and the part
// name is removed only if it still names that file. It returns the saved
// path.
func (s *partStore) finish() (string, error) {
	if err := s.f.Sync(); err != nil {
		return "", fmt.Errorf("syncing %s: %w", s.dir, err)
	}
	final := ""
	var taken []string
	for i := 0; i < maxFreeNames && final == ""; i++ {
		cand := candidateName(s.name, i)
		if s.nameTaken(&taken, cand) {
			continue
		}
		err := s.saveAs(cand)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("saving into %s: %w", s.dir, err)
		}
		final = cand
		s.names.added(s.dir, cand)
		s.names.removed(s.dir, s.part)
	}
	if final == "" {
		return "", fmt.Errorf("saving into %s: no free name for %q", s.dir, s.name)
	}
	s.root.Remove(s.state)
	s.names.removed(s.dir, s.state)
	if d, err := s.root.Open("."); err == nil {
		d.Sync()
		d.Close()
	}
	return filepath.Join(s.dir, final), nil
}

// listNames lists the names in the folder.
func (s *partStore) listNames() ([]string, error) {
	d, err := s.root.Open(".")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

// nameTaken returns whether a name in the folder differs from cand in
// case only, or not at all (takenIgnoringCase); false if the folder
// cannot be read (saveAs still never replaces a file). taken is the
// listing, read on first use when there is no dirNames.
func (s *partStore) nameTaken(taken *[]string, cand string) bool {
	if s.names != nil {
		return s.names.takenFold(s.dir, cand, s.listNames)
	}
	if *taken == nil {
		*taken, _ = s.listNames()
	}
	return takenIgnoringCase(*taken, cand)
}

// takenIgnoringCase reports whether a name in taken differs from cand in
// case only, or not at all. Windows (and macOS) folders ignore case, so
// "Report.pdf" saved beside "report.pdf" would be one file there: a
// folder filled on Linux and copied to Windows must not lose either.
func takenIgnoringCase(taken []string, cand string) bool {
	for _, n := range taken {
		if strings.EqualFold(n, cand) {
			return true
		}
	}
	return false
}

// saveAs gives the part file the name cand, or fs.ErrExist if it is
// taken. If the part name was replaced behind the download's back (a file
// unlinked cannot be linked again), the verified bytes are copied from
// the handle into a new file of that name instead.
func (s *partStore) saveAs(cand string) error {
	err := s.fold.link(s.f, s.part, cand)
	switch {
	case err == nil:
		s.fold.removeIf(s.part, s.f)
		return nil
	case errors.Is(err, fs.ErrExist):
		return err
	case errors.Is(err, errReplaced):
		s.log.Warn("Part file replaced while in use; saving a copy of the verified bytes", "part", s.part)
		ph, err := s.fold.open(cand, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		return s.copyInto(ph, cand)
	}
	// No hard links here: claim the name with an exclusive placeholder,
	// then rename the part file over it, or copy into it if the part
	// name is not the download's file any more.
	ph, err := s.fold.open(cand, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if !s.fold.same(s.part, s.f) {
		return s.copyInto(ph, cand)
	}
	ph.Close()
	if err := s.root.Rename(s.part, cand); err != nil {
		s.root.Remove(cand)
		return err
	}
	if !s.fold.same(cand, s.f) {
		s.root.Remove(cand)
		return errReplaced
	}
	return nil
}

// copyInto copies the part file's bytes, from its handle, into dst (named
// cand, just created) and syncs it; on error cand is removed.
func (s *partStore) copyInto(dst *os.File, cand string) error {
	_, err := io.Copy(dst, io.NewSectionReader(s.f, 0, s.m.Size))
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.root.Remove(cand)
	}
	return err
}

// discard removes the part file and resume record (a cancelled download).
func (s *partStore) discard() {
	s.fold.removeIf(s.part, s.f)
	s.root.Remove(s.state)
	s.names.removed(s.dir, s.part)
	s.names.removed(s.dir, s.state)
}

// discardByID removes the part files and resume records of id in dir
// that no running download holds (their record names id; the lock tells
// whether one is in use). It is for a download whose manifest is not
// known in this process.
func discardByID(dir, id string, log *slog.Logger) {
	fold, err := openFolder(dir)
	if err != nil {
		return
	}
	defer fold.close()
	root := fold.root
	entries, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return
	}
	s := &partStore{fold: fold, root: root, dir: dir, id: id, log: log}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, s.prefix()) || !strings.HasSuffix(n, stateSuffix) {
			continue
		}
		stem := strings.TrimSuffix(n, stateSuffix)
		if rec, err := s.readState(n); err != nil || rec.ID != id {
			continue
		}
		f, err := fold.open(stem+partSuffix, os.O_RDWR, 0)
		if err == nil {
			if lockFile(f) != nil {
				f.Close()
				continue // in use by another download
			}
			fold.removeIf(stem+partSuffix, f)
			f.Close()
		}
		root.Remove(n)
		log.Info("Removed the partial download", "part", stem+partSuffix)
	}
}

// close releases the part file (and its lock) and the folder.
func (s *partStore) close() {
	s.wc.Close()
	s.f.Close()
	s.fold.close()
}
