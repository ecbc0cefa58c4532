package engine

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"slices"

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
	index  *shareSet // the shared folders (none, one or several)
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
	ix := newShareSet(func(dir string) (*share.Index, error) {
		// CacheFile is ShareDir's; the other folders keep their own.
		cache := c.Share.CacheFile
		if !sameDir(dir, c.ShareDir) {
			cache = ""
		}
		return share.New(share.Config{
			Dir: dir, CacheFile: cache, NoCache: c.Share.NoCache, Hidden: c.Share.Hidden,
			RescanInterval: c.Share.RescanInterval, Logger: log,
		})
	})
	for _, dir := range shareDirsOf(c) {
		if err := ix.add(dir); err != nil {
			ix.close()
			return err
		}
	}
	nc := peer.NodeConfig{Listen: c.Listen, Credentials: e.cred, Name: c.DeviceName, Logger: log,
		Server: peer.Config{Upload: e.up}, Index: ix}
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
		ix.close()
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
		ix.close()
	})
	return nil
}

// SetShareDir shares dir instead of the current folders ("" shares none).
// On failure the previous folders are shared again.
func (e *Engine) SetShareDir(dir string) error {
	e.cmd.Lock()
	defer e.cmd.Unlock()
	if e.closed() {
		return ErrClosed
	}
	e.mu.Lock()
	prev, prevMore := e.cfg.ShareDir, e.cfg.ShareDirs
	e.cfg.ShareDir, e.cfg.ShareDirs = dir, nil
	noServe := e.cfg.NoServe
	e.mu.Unlock()
	if noServe {
		return nil
	}
	if err := e.restartNode(); err != nil {
		e.mu.Lock()
		e.cfg.ShareDir, e.cfg.ShareDirs = prev, prevMore
		e.mu.Unlock()
		_ = e.restartNode()
		return err
	}
	return nil
}

// shareDirsOf lists the folders c shares: ShareDir, then ShareDirs, each
// once.
func shareDirsOf(c Config) []string {
	var dirs []string
	for _, d := range append([]string{c.ShareDir}, c.ShareDirs...) {
		if d != "" && !slices.ContainsFunc(dirs, func(x string) bool { return sameDir(x, d) }) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// ShareDirs lists the shared folders, in the order they were added.
func (e *Engine) ShareDirs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return shareDirsOf(e.cfg)
}

// AddShareDir shares dir too, beside the folders shared already, while
// everything else runs on: the chunk server, the tracker session and the
// downloads. With several folders, shared names start with each folder's
// label (FolderStatus.Label). A folder that cannot be opened is refused.
func (e *Engine) AddShareDir(dir string) error {
	e.cmd.Lock()
	defer e.cmd.Unlock()
	if e.closed() {
		return ErrClosed
	}
	e.mu.Lock()
	if slices.ContainsFunc(shareDirsOf(e.cfg), func(x string) bool { return sameDir(x, dir) }) {
		e.mu.Unlock()
		return fmt.Errorf("%s: %w", dir, ErrAlreadyShared)
	}
	prev := e.cfg
	if e.cfg.ShareDir == "" {
		e.cfg.ShareDir = dir
	} else {
		e.cfg.ShareDirs = append(slices.Clone(e.cfg.ShareDirs), dir)
	}
	nr := e.node
	e.mu.Unlock()
	if nr == nil {
		return nil
	}
	if err := nr.index.add(dir); err != nil {
		e.mu.Lock()
		e.cfg.ShareDir, e.cfg.ShareDirs = prev.ShareDir, prev.ShareDirs
		e.mu.Unlock()
		return err
	}
	return nil
}

// RemoveShareDir stops sharing dir, while everything else runs on.
func (e *Engine) RemoveShareDir(dir string) error {
	e.cmd.Lock()
	defer e.cmd.Unlock()
	if e.closed() {
		return ErrClosed
	}
	e.mu.Lock()
	dirs := shareDirsOf(e.cfg)
	i := slices.IndexFunc(dirs, func(x string) bool { return sameDir(x, dir) })
	if i < 0 {
		e.mu.Unlock()
		return fmt.Errorf("%s: %w", dir, ErrNotShared)
	}
	dirs = slices.Delete(dirs, i, i+1)
	e.cfg.ShareDir, e.cfg.ShareDirs = "", nil
	if len(dirs) > 0 {
		e.cfg.ShareDir, e.cfg.ShareDirs = dirs[0], dirs[1:]
	}
	nr := e.node
	e.mu.Unlock()
	if nr == nil {
		return nil
	}
	return nr.index.remove(dir)
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
	restart := changed && !e.cfg.NoServe && len(shareDirsOf(e.cfg)) > 0
	e.mu.Unlock()
	if !restart {
		return nil
	}
	return e.restartNode()
}
