package vm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/wire"
)

// Preference keys. Folders are stored as URI strings (uri.String()); the
// engine is handed plain paths.
const (
	PrefTracker      = "tracker"      // address of the last tracker joined
	PrefShareURI     = "shareURI"     // the shared folder
	PrefDownloadsURI = "downloadsURI" // where downloads are saved
	PrefHost         = "host"         // host the embedded tracker
	PrefHostListen   = "hostListen"   // the embedded tracker's listen address
	PrefPeerListen   = "peerListen"   // the chunk server's listen address
	PrefSetUp        = "setUp"        // the first-run screen was completed
	PrefPending      = "pending"      // unfinished downloads, JSON [{name, id}]
	PrefDone         = "done"         // finished downloads, JSON [{id, path, size, mod}]
	PrefCanHost      = "canHost"      // may take over hosting when the host leaves (default on)
	PrefNetwork      = "network"      // name of the network followed by name ("" none: an address only)
	PrefNetworkID    = "networkID"    // its discovery instance id when last heard
	PrefShareHidden  = "shareHidden"  // share hidden files and folders too
	PrefMaxUpload    = "maxUpload"    // upload limit, bytes a second (0 none)
	PrefMaxDownload  = "maxDownload"  // download limit, bytes a second (0 none)
	PrefMaxActive    = "maxActive"    // downloads run at once (default DefaultMaxActive)
)

// DefaultMaxActive is how many downloads run at once unless set; the
// others wait queued.
const DefaultMaxActive = engine.DefaultMaxActive

// MaxMaxActive bounds the setting: more at once only splits the same
// bandwidth more ways.
const MaxMaxActive = 20

// DefaultHostListen is where the embedded tracker listens unless told.
const DefaultHostListen = ":7077"

// Settings is what the app needs to join the network.
type Settings struct {
	Tracker    string // tracker address to join; ignored while hosting
	ShareDir   string // shared folder, a plain path; "" shares nothing
	Downloads  string // downloads folder, a plain path
	Host       bool   // run the embedded tracker and join it
	HostListen string // the embedded tracker's listen address
	PeerListen string // the chunk server's listen address ("" is any port)
	// CanHost lets this computer take over hosting a network known by
	// name when its host leaves (a hand-over, net/handover).
	CanHost bool
	// Network is the name of the network followed through hand-overs, ""
	// for a tracker joined by address only. At start (without Host) the
	// app follows it by name, Tracker being its first guess; NetworkID
	// (the discovery instance id last heard there) says whether a network
	// heard of that name is still the one at Tracker.
	Network   string
	NetworkID string
	// ShareHidden shares hidden files and folders (names starting with
	// '.') too; off by default, as a home folder's are private.
	ShareHidden bool
	// MaxUpload and MaxDownload limit what is sent to and received from
	// all peers together, in bytes a second; 0 is no limit.
	MaxUpload, MaxDownload int64
	// MaxActive is how many downloads run at once (1 to MaxMaxActive); the
	// others wait queued in the Transfers list's order.
	MaxActive int
	// ShareDirs are more folders shared beside ShareDir, plain paths
	// (preference PrefMoreShareURIs).
	ShareDirs []string
	// Passphrase is the private network's passphrase, "" for an open
	// network. It is not kept in the preferences but in its own file,
	// readable by this user only (PassphraseFile).
	Passphrase string
}

// Complete reports whether s is enough to start without asking the user.
func (s Settings) Complete() bool {
	return (s.Host || s.Tracker != "") && s.Downloads != ""
}

// LoadSettings reads the remembered settings; setUp says the first-run
// screen was completed before.
func LoadSettings(p fyne.Preferences) (s Settings, setUp bool) {
	s.Tracker = p.String(PrefTracker)
	s.ShareDir = pathOf(p.String(PrefShareURI))
	s.ShareDirs = loadMoreShareDirs(p)
	s.Downloads = pathOf(p.String(PrefDownloadsURI))
	if s.Downloads == "" {
		s.Downloads = DefaultDownloads()
	}
	s.Host = p.Bool(PrefHost)
	s.HostListen = p.StringWithFallback(PrefHostListen, DefaultHostListen)
	s.PeerListen = p.String(PrefPeerListen)
	s.CanHost = p.BoolWithFallback(PrefCanHost, true)
	s.Network = p.String(PrefNetwork)
	s.NetworkID = p.String(PrefNetworkID)
	s.ShareHidden = p.Bool(PrefShareHidden)
	s.MaxUpload = int64(max(p.Int(PrefMaxUpload), 0))
	s.MaxDownload = int64(max(p.Int(PrefMaxDownload), 0))
	s.MaxActive = ClampMaxActive(p.IntWithFallback(PrefMaxActive, DefaultMaxActive))
	s.Passphrase = loadPassphrase()
	return s, p.Bool(PrefSetUp)
}

// SaveSettings remembers s and marks the first run done.
func SaveSettings(p fyne.Preferences, s Settings) {
	if s.Tracker != "" {
		p.SetString(PrefTracker, s.Tracker)
	}
	p.SetString(PrefShareURI, uriOf(s.ShareDir))
	saveMoreShareDirs(p, s.ShareDirs)
	p.SetString(PrefDownloadsURI, uriOf(s.Downloads))
	p.SetBool(PrefHost, s.Host)
	if s.HostListen != "" {
		p.SetString(PrefHostListen, s.HostListen)
	}
	p.SetString(PrefPeerListen, s.PeerListen)
	p.SetBool(PrefCanHost, s.CanHost)
	p.SetString(PrefNetwork, s.Network)
	p.SetString(PrefNetworkID, s.NetworkID)
	p.SetBool(PrefShareHidden, s.ShareHidden)
	p.SetInt(PrefMaxUpload, int(s.MaxUpload))
	p.SetInt(PrefMaxDownload, int(s.MaxDownload))
	p.SetInt(PrefMaxActive, ClampMaxActive(s.MaxActive))
	p.SetBool(PrefSetUp, true)
}

// ClampMaxActive keeps a downloads-at-once setting within 1 to
// MaxMaxActive; 0 (never set) is DefaultMaxActive.
func ClampMaxActive(n int) int {
	if n == 0 {
		return DefaultMaxActive
	}
	return min(max(n, 1), MaxMaxActive)
}

// Pending is an unfinished download remembered for the next start.
type Pending struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	// Paused: the user paused it; it comes back paused, not running.
	Paused bool `json:"paused,omitempty"`
	// Dir is the folder it downloads into ("" the downloads folder): a
	// download started before the downloads folder changed finishes where
	// its verified chunks are.
	Dir string `json:"dir,omitempty"`
	// Folder is the local root of the folder it is one file of, fetched
	// whole ("" a file on its own): after a restart the folder is still
	// one item. Size is the file's size as the search told it, for the
	// folder's total before the file is planned. Preferences written
	// before either existed load with them empty.
	Folder string `json:"folder,omitempty"`
	Size   int64  `json:"size,omitempty"`
}

// MaxPending bounds the downloads remembered across starts: every file
// of a folder downloaded whole is one, so enough for the folders a class
// passes around (about 300 bytes each in the preferences, rewritten at
// most every PollInterval while the list changes: 1.5 MB at the most).
const MaxPending = 5000

// DoneFile is a finished download remembered across starts, so that a
// search still marks its content as one this computer has (HaveDownloaded)
// while the file is where it was saved, unchanged.
type DoneFile struct {
	ID   string `json:"id"`
	Path string `json:"path"`
	Size int64  `json:"size"`
	Mod  int64  `json:"mod"` // modification time, Unix nanoseconds
}

// MaxDone bounds the finished downloads remembered (the latest kept).
const MaxDone = 5000

// LoadDone reads the finished downloads remembered; garbage reads as none.
func LoadDone(p fyne.Preferences) []DoneFile {
	ds := slices.DeleteFunc(loadList[DoneFile](p, PrefDone), func(d DoneFile) bool { return !validID(d.ID) || d.Path == "" })
	return ds[max(0, len(ds)-MaxDone):]
}

// SaveDone remembers the finished downloads (the latest MaxDone).
func SaveDone(p fyne.Preferences, ds []DoneFile) {
	saveList(p, PrefDone, ds[max(0, len(ds)-MaxDone):])
}

// loadList reads the JSON list under key; garbage reads as none.
func loadList[T any](p fyne.Preferences, key string) []T {
	var l []T
	if err := json.Unmarshal([]byte(p.String(key)), &l); err != nil {
		return nil
	}
	return l
}

// saveList writes l as JSON under key.
func saveList[T any](p fyne.Preferences, key string, l []T) {
	if b, err := json.Marshal(l); err == nil {
		p.SetString(key, string(b))
	}
}

// doneFileOf is the record of a finished download saved at path, or false
// when the file cannot be read.
func doneFileOf(id, path string) (DoneFile, bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return DoneFile{}, false
	}
	return DoneFile{ID: id, Path: path, Size: fi.Size(), Mod: fi.ModTime().UnixNano()}, true
}

// unchanged reports whether d's file is still where it was saved, as it
// was.
func (d DoneFile) unchanged() bool {
	now, ok := doneFileOf(d.ID, d.Path)
	return ok && now == d
}

// LoadPending reads the unfinished downloads of the last run; garbage
// reads as none.
func LoadPending(p fyne.Preferences) []Pending {
	ps := slices.DeleteFunc(loadList[Pending](p, PrefPending), func(x Pending) bool { return x.Name == "" || !validID(x.ID) })
	return ps[:min(len(ps), MaxPending)]
}

// SavePending remembers the unfinished downloads.
func SavePending(p fyne.Preferences, ps []Pending) {
	saveList(p, PrefPending, ps[:min(len(ps), MaxPending)])
}

func validID(id string) bool { return wire.ValidID(id) }

// DefaultDownloads is ~/Downloads/Enxame (the user's Downloads folder, in
// an Enxame subfolder).
func DefaultDownloads() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return filepath.Join(os.TempDir(), "Enxame")
	}
	return filepath.Join(home, "Downloads", "Enxame")
}

// uriOf turns a path into the URI string kept in Preferences.
func uriOf(path string) string {
	if path == "" {
		return ""
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return storage.NewFileURI(path).String()
}

// pathOf turns a stored URI string back into a plain path; "" when it is
// empty or not a file URI.
func pathOf(s string) string {
	if s == "" {
		return ""
	}
	u, err := storage.ParseURI(s)
	if err != nil || u.Scheme() != "file" {
		return ""
	}
	return u.Path()
}

// PathOfURI returns the local path of a folder URI from a dialog or a drop,
// or "" if it is not a local file URI.
func PathOfURI(u fyne.URI) string {
	if u == nil || u.Scheme() != "file" {
		return ""
	}
	return u.Path()
}
