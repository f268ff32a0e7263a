// loadtest measures echo servers over loopback: step 4's two servers (the
// lesson's and the robust one), a goroutine-per-connection server on Go's
// net package (./netserver, the baseline), and any other server given as a
// command. Each runs as its own process; on
// Linux with two or more CPUs the server is pinned to CPU 0 and this driver
// to CPU 1, so the server's figures are its own work.
//
// It prints `go test -bench` style lines (benchstat can compare runs) and a
// summary with medians, spreads and ratios. Run it from the repository's root:
//
//	go run ./step4-server/loadtest
//	go run ./step4-server/loadtest -lesson path/to/server.py  # the lesson's own server too
//	go run ./step4-server/loadtest -peer 'mine=./myserver -port {port}'
//	go run ./step4-server/loadtest -solutions step4-poll,step4-epoll  # exercise solutions too
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A server is a command to start; {port} in it becomes the port to use.
type server struct {
	name    string
	command string
}

// A result is one measurement of one server.
type result struct {
	msgs      int           // round trips completed
	elapsed   time.Duration // how long they took
	p50, p99  time.Duration // round-trip latency
	cpuPerMsg time.Duration // the server's CPU time per round trip
}

var (
	duration = flag.Duration("duration", 2*time.Second, "how long each throughput measurement runs")
	rounds   = flag.Int("rounds", 5, "how many times each measurement is repeated, servers alternating; medians are reported")
	size     = flag.Int("size", 64, "message size in bytes")
	pin      = flag.Bool("pin", true, "pin the server to CPU 0 and the driver to CPU 1 (Linux, 2+ CPUs)")
	svgDir   = flag.String("svg", "", "write the plots, throughput.svg and select.svg, into this folder")
)

func main() {
	connsFlag := flag.String("conns", "1,10,100,1000", "connection counts to measure throughput at; empty to skip")
	idleFlag := flag.String("idle", "0,100,500,1000", "idle connection counts beside one busy client; empty to skip")
	burst := flag.Int("burst", 1000, "clients that connect at once, five messages each; 0 to skip")
	only := flag.String("servers", "", "measure only these servers, e.g. robust,netserver; empty for all")
	solutions := flag.String("solutions", "", "exercise `solutions` to measure too, e.g. step4-poll,step4-epoll: each is applied to a copy of the repository")
	lesson := flag.String("lesson", "", "the lesson's `server.py`, to measure it too, as \"python\" (needs python3)")
	var peers []server
	flag.Func("peer", "another server as `name=command`, {port} for its port (repeatable)", func(s string) error {
		name, cmd, ok := strings.Cut(s, "=")
		if !ok || name == "" || !strings.Contains(cmd, "{port}") {
			return errors.New("want name=command, with {port} in the command")
		}
		peers = append(peers, server{name, cmd})
		return nil
	})
	flag.Parse()
	log.SetFlags(0)

	dir, err := os.MkdirTemp("", "loadtest")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	servers := []server{
		{"lesson", command(build(dir, "./step4-server"), "./step4-server")},
		{"robust", command(build(dir, "./step4-server/robust"), "./step4-server/robust")},
		{"netserver", build(dir, "./step4-server/loadtest/netserver") + " -addr 127.0.0.1:{port}"},
	}
	if *lesson != "" {
		servers = append(servers, pythonServer(*lesson))
	}
	for _, name := range strings.Split(*solutions, ",") {
		if name = strings.TrimSpace(name); name != "" {
			servers = append(servers, server{name, buildSolution(dir, ".", name)})
		}
	}
	servers = append(servers, peers...)
	if *only != "" {
		servers = slices.DeleteFunc(servers, func(s server) bool { return !slices.Contains(strings.Split(*only, ","), s.name) })
	}
	pinned := *pin && pinDriver()
	fmt.Printf("goos: %s\ngoarch: %s\ncpus: %d\npinned: %v\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), pinned)

	echo := map[string]map[int][]result{} // server -> conns -> one result per round
	conns := ints(*connsFlag)
	for _, c := range conns {
		for r := range *rounds {
			for _, s := range servers {
				res, err := measure(s, pinned, 0, c)
				if err != nil {
					log.Fatalf("%s, %d connections, round %d: %v", s.name, c, r+1, err)
				}
				if echo[s.name] == nil {
					echo[s.name] = map[int][]result{}
				}
				echo[s.name][c] = append(echo[s.name][c], res)
				printBench(fmt.Sprintf("Echo/server=%s/conns=%d", s.name, c), res)
			}
		}
	}
	idle := map[string]map[int][]result{}
	idleCounts := ints(*idleFlag)
	for _, n := range idleCounts {
		for r := range *rounds {
			for _, s := range servers {
				res, err := measure(s, pinned, n, 1)
				if err != nil {
					log.Fatalf("%s, %d idle, round %d: %v", s.name, n, r+1, err)
				}
				if idle[s.name] == nil {
					idle[s.name] = map[int][]result{}
				}
				idle[s.name][n] = append(idle[s.name][n], res)
				printBench(fmt.Sprintf("Select/server=%s/idle=%d", s.name, n), res)
			}
		}
	}
	bursts := map[string][]time.Duration{}
	burstFailures := map[string]int{}
	if *burst > 0 {
		for range *rounds {
			for _, s := range servers {
				d, err := burstTime(s, pinned, *burst)
				if err != nil {
					fmt.Printf("# burst, %s: %v\n", s.name, err)
					burstFailures[s.name]++
					continue
				}
				bursts[s.name] = append(bursts[s.name], d)
				fmt.Printf("BenchmarkBurst/server=%s/clients=%d\t1\t%d ns/op\n", s.name, *burst, d.Nanoseconds())
			}
		}
	}
	memory := map[string]float64{}
	for _, s := range servers {
		b, err := memoryPerConn(s, pinned, 1000)
		if err != nil {
			fmt.Printf("# memory, %s: %v\n", s.name, err)
			continue
		}
		memory[s.name] = b
		fmt.Printf("BenchmarkMemory/server=%s/conns=1000\t1\t%.0f B/conn\n", s.name, b)
	}
	summary(servers, conns, idleCounts, echo, idle, bursts, burstFailures, memory)
	if *svgDir != "" {
		writeCharts(*svgDir, servers, conns, idleCounts, echo, idle)
	}
}

// writeCharts draws what the measurements show best as pictures.
func writeCharts(dir string, servers []server, conns, idleCounts []int, echo, idle map[string]map[int][]result) {
	charts := map[string]chart{}
	if len(conns) > 1 && conns[0] > 0 {
		charts["throughput.svg"] = chart{
			title:  fmt.Sprintf("Echo round trips per second, %d-byte messages", *size),
			xLabel: "connections, each sending its next message on a reply",
			logX:   true, xs: conns, y: rate, data: echo,
			yUnit: func(v float64) string { return fmt.Sprintf("%.0fk", v/1000) },
		}
	}
	if len(idleCounts) > 1 {
		charts["select.svg"] = chart{
			title:  "Server CPU per message: one busy client beside idle ones",
			xLabel: "idle connections",
			xs:     idleCounts, data: idle,
			y:     cpu,
			yUnit: func(v float64) string { return fmt.Sprintf("%.0f µs", v) },
		}
	}
	for name, c := range charts {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, c.svg(servers), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Println("wrote", path)
	}
}

// build compiles a package into dir and returns the binary's path.
func build(dir, pkg string) string {
	abs, err := filepath.Abs(pkg) // "..", from a test, names its folder
	if err != nil {
		log.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(abs))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("go build %s: %v (run this from the repository's root)", pkg, err)
	}
	return out
}

// command is the command line that runs the step 4 server built from pkg
// at bin: the robust server with -quiet; the lesson's, which prints a line
// per client and has no -quiet, with its output thrown away.
func command(bin, pkg string) string {
	if strings.HasSuffix(pkg, "robust") {
		return bin + " -quiet -addr 127.0.0.1:{port}"
	}
	return bin + " -addr 127.0.0.1:{port} >/dev/null"
}

// buildSolution applies docs/solutions/NAME.patch to a copy of the files
// git tracks in the repository at root, as they are in its working tree,
// builds that copy's step 4 server (the robust one if the patch changes
// it, else the lesson's) into dir, and returns the command that runs it.
func buildSolution(dir, root, name string) string {
	src := filepath.Join(dir, name+"-src")
	patch, err := filepath.Abs(filepath.Join(root, "docs", "solutions", name+".patch"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := os.Stat(patch); err != nil {
		log.Fatalf("solution %s: %v (run this from the repository's root)", name, err)
	}
	if err := os.Mkdir(src, 0o755); err != nil {
		log.Fatal(err)
	}
	copyTree := exec.Command("sh", "-c", `git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$0"`, src)
	copyTree.Dir = root
	apply := exec.Command("git", "apply", patch)
	apply.Dir = src
	for _, cmd := range []*exec.Cmd{copyTree, apply} {
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("solution %s: %s: %v", name, strings.Join(cmd.Args, " "), err)
		}
	}
	pkg := "./step4-server"
	if text, err := os.ReadFile(patch); err == nil && bytes.Contains(text, []byte("+++ b/step4-server/robust/")) {
		pkg = "./step4-server/robust"
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir, cmd.Stderr = src, os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("solution %s: go build %s: %v", name, pkg, err)
	}
	return command(out, pkg)
}

// pythonServer runs the lesson's server.py on a port of our choosing: it
// imports the file (which runs nothing on import) and calls its own
// tcp_server and run, on 127.0.0.1 instead of every interface.
func pythonServer(path string) server {
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		log.Fatal(err)
	}
	module := strings.TrimSuffix(filepath.Base(path), ".py")
	code := fmt.Sprintf(`import sys; sys.path.insert(0, %q); import %s as s; s.tasks.append(s.tcp_server(("127.0.0.1", {port}), s.echo_handler)); s.run()`, dir, module)
	return server{"python", "python3 -c '" + strings.ReplaceAll(code, "'", `'\''`) + "' >/dev/null"}
}

// ints parses "1,10,100".
func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			log.Fatalf("not a number: %q", f)
		}
		out = append(out, n)
	}
	return out
}

// A running server process.
type process struct {
	cmd  *exec.Cmd
	addr string
}

// start runs s on a free loopback port and waits until it accepts.
func start(s server, pinned bool) (*process, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	command := strings.ReplaceAll(s.command, "{port}", strconv.Itoa(port))
	if pinned {
		command = "taskset -c 0 " + command
	}
	p := &process{cmd: exec.Command("sh", "-c", "exec "+command), addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	for i := 0; ; i++ { // wait until it listens: up to 10 s
		c, err := net.Dial("tcp", p.addr)
		if err == nil {
			c.Close()
			return p, nil
		}
		if i == 1000 {
			p.stop()
			return nil, fmt.Errorf("%s: not listening after 10s: %v", s.name, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop ends the server: SIGTERM, then SIGKILL if it is still there after
// 5 seconds.
func (p *process) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		p.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// client is one connection with its message and the reply it expects.
type client struct {
	conn      net.Conn
	msg, want []byte
	got       []byte
}

// dial opens n connections to addr and checks one exchange on each.
func dial(addr string, n int) ([]*client, error) {
	var cs []*client
	for i := range n {
		conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			closeAll(cs)
			return nil, err
		}
		conn.SetDeadline(time.Now().Add(*duration + time.Minute)) // once: a deadline per message costs the driver time
		msg := bytes.Repeat([]byte{'a' + byte(i%26)}, *size)
		c := &client{conn: conn, msg: msg, want: append([]byte("GOT:"), msg...), got: make([]byte, len("GOT:")+*size)}
		cs = append(cs, c)
		if err := c.exchange(); err != nil {
			closeAll(cs)
			return nil, err
		}
	}
	return cs, nil
}

// exchange sends the message and checks the whole reply.
func (c *client) exchange() error {
	if _, err := c.conn.Write(c.msg); err != nil {
		return err
	}
	if _, err := io.ReadFull(c.conn, c.got); err != nil {
		return err
	}
	if !bytes.Equal(c.got, c.want) {
		return fmt.Errorf("wrong reply %q", c.got)
	}
	return nil
}

func closeAll(cs []*client) {
	for _, c := range cs {
		c.conn.Close()
	}
}

// measure starts s, opens idle connections that stay silent and busy ones
// that exchange messages as fast as replies come, for -duration.
func measure(s server, pinned bool, idle, busy int) (result, error) {
	p, err := start(s, pinned)
	if err != nil {
		return result{}, err
	}
	defer p.stop()
	quiet, err := dial(p.addr, idle)
	if err != nil {
		return result{}, err
	}
	defer closeAll(quiet)
	cs, err := dial(p.addr, busy)
	if err != nil {
		return result{}, err
	}
	defer closeAll(cs)

	var wg sync.WaitGroup
	lat := make([][]time.Duration, len(cs))
	errs := make([]error, len(cs))
	cpu0 := cpuTime(p.cmd.Process.Pid)
	begin := time.Now()
	end := begin.Add(*duration)
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t := time.Now()
				if t.After(end) {
					return
				}
				if err := c.exchange(); err != nil {
					errs[i] = err
					return
				}
				lat[i] = append(lat[i], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	cpu := cpuTime(p.cmd.Process.Pid) - cpu0
	if err := errors.Join(errs...); err != nil {
		return result{}, err
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return result{}, errors.New("no message completed")
	}
	return result{
		msgs: len(all), elapsed: elapsed,
		p50: all[len(all)/2], p99: all[len(all)*99/100],
		cpuPerMsg: cpu / time.Duration(len(all)),
	}, nil
}

// burstLimit bounds a burst: the lesson's listen(5) can leave clients
// retrying their connection for tens of seconds.
const burstLimit = 20 * time.Second

// burstTime starts s and times n clients that connect at once and exchange
// five messages each.
func burstTime(s server, pinned bool, n int) (time.Duration, error) {
	p, err := start(s, pinned)
	if err != nil {
		return 0, err
	}
	defer p.stop()
	var wg sync.WaitGroup
	errs := make([]error, n)
	begin := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.DialTimeout("tcp", p.addr, burstLimit)
			if err != nil {
				errs[i] = err
				return
			}
			defer conn.Close()
			msg := bytes.Repeat([]byte{'b'}, *size)
			c := &client{conn: conn, msg: msg, want: append([]byte("GOT:"), msg...), got: make([]byte, len("GOT:")+*size)}
			conn.SetDeadline(begin.Add(burstLimit))
			for range 5 {
				if errs[i] = c.exchange(); errs[i] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	failed := slices.DeleteFunc(errs, func(err error) bool { return err == nil })
	if len(failed) > 0 {
		return 0, fmt.Errorf("%d of %d clients failed within %v, the first with: %v", len(failed), n, burstLimit, failed[0])
	}
	return elapsed, nil
}

// memoryPerConn starts s and returns how much its resident memory grows
// per connection, with n connections open that have each echoed once.
func memoryPerConn(s server, pinned bool, n int) (float64, error) {
	p, err := start(s, pinned)
	if err != nil {
		return 0, err
	}
	defer p.stop()
	before, err := rss(p.cmd.Process.Pid)
	if err != nil {
		return 0, err
	}
	cs, err := dial(p.addr, n)
	if err != nil {
		return 0, err
	}
	defer closeAll(cs)
	after, err := rss(p.cmd.Process.Pid)
	return float64(after-before) / float64(n), err
}

// printBench prints a result as a benchmark line.
func printBench(name string, r result) {
	fmt.Printf("Benchmark%s\t%d\t%d ns/op\t%.0f msgs/s\t%.1f p50-us\t%.1f p99-us\t%.2f cpu-us/msg\n",
		name, r.msgs, (r.elapsed / time.Duration(r.msgs)).Nanoseconds(), rate(r),
		us(r.p50), us(r.p99), us(r.cpuPerMsg))
}

func rate(r result) float64      { return float64(r.msgs) / r.elapsed.Seconds() }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// median returns the median of what f gives for each result.
func median(rs []result, f func(result) float64) float64 {
	v := values(rs, f)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

// spread returns how far apart the rounds are: the range of what f gives,
// from the lowest to the highest, as a percentage of the median.
func spread(rs []result, f func(result) float64) float64 {
	v := values(rs, f)
	if len(v) == 0 || v[len(v)/2] == 0 {
		return 0
	}
	return (v[len(v)-1] - v[0]) / v[len(v)/2] * 100
}

// values returns what f gives for each result, sorted.
func values(rs []result, f func(result) float64) []float64 {
	var v []float64
	for _, r := range rs {
		v = append(v, f(r))
	}
	slices.Sort(v)
	return v
}

func cpu(r result) float64 { return us(r.cpuPerMsg) }

// summary prints medians side by side, with the spread over the rounds,
// and each server's throughput, and messages per CPU-second, as ratios to
// the baseline's (netserver, or the first server when it is not measured).
func summary(servers []server, conns, idleCounts []int, echo, idle map[string]map[int][]result, bursts map[string][]time.Duration, burstFailures map[string]int, memory map[string]float64) {
	fmt.Printf("\nMedians of %d rounds; \"range\" is the spread from the lowest round to the highest, as a share of the median.\n", *rounds)
	fmt.Println("msgs/s: higher is better; latency and CPU per message: lower is better.")
	baseline := servers[0].name
	if i := slices.IndexFunc(servers, func(s server) bool { return s.name == "netserver" }); i >= 0 {
		baseline = servers[i].name
	}
	fmt.Printf("ratios are to %s: msgs/s, and messages per server CPU-second (its cpu us/msg over ours)\n", baseline)
	fmt.Printf("%-12s %6s %10s %6s %9s %9s %12s %6s %8s %8s\n", "server", "conns", "msgs/s", "range", "p50 us", "p99 us", "cpu us/msg", "range", "msgs/s", "msgs/cpu")
	for _, c := range conns {
		base, baseCPU := median(echo[baseline][c], rate), median(echo[baseline][c], cpu)
		for _, s := range servers {
			rs := echo[s.name][c]
			m := median(rs, rate)
			fmt.Printf("%-12s %6d %10.0f %5.0f%% %9.1f %9.1f %12.2f %5.0f%% %7.2fx %7.2fx\n", s.name, c, m, spread(rs, rate),
				median(rs, func(r result) float64 { return us(r.p50) }),
				median(rs, func(r result) float64 { return us(r.p99) }),
				median(rs, cpu), spread(rs, cpu), m/base, baseCPU/median(rs, cpu))
		}
	}
	if len(idle) > 0 {
		fmt.Printf("\n%-12s %6s %10s %6s %12s %6s   (one busy client beside idle ones)\n", "server", "idle", "msgs/s", "range", "cpu us/msg", "range")
		for _, n := range idleCounts {
			for _, s := range servers {
				rs := idle[s.name][n]
				fmt.Printf("%-12s %6d %10.0f %5.0f%% %12.2f %5.0f%%\n", s.name, n, median(rs, rate), spread(rs, rate), median(rs, cpu), spread(rs, cpu))
			}
		}
	}
	if len(bursts)+len(burstFailures) > 0 {
		fmt.Printf("\n%-12s %12s\n", "server", "burst (s)")
		for _, s := range servers {
			if ds := bursts[s.name]; len(ds) > 0 {
				slices.Sort(ds)
				fmt.Printf("%-12s %12.3f\n", s.name, ds[len(ds)/2].Seconds())
			}
			if n := burstFailures[s.name]; n > 0 {
				fmt.Printf("%-12s %12s   (%d of %d rounds: not every client done within %v)\n", s.name, "failed", n, *rounds, burstLimit)
			}
		}
	}
	if len(memory) > 0 {
		fmt.Printf("\n%-12s %12s\n", "server", "bytes/conn")
		for _, s := range servers {
			if b, ok := memory[s.name]; ok {
				fmt.Printf("%-12s %12.0f\n", s.name, b)
			}
		}
	}
}
