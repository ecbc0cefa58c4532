package tracker

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/enxame/enxame/net/tracker/internal/corpus"
	"github.com/enxame/enxame/net/wire"
)

// legacySearch is the search rule before issue 15, kept as the baseline of
// BenchmarkSearchRules1M: the query lower-cased and matched as one
// substring (the empty query matching every name), through the same index
// and answer building. The index is the current one (names folded rather
// than only lower-cased); for the benchmark's queries, which hold no
// accents, that changes no posting list a query touches.
func legacySearch(r *Registry, q string) wire.SearchResponse {
	lq := strings.ToLower(q)
	var words []string
	if lq != "" {
		words = []string{lq}
	}
	return r.searchWords(lq, words, 0, remoteView)
}

// BenchmarkSearchRules1M times the old rule (one case-insensitive
// substring) and the new one (every word, any order, case and accents
// ignored) on the same 1,000,000 files in the same run: each iteration
// asks both, in alternating order, so that the machine's load falls on
// both alike. It reports ns per query of each and their ratio.
func BenchmarkSearchRules1M(b *testing.B) {
	r := bigIndex(b)
	mix := make([]string, 4096)
	for i := range mix {
		mix[i] = corpus.SelectiveQuery(i*7919%benchPeers, corpus.PopularPerPeer+i*31%(benchFilesPerPeer-corpus.PopularPerPeer))
	}
	cases := []struct {
		name string
		qs   []string
	}{
		{"selective-number-mix", mix},
		{"selective-number", []string{corpus.SelectiveQuery(4321, 57)}},
		{"selective-words", []string{"cedar cello"}},
		{"id", []string{corpus.File(777, 42).ID}},
		{"exact-name", []string{asciiName(1234, 56)}},
		{"common-word-truncated", []string{"river"}},
		{"empty-truncated", []string{""}},
		{"two-chars-rare", []string{"q7"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			runtime.GC() // not the index build's garbage
			var oldT, newT time.Duration
			var oldN, newN int
			i := 0
			for b.Loop() {
				q := c.qs[i%len(c.qs)]
				for turn := range 2 {
					start := time.Now()
					if (i+turn)%2 == 0 {
						oldN = len(legacySearch(r, q).Results)
						oldT += time.Since(start)
					} else {
						newN = len(r.Search(q, remoteView).Results)
						newT += time.Since(start)
					}
				}
				i++
			}
			b.ReportMetric(float64(oldT.Nanoseconds())/float64(b.N), "old-ns/q")
			b.ReportMetric(float64(newT.Nanoseconds())/float64(b.N), "new-ns/q")
			b.ReportMetric(float64(newT)/float64(oldT), "new/old")
			b.ReportMetric(float64(oldN), "old-results")
			b.ReportMetric(float64(newN), "new-results")
		})
	}
}

// asciiName is the first name from file j of peer i on that has no accent
// (the old rule over folded names cannot find an accented one).
func asciiName(i, j int) string {
	for ; ; j++ {
		if n := corpus.File(i, j).Name; fold(n) == strings.ToLower(n) {
			return n
		}
	}
}

// BenchmarkFoldNames times what registration does per name, before
// (strings.ToLower) and now (fold), over the corpus's names (about one in
// twelve holds an accented word), alternating as above.
func BenchmarkFoldNames(b *testing.B) {
	names := make([]string, 4096)
	for i := range names {
		names[i] = corpus.File(i, corpus.PopularPerPeer+i%90).Name
	}
	var oldT, newT time.Duration
	var sink int
	i := 0
	for b.Loop() {
		n := names[i%len(names)]
		start := time.Now()
		sink += len(strings.ToLower(n))
		mid := time.Now()
		sink += len(fold(n))
		newT += time.Since(mid)
		oldT += mid.Sub(start)
		i++
	}
	b.ReportMetric(float64(oldT.Nanoseconds())/float64(b.N), "lower-ns/name")
	b.ReportMetric(float64(newT.Nanoseconds())/float64(b.N), "fold-ns/name")
	b.ReportMetric(float64(newT)/float64(oldT), "fold/lower")
	if sink == 0 {
		b.Fatal("nothing folded")
	}
}
