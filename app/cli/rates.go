package cli

import (
	"flag"
	"strings"

	"github.com/enxame/enxame/net/throttle"
)

// rateFlags are the rate limits: -max-upload (share, get, peer) and
// -max-download (get, peer).
type rateFlags struct {
	upload, download string
	up, down         int64 // parsed by check, bytes a second (0 none)
}

func (rf *rateFlags) register(fs *flag.FlagSet, withDownload bool) {
	fs.StringVar(&rf.upload, "max-upload", "0", "limit what is sent to all peers together to `RATE`, such as 10MB/s or 500KiB/s; 0 for none")
	if withDownload {
		fs.StringVar(&rf.download, "max-download", "0", "limit what is received from all peers together to `RATE`, such as 10MB/s or 500KiB/s; 0 for none")
	}
}

// check parses the flags; it returns a usage complaint or "".
func (rf *rateFlags) check() string {
	var err error
	if rf.up, err = throttle.ParseRate(rf.upload); err != nil {
		return "bad -max-upload: " + rateComplaint(err)
	}
	if rf.download == "" {
		return ""
	}
	if rf.down, err = throttle.ParseRate(rf.download); err != nil {
		return "bad -max-download: " + rateComplaint(err)
	}
	return ""
}

// rateComplaint is ParseRate's error without its sentinel's prefix.
func rateComplaint(err error) string {
	msg, _ := strings.CutPrefix(err.Error(), throttle.ErrBadRate.Error()+": ")
	return msg
}
