package tracker

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/wire"
)

// Session timing.
const (
	// UpdateDelay coalesces file list changes into one update.
	UpdateDelay = 300 * time.Millisecond
	// RetryMinDelay and RetryMaxDelay bound the back-off between attempts
	// to reach a tracker that does not answer.
	RetryMinDelay = 250 * time.Millisecond
	RetryMaxDelay = 30 * time.Second
	// UnregisterTimeout bounds the goodbye when a session ends.
	UnregisterTimeout = 2 * time.Second
	// requestTimeout bounds one request of a session.
	requestTimeout = 10 * time.Second
)

// SessionConfig configures a Session.
type SessionConfig struct {
	Tracker string // tracker address, host:port
	Port    int    // the port this peer serves on
	// CanHost registers with "can_host": true (see Client.RegisterCanHost).
	CanHost bool
	// Name is the device's name registered ("" none).
	Name string
	// Credentials secure the connections to the tracker.
	Credentials secure.Credentials
	Logger      *slog.Logger
}

// SessionStatus is a value snapshot of a session.
type SessionStatus struct {
	Registered  bool
	Addr        string // this peer's address as the tracker recorded it
	Tracker     string
	LastError   string
	LastContact time.Time
	Files       int
	// Secret is the network secret the tracker gave at registration (a
	// private network's); nil on an open network or before registering.
	Secret *secure.NetworkSecret
}

// Session keeps a peer registered with a tracker: it registers, heartbeats
// at the interval the tracker asks for (with jitter), sends file list
// changes, registers again when the tracker forgot it (unknown_peer, a
// restart) with capped exponential back-off while the tracker is away, and
// unregisters when it ends.
type Session struct {
	cfg     SessionConfig
	log     *slog.Logger
	client  *Client
	changed chan struct{}
	dirty   chan struct{}

	mu     sync.Mutex
	files  []wire.FileEntry
	status SessionStatus
}

// NewSession returns a session announcing files; Run starts it.
func NewSession(cfg SessionConfig, files []wire.FileEntry) *Session {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Session{
		cfg:     cfg,
		log:     cfg.Logger.With("tracker", cfg.Tracker),
		client:  NewClientWith(cfg.Tracker, cfg.Credentials),
		changed: make(chan struct{}, 1),
		dirty:   make(chan struct{}, 1),
		files:   nonNil(files),
		status:  SessionStatus{Tracker: cfg.Tracker, Files: len(files)},
	}
}

// SetFiles replaces the announced file list; the tracker is told soon
// (changes within UpdateDelay are sent as one update).
func (s *Session) SetFiles(files []wire.FileEntry) {
	s.mu.Lock()
	s.files = nonNil(files)
	s.status.Files = len(files)
	s.mu.Unlock()
	select {
	case s.dirty <- struct{}{}:
	default:
	}
	s.notify()
}

// Status returns a snapshot of the session.
func (s *Session) Status() SessionStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Changed is signalled (coalesced, never blocking the session) when Status
// may have changed.
func (s *Session) Changed() <-chan struct{} { return s.changed }

func (s *Session) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *Session) update(f func(st *SessionStatus)) {
	s.mu.Lock()
	f(&s.status)
	s.mu.Unlock()
	s.notify()
}

func (s *Session) currentFiles() []wire.FileEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files
}

// Run keeps the session registered until ctx ends, then unregisters (with
// a short timeout) and returns nil.
func (s *Session) Run(ctx context.Context) error {
	defer s.client.Close()
	var (
		token    string
		interval = wire.DefaultHeartbeatInterval
		retry    time.Duration // current back-off; 0 when the tracker answers
	)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var updateC <-chan time.Time // armed while an update is pending
	pendingUpdate := false

	for {
		select {
		case <-ctx.Done():
			s.goodbye(token)
			return nil
		case <-s.dirty:
			if updateC == nil {
				updateC = time.After(UpdateDelay)
			}
			continue
		case <-updateC:
			updateC = nil
			pendingUpdate = true
		case <-timer.C:
		}

		var err error
		switch {
		case token == "":
			err = s.register(ctx, &token, &interval)
			pendingUpdate = false // register sent the current list
		case pendingUpdate:
			err = s.request(ctx, token, func(rctx context.Context) error {
				return s.client.Update(rctx, token, s.currentFiles())
			})
			if err == nil {
				pendingUpdate = false
			}
		default:
			err = s.request(ctx, token, func(rctx context.Context) error {
				return s.client.Heartbeat(rctx, token)
			})
		}
		if ctx.Err() != nil {
			continue // the loop says goodbye
		}

		next := jitter(interval)
		switch {
		case err == nil:
			retry = 0
		case errors.Is(err, wire.ErrUnknownPeer):
			// The tracker forgot us (expired, restarted): register now.
			s.log.Info("Tracker forgot this peer, registering again")
			token = ""
			next = 0
		case wire.CodeOf(err) != "":
			// An answer, but a refusal (limit, bad_request…): retry later.
			retry = backoff(retry)
			next = retry
		default:
			// No answer: the tracker is away. Keep the token (it may come
			// back, or answer unknown_peer), retry with back-off.
			retry = backoff(retry)
			next = retry
			s.update(func(st *SessionStatus) { st.Registered = false; st.LastError = err.Error() })
		}
		if err != nil {
			s.log.Warn("Tracker request failed", "error", err, "retryIn", next.Round(time.Millisecond))
		}
		timer.Reset(next)
	}
}

func (s *Session) register(ctx context.Context, token *string, interval *time.Duration) error {
	files := s.currentFiles()
	var resp *wire.RegisterResponse
	err := s.request(ctx, "", func(rctx context.Context) error {
		var err error
		resp, err = s.client.RegisterWith(rctx, Registration{Port: s.cfg.Port, Files: files, CanHost: s.cfg.CanHost, Name: s.cfg.Name})
		return err
	})
	if err != nil {
		return err
	}
	*token = resp.Token
	if resp.HeartbeatS > 0 {
		*interval = time.Duration(resp.HeartbeatS * float64(time.Second))
	}
	var secret *secure.NetworkSecret
	if resp.Secret != "" && s.cfg.Credentials.Private() {
		if v, err := secure.ParseNetworkSecret(resp.Secret); err == nil { // checked by the client
			secret = &v
		}
	}
	s.update(func(st *SessionStatus) {
		st.Registered = true
		st.Addr = resp.Addr
		st.LastError = ""
		st.Secret = secret
	})
	s.log.Info("Registered with tracker", "addr", resp.Addr, "files", len(files), "heartbeat", *interval)
	return nil
}

// request runs one request with a timeout and records the contact. A
// success confirms the registration when token is set (heartbeat, update);
// register records its own success, with the address.
func (s *Session) request(ctx context.Context, token string, f func(ctx context.Context) error) error {
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	err := f(rctx)
	if err == nil || wire.CodeOf(err) != "" {
		s.update(func(st *SessionStatus) {
			st.LastContact = time.Now()
			switch {
			case err == nil && token != "":
				st.Registered = true
				st.LastError = ""
			case errors.Is(err, wire.ErrUnknownPeer):
				st.Registered = false
				st.LastError = err.Error()
			}
		})
	}
	return err
}

func (s *Session) goodbye(token string) {
	if token == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), UnregisterTimeout)
	defer cancel()
	if err := s.client.Unregister(ctx, token); err != nil {
		s.log.Debug("Unregistering failed", "error", err)
	}
	s.update(func(st *SessionStatus) { st.Registered = false })
}

// jitter returns a heartbeat delay in [0.75, 1] × interval: early enough
// never to be late, spread enough that peers do not beat in step.
func jitter(interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	return interval - time.Duration(rand.Int64N(int64(interval)/4+1))
}

// backoff doubles the delay from RetryMinDelay up to RetryMaxDelay, with
// up to 25 % jitter.
func backoff(d time.Duration) time.Duration {
	d = min(max(2*d, RetryMinDelay), RetryMaxDelay)
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}
