// Package share indexes a shared folder: it walks the folder, computes each
// file's manifest and content id (PROTOCOL §1), keeps a persistent hash
// cache so an unchanged folder is indexed instantly on restart, and watches
// the folder (fsnotify plus a periodic rescan) to follow changes.
//
// An *Index is a peer.Catalog: the chunk server looks shared files up by
// content id and opens them through the index's os.Root, never by a path
// from the wire.
package share
