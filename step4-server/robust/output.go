package main

import (
	"fmt"
	"io"
	"os/signal"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
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
//
// And a reader that goes away (`| head -1`, a pager that was quit) must not
// kill the server: a write to a closed pipe raises SIGPIPE, which ends a Go
// program when it writes to its stdout or stderr. With SIGPIPE ignored, the
// write fails with EPIPE instead, and the line is counted as lost.

// A line is one line of output, and where it goes.
type line struct {
	to   io.Writer
	text string
}

// An output is the queue of lines, and what became of them.
type output struct {
	stdout, stderr io.Writer
	lines          chan line     // room for a burst, not for a reader that has stopped
	dropped        int           // lines that found the queue full (counted by the scheduler's thread)
	gap            int           // of those, the ones dropped since a line was last queued
	lost           atomic.Int64  // lines the writer could not write: nobody reads them any more
	written        chan struct{} // closed when the queue has been written out to its end
	quiet          bool          // print no line per task, connection or client error
	trace          bool          // say in the trace where lines were dropped
}

// startOutput returns an output to stdout and stderr, and starts the
// goroutine that writes its queue out.
func startOutput(stdout, stderr io.Writer, quiet, trace bool) *output {
	signal.Ignore(unix.SIGPIPE)
	o := &output{stdout: stdout, stderr: stderr, lines: make(chan line, 1000), written: make(chan struct{}), quiet: quiet, trace: trace}
	go func() {
		defer close(o.written)
		for l := range o.lines {
			if _, err := io.WriteString(l.to, l.text); err != nil { // may block: only this goroutine waits
				o.lost.Add(1)
			}
		}
	}()
	return o
}

// queue queues text for to, or drops it if the queue is full. After a gap,
// the trace says how many lines it lost, so that a reader of the trace
// (docs/timeline) knows that it missed some.
func (o *output) queue(to io.Writer, text string) {
	if o.gap > 0 && o.trace {
		select {
		case o.lines <- line{o.stdout, fmt.Sprintf("[trace] dropped %d lines\n", o.gap)}:
			o.gap = 0
		default:
		}
	}
	select {
	case o.lines <- line{to, text}:
		if !o.trace {
			o.gap = 0
		}
	default:
		o.dropped++
		o.gap++
	}
}

// printf prints on stdout.
func (o *output) printf(format string, args ...any) {
	o.queue(o.stdout, fmt.Sprintf(format, args...))
}

// logf prints a line on stderr.
func (o *output) logf(format string, args ...any) {
	o.queue(o.stderr, fmt.Sprintf(format, args...)+"\n")
}

// say prints a line about one task or connection, unless quiet.
func (o *output) say(args ...any) {
	if !o.quiet {
		o.queue(o.stdout, fmt.Sprintln(args...))
	}
}

// stop queues the last lines and waits until everything is written, but
// no longer than d: a stuck stdout must not keep the program from exiting.
func (o *output) stop(d time.Duration, last ...string) {
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	for _, text := range last {
		select {
		case o.lines <- line{o.stdout, text + "\n"}:
		case <-timeout.C:
			return
		}
	}
	close(o.lines)
	select {
	case <-o.written:
	case <-timeout.C:
	}
}

// losses returns the summary's lines about output that was not written.
func (o *output) losses() []string {
	var s []string
	if o.dropped > 0 {
		s = append(s, fmt.Sprintf("Dropped %s of output: it was read more slowly than written, or not at all", count(o.dropped, "line")))
	}
	if n := int(o.lost.Load()); n > 0 {
		s = append(s, fmt.Sprintf("Lost %s of output: nobody read it any more (a closed pipe)", count(n, "line")))
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
