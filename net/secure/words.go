package secure

//go:generate go run words_gen.go

import (
	"crypto/rand"
	_ "embed"
	"encoding/binary"
	"strings"
)

// words.txt holds 2048 words, built by words_gen.go from two Debian
// packages: scowl 2020.12.07 (the common English words of SCOWL, the
// source of wamerican) and festlex-cmu 2.4 (the CMU Pronouncing
// Dictionary, to leave out homophones). See words_gen.go for the rules
// and words.NOTICE for SCOWL's copyright notice.
//
//go:embed words.txt
var wordsText string

// wordList is words.txt, one word per line.
var wordList = strings.Fields(wordsText)

// wordBits is log2 of the list's size.
const wordBits = 11

// ProposalWords is how many words Propose draws.
const ProposalWords = 5

// ProposalBits is the entropy of a proposal: ProposalWords × log2(2048) = 55.
const ProposalBits = ProposalWords * wordBits

// Propose returns a new random passphrase: ProposalWords words of the list,
// each drawn uniformly with crypto/rand, separated by single spaces, such as
// "ocean blurb tiger rank fiscal". It has ProposalBits bits of entropy.
func Propose() string {
	if len(wordList) != 1<<wordBits {
		panic("secure: the word list must hold 2048 words")
	}
	var buf [2 * ProposalWords]byte
	rand.Read(buf[:]) // never fails (Go ≥ 1.24 crashes the program rather)
	out := make([]string, ProposalWords)
	for i := range out {
		// 11 of 16 random bits: uniform, since the list size is a power of two.
		out[i] = wordList[binary.BigEndian.Uint16(buf[2*i:])&(1<<wordBits-1)]
	}
	return strings.Join(out, " ")
}
