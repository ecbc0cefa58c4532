package secure

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestWordList(t *testing.T) {
	if len(wordList) != 2048 {
		t.Fatalf("%d words, want 2048", len(wordList))
	}
	if !slices.IsSorted(wordList) {
		t.Error("words.txt is not sorted")
	}
	word := regexp.MustCompile(`^[a-z]{4,7}$`)
	prefixes := make(map[string]string)
	for _, w := range wordList {
		if !word.MatchString(w) {
			t.Errorf("%q is not 4-7 lower-case ASCII letters", w)
			continue
		}
		if other, ok := prefixes[w[:4]]; ok {
			t.Errorf("%q and %q share their first four letters", other, w)
		}
		prefixes[w[:4]] = w
	}
	if got := strings.Count(wordsText, "\n"); got != len(wordList) {
		t.Errorf("words.txt has %d lines for %d words", got, len(wordList))
	}
}

func TestProposeEntropy(t *testing.T) {
	perWord := math.Log2(float64(len(slices.Compact(slices.Clone(wordList)))))
	if bits := float64(ProposalWords) * perWord; bits != ProposalBits || bits < 50 {
		t.Fatalf("%d words of %.0f bits = %.1f bits; ProposalBits says %d, and the protocol asks for at least 50", ProposalWords, perWord, bits, ProposalBits)
	}
}

func TestPropose(t *testing.T) {
	inList := make(map[string]bool, len(wordList))
	for _, w := range wordList {
		inList[w] = true
	}
	seen := make(map[string]bool)
	used := make(map[string]bool)
	for range 2000 {
		p := Propose()
		if seen[p] {
			t.Fatalf("%q proposed twice in 2000 draws (55 bits each)", p)
		}
		seen[p] = true
		words := strings.Split(p, " ")
		if len(words) != ProposalWords || NormalizePassphrase(p) != p {
			t.Fatalf("Propose() = %q: want %d words, normalized", p, ProposalWords)
		}
		for _, w := range words {
			if !inList[w] {
				t.Fatalf("%q is not in the list", w)
			}
			used[w] = true
		}
	}
	// 10,000 draws from 2048 words leave about 2048·e^(-10000/2048) ≈ 15
	// unused; a draw that reached only part of the list (a bad mask) would
	// leave many more.
	if len(used) < 1900 {
		t.Fatalf("only %d of 2048 words used in 10,000 draws", len(used))
	}
}
