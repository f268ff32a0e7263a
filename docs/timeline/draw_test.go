package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// drawString draws a trace given as text, with step 2's folding.
func drawString(t *testing.T, trace string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(strings.NewReader(trace), &out, options{title: "test", minCopies: 3}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// elements parses an SVG and returns its elements' names and the text in
// each <text>, failing if it is not well-formed XML.
func elements(t *testing.T, svg string) (names, texts []string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return names, texts
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			names = append(names, tok.Name.Local)
			inText = tok.Name.Local == "text"
			for _, a := range tok.Attr {
				if strings.HasPrefix(a.Name.Local, "on") || a.Name.Local == "href" || a.Name.Local == "style" || a.Name.Local == "class" {
					t.Errorf("<%s> has attribute %s: the picture must be plain SVG", tok.Name.Local, a.Name.Local)
				}
				if a.Name.Local == "font-family" && a.Value != "sans-serif" {
					t.Errorf("font-family %q: only the reader's own sans-serif", a.Value)
				}
			}
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		}
	}
}

// traces are small traces with every kind of mark between them.
var traces = map[string]string{
	"untraced and other waits": `[trace] resume a
[trace] resume c
[trace] c waits on Timer of fd 7
[trace] resume b
[trace] b waits on Sleep of 30 ms
[trace] select: 1 ready
[trace] resume c
Task done
[trace] resume a
Task done
[trace] resume b
task b stopped: panic: boom
`,
	"names to escape": "[trace] resume a<b>&\"c\"\nout \x01put & <more>\n[trace] a<b>&\"c\" waits on Recv of fd 3\n[trace] select: 1 ready\n[trace] resume a<b>&\"c\"\n",
}

// TestPlainSVG checks that each picture is well-formed, plain SVG: only
// shapes and text, no scripts, links, styles or fonts of its own, and a
// white background of its own, under everything, for dark pages.
func TestPlainSVG(t *testing.T) {
	all := map[string]string{}
	for _, p := range pictures {
		b, err := os.ReadFile(p.svg)
		if err != nil {
			t.Fatal(err)
		}
		all[p.svg] = string(b)
	}
	for name, trace := range traces {
		all[name] = drawString(t, trace)
	}
	allowed := map[string]bool{"svg": true, "title": true, "defs": true, "pattern": true, "rect": true, "line": true, "text": true, "circle": true, "polyline": true}
	for name, svg := range all {
		t.Run(name, func(t *testing.T) {
			names, _ := elements(t, svg)
			for _, n := range names {
				if !allowed[n] {
					t.Errorf("element <%s>", n)
				}
			}
			_, rest, _ := strings.Cut(svg, "</defs>")
			if i := strings.Index(rest, "<rect"); i < 0 || !strings.HasPrefix(rest[i:], `<rect width="100%" height="100%" fill="#ffffff"/>`) {
				t.Error("the first shape is not a white background over the whole picture")
			}
		})
	}
}

// TestWhatIsDrawn checks the text of a picture: the title, every task's
// name, the program's output, and a legend that explains what is drawn
// and nothing else.
func TestWhatIsDrawn(t *testing.T) {
	step2, err := os.ReadFile("../../step2-scheduler/testdata/trace.golden")
	if err != nil {
		t.Fatal(err)
	}
	step3, err := os.ReadFile("../../step3-io-wait/testdata/trace.golden")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, trace string
		has, hasNot []string
	}{
		{"step 2", string(step2),
			[]string{"countdown(10)", "countdown(5)", "countup(20)", "T-minus 10", "running: run() resumed it", "ready: in the queue", "the task returned (Task done)", "folded: the columns before, repeated", "folded: the 3 columns before, 4 more times (12 columns)", "run() resumed a task 38 times; 27 repeated columns folded."},
			[]string{"recvWait", "sendWait", "select() returned", "the trace does not say", "another reason"}},
		{"step 3", string(step3),
			[]string{"reader", "writer", "Recv fd 3", "parked in recvWait until fd N can be read", "parked in sendWait until fd N can be written", "select()", "select() returned: n descriptors ready", "a task that select() woke: back to the queue", "writer: the socket is full; waiting on Send"},
			[]string{"folded", "the trace does not say", "another reason", "Note:"}},
		{"other waits", traces["untraced and other waits"],
			[]string{"waiting; the trace does not say on what", "parked for another reason, as the trace names it", "Sleep", "T7", "the task was stopped (see the output)"},
			[]string{"recvWait", "folded"}},
		{"a trace that disagrees with itself", "[trace] resume a\n[trace] a waits on Recv of fd 3\n[trace] select: 2 ready\n[trace] resume a\n[trace] a waits on Recv of fd 3\n[trace] select: 1 ready\n",
			[]string{"Note: select in column 2 said 2 ready, but 1 parked task ran after it"},
			nil},
		{"escaping", traces["names to escape"],
			[]string{`a<b>&"c"`, "out  put & <more>", "the task did not run again"},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, texts := elements(t, drawString(t, c.trace))
			all := strings.Join(texts, "\n")
			if texts[0] != "test" {
				t.Errorf("the first text is %q, not the title", texts[0])
			}
			for _, s := range c.has {
				if !strings.Contains(all, s) {
					t.Errorf("no text %q in:\n%s", s, all)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(all, s) {
					t.Errorf("text %q, which this picture has no use for", s)
				}
			}
			for _, s := range texts {
				if s == "Task done" {
					t.Error(`the program's "Task done" lines are drawn, but the word "done" in the row says it`)
				}
			}
		})
	}
}

// TestDots checks that every task a select woke gets its dot: step 3's
// four selects each woke one task, and the legend has one dot.
func TestDots(t *testing.T) {
	step3, err := os.ReadFile("../../step3-io-wait/testdata/trace.golden")
	if err != nil {
		t.Fatal(err)
	}
	names, _ := elements(t, drawString(t, string(step3)))
	dots := 0
	for _, n := range names {
		if n == "circle" {
			dots++
		}
	}
	if dots != 4+1 {
		t.Errorf("%d dots, want 4 and one in the legend", dots)
	}
}

// TestNoEvents checks that input without trace lines is an error that
// says what to do, not an empty picture.
func TestNoEvents(t *testing.T) {
	err := run(strings.NewReader("reader: waiting on Recv\n"), io.Discard, options{})
	if err == nil || !strings.Contains(err.Error(), "-trace") {
		t.Errorf("err = %v", err)
	}
}

// TestCut checks -max: the picture of a long trace stops after so many
// columns and says how many events it left out; what it draws is what
// the whole trace says, from the tasks seen so far.
func TestCut(t *testing.T) {
	tl := parseString(t, synthTrace(2000, 1))
	const n = 300
	cut := tl.cut(n)
	rows := map[string]string{}
	for _, r := range picture(tl) {
		name, row, _ := strings.Cut(r, ": ")
		rows[name] = row
	}
	if len(cut.tasks) == 0 || len(cut.tasks) == len(tl.tasks) {
		t.Fatalf("%d of %d tasks are in the first %d columns: pick another n", len(cut.tasks), len(tl.tasks), n)
	}
	for _, r := range picture(cut) {
		name, row, _ := strings.Cut(r, ": ")
		if whole := rows[name]; !strings.HasPrefix(whole+strings.Repeat(" ", n), row[:min(len(row), n)]) {
			t.Errorf("%s:\n cut   %q\n whole %q", name, row, whole[:min(len(whole), n)])
		}
	}
	if got, want := woken(cut), woken(tl)[:len(woken(cut))]; !slices.Equal(got, want) {
		t.Errorf("woken:\n cut   %q\n whole %q", got, want)
	}
	// A task dropped above a task kept: the rows below move up.
	x := &task{name: "x", marks: []mark{{3, state{kind: running}}}}
	y := &task{name: "y", marks: []mark{{0, state{kind: running}}, {1, state{kind: waitFD, reason: "Recv", fd: 3, woken: true}}, {2, state{kind: running}}}}
	small := &timeline{tasks: []*task{x, y}, cols: []column{{task: 1}, {task: -1, call: "select", ready: 1, woke: []int{1}}, {task: 1}, {task: 0}}}
	if got := woken(small.cut(3)); !slices.Equal(got, []string{"select@01: y"}) {
		t.Errorf("woken after a cut: %q", got)
	}
	if c := small.cut(3).cols; c[0].task != 0 || c[2].task != 0 {
		t.Errorf("the columns resume rows %d and %d, want 0", c[0].task, c[2].task)
	}
	svg := drawString(t, synthTrace(2000, 1))
	if strings.Contains(svg, "not drawn here") {
		t.Error("a trace drawn whole says it was cut")
	}
	var out bytes.Buffer
	if err := run(strings.NewReader(synthTrace(2000, 1)), &out, options{minCopies: 3, maxCols: 40}); err != nil {
		t.Fatal(err)
	}
	items := fold(tl, 3)
	want := fmt.Sprintf("The trace goes on for %d more events, not drawn here", len(tl.cols)-items[40].col)
	if !strings.Contains(out.String(), want) {
		t.Errorf("no %q", want)
	}
}
