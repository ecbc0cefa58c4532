// Command trackerload is the tracker's load generator (scripts/bench-tracker.sh
// runs it against a real `enxame tracker` on loopback). It registers
// -peers peers of -files files each (net/tracker/internal/corpus), then
// measures, -runs times each, for -duration:
//
//   - heartbeat: heartbeats over -conns persistent connections, one
//     request in flight per connection (strict request/answer);
//   - heartbeat-pipelined: the same with -depth requests sent at once per
//     connection (the protocol answers in order, so clients may pipeline);
//   - search: selective searches (one result each) over persistent
//     connections;
//   - connect: one new connection per heartbeat (connect, ask, read,
//     close) from -connect-conns workers, as wrk does with
//     "Connection: close".
//
// It prints one line per measurement and then the medians.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enxame/enxame/net/tracker/internal/corpus"
	"github.com/enxame/enxame/net/wire"
)

type result struct {
	phase    string
	requests int
	errors   int
	seconds  float64
	lat      []time.Duration
	cpu      time.Duration // CPU time the tracker process spent, if known
}

// cpuPerRequest is the tracker's CPU time per answered request, in µs.
func (r result) cpuPerRequest() float64 {
	if r.cpu <= 0 || r.requests == 0 {
		return 0
	}
	return float64(r.cpu.Microseconds()) / float64(r.requests)
}

// processCPU returns the user+system CPU time of process pid so far, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s).
func processCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func (r result) rps() float64 { return float64(r.requests) / r.seconds }

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]
}

func main() {
	addr := flag.String("addr", "127.0.0.1:7077", "tracker address")
	peers := flag.Int("peers", 10000, "peers to register")
	files := flag.Int("files", 100, "files per peer")
	conns := flag.Int("conns", 32, "connections per measurement")
	depth := flag.Int("depth", 16, "heartbeats in flight per connection in heartbeat-pipelined")
	duration := flag.Duration("duration", 4*time.Second, "length of one measurement")
	runs := flag.Int("runs", 3, "measurements per phase")
	phases := flag.String("phases", "heartbeat,heartbeat-pipelined,search,connect", "phases to run, comma-separated")
	connectConns := flag.Int("connect-conns", 16, "concurrent connections in the connect phase (wrk's -c)")
	freePort := flag.Bool("free-port", false, "print a free loopback TCP port and exit")
	httpPath := flag.String("http-announce", "", "with -phases connect-http: the announce `path?query` to GET from an HTTP tracker (the baseline, with the same client)")
	pid := flag.Int("pid", 0, "the tracker's process id: report its CPU time per request")
	register := flag.Bool("register", true, "register the peers first (false: they are already there; no heartbeat phases)")
	flag.Parse()
	if *freePort {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "trackerload:", err)
			os.Exit(1)
		}
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
		return
	}

	var tokens []string
	if *register && *httpPath == "" {
		start := time.Now()
		var err error
		tokens, err = populate(*addr, *peers, *files, 8)
		if err != nil {
			fmt.Fprintln(os.Stderr, "trackerload: registering:", err)
			os.Exit(1)
		}
		fmt.Printf("registered %d peers x %d files in %.1fs\n", len(tokens), *files, time.Since(start).Seconds())
	}

	all := map[string][]result{}
	var order []string
	for _, ph := range bytes.Split([]byte(*phases), []byte(",")) {
		phase := string(ph)
		order = append(order, phase)
		for range *runs {
			var r result
			cpu0 := processCPU(*pid)
			switch phase {
			case "heartbeat":
				r = persistent(*addr, *conns, 1, *duration, heartbeatLines(tokens))
			case "heartbeat-pipelined":
				r = persistent(*addr, *conns, *depth, *duration, heartbeatLines(tokens))
			case "search":
				r = persistent(*addr, *conns, 1, *duration, searchLines(*peers, *files))
			case "connect":
				r = connectEach(*addr, *connectConns, *duration, heartbeatLines(tokens), askTLS, func(b []byte) bool { return bytes.HasPrefix(b, okPrefix) })
			case "connect-http":
				get := []byte("GET " + *httpPath + " HTTP/1.0\r\n\r\n")
				r = connectEach(*addr, *connectConns, *duration, [][]byte{get}, askOnce, func(b []byte) bool { return bytes.HasPrefix(b, []byte("HTTP/1.1 200 OK")) })
			default:
				fmt.Fprintln(os.Stderr, "trackerload: unknown phase", phase)
				os.Exit(2)
			}
			r.phase = phase
			if *pid > 0 {
				r.cpu = processCPU(*pid) - cpu0
			}
			n := *conns
			if phase == "connect" || phase == "connect-http" {
				n = *connectConns
			}
			fmt.Printf("run phase=%s conns=%d requests=%d errors=%d rps=%.0f p50_us=%d p99_us=%d tracker_cpu_us=%.1f\n",
				phase, n, r.requests, r.errors, r.rps(), r.pct(0.50).Microseconds(), r.pct(0.99).Microseconds(), r.cpuPerRequest())
			all[phase] = append(all[phase], r)
		}
	}
	for _, phase := range order {
		rs := all[phase]
		rps := make([]float64, len(rs))
		p99 := make([]float64, len(rs))
		cpu := make([]float64, len(rs))
		errs := 0
		for i, r := range rs {
			rps[i], p99[i], cpu[i] = r.rps(), float64(r.pct(0.99).Microseconds()), r.cpuPerRequest()
			errs += r.errors
		}
		fmt.Printf("median phase=%s rps=%.0f p99_us=%.0f errors=%d tracker_cpu_us=%.1f\n", phase, median(rps), median(p99), errs, median(cpu))
	}
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// populate registers the peers over parallel connections; peer i gets
// port 10000+i%50000 on loopback address 127.0.x.y so that ip:port pairs
// differ.
func populate(addr string, peers, files, par int) ([]string, error) {
	tokens := make([]string, peers)
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, par)
	for range par {
		wg.Go(func() {
			c, err := dialTracker(addr)
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			br := bufio.NewReaderSize(c, 64<<10)
			for {
				i := int(next.Add(1) - 1)
				if i >= peers {
					return
				}
				line, _ := json.Marshal(map[string]any{"op": wire.OpRegister, "port": 10000 + i, "files": corpus.Files(i, files)})
				c.SetDeadline(time.Now().Add(30 * time.Second))
				if _, err := c.Write(append(line, '\n')); err != nil {
					errc <- err
					return
				}
				ans, err := br.ReadBytes('\n')
				if err != nil {
					errc <- err
					return
				}
				var resp wire.RegisterResponse
				if json.Unmarshal(ans, &resp) != nil || !resp.OK {
					errc <- fmt.Errorf("register answered %s", ans)
					return
				}
				tokens[i] = resp.Token
			}
		})
	}
	wg.Wait()
	close(errc)
	return tokens, <-errc
}

func heartbeatLines(tokens []string) [][]byte {
	lines := make([][]byte, len(tokens))
	for i, t := range tokens {
		lines[i] = []byte(`{"op":"heartbeat","token":"` + t + `"}` + "\n")
	}
	return lines
}

func searchLines(peers, files int) [][]byte {
	lines := make([][]byte, 4096)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range lines {
		q := corpus.SelectiveQuery(rng.IntN(peers), corpus.PopularPerPeer+rng.IntN(files-corpus.PopularPerPeer))
		lines[i] = []byte(`{"op":"search","q":"` + q + `"}` + "\n")
	}
	return lines
}

var okPrefix = []byte(`{"ok":true`)

// persistent sends lines round-robin over conns connections, depth at a time
// per connection, for d; latency is from a batch's write to each answer.
func persistent(addr string, conns, depth int, d time.Duration, lines [][]byte) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		mu  sync.Mutex
		res result
		wg  sync.WaitGroup
	)
	begin := time.Now()
	for w := range conns {
		wg.Go(func() {
			c, err := dialTracker(addr)
			if err != nil {
				mu.Lock()
				res.errors++
				mu.Unlock()
				return
			}
			defer c.Close()
			br := bufio.NewReaderSize(c, 64<<10)
			lat := make([]time.Duration, 0, 1<<16)
			n, errs := 0, 0
			i := w * 7919
			var batch []byte
			for ctx.Err() == nil {
				batch = batch[:0]
				for range depth {
					batch = append(batch, lines[i%len(lines)]...)
					i++
				}
				t0 := time.Now()
				c.SetDeadline(t0.Add(10 * time.Second))
				if _, err := c.Write(batch); err != nil {
					errs++
					break
				}
				for range depth {
					ans, err := br.ReadSlice('\n')
					if err != nil {
						errs++
						break
					}
					if !bytes.HasPrefix(ans, okPrefix) {
						errs++
					}
					lat = append(lat, time.Since(t0))
					n++
				}
			}
			mu.Lock()
			res.requests += n
			res.errors += errs
			res.lat = append(res.lat, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.seconds = time.Since(begin).Seconds()
	slices.Sort(res.lat)
	return res
}

// connectEach opens a new connection per request (IPv4 only) with ask.
// A request succeeds when ok accepts (the start of) its answer.
func connectEach(addr string, workers int, d time.Duration, lines [][]byte, ask func(netip.AddrPort, []byte, []byte) (int, error), ok func([]byte) bool) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		mu  sync.Mutex
		res result
		wg  sync.WaitGroup
	)
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		fmt.Fprintln(os.Stderr, "trackerload: connect phase needs an IPv4 ip:port, got", addr)
		res.errors++
		return res
	}
	begin := time.Now()
	for w := range workers {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1<<15)
			n, errs := 0, 0
			buf := make([]byte, 512)
			for i := w * 7919; ctx.Err() == nil; i++ {
				t0 := time.Now()
				k, err := ask(ap, lines[i%len(lines)], buf)
				if err != nil || !ok(buf[:k]) {
					if errs++; errs == 1 {
						fmt.Fprintf(os.Stderr, "trackerload: connect: %v %q\n", err, buf[:k])
					}
					continue
				}
				lat = append(lat, time.Since(t0))
				n++
			}
			mu.Lock()
			res.requests += n
			res.errors += errs
			res.lat = append(res.lat, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.seconds = time.Since(begin).Seconds()
	slices.Sort(res.lat)
	return res
}
