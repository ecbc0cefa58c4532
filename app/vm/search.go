package vm

import (
	"context"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/net/wire"
)

// SearchVM is the Search tab: a debounced query and its results.
type SearchVM struct {
	app *App

	Results Rows[SearchRow]
	// Folders are the shared folders among the results, each with one
	// Download for all of it (TransfersVM.StartFolder).
	Folders Rows[NetFolderRow]
	Status  binding.String      // what the list shows, in words
	Err     binding.Item[error] // the last search's error, nil after a success
	Busy    binding.Bool        // a search is running

	mu     sync.Mutex
	timer  *time.Timer
	cancel context.CancelFunc
	gen    uint64
	wg     sync.WaitGroup
	// The query on screen, asked again every SearchRefresh while shown.
	query       string
	shown       bool
	refreshedAt time.Time // when the poller last asked again (its clock)
	fresh       bool      // a search ran since: the next refresh waits a full period
	refreshing  atomic.Bool
	// What this computer has already, by content id (haveOf), as the
	// poller last found it: the results are marked with it.
	have map[string]Have

	// showMu keeps one show or remark at a time, so that the rows set
	// last are marked from the last have map. It guards lastQ and
	// lastResp, the answer on screen (nil after an error).
	showMu   sync.Mutex
	lastQ    string
	lastResp *wire.SearchResponse
}

func newSearchVM(app *App) *SearchVM {
	s := &SearchVM{
		app:     app,
		Results: newRows(eq[SearchRow]),
		Folders: newRows(eq[NetFolderRow]),
		Status:  binding.NewString(),
		Err:     binding.NewItem(func(a, b error) bool { return a == nil && b == nil }),
		Busy:    binding.NewBool(),
	}
	_ = s.Status.Set(lang.L("Type part of a file name to search the network"))
	return s
}

// SetQuery is called on every keystroke: the search runs once typing
// pauses for SearchDebounce. An empty query lists every file.
func (s *SearchVM) SetQuery(q string) {
	if s.app.Inline {
		_ = s.Run(s.app.rootCtx(), q)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil && s.timer.Stop() {
		s.wg.Done() // its callback will not run
	}
	s.gen++
	gen := s.gen
	s.wg.Add(1)
	s.timer = time.AfterFunc(SearchDebounce, func() {
		defer s.wg.Done()
		s.mu.Lock()
		current := gen == s.gen
		s.mu.Unlock()
		if current {
			_ = s.Run(s.app.rootCtx(), q)
		}
	})
}

// Run searches now, replacing any search in flight, and sets the results.
// The query stays on screen: the poller asks it again every SearchRefresh
// (refresh). Call from a goroutine.
func (s *SearchVM) Run(ctx context.Context, q string) error {
	n, err := s.app.engine()
	if err != nil {
		_ = s.Err.Set(err)
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	s.mu.Lock()
	if s.cancel != nil {
		s.cancel()
	}
	s.cancel = cancel
	s.gen++
	gen := s.gen
	s.query, s.shown, s.fresh = q, true, true
	s.mu.Unlock()

	_ = s.Busy.Set(true)
	_ = s.Status.Set(lang.L("Searching…"))
	resp, err := n.Search(ctx, q)

	s.mu.Lock()
	stale := gen != s.gen
	s.mu.Unlock()
	if stale {
		return ctx.Err() // a newer search owns the results
	}
	_ = s.Busy.Set(false)
	return s.show(q, resp, err)
}

// refreshDue reports whether the query on screen should be asked again
// at now (the poller's clock): every SearchRefresh, and at once when
// force is set (this peer registered again, or joined another network).
func (s *SearchVM) refreshDue(now time.Time, force bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.shown {
		return false
	}
	if s.fresh && !force {
		s.fresh, s.refreshedAt = false, now
		return false
	}
	if !force && now.Sub(s.refreshedAt) < SearchRefresh {
		return false
	}
	s.fresh, s.refreshedAt = false, now
	return true
}

// refresh asks the query on screen again, quietly (no "Searching…"), so
// that files shared since appear and holders that left disappear. A search
// the user starts meanwhile wins: the refresh's answer is then dropped.
// At most one refresh runs at a time. Call from a goroutine.
func (s *SearchVM) refresh(ctx context.Context) {
	if !s.refreshing.CompareAndSwap(false, true) {
		return
	}
	defer s.refreshing.Store(false)
	n, err := s.app.engine()
	if err != nil {
		return
	}
	s.mu.Lock()
	q, gen := s.query, s.gen
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	resp, err := n.Search(ctx, q)
	s.mu.Lock()
	stale := gen != s.gen || ctx.Err() != nil && err != nil
	s.mu.Unlock()
	if !stale {
		_ = s.show(q, resp, err)
	}
}

// show sets the results of q (or its error).
func (s *SearchVM) show(q string, resp *wire.SearchResponse, err error) error {
	s.showMu.Lock()
	defer s.showMu.Unlock()
	s.lastQ, s.lastResp = q, resp
	if err != nil {
		s.lastResp = nil
		_ = s.Results.Set(nil)
		_ = s.Folders.Set(nil)
		_ = s.Status.Set("")
		_ = s.Err.Set(err)
		return err
	}
	have := s.haveMap()
	rows := searchRows(resp, s.app.isSelf)
	markRows(rows, have)
	_ = s.Err.Set(nil)
	_ = s.Results.Set(rows)
	_ = s.Folders.Set(folderRows(q, resp, have))
	_ = s.Status.Set(searchStatus(q, len(rows), resp.Truncated))
	return nil
}

// self reports the addresses of this computer's own chunk server (nil:
// none is).
func searchRows(resp *wire.SearchResponse, self func(addr string) bool) []SearchRow {
	// One row per content: the same file shared under several names (or
	// folders) is one row, its holders counted together, its other names
	// listed.
	byID := map[string]int{}
	merged := make([]wire.SearchResult, 0, len(resp.Results))
	others := map[string][]string{}
	for _, r := range resp.Results {
		i, ok := byID[r.ID]
		if !ok || !wire.ValidID(r.ID) {
			byID[r.ID] = len(merged)
			merged = append(merged, r)
			continue
		}
		m := &merged[i]
		if r.Name != m.Name && !slices.Contains(others[r.ID], r.Name) {
			others[r.ID] = append(others[r.ID], r.Name)
		}
		m.Peers = append(slices.Clip(m.Peers), r.Peers...)
		m.PeersTruncated = m.PeersTruncated || r.PeersTruncated
		m.Hosts = max(m.Hosts, r.Hosts)
	}
	rows := make([]SearchRow, 0, len(merged))
	for _, r := range merged {
		row := SearchRow{ID: r.ID, Name: r.Name, Display: SafeText(r.Name), Size: r.Size, More: r.PeersTruncated}
		row.Complete, row.Partial = holderHosts(r)
		row.Elsewhere = slices.ContainsFunc(r.Peers, func(p wire.ResultPeer) bool { return self == nil || !self(p.Addr) })
		if names := others[r.ID]; len(names) > 0 {
			row.Display += "  · " + lang.L("also as {{.Names}}", map[string]any{"Names": SafeText(strings.Join(names, ", "))})
		}
		rows = append(rows, row)
	}
	// The same name shared with different contents: tell the versions apart.
	names := map[string]int{}
	for _, r := range rows {
		names[r.Name]++
	}
	for i, r := range rows {
		if names[r.Name] > 1 {
			rows[i].Display += "  · " + lang.L("version {{.ID}}", map[string]any{"ID": r.ID[:min(8, len(r.ID))]})
		}
	}
	return rows
}

// holderHosts counts the computers (distinct IP addresses, PROTOCOL §4)
// holding r: those with a complete copy, and those with part of it only.
// One computer registering many ports counts once. When the tracker cut
// the list of holders, its own count of hosts stands for the complete
// ones it could not list.
func holderHosts(r wire.SearchResult) (complete, partial int) {
	full := map[string]bool{}
	for _, p := range r.Peers {
		host := p.Addr
		if h, _, err := net.SplitHostPort(p.Addr); err == nil {
			host = h
		}
		full[host] = full[host] || p.Complete
	}
	for _, c := range full {
		if c {
			complete++
		} else {
			partial++
		}
	}
	if r.PeersTruncated && r.Hosts > complete+partial {
		complete += r.Hosts - complete - partial
	}
	return complete, partial
}

func searchStatus(q string, n int, truncated bool) string {
	switch {
	case n == 0 && q == "":
		return lang.L("Nobody on the network shares a file yet")
	case n == 0:
		return lang.L("No file on the network matches “{{.Query}}”", map[string]any{"Query": SafeText(Ellipsize(q, 40))})
	case truncated:
		return lang.N("{{.Count}} files shown; type more of the name to narrow it down", i18n.Plural(n), counted(n))
	case q == "":
		return lang.N("{{.Count}} files on the network", i18n.Plural(n), counted(n))
	}
	return lang.N("{{.Count}} files match “{{.Query}}”", i18n.Plural(n), map[string]any{"Count": n, "Query": SafeText(Ellipsize(q, 40))})
}

// haveMap is what this computer has, as the poller last found it. The
// map is never changed once set: read it, do not write it.
func (s *SearchVM) haveMap() map[string]Have {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.have
}

// Has says whether this computer has the content id already, and where.
func (s *SearchVM) Has(id string) Have { return s.haveMap()[id] }

// setHave records what this computer has (the poller calls it when its
// shared files or finished downloads changed) and marks the results on
// screen again: a download that finishes while they show marks its row.
func (s *SearchVM) setHave(have map[string]Have) {
	s.mu.Lock()
	same := maps.Equal(s.have, have)
	s.have = have
	s.mu.Unlock()
	if same {
		return
	}
	s.showMu.Lock()
	defer s.showMu.Unlock()
	old, _ := s.Results.Get()
	rows := slices.Clone(old)
	markRows(rows, have)
	if !slices.Equal(old, rows) {
		_ = s.Results.Set(rows)
	}
	if s.lastResp != nil {
		_ = s.Folders.Set(folderRows(s.lastQ, s.lastResp, have))
	}
}

// markRows marks each row with what this computer has of it.
func markRows(rows []SearchRow, have map[string]Have) {
	for i := range rows {
		rows[i].Have = have[rows[i].ID]
	}
}

// Download starts downloading a result, whether this computer has it
// already or not: the window asks first (SearchRow.Have). Call from a
// goroutine.
func (s *SearchVM) Download(row SearchRow) (string, error) {
	return s.app.Transfers.Start(row.Name, row.ID)
}

// DownloadAll starts the downloads of rows (several results picked).
// Unless again is set, the files this computer has already are skipped
// (with again, those only this computer holds still are):
// it returns how many started and how many were skipped, and the first
// error (the other files are started all the same). Call from a
// goroutine.
func (s *SearchVM) DownloadAll(rows []SearchRow, again bool) (started, skipped int, err error) {
	have := s.haveMap()
	for _, r := range rows {
		// Had, it is skipped unless asked for again; held only here, it
		// has nowhere to come from anyway.
		if have[r.ID] != HaveNone && (!again || !r.Elsewhere) {
			skipped++
			continue
		}
		if _, e := s.Download(r); e != nil {
			if err == nil {
				err = e
			}
			continue
		}
		started++
	}
	return started, skipped, err
}

// stop cancels the pending and running searches and waits for them.
func (s *SearchVM) stop() {
	s.mu.Lock()
	if s.timer != nil && s.timer.Stop() {
		s.wg.Done() // its callback will not run
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.gen++
	s.mu.Unlock()
	s.wg.Wait()
}

// NetFolderRow is a shared folder among a search's results (the network's,
// not this computer's: FolderRow).
type NetFolderRow struct {
	Path    string // the folder's path in the shares, raw: for downloading
	Display string // SafeText(Path)
	Files   int    // files under it among the results
	Size    int64  // their bytes
	More    bool   // the answer was cut: it may hold more
	Had     int    // of its files, those this computer has already
}

// MaxFolderRows bounds the folders shown above the results.
const MaxFolderRows = 12

// folderRows groups the results by folder: for each result, the
// shallowest folder of its path whose own name matches the query (every
// word, ignoring case; with an empty query, the top folders), so that
// "slides" offers course/slides with everything under it.
// Had counts the files under it that have holds.
func folderRows(q string, resp *wire.SearchResponse, have map[string]Have) []NetFolderRow {
	words := strings.Fields(strings.ToLower(q))
	byPath := map[string]*NetFolderRow{}
	var order []string
	for _, r := range resp.Results {
		if !wire.ValidID(r.ID) {
			continue
		}
		parts := strings.Split(r.Name, "/")
		for depth := 1; depth < len(parts); depth++ {
			name := strings.ToLower(parts[depth-1])
			if !matchesWords(name, words) {
				continue
			}
			p := strings.Join(parts[:depth], "/")
			f := byPath[p]
			if f == nil {
				f = &NetFolderRow{Path: p, Display: SafeText(p), More: resp.Truncated}
				byPath[p] = f
				order = append(order, p)
			}
			f.Files++
			f.Size += r.Size
			if have[r.ID] != HaveNone {
				f.Had++
			}
			break
		}
	}
	rows := make([]NetFolderRow, 0, min(len(order), MaxFolderRows))
	for _, p := range order[:min(len(order), MaxFolderRows)] {
		rows = append(rows, *byPath[p])
	}
	return rows
}

// matchesWords reports whether name holds every word (all when none).
func matchesWords(name string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(name, w) {
			return false
		}
	}
	return true
}
