package main

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// A realState is one line of a step's testdata/states.golden: the state
// that the scheduler really had when it wrote a trace line, recorded by
// the step's TestRealStates through its trace writer.
type realState struct {
	At       int            `json:"at"`
	Line     string         `json:"line"`
	Running  string         `json:"running"`
	Ready    []string       `json:"ready"`
	RecvWait map[int]string `json:"recvWait"` // nil for step 2, which has no maps
	SendWait map[int]string `json:"sendWait"`
}

// readStates reads a states.golden file.
func readStates(t *testing.T, path string) []realState {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []realState
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var s realState
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, s)
	}
	return out
}

// loadTrace reads a trace file into a history that keeps it all.
func loadTrace(t *testing.T, path string) *history {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := newHistory(keepEvents)
	if err := readInto(f, h); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestStatesAreReal rebuilds the state from step 2's and step 3's golden
// traces and compares it, at every trace line, with the state that the
// scheduler really had (its states.golden): the view shows no state that
// did not exist.
func TestStatesAreReal(t *testing.T) {
	for _, step := range []string{"step2-scheduler", "step3-io-wait"} {
		t.Run(step, func(t *testing.T) {
			h := loadTrace(t, "../../"+step+"/testdata/trace.golden")
			real := readStates(t, "../../"+step+"/testdata/states.golden")
			if _, total, _, _ := h.span(); total != len(real) {
				t.Fatalf("the trace has %d trace lines, and states.golden %d states", total, len(real))
			}
			for _, want := range real {
				got, err := h.stateAt(want.At)
				if err != nil {
					t.Fatal(err)
				}
				if got.Line != want.Line {
					t.Fatalf("trace line %d is %q in the trace, %q in states.golden", want.At, got.Line, want.Line)
				}
				if got.Running != want.Running || !slices.Equal(got.Ready, want.Ready) ||
					(want.RecvWait != nil && !maps.Equal(got.RecvWait, want.RecvWait)) ||
					(want.SendWait != nil && !maps.Equal(got.SendWait, want.SendWait)) {
					t.Errorf("after trace line %d (%s):\nrebuilt: running %q, ready %q, recvWait %v, sendWait %v\n   real: running %q, ready %q, recvWait %v, sendWait %v",
						want.At, want.Line, got.Running, got.Ready, got.RecvWait, got.SendWait, want.Running, want.Ready, want.RecvWait, want.SendWait)
				}
				if got.Note != "" && !strings.HasSuffix(got.Note, "has ended.") {
					t.Errorf("after trace line %d: the rebuilt state has a note: %s", want.At, got.Note)
				}
			}
		})
	}
}

// TestStatesAreConsistent checks, at every line of the golden traces and
// of step 4's, what any state must satisfy: a task is in one place at a
// time; a task that waits on Recv or Send of fd N is in that map under N;
// the task that line n resumes was first in the queue after line n-1.
func TestStatesAreConsistent(t *testing.T) {
	for _, path := range []string{"../../step2-scheduler/testdata/trace.golden", "../../step3-io-wait/testdata/trace.golden", "testdata/step4.trace", "testdata/robust.trace"} {
		t.Run(path, func(t *testing.T) {
			h := loadTrace(t, path)
			_, total, _, _ := h.span()
			prev, _ := h.stateAt(0)
			// A trace from before new tasks were traced (step 4's, until
			// its server traces them) does not say what is queued.
			b, _ := os.ReadFile(path)
			queueTraced := strings.Contains(string(b), "[trace] new task ")
			for at := 1; at <= total; at++ {
				s, err := h.stateAt(at)
				if err != nil {
					t.Fatal(err)
				}
				where := map[string]int{}
				if s.Running != "" {
					where[s.Running]++
				}
				for _, n := range s.Ready {
					where[n]++
				}
				for _, m := range []map[int]string{s.RecvWait, s.SendWait} {
					for _, n := range m {
						where[n]++
					}
				}
				for n := range s.Other {
					where[n]++
				}
				for n, k := range where {
					if k > 1 {
						t.Errorf("after line %d (%s): %s is in %d places", at, s.Line, n, k)
					}
				}
				ev := parseEvent(s.Line)
				if ev.kind == evWait && ev.fd >= 0 {
					m := map[string]map[int]string{"Recv": s.RecvWait, "Send": s.SendWait}[ev.why]
					if m[ev.fd] != ev.name {
						t.Errorf("after line %d (%s): %sWait[%d] = %q", at, s.Line, strings.ToLower(ev.why), ev.fd, m[ev.fd])
					}
				}
				if ev.kind == evResume && queueTraced && prev.QueueSet {
					if len(prev.Ready) == 0 || prev.Ready[0] != ev.name {
						t.Errorf("line %d resumes %s, but the queue after line %d was %q", at, ev.name, at-1, prev.Ready)
					}
				}
				prev = s
			}
		})
	}
}

// TestParseEvent reads each kind of trace line, the robust server's too.
func TestParseEvent(t *testing.T) {
	for line, want := range map[string]event{
		"new task echoHandler(127.0.0.1:52001)":  {kind: evNewTask, name: "echoHandler(127.0.0.1:52001)"},
		"resume tcpServer":                       {kind: evResume, name: "tcpServer"},
		"countup(20) yielded; back of the queue": {kind: evYield, name: "countup(20)"},
		"reader waits on Recv of fd 3":           {kind: evWait, name: "reader", why: "Recv", fd: 3},
		"writer waits on Send of fd 4":           {kind: evWait, name: "writer", why: "Send", fd: 4},
		"shutdown waits on Exit":                 {kind: evWait, name: "shutdown", why: "Exit", fd: -1},
		"select: 0 ready":                        {kind: evSelect, call: "select"},
		"select: 1 ready":                        {kind: evSelect, call: "select", n: 1},
		"select: 2 ready: echo(1), echo(2)":      {kind: evSelect, call: "select", n: 2, names: []string{"echo(1)", "echo(2)"}, named: true},
		"stop reader":                            {kind: evStop, name: "reader"},
		"exit wakes shutdown, tcpServer":         {kind: evExitWakes, names: []string{"shutdown", "tcpServer"}},
		"dropped 12 lines":                       {kind: evDropped, n: 12},
		"dropped 1 line":                         {kind: evDropped, n: 1},
		"something else":                         {kind: evBad, why: "not a line the scheduler writes"},
		"select: 99999999999999999999999 ready":  {kind: evBad, why: "the number ready is too large"},
		" waits on Recv of fd 3":                 {kind: evBad, why: "not a line the scheduler writes"},
	} {
		if got := parseEvent(line); !reflect.DeepEqual(got, want) {
			t.Errorf("parseEvent(%q) = %+v, want %+v", line, got, want)
		}
	}
}

// TestRobustTrace follows the robust server's lines through a made-up run:
// tasks parked on Exit, woken by another's end; lines the output queue
// dropped; a malformed line; tasks stopped at the end.
func TestRobustTrace(t *testing.T) {
	h := loadTrace(t, "testdata/robust.trace")
	at := func(n int) *State {
		t.Helper()
		s, err := h.stateAt(n)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := at(13); !slices.Equal(s.Ready, []string{"tcpServer", "echoHandler(127.0.0.1:52001)"}) || s.Select == nil || !slices.Equal(s.Select.Recv, []int{3, 5, 7}) {
		t.Errorf("after the select of line 13: ready %q, select %+v", s.Ready, s.Select)
	}
	if s := at(17); s.Running != "echoHandler(127.0.0.1:52001)" || !slices.Equal(s.Ready, []string{"echoHandler(127.0.0.1:52002)"}) {
		t.Errorf("line 17: running %q, ready %q", s.Running, s.Ready)
	}
	if s := at(24); s.GapAt != 24 || s.QueueSet || len(s.RecvWait) != 0 || s.Running != "" {
		t.Errorf("after dropped lines: gap %d, queue known %v, recvWait %v, running %q", s.GapAt, s.QueueSet, s.RecvWait, s.Running)
	}
	if s := at(26); !maps.Equal(s.RecvWait, map[int]string{8: "echoHandler(127.0.0.1:52002)"}) || s.Note != "" {
		t.Errorf("after the gap, the maps hold what was traced since: %v (note %q)", s.RecvWait, s.Note)
	}
	if s := at(27); !s.QueueSet || !slices.Equal(s.Ready, []string{"shutdown"}) {
		t.Errorf("the select after the gap makes the queue known: known %v, ready %q", s.QueueSet, s.Ready)
	}
	if s := at(29); !maps.Equal(s.Other, map[string]string{"shutdown": "Exit"}) {
		t.Errorf("shutdown waits on Exit: other waits %v", s.Other)
	}
	if s := at(30); s.BadCount != 1 || s.Bad[0].Line != 34 || !strings.Contains(s.Note, "malformed") {
		t.Errorf("the malformed line: count %d, %+v, note %q", s.BadCount, s.Bad, s.Note)
	}
	if s := at(33); len(s.Other) != 0 || !slices.Equal(s.Ready, []string{"shutdown"}) || s.Running != "" || !strings.Contains(s.Note, "echoHandler(127.0.0.1:52002) has ended") {
		t.Errorf("exit wakes: other %v, ready %q, running %q, note %q", s.Other, s.Ready, s.Running, s.Note)
	}
	if s := at(36); s.Running != "" || len(s.Ready) != 0 || len(s.RecvWait) != 0 {
		t.Errorf("after the stops: running %q, ready %q, recvWait %v", s.Running, s.Ready, s.RecvWait)
	}
}

// TestWindow draws trace lines 5 to 12 of step 3's golden trace: the
// columns of those lines only, the tasks as the reconstruction had them
// before line 5, and no task ended at the window's edge.
func TestWindow(t *testing.T) {
	f, err := os.Open("../../step3-io-wait/testdata/trace.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opt := options{from: 5, to: 12}
	tl, err := window(f, &opt)
	if err != nil {
		t.Fatal(err)
	}
	var ats []int
	for _, c := range tl.cols {
		ats = append(ats, c.at)
	}
	if want := []int{5, 7, 8, 10, 11}; !slices.Equal(ats, want) {
		t.Errorf("the window's columns are trace lines %v, want %v", ats, want)
	}
	if opt.window != "Trace lines 5 to 12 of 16." {
		t.Errorf("the window says %q", opt.window)
	}
	for _, task := range tl.tasks {
		if st, _ := task.stateAfter(len(tl.cols)); st.kind == ended {
			t.Errorf("%s is drawn ended at the window's edge", task.name)
		}
	}
	if len(tl.tasks) != 2 || tl.tasks[1].name != "reader" {
		t.Fatalf("rows %d, the second %q: want writer (queued) and reader (parked)", len(tl.tasks), tl.tasks[1].name)
	}
	if st, _ := tl.tasks[1].stateAfter(0); st.kind != waitFD || st.reason != "Recv" || st.fd != 3 {
		t.Errorf("the reader starts as %+v, want parked on Recv of fd 3", st)
	}
	for _, bad := range []string{"", "0-3", "5-2", "x", "3-y"} {
		if _, _, err := parseRange(bad); err == nil {
			t.Errorf("-events %q is taken", bad)
		}
	}
}
