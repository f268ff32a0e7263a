// Timeline draws a step's -trace output as an SVG picture of the
// scheduler at work: one row per task, one column per scheduler event (a
// task resumed, or a call to select), and in each cell what that task was
// doing: running, ready in the queue, or parked on Recv or Send of a
// descriptor (or on any other reason the trace names). A dot marks each
// task that a select woke. Under each column is what the program printed
// during it; runs of repeated columns are folded, and say how many.
//
// Draw your own run, from the repository's root:
//
//	go run ./step3-io-wait -trace | go run ./docs/timeline > run.svg
//	go run ./step4-server -trace | go run ./docs/timeline -title "My session" > run.svg
//
// then open run.svg in a browser. For step 4, connect a client or two
// (nc 127.0.0.1 25000), then press Ctrl-C: the server stops, and the
// timeline, which ignores Ctrl-C, draws what it was given.
//
// The trace does not say everything the picture shows; the rest is
// inferred from how run() works (see parser). Lines that are not trace
// lines are the program's own output. Add 2>&1 before the pipe to include
// what the program logs, such as "task x stopped: ...".
//
// docs/timeline/step2.svg, step3.svg and step4.svg are the steps' own
// traces, drawn; `make docs` (go test ./docs/timeline -update) draws them
// again.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	var opt options
	flag.StringVar(&opt.title, "title", "Scheduler timeline", "the picture's `title`")
	flag.IntVar(&opt.minCopies, "fold", 3, "fold a block of columns that repeats `n` or more times in a row; 0 folds nothing")
	flag.IntVar(&opt.maxCols, "max", 400, "draw at most `n` columns, and say how many events are left; 0 draws them all")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./step3-io-wait -trace | go run ./docs/timeline [-title text] [-fold n] [-max n] > run.svg")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		fmt.Fprintln(os.Stderr, "timeline: reading a trace from the terminal; pipe one in: go run ./step3-io-wait -trace | go run ./docs/timeline > run.svg")
	} else {
		// Ctrl-C at the end of `go run ./step4-server -trace | go run
		// ./docs/timeline` reaches both programs: the server stops, and
		// this one must live on to draw what it read.
		signal.Ignore(os.Interrupt)
	}
	if err := run(os.Stdin, os.Stdout, opt); err != nil {
		fmt.Fprintln(os.Stderr, "timeline:", err)
		os.Exit(1)
	}
}

// run reads a trace from r and writes its picture to w. Where the trace
// disagrees with itself, it says so on stderr too.
func run(r io.Reader, w io.Writer, opt options) error {
	tl, err := parse(r)
	if err != nil {
		return err
	}
	if len(tl.cols) == 0 {
		return fmt.Errorf("no scheduler events in the input: run the step with -trace, e.g. go run ./step3-io-wait -trace | go run ./docs/timeline > run.svg")
	}
	for _, n := range tl.notes {
		fmt.Fprintln(os.Stderr, "timeline: note:", n)
	}
	out := bufio.NewWriter(w)
	if err := draw(out, tl, opt); err != nil {
		return err
	}
	return out.Flush()
}
