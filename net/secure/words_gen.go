//go:build ignore

// words_gen builds words.txt, the list Propose draws from, out of two
// Debian packages (apt-get install scowl festlex-cmu):
//
//   - scowl 2020.12.07 (Kevin Atkinson's Spell Checker Oriented Word Lists,
//     the source of wamerican): /usr/share/dict/scowl/english-words.{10,20},
//     the most common words spelled alike in every English variant;
//   - festlex-cmu 2.4 (the CMU Pronouncing Dictionary for Festival):
//     /usr/share/festival/dicts/cmu/cmudict-0.4.out, to drop homophones.
//
// A word is kept when it is 4–7 lower-case ASCII letters, is not on the
// short deny list below, and sounds like no other common word (SCOWL sizes
// up to 35 in any English variant): a passphrase is read aloud, and "wait"
// heard as "weight" would fail. One word is kept per 4-letter prefix (the
// most common, then the shortest, then the first), so the first four
// letters identify a word. Of those, the 2048 most common (size 10 before
// 20, then shorter, then alphabetical) are written, one per line, sorted.
//
// Run: go run words_gen.go (from this folder).
package main

import (
	"bufio"
	"fmt"
	"log"
	"os"
	"regexp"
	"slices"
	"strings"
)

const (
	scowlDir = "/usr/share/dict/scowl/"
	cmuDict  = "/usr/share/festival/dicts/cmu/cmudict-0.4.out"
	listSize = 2048
)

// deny holds words a proposal should not contain: coarse, hurtful or
// grim words, and archaic ones.
var deny = strings.Fields(`
	abort aborts abuse abused bigot bitch bugger cock condom corpse crap
	cumming cums damn damns dead deadly death deaths dick died dies drug
	drugs drunk dumb dying fatal gods guns hell idiot kill kills moron
	naked naughty nazi nude nuns porn rape scum sexes sexy shit slag slave
	slut stupid suicide thee ugly vomit weapon whore wive wives wont
`)

var candidate = regexp.MustCompile(`^[a-z]{4,7}$`)

func readWords(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var words []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		words = append(words, strings.TrimSpace(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return words
}

// pronunciations maps each word of the CMU dictionary to its pronunciations
// (phones without stress). Lines look like
// ("roll" nil (((r ow l) 1))).
func pronunciations() map[string][]string {
	f, err := os.Open(cmuDict)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^\("([^"]+)" \S+ \((.*)\)\)$`)
	syllable := regexp.MustCompile(`\(\(([a-z ]+)\) \d\)`)
	out := make(map[string][]string)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		var phones []string
		for _, s := range syllable.FindAllStringSubmatch(m[2], -1) {
			phones = append(phones, s[1])
		}
		p := strings.Join(phones, " ")
		if !slices.Contains(out[m[1]], p) {
			out[m[1]] = append(out[m[1]], p)
		}
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return out
}

type word struct {
	w     string
	level int
}

func less(a, b word) int {
	if a.level != b.level {
		return a.level - b.level
	}
	if len(a.w) != len(b.w) {
		return len(a.w) - len(b.w)
	}
	return strings.Compare(a.w, b.w)
}

func main() {
	pron := pronunciations()

	// Who sounds like what, over the common words of every variant.
	soundsLike := make(map[string]map[string]bool) // pronunciation → spellings
	for _, variant := range []string{"english", "american", "british"} {
		for _, size := range []string{"10", "20", "35"} {
			for _, w := range readWords(scowlDir + variant + "-words." + size) {
				w = strings.ToLower(w)
				for _, p := range pron[w] {
					if soundsLike[p] == nil {
						soundsLike[p] = make(map[string]bool)
					}
					soundsLike[p][w] = true
				}
			}
		}
	}
	homophone := func(w string) bool {
		for _, p := range pron[w] {
			if len(soundsLike[p]) > 1 {
				return true
			}
		}
		return false
	}

	best := make(map[string]word) // 4-letter prefix → its word
	for _, level := range []int{10, 20} {
		for _, w := range readWords(fmt.Sprintf("%senglish-words.%d", scowlDir, level)) {
			if !candidate.MatchString(w) || slices.Contains(deny, w) || homophone(w) {
				continue
			}
			cand := word{w, level}
			if old, ok := best[w[:4]]; !ok || less(cand, old) < 0 {
				best[w[:4]] = cand
			}
		}
	}
	words := slices.Collect(func(yield func(word) bool) {
		for _, w := range best {
			if !yield(w) {
				return
			}
		}
	})
	slices.SortFunc(words, less)
	if len(words) < listSize {
		log.Fatalf("only %d words qualify, need %d", len(words), listSize)
	}
	list := make([]string, listSize)
	for i, w := range words[:listSize] {
		list[i] = w.w
	}
	slices.Sort(list)
	out := strings.Join(list, "\n") + "\n"
	if err := os.WriteFile("words.txt", []byte(out), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %d of %d qualifying words to words.txt\n", listSize, len(words))
}
