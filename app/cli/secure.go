package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/wire"
)

// PassphraseEnv is the environment variable a network passphrase may be
// given in (docs/CLI.md); a flag's value never holds one, since every
// user of the machine can read another's command line.
const PassphraseEnv = "ENXAME_PASSPHRASE"

// maxPassphraseFileBytes bounds what is read of a passphrase file.
const maxPassphraseFileBytes = 64 << 10

// secFlags are the security flags of every subcommand that talks to a
// network: where the passphrase comes from, and the device's name.
type secFlags struct {
	passFile string
	device   string
	withName bool // the subcommand registers, so it has -device
}

func (sf *secFlags) register(fs *flag.FlagSet, withDevice bool) {
	fs.StringVar(&sf.passFile, "passphrase-file", "", "read the private network's passphrase from the first line of `file` (or set "+PassphraseEnv+"); without one, the network is open")
	if withDevice {
		sf.withName = true
		fs.StringVar(&sf.device, "device", engine.DefaultDeviceName(), "this device's `name`, shown to others (1-64 bytes, no control or invisible characters)")
	}
}

// check validates the flags; it returns a usage complaint or "".
func (sf *secFlags) check() string {
	if sf.withName {
		if err := wire.ValidateDeviceName(sf.device); err != nil {
			return fmt.Sprintf("bad -device: %s", err.(*wire.Error).Msg)
		}
	}
	return ""
}

// credentials is what a subcommand shows on the network.
type credentials struct {
	id  *secure.Identity
	key *secure.NetworkKey // nil: an open network
}

// load loads the device identity and derives the network key, once for
// the process (Argon2id costs a fraction of a CPU-second).
func (sf *secFlags) load() (credentials, error) {
	id, err := engine.LoadIdentity("")
	if err != nil {
		return credentials{}, err
	}
	pass, err := sf.passphrase()
	if err != nil || pass == "" {
		return credentials{id: id}, err
	}
	key, err := secure.DeriveNetworkKey(pass)
	if err != nil {
		return credentials{}, fmt.Errorf("%s: %w", lang.L("network passphrase"), err)
	}
	return credentials{id: id, key: key}, nil
}

// passphrase returns the passphrase given, "" for none: the first line of
// -passphrase-file, else $ENXAME_PASSPHRASE. A file given but empty is an
// error, not an open network.
func (sf *secFlags) passphrase() (string, error) {
	if sf.passFile == "" {
		return os.Getenv(PassphraseEnv), nil
	}
	f, err := os.Open(sf.passFile)
	if err != nil {
		return "", fmt.Errorf("%s: %w", lang.L("reading the passphrase"), err)
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, maxPassphraseFileBytes)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%s: %w", lang.L("reading the passphrase from {{.File}}", vars{"File": sf.passFile}), err)
	}
	if secure.NormalizePassphrase(line) == "" {
		return "", errors.New(lang.L("the first line of {{.File}} holds no passphrase", vars{"File": sf.passFile}))
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// checkMembership asks the tracker at addr, once, whether these
// credentials are welcome. It returns an error only for a membership
// failure (a wrong or missing passphrase, or one given for an open
// network), in words that say so; a tracker that does not answer is left
// to the usual retries.
func (c credentials) checkMembership(ctx context.Context, addr string) error {
	err := engine.CheckMembership(ctx, addr, c.id, c.key)
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, secure.ErrNotPrivate):
		return fmt.Errorf("%v: %s", err, lang.L("leave out -passphrase-file and {{.Env}} to join it", vars{"Env": PassphraseEnv}))
	case errors.Is(err, secure.ErrNotMember):
		return fmt.Errorf("%v", err)
	case errors.Is(err, wire.ErrForbidden) && c.key == nil:
		return fmt.Errorf("%s: %s; %s", lang.L("the tracker at {{.Addr}} refused this device", vars{"Addr": addr}),
			wire.SafeText(errMsg(err)), lang.L("give it with -passphrase-file or {{.Env}}", vars{"Env": PassphraseEnv}))
	}
	return fmt.Errorf("%s: %s", lang.L("the tracker at {{.Addr}} refused this device", vars{"Addr": addr}), wire.SafeText(errMsg(err)))
}

// errMsg is the message of a wire error, or the error's text.
func errMsg(err error) string {
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Msg
	}
	return err.Error()
}

func init() {
	register("passphrase", lang.L("print a new random passphrase for a private network"), runPassphrase)
}

func runPassphrase(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("passphrase", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: enxame passphrase")
		fmt.Fprintf(env.Stderr, "\nPrints a new random passphrase (%d words, %d bits) for a private network.\n", secure.ProposalWords, secure.ProposalBits)
		fmt.Fprintln(env.Stderr, "Give it to the tracker and every member with -passphrase-file or "+PassphraseEnv+".")
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(env, fs, "unexpected argument %q", fs.Arg(0))
	}
	fmt.Fprintln(env.Stdout, secure.Propose())
	return ExitOK
}
