package engine

import (
	"cmp"
	"context"
	"net"

	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/share"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/transfer"
)

// nodeRun is one run of the peer node (the shared folder's index, the
// chunk server and the tracker session). It is replaced when the shared
// folder changes; the downloads outlive it.
type nodeRun struct {
	node   *peer.Node
	index  *share.Index // nil when no folder is shared
	cancel context.CancelFunc
	done   chan struct{}
	err    error // why Run ended early; read after done
	// self matches the chunk server's port on this machine's addresses.
	self func(addr string) bool
}

// stopNode stops the running node. Hold cmd (or be Start).
func (e *Engine) stopNode() {
	e.mu.Lock()
	nr := e.node
	e.node = nil
	e.mu.Unlock()
	if nr == nil {
		return
	}
	nr.cancel()
	<-nr.done
}

// restartNode stops the running node and starts one with the current
// configuration, serving and announcing the downloads too. Hold cmd (or
// be Start).
func (e *Engine) restartNode() error {
	e.stopNode()
	e.mu.Lock()
	c := e.cfg
	e.mu.Unlock()
	log := cmp.Or(c.ServeLogger, e.log)
	var ix *share.Index
	if c.ShareDir != "" {
		var err error
		ix, err = share.New(share.Config{
			Dir: c.ShareDir, CacheFile: c.Share.CacheFile, NoCache: c.Share.NoCache, Hidden: c.Share.Hidden,
			RescanInterval: c.Share.RescanInterval, Logger: log,
		})
		if err != nil {
			return err
		}
	}
	nc := peer.NodeConfig{Listen: c.Listen, Credentials: e.cred, Name: c.DeviceName, Logger: log,
		Server: peer.Config{Upload: e.up}}
	if ix != nil {
		nc.Index = ix // a nil *share.Index must not become a non-nil interface
	}
	// Created under mu so that a keeper's move (setTarget) lands on this
	// node: NewNode only opens the listener.
	e.mu.Lock()
	nc.Tracker, nc.CanHost = e.target.addr, e.target.canHost
	node, err := peer.NewNode(nc)
	var nr *nodeRun
	ctx := e.ctx
	if err == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(e.ctx)
		nr = &nodeRun{node: node, index: ix, cancel: cancel, done: make(chan struct{}),
			self: transfer.SelfPort(node.Addr().(*net.TCPAddr).Port)}
		e.node = nr
	}
	e.mu.Unlock()
	if err != nil {
		if ix != nil {
			ix.Close()
		}
		return err
	}
	node.AddCatalog(e.downloads)
	node.SetExtraFiles(e.downloads.Files)
	e.wg.Go(func() {
		defer close(nr.done)
		if err := node.Run(ctx); err != nil {
			e.log.Error("Peer stopped", "error", err)
			nr.err = err
			if ctx.Err() == nil {
				e.fail(err)
			}
		}
		if ix != nil {
			ix.Close()
		}
	})
	return nil
}

// SetShareDir shares dir instead of the current folder ("" shares none).
// On failure the previous folder is shared again.
func (e *Engine) SetShareDir(dir string) error {
	e.cmd.Lock()
	defer e.cmd.Unlock()
	if e.closed() {
		return ErrClosed
	}
	e.mu.Lock()
	prev := e.cfg.ShareDir
	e.cfg.ShareDir = dir
	noServe := e.cfg.NoServe
	e.mu.Unlock()
	if noServe {
		return nil
	}
	if err := e.restartNode(); err != nil {
		e.mu.Lock()
		e.cfg.ShareDir = prev
		e.mu.Unlock()
		_ = e.restartNode()
		return err
	}
	return nil
}

// sessionStatus is the tracker session's state, and why the node stopped
// if it did.
func (nr *nodeRun) sessionStatus() (tracker.SessionStatus, error) {
	st := nr.node.Status().Session
	select {
	case <-nr.done:
		if nr.err != nil {
			st.Registered = false
			return st, nr.err
		}
	default:
	}
	return st, nil
}

// SetShareHidden shares the hidden files and folders of the shared folder
// too (or stops sharing them): the folder is indexed again.
func (e *Engine) SetShareHidden(on bool) error {
	e.cmd.Lock()
	defer e.cmd.Unlock()
	if e.closed() {
		return ErrClosed
	}
	e.mu.Lock()
	changed := e.cfg.Share.Hidden != on
	e.cfg.Share.Hidden = on
	restart := changed && !e.cfg.NoServe && e.cfg.ShareDir != ""
	e.mu.Unlock()
	if !restart {
		return nil
	}
	return e.restartNode()
}
