package peer

import (
	"errors"
	"os"

	"github.com/enxame/enxame/net/wire"
)

// ErrChanged is returned by Item.Open when the file changed on disk since
// it was indexed; the server answers not_found until it is indexed again.
var ErrChanged = errors.New("file changed since it was indexed")

// Item is content the chunk server can serve by id: a shared file from the
// index, or a download in progress that serves its verified chunks.
type Item struct {
	// Manifest is the validated manifest whose ID() is the item's id.
	Manifest *wire.Manifest
	// Open returns the file holding the bytes; the server reads it with
	// ReadAt or Seek+io.Copy and closes it. It fails with ErrChanged when
	// the file is no longer what was indexed.
	Open func() (*os.File, error)
	// Have returns a snapshot of the verified chunks of a partial item;
	// nil for a complete item.
	Have func() wire.Bitfield
	// Stale, if not nil, is called when the server finds the file no longer
	// matches the manifest (it ended early): the owner should index it again.
	Stale func()
}

// Catalog finds what is served under a content id.
type Catalog interface {
	Lookup(id string) (Item, bool)
}

// Catalogs looks an id up in each catalog in turn.
type Catalogs []Catalog

// Lookup returns the first catalog's item for id.
func (cs Catalogs) Lookup(id string) (Item, bool) {
	for _, c := range cs {
		if it, ok := c.Lookup(id); ok {
			return it, true
		}
	}
	return Item{}, false
}
