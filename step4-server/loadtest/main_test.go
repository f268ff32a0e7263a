package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDriverAgainstTheServers builds step 4's two servers, the baseline and
// one exercise's solution, and measures each for a moment: every reply is
// checked, so this proves that the driver, the baseline and a solution
// built from a patched copy speak the same protocol as step 4.
func TestDriverAgainstTheServers(t *testing.T) {
	*duration = 200 * time.Millisecond
	dir := t.TempDir()
	for _, s := range []server{
		{"lesson", command(build(dir, ".."), "..")},
		{"robust", command(build(dir, "../robust"), "../robust")},
		{"netserver", build(dir, "./netserver") + " -addr 127.0.0.1:{port}"},
		{"step4-poll", buildSolution(dir, "../..", "step4-poll")},
	} {
		r, err := measure(s, false, 5, 3)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if r.msgs == 0 || r.p50 <= 0 || r.p99 < r.p50 {
			t.Errorf("%s: implausible result %+v", s.name, r)
		}
		if _, err := burstTime(s, false, 50); err != nil {
			t.Errorf("%s: burst: %v", s.name, err)
		}
	}
}

func TestPythonServerCommandQuotes(t *testing.T) {
	s := pythonServer("/tmp/it's here/server.py")
	if !strings.HasPrefix(s.command, "python3 -c 'import sys; sys.path.insert(0, \"/tmp/it'\\''s here\"); import server as s;") {
		t.Errorf("command = %s", s.command)
	}
}

func TestChart(t *testing.T) {
	data := map[string]map[int][]result{"a": {1: {{msgs: 10, elapsed: time.Second}}, 10: {{msgs: 20, elapsed: time.Second}}}}
	svg := string(chart{title: "t", xLabel: "x", logX: true, xs: []int{1, 10}, y: rate, data: data,
		yUnit: func(v float64) string { return "" }}.svg([]server{{name: "a"}}))
	if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "<polyline") || !strings.HasSuffix(svg, "</svg>\n") {
		t.Errorf("not an SVG line chart:\n%s", svg)
	}
	// The points, in the order of xs: 10 at x=1, then 20 at x=10, which
	// must be drawn higher (SVG's y grows downwards) and to the right.
	var pts [][2]float64
	for _, m := range regexp.MustCompile(`<circle cx="([\d.]+)" cy="([\d.]+)"`).FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		pts = append(pts, [2]float64{x, y})
	}
	if len(pts) != 2 || pts[1][0] <= pts[0][0] || pts[1][1] >= pts[0][1] {
		t.Errorf("the points of 10 (at x=1) and 20 (at x=10) are at %v: want the second right of the first and higher", pts)
	}
}

func TestSpread(t *testing.T) {
	rs := []result{{cpuPerMsg: 12 * time.Microsecond}, {cpuPerMsg: 10 * time.Microsecond}, {cpuPerMsg: 11 * time.Microsecond}}
	if m, s := median(rs, cpu), spread(rs, cpu); m != 11 || s < 18.1 || s > 18.2 {
		t.Errorf("median, spread = %v, %v%%; want 11, 18.2%%", m, s)
	}
	if s := spread(nil, cpu); s != 0 {
		t.Errorf("spread of nothing = %v", s)
	}
}

func TestNiceCeil(t *testing.T) {
	for v, want := range map[float64]float64{0: 1, 1: 1, 10: 10, 7: 10, 12: 20, 130_000: 200_000, 4: 5} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
}

// TestWrongReply runs the driver's first exchange against a server that
// answers "GOT: " and the message less its last byte, as long as the right
// reply: the driver must refuse it, or it would measure a broken server.
func TestWrongReply(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		msg := make([]byte, *size)
		if _, err := io.ReadFull(c, msg); err == nil {
			c.Write(append([]byte("GOT: "), msg[:len(msg)-1]...))
		}
		io.Copy(io.Discard, c) // until the driver hangs up
	}()
	cs, err := dial(ln.Addr().String(), 1)
	if err == nil {
		closeAll(cs)
		t.Fatalf("the driver took a reply of \"GOT: \" and the message cut short")
	}
	if !strings.Contains(err.Error(), "wrong reply") {
		t.Errorf("the driver says %q; want it to name the wrong reply", err)
	}
}

// TestSolutionServer builds two solutions: step4-conn, which changes the
// lesson's server, must run as the lesson's does (it has no -quiet, and
// its line per client is thrown away); step4-poll, which changes the
// robust one, as the robust one does, with -quiet.
func TestSolutionServer(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		robust bool
	}{{"step4-conn", false}, {"step4-poll", true}} {
		command := buildSolution(dir, "../..", c.name)
		if quiet := strings.Contains(command, " -quiet "); quiet != c.robust || quiet == strings.HasSuffix(command, ">/dev/null") {
			t.Errorf("%s runs as %q; want the %s server's command", c.name, command, map[bool]string{false: "lesson's", true: "robust"}[c.robust])
		}
		// The binary is the server the patch changed: only the robust one has -quiet.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		usage, _ := exec.CommandContext(ctx, strings.Fields(command)[0], "-h").CombinedOutput()
		cancel()
		if has := bytes.Contains(usage, []byte("-quiet")); has != c.robust {
			t.Errorf("%s built a server whose flags are:\n%s\nwant the %s server", c.name, usage, map[bool]string{false: "lesson's", true: "robust"}[c.robust])
		}
	}
}

// TestDriverOutput runs the driver as `make bench` does, from the
// repository's root, with the smallest settings: each result line is in
// the format of go test -bench (which benchstat reads), and the summary's
// ratios are to the baseline, netserver, though it is not the first.
func TestDriverOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the servers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./step4-server/loadtest", "-conns", "1", "-idle", "", "-burst", "0",
		"-rounds", "1", "-duration", "100ms", "-servers", "lesson,netserver")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run ./step4-server/loadtest: %v\n%s%s", err, out, stderr.Bytes())
	}
	// A name, the iterations, then value-unit pairs; each measurement of
	// time (all but memory's) gives ns/op first.
	benchLine := regexp.MustCompile(`^Benchmark\S+\t\d+(\t\d+(\.\d+)? \S+)+$`)
	timed := regexp.MustCompile(`^Benchmark\S+\t\d+\t\d+ ns/op(\t|$)`)
	names := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		name := strings.Fields(line)[0]
		names[name] = true
		if !benchLine.MatchString(line) || (!strings.HasPrefix(name, "BenchmarkMemory/") && !timed.MatchString(line)) {
			t.Errorf("not a line of go test -bench's format: %q", line)
		}
	}
	for _, want := range []string{"BenchmarkEcho/server=lesson/conns=1", "BenchmarkEcho/server=netserver/conns=1",
		"BenchmarkMemory/server=lesson/conns=1000", "BenchmarkMemory/server=netserver/conns=1000"} {
		if !names[want] {
			t.Errorf("no %s line in:\n%s", want, out)
		}
	}
	if !bytes.Contains(out, []byte("\nratios are to netserver: ")) {
		t.Errorf("the summary does not give its ratios to netserver:\n%s", out)
	}
}
