package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// A kind is what a task does during one column of the timeline.
type kind uint8

const (
	blank     kind = iota // not started yet, or over
	ready                 // in the ready queue
	running               // resumed by run(): its body runs
	waitFD                // parked on a descriptor: "Recv of fd 3", "Send of fd 4"
	waitOther             // parked on a reason named without a descriptor: "Exit", "Sleep of 30 ms"
	untraced              // off the queue with no trace line saying why, and resumed later
	gone                  // while parsing only: off the queue with no trace line, fate not known yet
	ended                 // the column after its last run, which says why it ended
)

// A state is one task's cell in one column. States are compared with ==,
// to fold runs of identical columns.
type state struct {
	kind   kind
	reason string // a wait's reason ("Recv", "Send", "Sleep"), or why it ended ("done", "failed", "ended")
	fd     int    // waitFD's descriptor
	detail string // waitOther: what the trace said after "waits on", e.g. "Sleep of 30 ms"
	woken  bool   // waitFD in a wake column: this call woke the task
}

// A mark says that a task is in state st from column col on, until its
// next mark.
type mark struct {
	col int
	st  state
}

// A task is one row: a task of the traced program, told apart by its name.
type task struct {
	name    string // as the trace says it, with " (2)" added if the name is used again
	marks   []mark // in column order
	pending int    // index in marks of a gone placeholder, or -1
	over    bool   // known to have ended: a later task of that name is another task
}

// set records that t is in st from column col on. A mark at the same
// column as the last one replaces it.
func (t *task) set(col int, st state) {
	if n := len(t.marks); n > 0 && t.marks[n-1].col == col {
		t.marks[n-1].st = st
		return
	}
	t.marks = append(t.marks, mark{col, st})
}

// last returns the state t is in after its last mark, and that mark's column.
func (t *task) last() (state, int) {
	if len(t.marks) == 0 {
		return state{}, -1
	}
	m := t.marks[len(t.marks)-1]
	return m.st, m.col
}

// A column is one scheduler event: a task resumed, or a wake call
// (select, or poll in an exercise's solution) that returned.
type column struct {
	task   int      // the row resumed in this column, or -1 for a wake call
	call   string   // a wake call's name: "select"
	ready  int      // how many descriptors the wake call said are ready
	woke   []int    // the rows it woke, in the order they ran
	at     int      // its trace line, counting from 1
	output []string // the program's own lines printed during this column
}

// A timeline is what a trace says, as rows and columns.
type timeline struct {
	tasks    []*task
	cols     []column
	before   []string // the program's lines before the first event
	notes    []string // where the trace disagrees with itself, or lines not understood
	unparsed int      // [trace] lines not understood
}

// maxOutput bounds the program's lines kept for one column: a task that
// prints a thousand lines in one turn is not a picture's business.
const maxOutput = 8

var (
	fdWait   = regexp.MustCompile(`^(\S+) of fd (\d+)$`) // "Recv of fd 3"
	taskDone = regexp.MustCompile(`^Task (\d+ )?done$`)  // run()'s line, also with an exercise's id
	// How the steps and the exercises' solutions report a task they stop:
	// log.Printf("task %s stopped: ...") in steps 3 and 4, and
	// "Task %s failed: ..." in step2-crash.
	taskFailed = regexp.MustCompile(`^(?:task (.+?) stopped|Task (.+?) failed): `)
)

// A parser turns trace lines into a timeline, one line at a time.
//
// The trace says less than the picture shows; the rest is inferred from
// how run() works:
//   - A task is first named when it is first resumed. The queue is first in,
//     first out, so a new task was queued after the task resumed before it
//     was; the tasks queued before run() started (the first ones resumed,
//     before any task ran twice) are drawn ready from the start.
//   - A resumed task that says neither "yielded" nor "waits on" has ended
//     (run() prints "Task done", or the log says it was stopped), or waits
//     on something the trace does not show (step3-sleep's Sleep, say).
//     Which of the two is known only when it runs again, or not.
//   - select is called only when the ready queue is empty, so the tasks it
//     wakes are the next ones resumed. Those resumed before the next select
//     that were parked on a descriptor are exactly the ones it woke: only a
//     wake moves such a task back to the queue, or a task that select woke
//     (step 4's shutdown wakes the tasks waiting to read): those run after
//     the ones select woke. (A task woken by a timer or by another task's
//     end was not parked on a descriptor.) If fewer of
//     them ran than select said were ready, the others were stopped before
//     they ran, as step 4's shutdown stops every task.
//   - A select that fails (EINTR, EBADF) prints nothing and wakes nothing.
//     A task stopped because its descriptor was closed is reported only on
//     stderr ("task x stopped: ..."): with 2>&1 it ends there; without, it
//     stays parked to the end of the picture.
type parser struct {
	tl       timeline
	byName   map[string]int // name -> the row of the latest task of that name
	seen     map[string]int // name -> how many tasks had it
	cur      int            // the row running in the last column, or -1
	outcome  bool           // a trace line said where the running task went
	evidence string         // "done" or "failed", from the running task's output
	lastWake int            // the column of the last wake call, or -1
	events   int            // the [trace] lines read
	open     bool           // a window of a trace that goes on: its last turn has not ended
	// What the task resumed last tells about the next new one: when it
	// was queued (-1: not known), and whether before run() started.
	prevReady   int
	prevInitial bool
}

// newParser returns a parser with nothing read yet.
func newParser() *parser {
	return &parser{byName: map[string]int{}, seen: map[string]int{}, cur: -1, lastWake: -1, prevReady: -1, prevInitial: true}
}

// parse reads a whole trace.
func parse(r io.Reader) (*timeline, error) {
	p := newParser()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		p.line(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the trace: %w", err)
	}
	return p.finish(), nil
}

// line takes one line of the program's output: a trace line, or the
// program's own. A trace line may follow output that did not end its line.
func (p *parser) line(s string) {
	s = strings.TrimRight(s, "\r")
	i := strings.Index(s, "[trace] ")
	if i < 0 {
		p.output(s)
		return
	}
	if i > 0 {
		p.output(s[:i])
	}
	p.event(parseEvent(s[i+len("[trace] "):]))
}

// event takes one trace line, read by parseEvent, the reader that the live
// view's reconstruction uses too. Where a line says what older traces
// left to inference (a new task, the tasks a select woke, a stopped task),
// the picture takes the line's word for it.
func (p *parser) event(ev event) {
	p.events++
	switch ev.kind {
	case evResume:
		p.resume(ev.name)
		p.tl.cols[len(p.tl.cols)-1].at = p.events
	case evSelect:
		p.wake(ev.call, ev.n)
		p.tl.cols[len(p.tl.cols)-1].at = p.events
		if ev.named {
			p.woke(ev.names)
		}
	case evWait:
		why := ev.why
		if ev.fd >= 0 {
			why = fmt.Sprintf("%s of fd %d", ev.why, ev.fd)
		}
		p.wait(ev.name, why)
	case evYield:
		p.queued(ev.name)
	case evNewTask:
		p.newTask(ev.name)
	case evStop:
		p.stopped(ev.name)
	case evExitWakes:
		for _, name := range ev.names {
			p.queued(name)
		}
	case evDropped:
		p.note("%s lost before trace line %d: the picture around it may be wrong", plural(ev.n, "line was", "lines were"), p.events)
	default:
		p.tl.unparsed++
	}
}

// newTask records that newTask queued the task called name: it is ready
// from this column on, which older traces left the parser to guess.
func (p *parser) newTask(name string) {
	r := p.row(name)
	t := p.tl.tasks[r]
	if len(t.marks) == 0 {
		t.set(len(p.tl.cols), state{kind: ready})
	}
}

// woke records the tasks that the wake call just made woke, as its line
// names them: each is ready from the next column on.
func (p *parser) woke(names []string) {
	col := len(p.tl.cols) - 1
	for _, name := range names {
		r := p.row(name)
		t := p.tl.tasks[r]
		if st, _ := t.last(); st.kind == waitFD || st.kind == waitOther {
			st.woken = true
			t.set(col, st)
		}
		p.tl.cols[col].woke = append(p.tl.cols[col].woke, r)
		t.set(col+1, state{kind: ready})
	}
}

// stopped records that the scheduler stopped the task called name: while
// it ran, or where it waited.
func (p *parser) stopped(name string) {
	r, ok := p.byName[name]
	switch {
	case !ok || p.tl.tasks[r].over:
	case r == p.cur && !p.outcome:
		p.evidence = "failed"
	case r != p.cur:
		p.end(p.tl.tasks[r], len(p.tl.cols), "failed")
	}
}

// row returns the row of the task called name, making one if there is no
// such task yet or if the last one of that name has ended.
func (p *parser) row(name string) int {
	if r, ok := p.byName[name]; ok && !p.tl.tasks[r].over {
		return r
	}
	p.seen[name]++
	shown := name
	if n := p.seen[name]; n > 1 {
		shown = fmt.Sprintf("%s (%d)", name, n)
	}
	p.byName[name] = len(p.tl.tasks)
	p.tl.tasks = append(p.tl.tasks, &task{name: shown, pending: -1})
	return len(p.tl.tasks) - 1
}

// closeSlice ends the running task's turn: if no trace line said where it
// went, it ended, or waits on something the trace does not name.
func (p *parser) closeSlice() {
	if p.cur < 0 {
		return
	}
	t, next := p.tl.tasks[p.cur], len(p.tl.cols)
	if !p.outcome {
		if p.evidence != "" {
			p.end(t, next, p.evidence)
		} else {
			t.set(next, state{kind: gone})
			t.pending = len(t.marks) - 1
		}
	}
	p.cur = -1
}

// end records that t ended before column col, for the reason why.
func (p *parser) end(t *task, col int, why string) {
	if t.pending >= 0 {
		col = t.marks[t.pending].col
		t.marks = t.marks[:t.pending]
		t.pending = -1
	}
	t.set(col, state{kind: ended, reason: why})
	t.set(col+1, state{})
	t.over = true
}

// resume starts a column in which the task called name runs.
func (p *parser) resume(name string) {
	p.closeSlice()
	r := p.row(name)
	t, col := p.tl.tasks[r], len(p.tl.cols)
	queued, initial := -1, false // when t was queued, if known
	st, since := t.last()
	switch {
	case len(t.marks) == 0: // a new task
		if p.lastWake < 0 && p.prevInitial {
			queued, initial = 0, true
		} else if p.prevReady >= 0 {
			// Queued after the task resumed before it, so during a turn
			// after that one was queued, and after the last select (which
			// is called only with an empty queue).
			queued = min(max(p.prevReady+1, p.lastWake+1), col)
		} else {
			queued = col
		}
		t.set(queued, state{kind: ready})
	case st.kind == ready:
		queued = since
		if p.lastWake >= since {
			p.note("%s was in the ready queue when %s was called (column %d), which run() does only with an empty queue", t.name, p.tl.cols[p.lastWake].call, p.lastWake+1)
		}
	case st.kind == waitFD && p.lastWake >= since && len(p.tl.cols[p.lastWake].woke) < p.tl.cols[p.lastWake].ready:
		w := &p.tl.cols[p.lastWake]
		w.woke = append(w.woke, r)
		st.woken = true
		t.set(p.lastWake, st)
		queued = p.lastWake + 1
		t.set(queued, state{kind: ready})
	case st.kind == waitFD && p.lastWake >= since:
		// More parked tasks run than select woke: a task that ran since
		// woke this one (step 4's shutdown wakes those waiting to read),
		// so it was queued after the first of them ran, and no sooner than
		// the task resumed before it.
		queued = min(max(p.prevReady, p.lastWake+2), col)
		t.set(queued, state{kind: ready})
	case st.kind == waitFD:
		p.note("%s ran again in column %d while parked on %s of fd %d, with no select since", t.name, col+1, st.reason, st.fd)
	case st.kind == gone:
		t.marks[t.pending].st = state{kind: untraced}
		t.pending = -1
	}
	t.set(col, state{kind: running})
	p.tl.cols = append(p.tl.cols, column{task: r})
	p.cur, p.outcome, p.evidence = r, false, ""
	p.prevReady, p.prevInitial = queued, initial
}

// wake starts a column for a wake call (select) that said n descriptors
// are ready.
func (p *parser) wake(call string, n int) {
	p.closeSlice()
	p.checkWake(false)
	p.lastWake = len(p.tl.cols)
	p.tl.cols = append(p.tl.cols, column{task: -1, call: call, ready: n})
}

// checkWake compares what the last wake call said with the tasks seen to
// wake. At the end of the trace, fewer is no surprise: stopped tasks never
// run again.
func (p *parser) checkWake(atEnd bool) {
	if p.lastWake < 0 {
		return
	}
	c := p.tl.cols[p.lastWake]
	if len(c.woke) > c.ready || (len(c.woke) < c.ready && !atEnd) {
		p.note("%s in column %d said %d ready, but %s ran after it", c.call, p.lastWake+1, c.ready, plural(len(c.woke), "parked task", "parked tasks"))
	}
}

// wait records that the task called name parked: "Recv of fd 3".
func (p *parser) wait(name, why string) {
	r := p.row(name)
	st := state{kind: waitOther, reason: why, detail: why}
	if m := fdWait.FindStringSubmatch(why); m != nil {
		fd, _ := strconv.Atoi(m[2])
		st = state{kind: waitFD, reason: m[1], fd: fd}
	} else if w, _, ok := strings.Cut(why, " "); ok {
		st.reason = w
	}
	p.tl.tasks[r].set(len(p.tl.cols), st)
	if r == p.cur {
		p.outcome = true
	}
}

// queued records that the task called name yielded and went to the back
// of the queue (step 2).
func (p *parser) queued(name string) {
	r := p.row(name)
	p.tl.tasks[r].set(len(p.tl.cols), state{kind: ready})
	if r == p.cur {
		p.outcome = true
	}
}

// output takes one of the program's own lines. It belongs to the column
// in which it was printed; "Task done" and the lines that report a stopped
// task also say how a task ended.
func (p *parser) output(s string) {
	if len(p.tl.cols) == 0 {
		if len(p.tl.before) < maxOutput {
			p.tl.before = append(p.tl.before, s)
		}
		return
	}
	c := &p.tl.cols[len(p.tl.cols)-1]
	if len(c.output) < maxOutput {
		c.output = append(c.output, s)
	}
	if taskDone.MatchString(s) && p.cur >= 0 && !p.outcome {
		p.evidence = "done"
	}
	if m := taskFailed.FindStringSubmatch(s); m != nil {
		name := m[1] + m[2]
		r, ok := p.byName[name]
		switch {
		case !ok || p.tl.tasks[r].over:
		case r == p.cur && !p.outcome:
			p.evidence = "failed"
		case r != p.cur:
			p.end(p.tl.tasks[r], len(p.tl.cols), "failed") // stopped where it waited
		}
	}
}

// note records where the trace disagrees with what run() can do.
func (p *parser) note(format string, args ...any) {
	p.tl.notes = append(p.tl.notes, fmt.Sprintf(format, args...))
}

// finish ends the trace: a task whose fate is still unknown has ended.
func (p *parser) finish() *timeline {
	if !p.open { // in a window that the trace goes on after, the last task runs on
		p.closeSlice()
	}
	p.checkWake(true)
	for _, t := range p.tl.tasks {
		if t.pending >= 0 {
			p.end(t, 0, "ended")
		}
	}
	if p.tl.unparsed > 0 {
		p.note("%d [trace] lines not understood, left out", p.tl.unparsed)
	}
	return &p.tl
}
