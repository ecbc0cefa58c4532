// Package cli is Enxame's terminal face: the headless subcommands of the
// enxame binary (tracker, share, get, peer, version) as fixed by
// docs/CLI.md. Each subcommand lives in its own file and registers itself.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/lang"

	_ "github.com/enxame/enxame/app/i18n" // chooses the language lang.L speaks
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Env is what a subcommand may touch of the outside world.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Desktop runs the desktop app (or explains it is not built in).
	Desktop func(ctx context.Context, env Env, args []string) int
	// DesktopUsage prints the desktop app's flags; nil in a build
	// without the desktop app.
	DesktopUsage func(w io.Writer)
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) int
}

var commands = map[string]command{}

// vars are the values a translated message's template refers to.
type vars = map[string]any

// register adds a subcommand; called from init in each subcommand's file.
func register(name, summary string, run func(ctx context.Context, env Env, args []string) int) {
	commands[name] = command{summary: summary, run: run}
}

// Main runs the enxame binary with args (without the program name) and
// returns its exit status.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			usage(env.Stdout)
			if env.DesktopUsage != nil {
				fmt.Fprintln(env.Stdout)
				env.DesktopUsage(env.Stdout)
			}
			return ExitOK
		}
		if len(args) > 0 && (args[0] == "-version" || args[0] == "--version") {
			return commands["version"].run(ctx, env, nil)
		}
		return env.Desktop(ctx, env, args)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "enxame: %s\n\n", lang.L("unknown command {{.Command}}", vars{"Command": strconv.Quote(args[0])}))
		usage(env.Stderr)
		return ExitUsage
	}
	return cmd.run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: enxame [desktop flags]        "+lang.L("open the desktop app"))
	fmt.Fprintln(w, "       enxame <command> [flags] ...  "+lang.L("run headless"))
	fmt.Fprintln(w)
	fmt.Fprintln(w, lang.L("commands:"))
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\n"+lang.L("Run 'enxame <command> -h' for a command's flags."))
}

// parseFlags parses a subcommand's flags. done is true when the command
// must return code at once: 0 after -h, ExitUsage after a bad flag (the
// flag package has printed the complaint and the usage).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, true
		}
		return ExitUsage, true
	}
	return 0, false
}

// usageError prints "enxame CMD: complaint" and the usage, and returns
// ExitUsage.
func usageError(env Env, fs *flag.FlagSet, format string, a ...any) int {
	fmt.Fprintf(env.Stderr, "enxame %s: %s\n\n", fs.Name(), fmt.Sprintf(format, a...))
	fs.Usage()
	return ExitUsage
}

// newLogger returns the text logger every subcommand writes to stderr.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// logLevel parses -log-level values.
func logLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// isTerminal reports whether w is a character device (a live terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
