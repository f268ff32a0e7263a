package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// A window of the picture: the columns of events from..to of a long trace,
// drawn from the reconstruction's state before the first of them (recon.go)
// and the lines in between, so that a window costs what it shows, not the
// whole trace. The live view draws one around the event it shows, and
// `-events from-to` draws one from the command line.

// seeded returns a parser whose rows start as m says: the queue in its
// order, then the parked tasks, by descriptor.
func seeded(m *model) *parser {
	p := newParser()
	p.prevInitial = false // the tasks queued later were not there from the start
	add := func(name string, st state) {
		r := p.row(name)
		p.tl.tasks[r].set(0, st)
	}
	for _, name := range m.ready {
		add(name, state{kind: ready})
	}
	for _, fd := range sortedKeys(m.recv) {
		add(m.recv[fd], state{kind: waitFD, reason: "Recv", fd: fd})
	}
	for _, fd := range sortedKeys(m.send) {
		add(m.send[fd], state{kind: waitFD, reason: "Send", fd: fd})
	}
	others := make([]string, 0, len(m.other))
	for name := range m.other {
		others = append(others, name)
	}
	slices.Sort(others)
	for _, name := range others {
		why := m.other[name]
		w, _, _ := strings.Cut(why, " ")
		add(name, state{kind: waitOther, reason: w, detail: why})
	}
	return p
}

// windowOf draws events from..to of h (clipped to those held) as a
// timeline, with the state after event from-1 as its start.
func windowOf(h *history, from, to int) (*timeline, error) {
	from = max(from, 1)
	start, err := h.stateModel(from - 1)
	if err != nil {
		return nil, err
	}
	p := seeded(start)
	p.events = from - 1
	_, total, _, _ := h.span()
	p.open = to < total
	for _, s := range h.linesBetween(from, to) {
		p.line(s)
	}
	return p.finish(), nil
}

// stateModel returns the model after event at (a copy).
func (h *history) stateModel(at int) (*model, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if at < h.first-1 {
		return nil, errGone{h.first, h.total}
	}
	at = min(at, h.total)
	k := (at - (h.first - 1)) / snapEvery
	m := h.snaps[k].clone()
	for e := h.first - 1 + k*snapEvery + 1; e <= at; e++ {
		m.apply(parseEvent(h.lines[e-h.first]), e)
	}
	return m, nil
}

// window reads a whole trace from r and returns the window of it that
// opt.from and opt.to ask for, saying in opt.window which it is.
func window(r io.Reader, opt *options) (*timeline, error) {
	h := newHistory(int(^uint32(0) >> 1)) // the command keeps the whole trace
	if err := readInto(r, h); err != nil {
		return nil, fmt.Errorf("reading the trace: %w", err)
	}
	_, total, _, _ := h.span()
	if opt.from > total {
		return nil, fmt.Errorf("-events %d-: the trace has %d trace lines", opt.from, total)
	}
	to := min(opt.to, total)
	opt.window = fmt.Sprintf("Trace lines %d to %d of %d.", opt.from, to, total)
	return windowOf(h, opt.from, to)
}

// parseRange reads -events: "from-to", "from-" (to the end) or "n" (one).
func parseRange(s string) (from, to int, err error) {
	a, b, dash := strings.Cut(s, "-")
	if from, err = strconv.Atoi(a); err != nil || from < 1 {
		return 0, 0, fmt.Errorf("-events %q: want from-to, counting trace lines from 1, e.g. -events 100-200", s)
	}
	switch {
	case !dash:
		to = from
	case b == "":
		to = int(^uint(0) >> 1)
	default:
		if to, err = strconv.Atoi(b); err != nil || to < from {
			return 0, 0, fmt.Errorf("-events %q: want from-to with from <= to, e.g. -events 100-200", s)
		}
	}
	return from, to, nil
}
