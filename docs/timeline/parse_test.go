package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// picture renders tl as text for tests: a line per task, its name, then a
// character per column and one for the column after the last event.
//
//	' ' not started, or over    q ready       # running
//	r s parked on Recv / Send   R S the same, woken by this column's select
//	w   parked on another fd    W woken       o another reason, no fd
//	?   waiting, not traced     d done  f failed  e ended
func picture(tl *timeline) []string {
	var out []string
	for _, t := range tl.tasks {
		var b strings.Builder
		for c := 0; c <= len(tl.cols); c++ {
			st, _ := t.stateAfter(c)
			ch := map[kind]string{blank: " ", ready: "q", running: "#", waitOther: "o", untraced: "?", gone: "!"}[st.kind]
			switch st.kind {
			case waitFD:
				ch = map[string]string{"Recv": "r", "Send": "s"}[st.reason]
				if ch == "" {
					ch = "w"
				}
				if st.woken {
					ch = strings.ToUpper(ch)
				}
			case ended:
				ch = st.reason[:1]
			}
			b.WriteString(ch)
		}
		out = append(out, t.name+": "+strings.TrimRight(b.String(), " "))
	}
	return out
}

// woken lists, for each wake column, "column: names" of the tasks it woke.
func woken(tl *timeline) []string {
	var out []string
	for c, col := range tl.cols {
		if col.task >= 0 {
			continue
		}
		var names []string
		for _, r := range col.woke {
			names = append(names, tl.tasks[r].name)
		}
		out = append(out, fmt.Sprintf("%s@%02d: %s", col.call, c, strings.Join(names, " ")))
	}
	return out
}

// parseString parses a trace given as text.
func parseString(t *testing.T, trace string) *timeline {
	t.Helper()
	tl, err := parse(strings.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// TestParse checks what the parser infers from traces shaped like each
// step's, and like the exercises' solutions.
func TestParse(t *testing.T) {
	step3, err := os.ReadFile("../../step3-io-wait/testdata/trace.golden")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, trace string
		rows, woke  []string
		notes       int
	}{
		{
			name: "round robin (step 2): tasks queued before run() are ready from the start",
			trace: `[trace] resume a
a 1
[trace] a yielded; back of the queue
[trace] resume b
[trace] b yielded; back of the queue
[trace] resume a
Task done
[trace] resume b
Task done
`,
			rows: []string{"a: #q#d", "b: q#q#d"},
		},
		{
			name: "step2-ids's solution: run() names the task that is done",
			trace: `[trace] new task a
[trace] new task b
[trace] resume a
[trace] a yielded; back of the queue
[trace] resume b
Task 2 done
[trace] resume a
Task 1 done
`,
			rows: []string{"a: #q#d", "b: q#d"},
		},
		{
			name:  "step 3's own trace: select wakes the next task resumed",
			trace: string(step3),
			rows:  []string{"reader: #rrrR#rrR#d", "writer: q#S#ssS#d"},
			woke:  []string{"select@02: writer", "select@04: reader", "select@06: writer", "select@08: reader"},
		},
		{
			name: "step 4: one select wakes two; a new task is queued during the turn that made it",
			trace: `[trace] resume server
[trace] server waits on Recv of fd 5
[trace] select: 1 ready
[trace] resume server
[trace] server waits on Recv of fd 5
[trace] resume handler
[trace] handler waits on Recv of fd 6
[trace] select: 2 ready
[trace] resume server
[trace] server waits on Recv of fd 5
[trace] resume handler
[trace] handler waits on Send of fd 6
[trace] resume handler2
[trace] handler2 waits on Recv of fd 7
`,
			rows: []string{"server: #R#rR#rrr", "handler:    #Rq#ss", "handler2:       q#r"},
			woke: []string{"select@01: server", "select@04: server handler"},
		},
		{
			name: "step 4's shutdown stops a woken task before it runs: no complaint at the end",
			trace: `[trace] resume h
[trace] h waits on Recv of fd 6
[trace] resume shutdown
[trace] shutdown waits on Recv of fd 3
[trace] select: 2 ready
[trace] resume shutdown
Shutting down
Connection closed x
Task done
`,
			rows: []string{"h: #rrrr", "shutdown: q#R#d"},
			woke: []string{"select@02: shutdown"},
		},
		{
			name: "step 4's shutdown wakes the tasks waiting to read: they run after it, though select did not wake them",
			trace: `[trace] resume h
[trace] h waits on Recv of fd 6
[trace] resume g
[trace] g waits on Recv of fd 7
[trace] resume shutdown
[trace] shutdown waits on Recv of fd 3
[trace] select: 1 ready
[trace] resume shutdown
Shutting down
Task done
[trace] resume h
Task done
[trace] resume g
[trace] g waits on Recv of fd 7
`,
			rows: []string{"h: #rrrr#d", "g: q#rrrq#r", "shutdown: qq#R#d"},
			woke: []string{"select@03: shutdown"},
		},
		{
			name: "untraced waits (step3-sleep's Sleep, step 4's Exit) show once the task runs again",
			trace: `[trace] resume a
a: sleeping 30 ms
[trace] resume b
b: sleeping 10 ms
[trace] select: 0 ready
[trace] resume b
b: woke up
Task done
[trace] select: 0 ready
[trace] resume a
a: woke up
Task done
`,
			rows: []string{"a: #????#d", "b: q#?#d"},
			woke: []string{"select@02: ", "select@04: "},
		},
		{
			name: "traced waits of other kinds, with a descriptor or without",
			trace: `[trace] resume a
[trace] a waits on Sleep of 30 ms
[trace] resume b
[trace] b waits on Timer of fd 9
[trace] poll: 1 ready
[trace] resume b
Task done
[trace] resume a
Task done
`,
			rows: []string{"a: #ooo#d", "b: q#W#d"},
			woke: []string{"poll@02: b"},
		},
		{
			name: "stopped tasks: while running, and while parked (select's EBADF)",
			trace: `[trace] resume a
[trace] a waits on Recv of fd 5
[trace] resume b
task b stopped: panic: boom
[trace] resume c
[trace] c waits on Recv of fd 9
task a stopped: waits on descriptor 5, which is not open
[trace] select: 1 ready
[trace] resume c
Task c failed: boom
`,
			rows: []string{"a: #rrf", "b: q#f", "c: qq#R#f"},
			woke: []string{"select@03: c"},
		},
		{
			name: "a name used again after its task ended is another task; a task that never says more has ended",
			trace: `[trace] resume t
Task done
[trace] resume t
[trace] t waits on Recv of fd 4
[trace] select: 1 ready
[trace] resume t
x[trace] resume u
`,
			rows: []string{"t: #d", "t (2): q#R#e", "u:     #e"},
			woke: []string{"select@02: t (2)"},
		},
		{
			name: "a trace that disagrees with itself says so",
			trace: `[trace] resume a
[trace] a waits on Recv of fd 3
[trace] resume b
[trace] b yielded; back of the queue
[trace] select: 2 ready
[trace] resume a
[trace] a waits on Recv of fd 3
[trace] select: 1 ready
[trace] resume b
[trace] something else
`,
			rows:  []string{"a: #rR#rrr", "b: q#qqq#e"},
			woke:  []string{"select@02: a", "select@04: "},
			notes: 3, // select@02 said 2; b was ready at a select; a line not understood
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tl := parseString(t, c.trace)
			if got := picture(tl); !slices.Equal(got, c.rows) {
				t.Errorf("rows:\n got  %q\n want %q", got, c.rows)
			}
			if got := woken(tl); !slices.Equal(got, c.woke) {
				t.Errorf("woken:\n got  %q\n want %q", got, c.woke)
			}
			if len(tl.notes) != c.notes {
				t.Errorf("notes: %q, want %d", tl.notes, c.notes)
			}
		})
	}
}

// TestOutputGoesWithItsColumn checks that the program's own lines are
// kept under the column that printed them, and those before any event apart.
func TestOutputGoesWithItsColumn(t *testing.T) {
	tl := parseString(t, `Listening on 127.0.0.1:25000
[trace] resume a
a says hi
[trace] a waits on Recv of fd 3
[trace] select: 1 ready
[trace] resume a
bye
Task done
`)
	if !slices.Equal(tl.before, []string{"Listening on 127.0.0.1:25000"}) {
		t.Errorf("before = %q", tl.before)
	}
	want := [][]string{{"a says hi"}, nil, {"bye", "Task done"}}
	for c, col := range tl.cols {
		if !slices.Equal(col.output, want[c]) {
			t.Errorf("column %d: output %q, want %q", c, col.output, want[c])
		}
	}
}

// TestDetail checks what a traced wait keeps for its label.
func TestDetail(t *testing.T) {
	tl := parseString(t, "[trace] resume a\n[trace] a waits on Sleep of 30 ms\n[trace] resume b\n[trace] b waits on Send of fd 12\n")
	got := []state{tl.tasks[0].marks[1].st, tl.tasks[1].marks[2].st}
	want := []state{{kind: waitOther, reason: "Sleep", detail: "Sleep of 30 ms"}, {kind: waitFD, reason: "Send", fd: 12}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
