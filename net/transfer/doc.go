// Package transfer is Enxame's downloader. It finds a file on the tracker,
// checks its manifest against the content id, and fetches its chunks from
// every peer that holds them at once: one worker per peer on a persistent,
// pipelined connection; the chunk fewest partial holders have first, in a
// random order of its own among equals, so that downloaders of one file
// feed each other; seeders asked only for what no partial holder has; an
// endgame that asks idle peers for the last chunks in flight. Every chunk is
// SHA-256-checked before it is written to a hidden part file in the output
// folder, beside a resume record of the verified chunks; on completion the
// file is synced and linked under a free name, never over an existing file.
//
// A Download runs one file; a Manager runs several, serves their verified
// chunks to other peers (peer.Catalog) and lists them for announcing.
// Progress leaves as value snapshots (Progress), cheap to take ten times a
// second. See docs/DOWNLOADS.md.
package transfer
