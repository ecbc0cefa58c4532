package transfer

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/enxame/enxame/net/wire"
)

// swarmSim is a model of a class downloading together: one seeder and n
// downloaders, every host's link carrying one chunk per time unit each
// way, each downloader choosing what to ask whom with a real chunkTable.
// Known simplifications: a holder's bitfield is seen every haveEvery
// units (after it is first listed, listAfter units after its first
// chunk), instantly; uplinks are shared equally among the connections
// with a request out, and a downlink over its capacity slows its
// connections in proportion.
type swarmSim struct {
	chunks    int
	haveEvery float64 // time units between bitfield refreshes
	listAfter float64 // time units before a new partial holder is listed
	dt        float64
	shares    bool // listed downloaders split what only the seeder has

	hosts    []*simHost // hosts[0] is the seeder
	now      float64
	nextHave float64
}

type simHost struct {
	table    *chunkTable // nil for the seeder
	have     wire.Bitfield
	held     int
	firstAt  float64 // when the first chunk arrived (-1 none)
	doneAt   float64 // when the last chunk arrived (-1 not yet)
	uploaded int     // chunks sent, duplicates included
	conns    []*simConn
}

// simConn is a downloader's connection to one of its sources.
type simConn struct {
	client, server *simHost
	src            int // the server's index in the client's table
	queue          []int
	progress       float64 // of queue[0], in chunks
	wake           <-chan struct{}
	rate           float64 // chunks per unit, now
	est            float64 // bytes a second, smoothed, as the worker measures it
}

// The model's time unit is the time a 100 Mbit/s link takes to carry a
// 256 KiB chunk.
const (
	simChunkBytes = 256 << 10
	simLinkBytes  = 100e6 / 8
	simUnit       = simChunkBytes / simLinkBytes // seconds
)

func simUnits(d time.Duration) float64 { return d.Seconds() / simUnit }

func newSwarmSim(downloaders, chunks int, seed uint64) *swarmSim {
	s := &swarmSim{chunks: chunks, haveEvery: simUnits(DefaultHaveInterval), listAfter: simUnits(DefaultRefreshInterval), dt: 0.25, shares: true}
	seeder := &simHost{have: wire.NewBitfield(chunks), held: chunks, firstAt: 0, doneAt: 0}
	for i := range chunks {
		seeder.have.Set(i)
	}
	s.hosts = append(s.hosts, seeder)
	for i := range downloaders {
		t := &chunkTable{rng: rand.New(rand.NewPCG(seed, uint64(i)))}
		s.hosts = append(s.hosts, &simHost{table: t, have: wire.NewBitfield(chunks), firstAt: -1, doneAt: -1})
	}
	for _, c := range s.hosts[1:] {
		for _, srv := range s.hosts {
			if srv == c {
				continue
			}
			c.conns = append(c.conns, &simConn{client: c, server: srv, src: c.table.addHolder(srv.table == nil)})
		}
		c.table.reset(chunks)
	}
	return s
}

// run simulates until every downloader is done (or limit time units).
func (s *swarmSim) run(limit float64) {
	for s.now < limit && !s.done() {
		if s.now >= s.nextHave {
			s.refreshHaves()
			s.nextHave += s.haveEvery
		}
		s.fill()
		s.transfer()
		s.now += s.dt
	}
}

func (s *swarmSim) done() bool {
	for _, h := range s.hosts[1:] {
		if h.doneAt < 0 {
			return false
		}
	}
	return true
}

func (s *swarmSim) refreshHaves() {
	// The tracker lists a downloader as a partial holder listAfter its
	// first chunk, until it is done; each listed one takes its share.
	var listed []*simHost
	for _, h := range s.hosts[1:] {
		if h.firstAt >= 0 && h.doneAt < 0 && s.now >= h.firstAt+s.listAfter {
			listed = append(listed, h)
		}
	}
	for k, h := range listed {
		if s.shares {
			h.table.setShare(k, len(listed))
		}
	}
	for _, c := range s.hosts[1:] {
		for _, cn := range c.conns {
			p := cn.server
			if p.table != nil && p.firstAt >= 0 && s.now >= p.firstAt+s.listAfter {
				c.table.setHave(cn.src, append(wire.Bitfield(nil), p.have...))
			}
		}
	}
}

func (s *swarmSim) fill() {
	for _, c := range s.hosts[1:] {
		for _, cn := range c.conns {
			s.fillConn(cn)
		}
	}
}

// fillConn tops a connection's queue up, as a worker does after every
// answer and when woken (requests take no time to arrive).
func (s *swarmSim) fillConn(cn *simConn) {
	depth := pipelineDepth(cn.est, simChunkBytes, maxPipeline)
	if cn.client.doneAt >= 0 || len(cn.queue) >= depth {
		return
	}
	if cn.wake != nil {
		select {
		case <-cn.wake:
		default:
			return // nothing changed since it found nothing
		}
	}
	cn.queue, cn.wake = cn.client.table.pick(cn.src, cn.queue, depth)
	if len(cn.queue) > 0 {
		cn.wake = nil
	}
}

func (s *swarmSim) transfer() {
	s.shareLinks()
	for _, c := range s.hosts[1:] {
		for _, cn := range c.conns {
			if cn.rate > 0 {
				cn.est = ewma(cn.est, cn.rate*simLinkBytes)
			}
			cn.progress += cn.rate * s.dt
			for cn.progress >= 1 && len(cn.queue) > 0 {
				cn.progress--
				s.arrive(cn, cn.queue[0])
				cn.queue = cn.queue[1:]
				cn.wake = nil
				s.fillConn(cn)
			}
			if len(cn.queue) == 0 {
				cn.progress = 0
			}
		}
	}
}

// shareLinks gives the connections with a request out max-min fair rates
// (as TCP flows roughly get): every link carries one chunk per unit, each
// connection crosses its server's uplink and its client's downlink.
func (s *swarmSim) shareLinks() {
	type link struct {
		host *simHost
		down bool
	}
	left := map[link]float64{}
	var flows []*simConn
	for _, c := range s.hosts[1:] {
		for _, cn := range c.conns {
			cn.rate = 0
			if len(cn.queue) > 0 {
				flows = append(flows, cn)
				left[link{cn.server, false}] = 1
				left[link{cn.client, true}] = 1
			}
		}
	}
	links := func(cn *simConn) [2]link { return [2]link{{cn.server, false}, {cn.client, true}} }
	for len(flows) > 0 {
		users := map[link]int{}
		for _, f := range flows {
			for _, l := range links(f) {
				users[l]++
			}
		}
		inc := 1.0
		for l, n := range users {
			inc = min(inc, left[l]/float64(n))
		}
		for l, n := range users {
			left[l] -= inc * float64(n)
		}
		kept := flows[:0]
		for _, f := range flows {
			f.rate += inc
			if ls := links(f); left[ls[0]] > 1e-9 && left[ls[1]] > 1e-9 {
				kept = append(kept, f)
			}
		}
		flows = kept
	}
}

func (s *swarmSim) arrive(cn *simConn, chunk int) {
	c := cn.client
	cn.server.uploaded++
	if !cn.server.have.Has(chunk) {
		panic(fmt.Sprintf("asked a holder for chunk %d it does not have", chunk))
	}
	if !c.table.received(chunk, 1, true) {
		return
	}
	c.table.written(cn.src, chunk, 1)
	c.have.Set(chunk)
	c.held++
	if c.firstAt < 0 {
		c.firstAt = s.now
	}
	if c.held == s.chunks {
		c.doneAt = s.now
	}
}

// lastDone is when the last downloader finished, in file times (the
// time one link takes to carry the whole file).
func (s *swarmSim) lastDone() float64 {
	last := 0.0
	for _, h := range s.hosts[1:] {
		last = max(last, h.doneAt)
	}
	return last / float64(s.chunks)
}

// TestSwarmSpreads: a class fetching one file from one seeder. With the
// chunk tables choosing, the downloaders soon hold different chunks and
// feed each other, so many take little longer than one and the seeder
// sends little more than one copy (the goals for the real swarm:
// T(8)/T(1) ≤ 1.2, T(16)/T(1) ≤ 1.3, the seeder ≤ 1.5 files for 8).
func TestSwarmSpreads(t *testing.T) {
	const chunks = 400 // 100 MiB
	one := newSwarmSim(1, chunks, 1)
	one.run(4 * chunks)
	for _, c := range []struct {
		n             int
		ratio, seeder float64
	}{{8, 1.25, 1.2}, {16, 1.3, 1.3}} {
		s := newSwarmSim(c.n, chunks, 1)
		s.run(20 * chunks)
		if !s.done() {
			t.Fatalf("%d downloaders not done after %.0f file times", c.n, s.now/chunks)
		}
		seeder := float64(s.hosts[0].uploaded) / chunks
		fed := 0
		for _, h := range s.hosts[1:] {
			fed += h.uploaded
		}
		ratio := s.lastDone() / one.lastDone()
		t.Logf("T(%d)/T(1) = %.2f; the seeder sent %.2f files, the downloaders %.2f", c.n, ratio, seeder, float64(fed)/chunks)
		if ratio > c.ratio || seeder > c.seeder {
			t.Errorf("T(%d)/T(1) = %.2f (want ≤ %.2f), the seeder sent %.2f files (want ≤ %.2f)", c.n, ratio, c.ratio, seeder, c.seeder)
		}
	}
}

// TestFirstPicksDiffer: downloaders that know of no other holder yet ask
// the seeder for different chunks (in file order they would all ask for
// the same ones, and have nothing to give each other).
func TestFirstPicksDiffer(t *testing.T) {
	const n, downloaders, picks = 400, 8, 4
	asked := map[int]int{}
	for i := range downloaders {
		tab := &chunkTable{rng: rand.New(rand.NewPCG(7, uint64(i)))}
		tab.addHolder(true)
		tab.reset(n)
		got, _ := tab.pick(0, nil, picks)
		for _, c := range got {
			asked[c]++
		}
	}
	if len(asked) < downloaders*picks-2 {
		t.Fatalf("%d downloaders asked for only %d different chunks in %d requests", downloaders, len(asked), downloaders*picks)
	}
}
