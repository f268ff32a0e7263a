package main

import (
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
	for v, want := range map[float64]float64{0: 1, 7: 10, 12: 20, 130_000: 200_000, 4: 5} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
}
