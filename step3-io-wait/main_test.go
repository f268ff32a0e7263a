package main

import (
	"bytes"
	"context"
	"flag"
	"iter"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
		t.Fatalf("%v (run `go test ./step3-io-wait -update` to create it)", err)
	}
	if line, g, w := firstDiff(got, string(want)); line > 0 {
		t.Fatalf("output differs from %s at line %d:\n got: %q\nwant: %q\n(run `go test ./step3-io-wait -update` if the change is intended)", path, line, g, w)
	}
}

func TestOutput(t *testing.T) {
	checkGolden(t, "output.golden", runMain(t))
}

func TestTraceOutput(t *testing.T) {
	checkGolden(t, "trace.golden", runMain(t, "-trace"))
}

// schedule resets the scheduler, adds the given tasks, runs them all, and
// returns what the scheduler logged.
func schedule(t *testing.T, gens map[string]iter.Seq2[reason, int]) string {
	t.Helper()
	tasks, recvWait, sendWait = deque[*task]{}, map[int]*task{}, map[int]*task{}
	var logged bytes.Buffer
	log.SetOutput(&logged)
	log.SetFlags(0)
	defer log.SetOutput(os.Stderr)
	for _, name := range []string{"bad", "good"} {
		if gen, ok := gens[name]; ok {
			newTask(name, gen)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		run()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("run() did not return")
	}
	return logged.String()
}

// pipe returns both ends of a new non-blocking pipe, closed when the test ends.
func pipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

// goodTask waits for its pipe to be readable three times, reading a byte
// each time, and counts its rounds in *rounds.
func goodTask(rfd int, rounds *int) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		buf := make([]byte, 1)
		for range 3 {
			if !yield(Recv, rfd) {
				return
			}
			if _, err := unix.Read(rfd, buf); err != nil {
				return
			}
			*rounds++
		}
	}
}

// TestBrokenTasksAreStoppedAndOthersGoOn checks each way a task can fail:
// the failing task is reported by name and stopped (its defers run), and a
// good task beside it still finishes.
func TestBrokenTasksAreStoppedAndOthersGoOn(t *testing.T) {
	cases := []struct {
		name string
		bad  func(closed *bool) iter.Seq2[reason, int]
		want string
	}{
		{"unknown reason", func(closed *bool) iter.Seq2[reason, int] {
			return func(yield func(reason, int) bool) {
				defer func() { *closed = true }()
				yield(reason(7), 0)
			}
		}, "task bad stopped: unknown yield reason reason(7)"},
		{"panic", func(closed *bool) iter.Seq2[reason, int] {
			return func(yield func(reason, int) bool) {
				defer func() { *closed = true }()
				panic("boom")
			}
		}, "task bad stopped: panic: boom"},
		{"descriptor past FD_SETSIZE", func(closed *bool) iter.Seq2[reason, int] {
			return func(yield func(reason, int) bool) {
				defer func() { *closed = true }()
				yield(Recv, unix.FD_SETSIZE)
			}
		}, "task bad stopped: descriptor 1024 is outside what select can watch (0 to 1023)"},
		{"descriptor that is not open", func(closed *bool) iter.Seq2[reason, int] {
			r, w := pipe(t)
			unix.Close(r)
			unix.Close(w)
			return func(yield func(reason, int) bool) {
				defer func() { *closed = true }()
				yield(Recv, r)
			}
		}, "which is not open"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, w := pipe(t)
			rounds, closed := 0, false
			if _, err := unix.Write(w, []byte("abc")); err != nil {
				t.Fatal(err)
			}
			logged := schedule(t, map[string]iter.Seq2[reason, int]{
				"bad":  c.bad(&closed),
				"good": goodTask(r, &rounds),
			})
			if !strings.Contains(logged, c.want) {
				t.Errorf("log = %q, want it to say %q", logged, c.want)
			}
			if !closed {
				t.Error("the broken task's deferred calls did not run")
			}
			if rounds != 3 {
				t.Errorf("the good task ran %d rounds, want 3", rounds)
			}
		})
	}
}

// TestTwoWaitersOnOneDescriptor checks that a second task waiting on the
// same descriptor is refused: a map holds one task per descriptor, and the
// lesson's dict would silently lose the first one.
func TestTwoWaitersOnOneDescriptor(t *testing.T) {
	r, w := pipe(t)
	if _, err := unix.Write(w, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	var first, second int
	logged := schedule(t, map[string]iter.Seq2[reason, int]{
		"bad":  goodTask(r, &first), // runs first, so it holds the descriptor
		"good": goodTask(r, &second),
	})
	if want := "task good stopped: task bad already waits on Recv of descriptor"; !strings.Contains(logged, want) {
		t.Errorf("log = %q, want %q", logged, want)
	}
	if first != 3 || second != 0 {
		t.Errorf("rounds = %d and %d, want 3 and 0", first, second)
	}
}
