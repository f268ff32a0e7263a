package main

import (
	"fmt"
	"strings"
	"sync"
)

// A history is a trace as it arrives: its events (the [trace] lines), the
// program's own lines between them, and enough copies of the model to give
// the state after any event it holds quickly. It keeps the last keep
// events at least, and forgets older ones in blocks, so that an hour's
// class cannot fill the memory. It is safe for one writer and many readers.
type history struct {
	mu      sync.RWMutex
	keep    int      // events held at least
	first   int      // the number of the oldest event held (events count from 1)
	lines   []string // lines[i] is event first+i, without "[trace] "
	lineNos []int32  // its line number in the input
	outs    []string // the program's lines printed after it, joined by "\n" (at most maxOutput)
	notes   map[int]string
	before  []string // the program's lines before the first event (at most maxOutput)
	// snaps[k] is the model after event first-1+k*snapEvery.
	snaps    []*model
	cur      *model // the model after the last event
	total    int    // events read
	input    int    // input lines read
	bad      []badLine
	badCount int
	ended    bool          // the input has ended
	changed  chan struct{} // closed, and replaced, at each change
}

// A badLine is a malformed [trace] line, kept to name it on the page.
type badLine struct {
	At   int    `json:"at"`   // its event number
	Line int    `json:"line"` // its line number in the input
	Text string `json:"text"` // the line, cut short
	Why  string `json:"why"`
}

// snapEvery is how many events apart the model is copied: the state after
// any event is a copy plus at most this many lines applied again.
const snapEvery = 256

// maxBad bounds the malformed lines named on the page.
const maxBad = 20

// newHistory returns an empty history that holds keep events at least.
func newHistory(keep int) *history {
	keep = max(keep, snapEvery)
	return &history{keep: keep, first: 1, notes: map[int]string{}, snaps: []*model{newModel()}, cur: newModel(), changed: make(chan struct{})}
}

// add takes one line of input: a trace line or the program's own.
func (h *history) add(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.addLocked(s)
	h.notifyLocked()
}

// addBatch takes many lines at once: one lock and one wake of the viewers.
func (h *history) addBatch(lines []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range lines {
		h.addLocked(s)
	}
	h.notifyLocked()
}

// end records that the input has ended.
func (h *history) end() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ended = true
	h.notifyLocked()
}

// notifyLocked wakes whoever waits on a change.
func (h *history) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// addLocked is add, with h.mu held.
func (h *history) addLocked(s string) {
	h.input++
	s = strings.TrimRight(s, "\r")
	i := strings.Index(s, "[trace] ")
	if i < 0 {
		h.output(s)
		return
	}
	if i > 0 { // output that did not end its line
		h.output(s[:i])
	}
	line := s[i+len("[trace] "):]
	h.total++
	ev := parseEvent(line)
	st := h.cur.apply(ev, h.total)
	if ev.kind == evBad {
		h.badCount++
		h.bad = append(h.bad, badLine{At: h.total, Line: h.input, Text: clip(line, 80), Why: ev.why})
		if len(h.bad) > maxBad {
			h.bad = h.bad[1:]
		}
	}
	h.lines = append(h.lines, line)
	h.lineNos = append(h.lineNos, int32(h.input))
	h.outs = append(h.outs, "")
	if st.note != "" {
		h.notes[h.total] = st.note
	}
	if st.ended != "" {
		h.notes[h.total] = strings.TrimSpace(st.ended + " has ended. " + h.notes[h.total])
	}
	if (h.total-(h.first-1))%snapEvery == 0 {
		h.snaps = append(h.snaps, h.cur.clone())
	}
	if len(h.lines) >= h.keep+snapEvery {
		h.forget(snapEvery)
	}
}

// output takes one of the program's own lines.
func (h *history) output(s string) {
	if len(h.lines) == 0 {
		if h.total == 0 && len(h.before) < maxOutput {
			h.before = append(h.before, s)
		}
		return
	}
	last := &h.outs[len(h.outs)-1]
	switch n := strings.Count(*last, "\n"); {
	case *last == "":
		*last = s
	case n < maxOutput-1:
		*last += "\n" + s
	}
}

// forget drops the oldest n events, n a multiple of snapEvery, so that a
// copy of the model is still there for the new oldest event.
func (h *history) forget(n int) {
	h.lines = append([]string(nil), h.lines[n:]...)
	h.lineNos = append([]int32(nil), h.lineNos[n:]...)
	h.outs = append([]string(nil), h.outs[n:]...)
	h.snaps = append([]*model(nil), h.snaps[n/snapEvery:]...)
	for at := range h.notes {
		if at < h.first+n {
			delete(h.notes, at)
		}
	}
	h.first += n
}

// errGone says that an event is older than the oldest held.
type errGone struct{ first, total int }

// Error says which events the view holds.
func (e errGone) Error() string {
	return fmt.Sprintf("event no longer held: the view holds events %d to %d (the oldest are dropped to bound its memory)", e.first, e.total)
}

// A State is the scheduler's state after one trace line, as the page and
// /state?at=N show it.
type State struct {
	At       int               `json:"at"`                  // the trace line, counting from 1; 0 is before the first
	Total    int               `json:"total"`               // trace lines read so far
	First    int               `json:"first"`               // the oldest trace line held
	Line     string            `json:"line"`                // the trace line, without "[trace] "
	LineNo   int               `json:"lineNo,omitempty"`    // its line number in the input
	Output   []string          `json:"output"`              // the program's lines printed after it
	Running  string            `json:"running"`             // the task that runs, or ""
	Ready    []string          `json:"ready"`               // the ready queue, front first
	RecvWait map[int]string    `json:"recvWait"`            // descriptor -> task
	SendWait map[int]string    `json:"sendWait"`            // descriptor -> task
	Other    map[string]string `json:"otherWait,omitempty"` // task -> a reason with no descriptor (Exit)
	Select   *selectInfo       `json:"select,omitempty"`    // the last select: what it watched and woke
	Note     string            `json:"note,omitempty"`      // what this line says beyond the state, or where it disagrees
	GapAt    int               `json:"gapAt,omitempty"`     // lines were dropped at this trace line: the state since is partial
	QueueSet bool              `json:"queueKnown"`          // false from a gap until the next select
	Ended    bool              `json:"ended"`               // the input has ended
	Bad      []badLine         `json:"malformed,omitempty"` // the last malformed trace lines
	BadCount int               `json:"malformedCount,omitempty"`
}

// stateAt returns the state after event at (0: before the first), or the
// latest if at < 0.
func (h *history) stateAt(at int) (*State, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if at < 0 || at > h.total {
		at = h.total
	}
	if at < h.first-1 {
		return nil, errGone{h.first, h.total}
	}
	m := h.cur
	if at < h.total {
		m = h.snaps[(at-(h.first-1))/snapEvery].clone()
		for e := h.first - 1 + (at-(h.first-1))/snapEvery*snapEvery + 1; e <= at; e++ {
			m.apply(parseEvent(h.lines[e-h.first]), e)
		}
	}
	s := &State{
		At: at, Total: h.total, First: h.first, Running: m.running,
		Ready: append([]string{}, m.ready...), RecvWait: cloneMap(m.recv), SendWait: cloneMap(m.send),
		Select: m.sel, GapAt: m.gapAt, QueueSet: m.queueSet, Ended: h.ended,
		Bad: append([]badLine(nil), h.bad...), BadCount: h.badCount, Output: []string{},
	}
	if len(m.other) > 0 {
		s.Other = cloneMap(m.other)
	}
	if at == 0 {
		s.Output = append(s.Output, h.before...)
	} else if at >= h.first {
		i := at - h.first
		s.Line, s.LineNo, s.Note = h.lines[i], int(h.lineNos[i]), h.notes[at]
		if h.outs[i] != "" {
			s.Output = strings.Split(h.outs[i], "\n")
		}
	}
	return s, nil
}

// span returns the events held and read, and a channel closed at the next change.
func (h *history) span() (first, total int, ended bool, changed <-chan struct{}) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.first, h.total, h.ended, h.changed
}

// linesBetween returns events from..to (inclusive, clipped to those held)
// and their output, as lines of a trace, for drawing a window.
func (h *history) linesBetween(from, to int) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	from, to = max(from, h.first), min(to, h.total)
	var out []string
	for e := from; e <= to; e++ {
		out = append(out, "[trace] "+h.lines[e-h.first])
		if o := h.outs[e-h.first]; o != "" {
			out = append(out, strings.Split(o, "\n")...)
		}
	}
	return out
}
