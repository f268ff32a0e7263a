// Timeline draws a step's -trace output as a picture of the scheduler at
// work, an SVG file that any browser (and GitHub) shows.
//
// One row per task, one column per scheduler event: run() resumed a task,
// or called select because no task was ready. Each cell shows what its
// task was doing then: running (green), ready in the queue (yellow), or
// parked on Recv (blue) or Send (orange) of a descriptor, or on another
// reason that the trace names (purple). A select column says how many
// descriptors select found ready, and a dot marks each task it woke. The
// program's own lines are written under the column that printed them.
// Runs of repeated columns are folded into one narrow column that says
// how many it stands for.
//
// Draw your own run, from the repository's root:
//
//	go run ./step3-io-wait -trace | go run ./docs/timeline > run.svg
//
// and open run.svg in a browser. Step 4 runs until you stop it:
//
//	go run ./step4-server -trace | go run ./docs/timeline > run.svg
//
// then, in another terminal, nc 127.0.0.1 25000 and type a line or two;
// Ctrl-C in the first terminal stops the server, and the timeline (which
// ignores Ctrl-C) draws what it read. Exercises' solutions draw too.
// Add 2>&1 before the | to show what a step logs, such as "task x stopped".
//
// Flags: -title sets the title; -fold n folds a block of columns repeated
// n times or more in a row (0: never); -max n draws at most n columns of a
// long trace and says how many events are left (0: all); -events a-b draws
// only the columns of trace lines a to b (counting [trace] lines from 1),
// a window of a long run.
//
// The live view: -serve ADDR serves the scheduler's structures, event by
// event, to a browser, from a saved trace or from a run as it happens
// (serve.go):
//
//	go run ./docs/timeline -serve 127.0.0.1:8000 < step3-io-wait/testdata/trace.golden
//	go run ./step4-server -trace | go run ./docs/timeline -serve 127.0.0.1:8000
//
// and open http://127.0.0.1:8000/ in a browser.
//
// Steps 2 to 4 (both of step 4's servers) trace each new task, the tasks
// each select woke, and each task stopped, and the picture takes those
// lines' word for it. A trace without those lines says less, and the rest
// follows from how run() works. A task is named first when it first runs,
// so a task that was queued before run() started is drawn ready from the
// start. A task that runs and then says neither "yielded" nor "waits on"
// has ended, unless it runs again later: then it waited on something the
// trace does not name (step3-sleep's Sleep, say), drawn hatched with a
// "?". select runs only when no task is ready, so the tasks it woke are
// the parked ones that run before the next select.
//
// The pictures in the walkthroughs (step2.svg, step3.svg, step4.svg beside
// this file) are drawn from the steps' golden traces by this package's
// tests, which fail when a picture is out of date; `make docs` (that is,
// go test ./docs/timeline -update) draws them again.
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
	flag.IntVar(&opt.maxCols, "max", 200, "draw at most `n` columns, and say how many events are left; 0 draws them all")
	events := flag.String("events", "", "draw only trace lines `a-b` (from 1; a- to the end): a window of a long run")
	addr := flag.String("serve", "", "serve the live view on `addr` (e.g. 127.0.0.1:8000) instead of drawing")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./step3-io-wait -trace | go run ./docs/timeline [-title text] [-fold n] [-max n] [-events a-b] > run.svg")
		fmt.Fprintln(flag.CommandLine.Output(), "       go run ./step3-io-wait -trace | go run ./docs/timeline -serve 127.0.0.1:8000")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *events != "" {
		var err error
		if opt.from, opt.to, err = parseRange(*events); err != nil {
			fmt.Fprintln(os.Stderr, "timeline:", err)
			os.Exit(2)
		}
	}
	if *addr != "" {
		if err := serveView(*addr, os.Stdin, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "timeline:", err)
			os.Exit(1)
		}
		return
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
	var tl *timeline
	var err error
	if opt.from > 0 {
		tl, err = window(r, &opt)
	} else {
		tl, err = parse(r)
	}
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
