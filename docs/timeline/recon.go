package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// This file rebuilds the scheduler's own structures from its trace, one
// line at a time, without looking ahead: the ready queue in its order, the
// running task, and recvWait and sendWait as descriptor -> task. The live
// view (serve.go), its JSON, and a window of the picture (window.go) all
// show this one reconstruction; the steps' tests record the real state at
// each line of their golden runs (testdata/states.golden), and this
// package's tests compare the two.

// An evKind is what one [trace] line says.
type evKind uint8

const (
	evBad       evKind = iota // not a trace line this package knows
	evNewTask                 // "new task NAME": newTask queued NAME at the back
	evResume                  // "resume NAME": popped from the front, runs
	evYield                   // "NAME yielded; back of the queue"
	evWait                    // "NAME waits on Recv of fd N", "... on Exit"
	evSelect                  // "select: N ready: A, B"
	evStop                    // "stop NAME": the scheduler stopped NAME
	evExitWakes               // "exit wakes A, B": a task ended, and these were parked on Exit
	evDropped                 // "dropped N lines": the output queue lost N lines before this one
)

// An event is one [trace] line, parsed.
type event struct {
	kind  evKind
	name  string   // the task the line is about
	why   string   // evWait: the reason, "Recv", "Send", "Exit"; evBad: what is wrong
	fd    int      // evWait: the descriptor, or -1 for a wait on no descriptor
	call  string   // evSelect: the wake call's name, "select" (or "poll" in a solution)
	n     int      // evSelect: descriptors ready; evDropped: lines lost
	names []string // evSelect, evExitWakes: the tasks moved to the queue, in order
	named bool     // evSelect: the line names the tasks it woke (older traces do not)
}

var (
	selectLine  = regexp.MustCompile(`^(\w+): (\d+) ready(?:: (.+))?$`) // "select: 2 ready: a, b"
	fdWaitLine  = regexp.MustCompile(`^(\S+) of fd (\d+)$`)             // "Recv of fd 3"
	droppedLine = regexp.MustCompile(`^dropped (\d+) lines?$`)          // "dropped 12 lines"
)

// parseEvent reads one trace line, given without its "[trace] " prefix.
// Task names never contain ", ", so a list of them splits on it.
func parseEvent(s string) event {
	bad := func(why string) event { return event{kind: evBad, why: why} }
	if name, ok := strings.CutPrefix(s, "new task "); ok {
		return event{kind: evNewTask, name: name}
	}
	if name, ok := strings.CutPrefix(s, "resume "); ok {
		return event{kind: evResume, name: name}
	}
	if name, ok := strings.CutPrefix(s, "stop "); ok {
		return event{kind: evStop, name: name}
	}
	if list, ok := strings.CutPrefix(s, "exit wakes "); ok {
		return event{kind: evExitWakes, names: strings.Split(list, ", ")}
	}
	if m := droppedLine.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return bad("the number of lines is too large")
		}
		return event{kind: evDropped, n: n}
	}
	if m := selectLine.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[2])
		if err != nil {
			return bad("the number ready is too large")
		}
		ev := event{kind: evSelect, call: m[1], n: n}
		if m[3] != "" {
			ev.names, ev.named = strings.Split(m[3], ", "), true
		}
		return ev
	}
	if name, why, ok := strings.Cut(s, " waits on "); ok && name != "" && why != "" {
		ev := event{kind: evWait, name: name, why: why, fd: -1}
		if m := fdWaitLine.FindStringSubmatch(why); m != nil {
			fd, err := strconv.Atoi(m[2])
			if err != nil {
				return bad("the descriptor is too large")
			}
			ev.why, ev.fd = m[1], fd
		}
		return ev
	}
	if name, ok := strings.CutSuffix(s, " yielded; back of the queue"); ok && name != "" {
		return event{kind: evYield, name: name}
	}
	return bad("not a line the scheduler writes")
}

// A selectInfo is what the last wake call (select) watched and woke.
type selectInfo struct {
	At      int      `json:"at"`      // its trace line
	Call    string   `json:"call"`    // "select"
	Ready   int      `json:"ready"`   // how many descriptors it said are ready
	Recv    []int    `json:"recv"`    // the descriptors it watched to read, in order
	Send    []int    `json:"send"`    // and to write
	Woken   []string `json:"woken"`   // the tasks it moved to the queue, in order
	Unnamed bool     `json:"unnamed"` // the trace did not name them (an older trace)
}

// A model is the scheduler's state after some trace line, as the trace
// tells it. Copies are made with clone; a model is not shared.
type model struct {
	running  string            // between its resume and its yield, or ""
	ready    []string          // the ready queue, front first
	recv     map[int]string    // recvWait: descriptor -> task
	send     map[int]string    // sendWait
	other    map[string]string // tasks parked on a reason with no descriptor (Exit): task -> reason
	sel      *selectInfo       // the last wake call, or nil; never changed once made
	gapAt    int               // the trace line that said lines were dropped, or 0
	queueSet bool              // false from a gap until the next select says what is queued
	newStyle bool              // the trace names new tasks or woken tasks: a missing name is a fault
}

// newModel returns the state before the first trace line.
func newModel() *model {
	return &model{recv: map[int]string{}, send: map[int]string{}, other: map[string]string{}, queueSet: true}
}

// clone returns a deep copy of m.
func (m *model) clone() *model {
	c := *m
	c.ready = slices.Clone(m.ready)
	c.recv, c.send, c.other = cloneMap(m.recv), cloneMap(m.send), cloneMap(m.other)
	return &c
}

// cloneMap copies a map, keeping it non-nil.
func cloneMap[K comparable](m map[K]string) map[K]string {
	c := make(map[K]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// A step is what one trace line did, besides changing the model: the task
// it found ended, and where the line disagrees with the state.
type step struct {
	ended string // the task that ran and then returned (no park or yield followed)
	note  string // a disagreement, or why the line is malformed
}

// apply changes m by the trace line ev, number at. A running task that
// ends prints no trace line, so a line that is neither its park nor its
// yield (nor a new task it made) says that it ended.
func (m *model) apply(ev event, at int) step {
	var st step
	endRunning := func() {
		if m.running != "" {
			st.ended, m.running = m.running, ""
		}
	}
	note := func(format string, args ...any) {
		if st.note == "" {
			st.note = fmt.Sprintf(format, args...)
		}
	}
	switch ev.kind {
	case evBad:
		note("malformed trace line: %s", ev.why)
	case evNewTask:
		m.newStyle = true
		m.remove(ev.name)
		m.ready = append(m.ready, ev.name)
	case evResume:
		if m.running != ev.name {
			endRunning()
		}
		switch i := slices.Index(m.ready, ev.name); {
		case i == 0:
			m.ready = m.ready[1:]
		case i > 0:
			if m.queueSet {
				note("%s ran, but %s was first in the queue", ev.name, m.ready[0])
			}
			m.ready = slices.Delete(m.ready, i, i+1)
		case m.remove(ev.name):
			// Parked, and resumed: an older trace, whose select did not
			// say whom it woke.
			if m.newStyle && m.sel != nil && !m.sel.Unnamed {
				note("%s ran while parked, and no line woke it", ev.name)
			}
		default:
			if m.newStyle && m.queueSet {
				note("%s ran, but it was not in the queue", ev.name)
			}
		}
		m.running = ev.name
	case evYield:
		if m.running != ev.name {
			endRunning()
			note("%s yielded, but it was not running", ev.name)
		}
		m.running = ""
		m.remove(ev.name)
		m.ready = append(m.ready, ev.name)
	case evWait:
		if m.running != ev.name {
			endRunning()
			note("%s parked, but it was not running", ev.name)
		}
		m.running = ""
		m.remove(ev.name)
		wait := map[string]map[int]string{"Recv": m.recv, "Send": m.send}[ev.why]
		switch {
		case ev.fd < 0 || wait == nil:
			m.other[ev.name] = ev.why
		case wait[ev.fd] != "":
			note("%s parked on %s of fd %d, which %s already waited on", ev.name, ev.why, ev.fd, wait[ev.fd])
			m.other[ev.name] = fmt.Sprintf("%s of fd %d", ev.why, ev.fd)
		default:
			wait[ev.fd] = ev.name
		}
	case evSelect:
		endRunning()
		sel := &selectInfo{At: at, Call: ev.call, Ready: ev.n, Recv: sortedKeys(m.recv), Send: sortedKeys(m.send)}
		if len(m.ready) > 0 && m.queueSet {
			note("%s was called with %d tasks in the queue: run() calls it only with none", ev.call, len(m.ready))
		}
		if ev.named {
			m.newStyle = true
			for _, name := range ev.names {
				m.remove(name)
				m.ready = append(m.ready, name)
			}
			sel.Woken = slices.Clone(ev.names)
		} else if ev.n > 0 {
			sel.Unnamed = true
		}
		m.sel = sel
		if ev.named || ev.n == 0 {
			m.queueSet = true // it is called with an empty queue: now the queue is exactly what it woke
		}
	case evStop:
		if m.running == ev.name {
			m.running = ""
		} else {
			endRunning() // the scheduler stops a task only between turns
			m.remove(ev.name)
		}
	case evExitWakes:
		endRunning()
		for _, name := range ev.names {
			m.remove(name)
			m.ready = append(m.ready, name)
		}
	case evDropped:
		// What the lost lines did is not known: forget it all, and say so.
		// The queue is known again at the next select (run() calls it with
		// an empty queue); the maps hold only the waits traced since.
		m.running, m.ready, m.sel = "", nil, nil
		m.recv, m.send, m.other = map[int]string{}, map[int]string{}, map[string]string{}
		m.gapAt, m.queueSet = at, false
	}
	return st
}

// remove takes the task called name out of the queue and the wait maps,
// wherever it is, and reports whether it was in any.
func (m *model) remove(name string) bool {
	found := false
	if i := slices.Index(m.ready, name); i >= 0 {
		m.ready = slices.Delete(m.ready, i, i+1)
		found = true
	}
	for _, wait := range []map[int]string{m.recv, m.send} {
		for fd, t := range wait {
			if t == name {
				delete(wait, fd)
				found = true
			}
		}
	}
	if _, ok := m.other[name]; ok {
		delete(m.other, name)
		found = true
	}
	return found
}

// sortedKeys returns the descriptors of a wait map, lowest first.
func sortedKeys(m map[int]string) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
