package vm

import (
	"context"
	"fmt"
	"slices"

	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/share"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/transfer"
	"github.com/enxame/enxame/net/wire"
)

// peerRun is one run of the peer (*peer.Node: the shared folder's index,
// the chunk server and the tracker session). It is replaced when the
// shared folder or the tracker changes; the downloads outlive it.
type peerRun struct {
	node   *peer.Node
	index  *share.Index // nil when no folder is shared
	cancel context.CancelFunc
	done   chan struct{}
	err    error // why Run ended early; read after done
}

func (n *Net) stopPeerLocked() {
	if n.peer == nil {
		return
	}
	n.peer.cancel()
	<-n.peer.done
	n.peer = nil
}

// restartPeerLocked stops the running peer and starts one with the current
// settings, serving and announcing the downloads too.
func (n *Net) restartPeerLocked() error {
	n.stopPeerLocked()
	var ix *share.Index
	if dir := n.settings.ShareDir; dir != "" {
		var err error
		ix, err = share.New(share.Config{Dir: dir, Logger: n.log})
		if err != nil {
			return err
		}
	}
	cfg := peer.NodeConfig{Listen: n.settings.PeerListen, Logger: n.log}
	if ix != nil {
		cfg.Index = ix // a nil *share.Index must not become a non-nil interface
	}
	// Created under tmu so that a keeper's move lands on this node.
	n.tmu.Lock()
	cfg.Tracker, cfg.CanHost = n.tgt.addr, n.tgt.canHost
	node, err := peer.NewNode(cfg)
	if err == nil {
		n.node = node
	}
	n.tmu.Unlock()
	if err != nil {
		if ix != nil {
			ix.Close()
		}
		return err
	}
	node.AddCatalog(n.downloads)
	node.SetExtraFiles(n.downloads.Files)

	ctx, cancel := context.WithCancel(n.ctx)
	p := &peerRun{node: node, index: ix, cancel: cancel, done: make(chan struct{})}
	n.wg.Go(func() {
		defer close(p.done)
		if err := node.Run(ctx); err != nil {
			n.log.Error("Peer stopped", "error", err)
			p.err = err
		}
		if ix != nil {
			ix.Close()
		}
	})
	n.peer = p
	return nil
}

// sessionStatus is the tracker session's state, and why the peer stopped
// if it did.
func (p *peerRun) sessionStatus() (tracker.SessionStatus, error) {
	st := p.node.Status().Session
	select {
	case <-p.done:
		if p.err != nil {
			st.Registered = false
			return st, p.err
		}
	default:
	}
	return st, nil
}

func (p *peerRun) shareProgress() ShareProgress {
	if p.index == nil {
		return ShareProgress{}
	}
	return p.index.Progress()
}

func (p *peerRun) sharedFiles() []wire.FileEntry {
	if p.index == nil {
		return nil
	}
	return p.index.Files()
}

// downloadsLoop tells the running peer to announce again whenever the
// downloads' announceable files change, until ctx ends; then it pauses
// every download (keeping them resumable) and waits for them.
func (n *Net) downloadsLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			n.downloads.Close()
			return
		case <-n.downloads.Changes():
			n.mu.Lock()
			if n.peer != nil {
				n.peer.node.Announce()
			}
			n.mu.Unlock()
		}
	}
}

// isSelf reports whether addr is this app's own chunk server, so a
// download never asks itself.
func (n *Net) isSelf(addr string) bool {
	n.mu.Lock()
	p := n.peer
	n.mu.Unlock()
	return p != nil && p.node.Status().Session.Addr == addr
}

// searcher asks whichever tracker is in use: the downloads keep working
// across a change of tracker.
type searcher struct{ n *Net }

func (s searcher) Search(ctx context.Context, q string) (*wire.SearchResponse, error) {
	return s.n.Search(ctx, q)
}

// download starts fetching the file id shared as name into the
// downloads folder.
func (n *Net) download(name, id string) (string, error) {
	n.mu.Lock()
	dir := n.settings.Downloads
	n.mu.Unlock()
	for _, d := range n.downloads.List() {
		p := d.Progress()
		if p.ID == id && p.State != transfer.StateDone && p.State != transfer.StateFailed && p.State != transfer.StatePaused {
			return "", transfer.ErrBusy
		}
	}
	d, err := n.downloads.Start(n.ctx, transfer.Request{Name: name, ID: id, Dir: dir})
	if err != nil {
		return "", err
	}
	return n.track(d, name, id), nil
}

// AddPaused lists the download of the file id shared as name, paused as
// the user left it in an earlier run; Resume starts it.
func (n *Net) AddPaused(name, id string) (string, error) {
	n.mu.Lock()
	dir := n.settings.Downloads
	n.mu.Unlock()
	d, err := n.downloads.Add(transfer.Request{Name: name, ID: id, Dir: dir})
	if err != nil {
		return "", err
	}
	return n.track(d, name, id), nil
}

// track keys d and remembers what it was asked for; it returns the key.
func (n *Net) track(d *transfer.Download, name, id string) string {
	k := n.keyOf(d)
	n.mu.Lock()
	n.reqs[k] = Pending{Name: name, ID: id}
	n.mu.Unlock()
	return k
}

// keyOf names a download for the view-models.
func (n *Net) keyOf(d *transfer.Download) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	k, ok := n.keys[d]
	if !ok {
		n.nextKey++
		k = fmt.Sprintf("d%d", n.nextKey)
		n.keys[d] = k
		n.byKey[k] = d
	}
	return k
}

func (n *Net) transfers() []Transfer {
	ds := n.downloads.List()
	out := make([]Transfer, len(ds))
	for i, d := range ds {
		k := n.keyOf(d)
		n.mu.Lock()
		req := n.reqs[k]
		n.mu.Unlock()
		out[i] = Transfer{Key: k, Req: req, Progress: d.Progress(), download: d}
	}
	return out
}

func (n *Net) act(key string, a action) error {
	n.mu.Lock()
	d, ok := n.byKey[key]
	n.mu.Unlock()
	if !ok || !slices.Contains(n.downloads.List(), d) {
		return transfer.ErrNotFound
	}
	switch a {
	case actPause:
		return n.downloads.Pause(d)
	case actResume:
		return n.downloads.Resume(n.ctx, d)
	default:
		if err := n.downloads.Cancel(d); err != nil {
			return err
		}
		n.mu.Lock()
		delete(n.keys, d)
		delete(n.byKey, key)
		delete(n.reqs, key)
		n.mu.Unlock()
		return nil
	}
}
