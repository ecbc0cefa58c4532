// Package early hides the locale environment from Fyne's lang package
// while that package initialises, so a locale it cannot parse (LANG=C.UTF-8
// reads as the language "C") prints nothing. Package i18n puts the
// environment back as soon as lang is ready, and then chooses the language
// itself.
//
// Why this works: the Go specification initialises packages in the order
// of their import paths, each as soon as everything it imports is ready.
// lang imports github.com/jeandeaual/go-locale, which imports only "os" and
// "strings" (on Linux and the BSDs, where the locale comes from the
// environment). This package imports only "os", and its path sorts before
// go-locale's, so it is initialised first: before go-locale, hence before
// lang. Keep its imports a subset of go-locale's, and its path where it
// is. TestLangCPrintsNothing (package i18n) runs the real binary to check.
package early

import "os"

// The variables go-locale reads, in its order of precedence (LANGUAGE is
// read last but wins over all but "C" and "POSIX").
var hidden = []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"}

type saved struct {
	value string
	set   bool
}

var stash map[string]saved

func init() {
	stash = make(map[string]saved, len(hidden))
	for _, k := range hidden {
		v, ok := os.LookupEnv(k)
		stash[k] = saved{v, ok}
	}
	// A locale lang parses without complaint; package i18n replaces the
	// choice it leads to before anything is translated.
	os.Setenv("LC_ALL", "en")
	os.Unsetenv("LANGUAGE")
}

// Restore puts back the environment as the process received it. Calling it
// again does nothing.
func Restore() {
	if stash == nil {
		return
	}
	for _, k := range hidden {
		if s := stash[k]; s.set {
			os.Setenv(k, s.value)
		} else {
			os.Unsetenv(k)
		}
	}
	stash = nil
}
