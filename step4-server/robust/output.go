package main

import (
	"cmp"
	"fmt"
	"log"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// A write to stdout or stderr can block: when it is a pipe that nobody
// reads (a pager left on its first page), or a terminal that is stopped.
// In the one thread, that would stop every client, and Ctrl-C with them.
// Non-blocking writes are no way out: O_NONBLOCK belongs to the open file,
// which the shell and every other program on the terminal share, and they
// would start failing with EAGAIN.
//
// So the scheduler never writes a line: it queues it, without waiting, and
// one goroutine writes the queue out, blocking if it must. When the queue
// is full, a line is dropped and counted, and the summary says how many.
// (That goroutine, like the one in signals.go, never touches a client:
// every connection is still served by the one thread.)

// A line is one line of output, and the file it goes to.
type line struct {
	to   *os.File
	text string
}

// lines is the queue: room for a burst, not for a reader that has stopped.
var lines = make(chan line, 1000)

// dropped counts the lines that found the queue full.
var dropped int

// queue is an io.Writer that queues lines for one file, and never waits.
type queue struct{ to *os.File }

// Write queues p, or drops it if the queue is full.
func (q queue) Write(p []byte) (int, error) {
	select {
	case lines <- line{q.to, string(p)}: // a copy: log reuses p
	default:
		dropped++
	}
	return len(p), nil
}

// stdout prints on the standard output through the queue, as log.Printf
// prints on the standard error once startOutput has run.
var stdout = log.New(queue{os.Stdout}, "", 0)

// quiet, when on, keeps the scheduler and the handlers from printing a line
// for each task, connection or client error.
var quiet bool

// say prints a line about one task or connection, unless -quiet.
func say(args ...any) {
	if !quiet {
		stdout.Println(args...)
	}
}

// written is closed when the queue has been written out to its end.
var written = make(chan struct{})

// startOutput sends log's lines through the queue too, and starts the
// goroutine that writes the queue out.
func startOutput() {
	log.SetOutput(queue{os.Stderr})
	go func() {
		defer close(written)
		for l := range lines {
			l.to.WriteString(l.text) // may block: only this goroutine waits
		}
	}()
}

// stopOutput queues the last lines and waits until everything is written,
// but no longer than d: a stuck stdout must not keep the program from
// exiting.
func stopOutput(d time.Duration, last ...string) {
	timeout := time.After(d)
	for _, text := range last {
		select {
		case lines <- line{os.Stdout, text + "\n"}:
		case <-timeout:
			return
		}
	}
	close(lines)
	select {
	case <-written:
	case <-timeout:
	}
}

// served and echoed count connections accepted and bytes echoed back;
// clientErrors counts the errors on clients' connections, by kind.
var (
	served, echoed int
	clientErrors   = map[string]int{}
)

// clientError reports an error on a client's connection: one line naming
// the client, unless -quiet; and a count, for the summary.
func clientError(addr, op string, err error) {
	clientErrors[err.Error()]++
	if !quiet {
		log.Printf("%s: %s: %v", addr, op, err)
	}
}

// summary returns the lines printed at exit. The first is always there;
// the others only when they have something to count.
func summary() []string {
	s := []string{fmt.Sprintf("Served %s, echoed %s", count(served, "connection"), count(echoed, "byte"))}
	if turnedAway > 0 {
		s = append(s, fmt.Sprintf("Refused %s: the server was full", count(turnedAway, "client")))
	}
	if len(clientErrors) > 0 {
		kinds := slices.SortedFunc(maps.Keys(clientErrors), func(a, b string) int {
			return cmp.Or(clientErrors[b]-clientErrors[a], strings.Compare(a, b)) // most frequent first
		})
		for i, k := range kinds {
			kinds[i] = fmt.Sprintf("%d %s", clientErrors[k], k)
		}
		s = append(s, "Client errors: "+strings.Join(kinds, ", "))
	}
	if dropped > 0 {
		s = append(s, fmt.Sprintf("Dropped %s of output: stdout or stderr was not being read", count(dropped, "line")))
	}
	return s
}

// count says n things, in the singular when n is 1: "1 connection".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
