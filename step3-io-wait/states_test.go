package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The scheduler's real state at each trace line, for docs/timeline: its
// tests rebuild the state from trace.golden alone and compare it with
// testdata/states.golden, line by line, so that the live view can never
// show a queue or a wait map that did not exist.
//
// The trace writer is the seam: main, run in a child process with no
// -trace, sends its trace to a stateRecorder instead of os.Stdout, and the
// recorder looks at the real queue and maps each time the scheduler writes
// a line. A child process, so that the descriptors are the golden run's.

// A realState is the scheduler's state when it wrote one trace line, in
// the JSON that docs/timeline serves at /state?at=N.
type realState struct {
	At       int            `json:"at"`       // the trace line, counting from 1
	Line     string         `json:"line"`     // the line, without "[trace] "
	Running  string         `json:"running"`  // the task between its resume and its yield, or ""
	Ready    []string       `json:"ready"`    // the ready queue, front first
	RecvWait map[int]string `json:"recvWait"` // descriptor -> task
	SendWait map[int]string `json:"sendWait"`
}

// A stateRecorder passes the trace on to out and records the real state
// at each line.
type stateRecorder struct {
	out    *os.File
	states []realState
	seen   []*task        // every task queued so far, in order
	done   map[*task]bool // tasks whose body has returned, or that were stopped
}

// Write takes one trace line: the scheduler writes each line in one call.
func (r *stateRecorder) Write(p []byte) (int, error) {
	line := strings.TrimSuffix(string(p), "\n")
	if strings.Contains(line, "\n") || !strings.HasPrefix(line, "[trace] ") {
		return 0, fmt.Errorf("a trace write must be one [trace] line, not %q", p)
	}
	if strings.HasPrefix(line, "[trace] new task ") {
		// newTask has just queued it: watch for its body's end and for
		// its stop, which no trace line names when the body returns.
		t := tasks.buf[(tasks.head+tasks.n-1)&(len(tasks.buf)-1)]
		next, stop := t.next, t.stop
		t.next = func() (reason, int, bool) {
			why, fd, ok := next()
			if !ok {
				r.done[t] = true
			}
			return why, fd, ok
		}
		t.stop = func() {
			r.done[t] = true
			stop()
		}
		r.seen = append(r.seen, t)
	}
	st := realState{
		At: len(r.states) + 1, Line: strings.TrimPrefix(line, "[trace] "),
		Ready: []string{}, RecvWait: map[int]string{}, SendWait: map[int]string{},
	}
	placed := map[*task]bool{}
	for i := range tasks.n {
		t := tasks.buf[(tasks.head+i)&(len(tasks.buf)-1)]
		st.Ready = append(st.Ready, t.name)
		placed[t] = true
	}
	for fd, t := range recvWait {
		st.RecvWait[fd] = t.name
		placed[t] = true
	}
	for fd, t := range sendWait {
		st.SendWait[fd] = t.name
		placed[t] = true
	}
	// The running task is the one that run() popped and that has not
	// ended: a task in no queue or map, and not done.
	for _, t := range r.seen {
		if !placed[t] && !r.done[t] {
			if st.Running != "" {
				return 0, fmt.Errorf("at %q, both %s and %s are nowhere and not done", line, st.Running, t.name)
			}
			st.Running = t.name
		}
	}
	r.states = append(r.states, st)
	return r.out.Write(p)
}

// recordStates runs main with its trace going to a stateRecorder, and
// writes the states it recorded to path, one JSON object a line. It
// returns the exit status for the child process.
func recordStates(path string) int {
	rec := &stateRecorder{out: os.Stdout, done: map[*task]bool{}}
	trace = rec
	main()
	var b bytes.Buffer
	for _, st := range rec.states {
		line, err := json.Marshal(st)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		b.Write(append(line, '\n'))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestRealStates runs the golden run with the recorder as its trace, checks
// that the trace is trace.golden's, and compares the states with
// testdata/states.golden (rewritten with -update).
func TestRealStates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "states")
	t.Setenv("STEP_STATES", path)
	out := runMain(t) // no -trace: main would send the trace to os.Stdout instead
	checkGolden(t, "trace.golden", out)
	states, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "states.golden", string(states))
}
