package transfer

import (
	"context"
	"errors"
)

// The Manager's queue. The list (Manager.jobs) is the queue's order: when
// a place frees (a run ends: done, failed, paused, cancelled), the first
// queued downloads in the list start, up to maxActive running at once.
// Moving a download in the list moves it in the queue; a running download
// is never stopped to make room, not even when the limit is lowered.

// Listed is one download in a Manager's list, as a value.
type Listed struct {
	Download *Download
	Progress Progress
	// Queue is the download's place in the queue, 1 for the next to
	// start; 0 when it is not queued.
	Queue int
}

// SetMaxActive runs at most n downloads at once (planning, verifying,
// downloading or stalled), the others waiting queued in the list's order;
// n ≤ 0 is no limit. Raising the limit starts queued downloads at once;
// lowering it stops none: the excess ends as runs do.
func (m *Manager) SetMaxActive(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.maxActive = max(n, 0)
	m.scheduleLocked()
}

// MaxActive is the limit SetMaxActive set (0 none).
func (m *Manager) MaxActive() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maxActive
}

// Move puts d at index i of the list (clamped to the list), which is its
// place in the queue among the other queued downloads.
func (m *Manager) Move(d *Download, i int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	from := m.indexLocked(d)
	if from < 0 {
		return ErrNotFound
	}
	i = min(max(i, 0), len(m.jobs)-1)
	if i == from {
		return nil
	}
	j := m.jobs[from]
	if i < from {
		copy(m.jobs[i+1:from+1], m.jobs[i:from])
	} else {
		copy(m.jobs[from:i], m.jobs[from+1:i+1])
	}
	m.jobs[i] = j
	m.updated()
	return nil
}

// Snapshot lists the downloads in the list's order with their progress,
// taken together: a run that starts after another ended never shows both
// running.
func (m *Manager) Snapshot() []Listed {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Listed, len(m.jobs))
	q := 0
	for i, j := range m.jobs {
		out[i] = Listed{Download: j.d, Progress: j.d.Progress()}
		if j.queued {
			q++
			out[i].Queue = q
		}
	}
	return out
}

// QueuePlace is d's place in the queue, 1 for the next to start; 0 when d
// is not queued.
func (m *Manager) QueuePlace(d *Download) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := 0
	for _, j := range m.jobs {
		if j.queued {
			q++
			if j.d == d {
				return q
			}
		}
	}
	return 0
}

func (m *Manager) indexLocked(d *Download) int {
	for i, j := range m.jobs {
		if j.d == d {
			return i
		}
	}
	return -1
}

// queueLocked makes j wait for a place; its run will start under ctx.
// Waiters (Wait) wait from now for the run to end.
func (m *Manager) queueLocked(ctx context.Context, j *job) {
	j.queued, j.ctx = true, ctx
	j.done, j.err = make(chan struct{}), nil
	j.d.setQueued()
	m.updated()
}

// unqueueLocked takes j out of the queue without running it, ending its
// wait with cause (ErrPaused: it shows paused; else failed).
func (m *Manager) unqueueLocked(j *job, cause error) {
	j.queued, j.ctx = false, nil
	j.err = cause
	j.d.setStopped(cause)
	close(j.done)
	m.updated()
}

// scheduleLocked starts the first queued downloads in the list while
// places are free.
func (m *Manager) scheduleLocked() {
	if m.closed {
		return
	}
	active := 0
	for _, j := range m.jobs {
		if j.cancel != nil {
			active++
		}
	}
	for _, j := range m.jobs {
		if m.maxActive > 0 && active >= m.maxActive {
			return
		}
		if !j.queued {
			continue
		}
		ctx := j.ctx
		j.queued, j.ctx = false, nil
		m.runLocked(ctx, j)
		active++
	}
}

// setQueued shows d waiting for a place.
func (d *Download) setQueued() {
	d.mu.Lock()
	d.state, d.err = StateQueued, nil
	d.mu.Unlock()
}

// setStopped shows d stopped before its run began: paused for ErrPaused,
// else failed with cause.
func (d *Download) setStopped(cause error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if errors.Is(cause, ErrPaused) {
		d.state, d.err = StatePaused, cause
		return
	}
	d.state, d.err = StateFailed, cause
}
