package main

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// A simState is the scheduler's state after one trace line, as simulate
// holds it: the truth that the view's replay is checked against.
type simState struct {
	line       string
	running    string
	ready      []string
	recv, send map[int]string
}

// simulate runs a made-up scheduler, a queue and two wait maps in a few
// lines, with tasks that yield, park on their descriptor to read or to
// write, make new tasks and end, and a select that wakes some of the
// parked ones whenever the queue is empty. It returns the trace it writes,
// with at least events trace lines, and its own state after each of them
// (states[0] is the state before the first): no part of it is the view's.
func simulate(events int, seed uint64) (string, []simState) {
	rng := rand.New(rand.NewPCG(seed, 2))
	var b strings.Builder
	var ready []string
	recv, send := map[int]string{}, map[int]string{}
	fds := map[string]int{} // each task's own descriptor
	running := ""
	states := []simState{{recv: map[int]string{}, send: map[int]string{}}}
	emit := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		fmt.Fprintf(&b, "[trace] %s\n", line)
		states = append(states, simState{line, running, slices.Clone(ready), maps.Clone(recv), maps.Clone(send)})
	}
	made := 0
	newTask := func() {
		made++
		name := fmt.Sprintf("task%d", made)
		fds[name] = 10 + made
		ready = append(ready, name)
		emit("new task %s", name)
	}
	for range 4 {
		newTask()
	}
	for len(states)-1 < events {
		if running == "" {
			if len(ready) > 0 {
				running, ready = ready[0], ready[1:]
				emit("resume %s", running)
				continue
			}
			// Every task is parked: select wakes some, in a random order.
			var parked []string
			for _, wait := range []map[int]string{recv, send} {
				for _, fd := range slices.Sorted(maps.Keys(wait)) {
					parked = append(parked, wait[fd])
				}
			}
			rng.Shuffle(len(parked), func(i, j int) { parked[i], parked[j] = parked[j], parked[i] })
			woken := parked[:1+rng.IntN(len(parked))]
			for _, name := range woken {
				delete(recv, fds[name])
				delete(send, fds[name])
				ready = append(ready, name)
			}
			emit("select: %d ready: %s", len(woken), strings.Join(woken, ", "))
			continue
		}
		name := running
		alive := len(ready) + len(recv) + len(send) + 1
		switch x := rng.IntN(100); {
		case x < 35:
			running, ready = "", append(ready, name)
			emit("%s yielded; back of the queue", name)
		case x < 60:
			running, recv[fds[name]] = "", name
			emit("%s waits on Recv of fd %d", name, fds[name])
		case x < 75:
			running, send[fds[name]] = "", name
			emit("%s waits on Send of fd %d", name, fds[name])
		case x < 85 && alive < 12:
			newTask() // it goes on running
		case x >= 85 && alive > 2:
			running = "" // it returned: run() says so, in no trace line
			b.WriteString("Task done\n")
		}
	}
	return b.String(), states
}

// TestReplayLongTrace replays a trace of more than three blocks of the
// history's copies of the model, with a queue and waits that change at
// every line, and checks /state?at=N for every N against the state that
// the simulated scheduler had: an event far from the start must be shown
// as it was, not from the wrong copy.
func TestReplayLongTrace(t *testing.T) {
	trace, states := simulate(3*snapEvery+100, 1)
	h := newHistory(keepEvents)
	if err := readInto(strings.NewReader(trace), h); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&viewServer{h: h}).handler())
	defer srv.Close()
	if _, total, _, _ := h.span(); total != len(states)-1 {
		t.Fatalf("the view read %d trace lines, the simulation wrote %d", total, len(states)-1)
	}
	queued := 0
	for at, want := range states {
		got := getState(t, srv, at)
		if got.Line != want.line || got.Running != want.running || !slices.Equal(got.Ready, want.ready) ||
			!maps.Equal(got.RecvWait, want.recv) || !maps.Equal(got.SendWait, want.send) ||
			(got.Note != "" && !strings.HasSuffix(got.Note, " has ended.")) {
			t.Fatalf("/state?at=%d shows line %q, running %q, ready %q, recvWait %v, sendWait %v, note %q;\nthe scheduler had line %q, running %q, ready %q, recvWait %v, sendWait %v",
				at, got.Line, got.Running, got.Ready, got.RecvWait, got.SendWait, got.Note,
				want.line, want.running, want.ready, want.recv, want.send)
		}
		if len(want.ready) > 1 {
			queued++
		}
	}
	if queued < len(states)/4 {
		t.Errorf("only %d of %d states have two tasks or more in the queue: the trace tests too little", queued, len(states))
	}
}
