package share

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"

	"github.com/enxame/enxame/net/wire"
)

// hashFile is one file being hashed by several workers, a segment each.
type hashFile struct {
	found
	f    *os.File
	m    *wire.Manifest
	left atomic.Int32 // segments not yet done

	mu  sync.Mutex
	err error
}

func (hf *hashFile) fail(err error) {
	hf.mu.Lock()
	if hf.err == nil {
		hf.err = err
	}
	hf.mu.Unlock()
}

// segment is a run of chunks [first, end) of one file.
type segment struct {
	hf         *hashFile
	first, end int
}

// hashRun is the state of one hashAll call shared by its workers.
type hashRun struct {
	ix        *Index
	ctx       context.Context
	unsettled atomic.Int64

	mu       sync.Mutex
	failures map[string]fileKey
}

// hashAll hashes todo with cfg.Workers goroutines. Each file is cut into
// segments of about segmentBytes so one big file keeps every core busy too.
// Every file is published as soon as its last segment is done. It returns
// the number of files that changed while being hashed and of files that
// could not be read.
func (ix *Index) hashAll(ctx context.Context, todo []found) (unsettled, unreadable int, err error) {
	var total int64
	for _, f := range todo {
		total += f.key.Size
	}
	ix.hashFiles.Store(int64(len(todo)))
	ix.hashBytes.Store(total)
	ix.hashFilesDone.Store(0)
	ix.hashBytesDone.Store(0)
	if len(todo) == 0 {
		return 0, 0, nil
	}
	if total > 0 {
		ix.log.Info("Hashing", "files", len(todo), "bytes", total)
	}
	run := &hashRun{ix: ix, ctx: ctx, failures: map[string]fileKey{}}
	jobs := make(chan segment)
	var wg sync.WaitGroup
	for range ix.cfg.Workers {
		wg.Go(func() {
			var buf []byte
			for seg := range jobs {
				buf = run.hashSegment(seg, buf)
				run.segmentDone(seg.hf)
			}
		})
	}
	for _, f := range todo {
		if ctx.Err() != nil {
			break
		}
		hf := run.open(f)
		if hf == nil {
			continue
		}
		n := hf.m.NumChunks()
		if n == 0 {
			hf.left.Store(1)
			run.segmentDone(hf)
			continue
		}
		per := int(max(1, segmentBytes/hf.m.ChunkSize))
		hf.left.Store(int32((n + per - 1) / per))
		for first := 0; first < n; first += per {
			select {
			case jobs <- segment{hf: hf, first: first, end: min(first+per, n)}:
			case <-ctx.Done():
				hf.fail(ctx.Err())
				run.segmentDone(hf) // the segments never sent
			}
		}
	}
	close(jobs)
	wg.Wait()
	for name, k := range run.failures {
		ix.failed[name] = k
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	return int(run.unsettled.Load()), len(run.failures), nil
}

// open opens f for hashing and checks it is still what the walk saw.
func (r *hashRun) open(f found) *hashFile {
	file, err := r.ix.open(f.name)
	if err != nil {
		r.finishFailed(f, err)
		return nil
	}
	fi, err := file.Stat()
	switch {
	case err != nil:
	case !fi.Mode().IsRegular():
		err = errNotRegular
	case keyOf(fi) != f.key:
		err = errUnsettled
	}
	if err != nil {
		file.Close()
		r.finishFailed(f, err)
		return nil
	}
	cs := wire.ChunkSizeFor(f.key.Size)
	m := &wire.Manifest{Size: f.key.Size, ChunkSize: cs, Digests: make([]wire.Digest, wire.NumChunksFor(f.key.Size, cs))}
	return &hashFile{found: f, f: file, m: m}
}

// hashSegment computes the digests of one segment's chunks (PROTOCOL §1:
// SHA-256 of each chunk's bytes, the last one possibly shorter).
func (r *hashRun) hashSegment(seg segment, buf []byte) []byte {
	hf := seg.hf
	for i := seg.first; i < seg.end; i++ {
		if err := r.ctx.Err(); err != nil {
			hf.fail(err)
			return buf
		}
		off, n := hf.m.Chunk(i)
		if int64(cap(buf)) < n {
			buf = make([]byte, hf.m.ChunkSize)
		}
		got, err := hf.f.ReadAt(buf[:n], off)
		if int64(got) != n {
			if err == nil || errors.Is(err, io.EOF) {
				err = errUnsettled // shorter than when it was listed
			}
			hf.fail(err)
			return buf
		}
		hf.m.Digests[i] = sha256.Sum256(buf[:n])
		r.ix.hashBytesDone.Add(n)
	}
	return buf
}

// segmentDone counts one segment of hf done and finishes the file after
// its last one.
func (r *hashRun) segmentDone(hf *hashFile) {
	if hf.left.Add(-1) != 0 {
		return
	}
	fi, err := hf.f.Stat()
	hf.f.Close()
	hf.mu.Lock()
	ferr := hf.err
	hf.mu.Unlock()
	switch {
	case ferr != nil:
	case err != nil:
		ferr = err
	case keyOf(fi) != hf.key:
		ferr = errUnsettled
	}
	if ferr != nil {
		r.finishFailed(hf.found, ferr)
		return
	}
	e := &entry{name: hf.name, key: hf.key, m: hf.m, id: hf.m.ID()}
	r.ix.add(e)
	r.ix.cache.put(hf.name, hf.key, hf.m)
	r.ix.hashFilesDone.Add(1)
}

// finishFailed accounts for a file that could not be indexed this time.
func (r *hashRun) finishFailed(f found, err error) {
	r.ix.hashFilesDone.Add(1)
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
	case errors.Is(err, errUnsettled):
		r.unsettled.Add(1)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, errNotRegular):
		// Gone or replaced since the walk: the next scan sees what is there.
	default:
		r.ix.log.Warn("Skipping unreadable file", "name", f.name, "error", err)
		r.mu.Lock()
		r.failures[f.name] = f.key
		r.mu.Unlock()
	}
}
