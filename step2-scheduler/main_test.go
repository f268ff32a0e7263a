package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the program's output")

// TestMain lets a test run this program's main in a child process: the test
// binary runs itself again with STEP_RUN_MAIN=1, so the test sees exactly
// what `go run` prints, with no separate build.
func TestMain(m *testing.M) {
	if os.Getenv("STEP_RUN_MAIN") == "1" {
		if path := os.Getenv("STEP_STATES"); path != "" {
			os.Exit(recordStates(path)) // see states_test.go
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild runs main with args in a child process, as `go run` would,
// and returns what it printed.
func runChild(args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "STEP_RUN_MAIN=1")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	return string(out), errOut.String(), err
}

// runMain runs main with args in a child process and returns its output.
func runMain(t *testing.T, args ...string) string {
	t.Helper()
	out, stderr, err := runChild(args...)
	if err != nil {
		t.Fatalf("running main %q: %v\nstderr:\n%s", args, err, stderr)
	}
	return out
}

// firstDiff returns the first line (from 1) where got and want differ,
// and both versions of it; line is 0 if they are the same.
func firstDiff(got, want string) (line int, g, w string) {
	gs, ws := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(gs), len(ws)) {
		g, w = "", ""
		if i < len(gs) {
			g = gs[i]
		}
		if i < len(ws) {
			w = ws[i]
		}
		if g != w {
			return i + 1, g, w
		}
	}
	return 0, "", ""
}

// checkGolden compares got with testdata/name, or rewrites the file when
// the test runs with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./step2-scheduler -update` to create it)", err)
	}
	if line, g, w := firstDiff(got, string(want)); line > 0 {
		t.Fatalf("output differs from %s at line %d:\n got: %q\nwant: %q\n(run `go test ./step2-scheduler -update` if the change is intended)", path, line, g, w)
	}
}

// TestOutput checks the whole output against testdata/output.golden, which
// is the lesson's own transcript: what Solutions/8_5/multitask.py of the
// python-mastery repository prints, byte for byte.
func TestOutput(t *testing.T) {
	checkGolden(t, "output.golden", runMain(t))
}

func TestTraceOutput(t *testing.T) {
	checkGolden(t, "trace.golden", runMain(t, "-trace"))
}

func TestDequeIsFIFOAcrossGrowth(t *testing.T) {
	var q deque[int]
	next := 0 // the value popFront must return next
	for i := range 100 {
		q.pushBack(i)
		if i%3 == 0 { // pop now and then, so the ring wraps before it grows
			if got := q.popFront(); got != next {
				t.Fatalf("popFront = %d, want %d", got, next)
			}
			next++
		}
	}
	for q.len() > 0 {
		if got := q.popFront(); got != next {
			t.Fatalf("popFront = %d, want %d", got, next)
		}
		next++
	}
	if next != 100 {
		t.Fatalf("popped %d values, want 100", next)
	}
}
