package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// synthTrace makes a trace of n events shaped like step 4's under load,
// the same for the same seed: a server that accepts clients, handlers that
// mostly echo (wake on Recv, wait on Send, wake, wait on Recv again), now
// and then two clients at once, a switch to another client, or a client
// that leaves. Each step of it is something run() does.
func synthTrace(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	events := 0
	emit := func(format string, args ...any) {
		fmt.Fprintf(&b, format+"\n", args...)
		if strings.HasPrefix(format, "[trace] resume") || strings.Contains(format, "ready") {
			events++
		}
	}
	emit("Listening on 127.0.0.1:25000; try: nc 127.0.0.1 25000")
	emit("[trace] resume tcpServer")
	emit("[trace] tcpServer waits on Recv of fd 5")
	emit("[trace] resume shutdown")
	emit("[trace] shutdown waits on Recv of fd 3")
	type handler struct {
		name string
		fd   int
	}
	var open []handler
	clients, nextFD := 0, 6
	accept := func() {
		clients++
		h := handler{fmt.Sprintf("echoHandler(127.0.0.1:%d)", 52000+clients), nextFD}
		nextFD++
		emit("[trace] select: 1 ready")
		emit("[trace] resume tcpServer")
		emit("[trace] tcpServer waits on Recv of fd 5")
		emit("[trace] resume %s", h.name)
		emit("Connection from 127.0.0.1:%d", 52000+clients)
		emit("[trace] %s waits on Recv of fd %d", h.name, h.fd)
		open = append(open, h)
	}
	for range 3 {
		accept()
	}
	active := 0
	for events < n {
		switch x := rng.IntN(200); {
		case x < 3 || len(open) == 0:
			accept()
			active = len(open) - 1
		case x < 15:
			active = rng.IntN(len(open))
		case x < 17 && len(open) > 1: // the active client leaves
			h := open[active]
			emit("[trace] select: 1 ready")
			emit("[trace] resume %s", h.name)
			emit("Connection closed 127.0.0.1:%s", strings.TrimSuffix(h.name[len("echoHandler(127.0.0.1:"):], ")"))
			emit("Task done")
			open = append(open[:active], open[active+1:]...)
			active = rng.IntN(len(open))
		case x < 23 && len(open) > 1: // two clients send at once
			h1, h2 := open[0], open[len(open)-1]
			for _, why := range []string{"Send", "Recv"} {
				emit("[trace] select: 2 ready")
				emit("[trace] resume %s", h1.name)
				emit("[trace] %s waits on %s of fd %d", h1.name, why, h1.fd)
				emit("[trace] resume %s", h2.name)
				emit("[trace] %s waits on %s of fd %d", h2.name, why, h2.fd)
			}
		default: // the active client's echo
			h := open[active]
			for _, why := range []string{"Send", "Recv"} {
				emit("[trace] select: 1 ready")
				emit("[trace] resume %s", h.name)
				emit("[trace] %s waits on %s of fd %d", h.name, why, h.fd)
			}
		}
	}
	return b.String()
}

// columnTexts describes each column of tl in full, without digests: what
// the fold test compares columns by.
func columnTexts(tl *timeline) []string {
	texts := make([]string, len(tl.cols))
	for c, col := range tl.cols {
		var b strings.Builder
		if col.task < 0 {
			fmt.Fprintf(&b, "%s %d |", col.call, col.ready)
		}
		for _, t := range tl.tasks {
			st, _ := t.stateAfter(c)
			fmt.Fprintf(&b, " %+v", st)
		}
		texts[c] = b.String()
	}
	return texts
}

// checkFolds checks the layout of tl's columns: every column is drawn or
// folded, once, in order; a fold stands only for exact repeats of the
// columns before it; and every kind of column that the trace has is
// drawn at least once, so that folding hides no kind of event. It returns
// how many columns were folded.
func checkFolds(t *testing.T, tl *timeline, texts []string, minCopies int) int {
	t.Helper()
	items := fold(tl, minCopies)
	next, folded := 0, 0
	shown := map[string]bool{}
	for _, it := range items {
		if it.col != next {
			t.Fatalf("an item starts at column %d, want %d", it.col, next)
		}
		next += it.n
		if it.n == 1 && it.period == 0 {
			if it.col < len(texts) {
				shown[texts[it.col]] = true
			}
			continue
		}
		if it.period < 1 || it.n%it.period != 0 || it.n/it.period+1 < minCopies {
			t.Fatalf("fold at column %d: %d columns, period %d, with %d copies wanted", it.col, it.n, it.period, minCopies)
		}
		for c := it.col; c < it.col+it.n; c++ {
			if a, b := texts[c], texts[c-it.period]; a != b {
				t.Fatalf("fold at column %d hides column %d, which is not column %d again:\n%s\n%s", it.col, c, c-it.period, a, b)
			}
		}
		folded += it.n
	}
	if next != len(tl.cols)+1 || items[len(items)-1].col != len(tl.cols) {
		t.Fatalf("the items end at %d, want %d and the column after the last event", next, len(tl.cols)+1)
	}
	for c, s := range texts {
		if !shown[s] {
			t.Fatalf("column %d is only in a fold, and nothing like it is drawn: %s", c, s)
		}
	}
	return folded
}

// TestFold checks folding on the steps' traces and on long made-up ones.
func TestFold(t *testing.T) {
	traces := map[string]string{}
	for _, path := range []string{"../../step2-scheduler/testdata/trace.golden", "../../step3-io-wait/testdata/trace.golden", "testdata/step4.trace"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		traces[path] = string(b)
	}
	for seed := range uint64(6) {
		traces[fmt.Sprint("made up, seed ", seed)] = synthTrace(1000, seed)
	}
	// Columns that differ only in what select said must not fold together.
	var b strings.Builder
	b.WriteString("[trace] resume a\n[trace] a waits on Recv of fd 3\n")
	for _, n := range []int{1, 1, 1, 1, 2, 2, 2, 2, 1, 2, 1, 2, 1, 2} {
		fmt.Fprintf(&b, "[trace] select: %d ready\n[trace] resume a\n[trace] a waits on Recv of fd 3\n", n)
	}
	traces["select's count"] = b.String()
	total := 0
	for name, trace := range traces {
		tl := parseString(t, trace)
		texts := columnTexts(tl)
		for _, minCopies := range []int{2, 3, 5} {
			t.Run(fmt.Sprintf("%s, %d copies", name, minCopies), func(t *testing.T) {
				total += checkFolds(t, tl, texts, minCopies)
			})
		}
	}
	if total == 0 {
		t.Error("nothing was folded: this test tests nothing")
	}
}

// TestFoldStep2 pins down how step 2's trace folds: a round of three tasks
// and four more like it, a round in which countdown(5) ends, and so on.
func TestFoldStep2(t *testing.T) {
	b, err := os.ReadFile("../../step2-scheduler/testdata/trace.golden")
	if err != nil {
		t.Fatal(err)
	}
	tl := parseString(t, string(b))
	var got []string
	for _, it := range fold(tl, 3) {
		if it.n > 1 {
			got = append(got, fmt.Sprintf("[%d×%d]", it.n/it.period, it.period))
		} else {
			got = append(got, fmt.Sprint(it.col))
		}
	}
	want := "0 1 2 [4×3] 15 16 17 18 19 [3×2] 26 27 28 [9×1] 38"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("items: %s\nwant   %s", s, want)
	}
	if n := len(fold(tl, 0)); n != len(tl.cols)+1 {
		t.Errorf("-fold 0 drew %d items, want every column and the one after: %d", n, len(tl.cols)+1)
	}
}

// TestFoldThreeColumns pins down the least that folding saves: a repeat
// that stands for three columns is folded, one that stands for two is drawn
// in full.
func TestFoldThreeColumns(t *testing.T) {
	turn := func(name string) string {
		return "[trace] resume " + name + "\n[trace] " + name + " yielded; back of the queue\n"
	}
	for _, c := range []struct {
		trace string
		want  string
	}{
		{strings.Repeat(turn("a"), 3), "0 1 2 3"},                           // a column, then two copies of it
		{strings.Repeat(turn("a"), 4), "0 [3×1] 4"},                         // and three copies
		{strings.Repeat(turn("a")+turn("b")+turn("c"), 2), "0 1 2 [1×3] 6"}, // a round of three, then one copy of it
	} {
		tl := parseString(t, "[trace] new task a\n[trace] new task b\n[trace] new task c\n"+c.trace)
		var got []string
		for _, it := range fold(tl, 2) {
			if it.n > 1 {
				got = append(got, fmt.Sprintf("[%d×%d]", it.n/it.period, it.period))
			} else {
				got = append(got, fmt.Sprint(it.col))
			}
		}
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("%d columns folded into: %s\nwant %s", len(tl.cols), s, c.want)
		}
	}
}
