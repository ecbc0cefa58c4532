// Package corpus generates the deterministic file lists the tracker's
// benchmarks and load generator register: peers sharing files with
// realistic names, most of them their own, some from a pool of popular
// files that many peers hold.
package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/enxame/enxame/net/wire"
)

// PopularPool is the number of distinct popular files; PopularPerPeer of
// each peer's files are drawn from it.
const (
	PopularPool    = 1000
	PopularPerPeer = 10
)

var (
	dirs  = []string{"music", "video", "docs", "photos", "books", "src", "games", "podcasts"}
	exts  = []string{"mp3", "flac", "mkv", "mp4", "pdf", "epub", "jpg", "png", "tar.gz", "zip", "txt", "iso"}
	words = []string{
		"alpha", "amber", "anchor", "april", "atlas", "aurora", "autumn", "azure", "banjo", "basil",
		"beacon", "birch", "blossom", "breeze", "bridge", "bronze", "canyon", "carbon", "cedar", "cello",
		"cherry", "cinder", "citrus", "clover", "cobalt", "comet", "copper", "coral", "cosmos", "cotton",
		"crimson", "crystal", "cypress", "dawn", "delta", "desert", "dune", "eagle", "echo", "ember",
		"falcon", "fern", "fjord", "flint", "forest", "fossil", "galaxy", "garnet", "glacier", "granite",
		"harbor", "hazel", "horizon", "indigo", "iris", "island", "ivory", "jade", "jasmine", "juniper",
		"kelp", "lagoon", "lantern", "lava", "lemon", "lilac", "linen", "lotus", "lunar", "maple",
		"marble", "meadow", "mercury", "mist", "monsoon", "mosaic", "nebula", "nectar", "nimbus", "oasis",
		"ocean", "olive", "onyx", "opal", "orbit", "orchid", "pebble", "pepper", "pine", "planet",
		"prairie", "prism", "quartz", "quill", "rain", "raven", "reef", "river", "saffron", "sage",
		"sapphire", "shadow", "sierra", "silver", "slate", "solar", "spruce", "storm", "summit", "sunset",
		"tango", "thistle", "thunder", "tide", "timber", "topaz", "tulip", "tundra", "valley", "velvet",
		"violet", "willow", "winter", "zephyr", "zinc", "Über", "café", "naïve", "smörgås", "fiesta",
	}
)

func pick(seed uint64, list []string) string { return list[seed%uint64(len(list))] }

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// ID returns the content id of a synthetic file.
func ID(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// File returns file j of peer i. Own files are named
// "<dir>/<Word> <word>/<word> <word> <i*1000+j as 7 digits>.<ext>", so the
// number alone is a selective query matching exactly one file.
func File(i, j int) wire.FileEntry {
	if j < PopularPerPeer {
		return Popular(int(mix(uint64(i*PopularPerPeer+j)) % PopularPool))
	}
	s := mix(uint64(i)<<20 | uint64(j))
	name := fmt.Sprintf("%s/%s %s/%s %s %07d.%s", pick(s, dirs), pick(s>>8, words), pick(s>>16, words),
		pick(s>>24, words), pick(s>>32, words), i*1000+j, pick(s>>40, exts))
	return wire.FileEntry{Name: name, Size: int64(s % (4 << 30)), ID: ID(name), Complete: s%10 != 0}
}

// Popular returns popular file k.
func Popular(k int) wire.FileEntry {
	s := mix(uint64(k) + 1<<40)
	name := fmt.Sprintf("%s/popular/%s %s %04d.%s", pick(s, dirs), pick(s>>8, words), pick(s>>16, words), k, pick(s>>24, exts))
	return wire.FileEntry{Name: name, Size: int64(s % (8 << 30)), ID: ID(name), Complete: true}
}

// Files returns the n files of peer i.
func Files(i, n int) []wire.FileEntry {
	out := make([]wire.FileEntry, n)
	for j := range out {
		out[j] = File(i, j)
	}
	return out
}

// SelectiveQuery returns a query matching exactly one own file of peer i.
func SelectiveQuery(i, j int) string { return fmt.Sprintf("%07d", i*1000+j) }
