package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// stuckServer runs the server with -trace, its stdout and stderr both a
// pipe (as in `go run ./step4-server 2>&1 | less`), and returns it with
// the read end of the pipe, which the test reads only as far as the
// "Listening on" line.
func stuckServer(t *testing.T) (*server, *os.File) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	s := &server{t: t, cmd: mainCommand(context.Background(), nil, "-trace", "-addr", "127.0.0.1:0"), exited: make(chan error, 1)}
	s.cmd.Stdout, s.cmd.Stderr = w, w
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
	r.SetReadDeadline(time.Now().Add(wait))
	line, err := readLine(r)
	if !strings.HasPrefix(line, "Listening on ") {
		t.Fatalf("the server said %q (%v)", line, err)
	}
	s.addr = strings.TrimSuffix(strings.Fields(line)[2], ";")
	return s, r
}

// readLine reads one line from r, a byte at a time, so that it reads
// nothing past it.
func readLine(r io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		if _, err := r.Read(b); err != nil {
			return string(line), err
		}
		if b[0] == '\n' {
			return string(line), nil
		}
		line = append(line, b[0])
	}
}

// overflow has 300 clients echo three messages each. With -trace, that
// is hundreds of kilobytes of output: far more than a pipe holds (64 KiB
// on Linux) and than the server's queue of lines.
func overflow(t *testing.T, s *server) {
	t.Helper()
	for i := range 300 {
		c := s.dial()
		c.SetDeadline(time.Now().Add(10 * time.Second)) // milliseconds, unless stuck
		for j := range 3 {
			if err := echo(c, fmt.Sprintf("client %d, message %d", i, j)); err != nil {
				t.Fatalf("client %d: %v; is the server stuck writing its output?", i, err)
			}
		}
		c.Close()
	}
}

// TestStuckOutput: the server's output is a pipe that nobody reads. It
// must go on serving, and stop within its bound on Ctrl-C.
func TestStuckOutput(t *testing.T) {
	s, _ := stuckServer(t)
	overflow(t, s)
	start := time.Now()
	if err := s.stop(os.Interrupt); err != nil {
		t.Fatalf("exit: %v", err)
	}
	// One second for the final flush; the rest allows for a loaded machine
	// and the race detector.
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the server took %v to stop", took)
	}
}

// TestDroppedLines: the output is read again, late. The lines the server
// could not queue are lost, and its summary says how many.
func TestDroppedLines(t *testing.T) {
	s, r := stuckServer(t)
	overflow(t, s)
	lines := make(chan string, 1<<16)
	r.SetReadDeadline(time.Now().Add(wait))
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	if err := s.stop(os.Interrupt); err != nil {
		t.Fatalf("exit: %v", err)
	}
	line := s.expect(lines, "Dropped ")
	var n int
	if _, err := fmt.Sscanf(line, "Dropped %d lines of output: it was read more slowly than written, or not at all", &n); err != nil || n == 0 {
		t.Errorf("the summary says %q", line)
	}
}

// TestOutputReaderGone: whoever reads the output goes away after its
// first line, as head does in `go run ./step4-server/robust -trace 2>&1 |
// head -1`. Every line after that meets a closed pipe, and a write to a
// closed pipe raises SIGPIPE, which ends a Go program writing its stdout or
// stderr. The server must go on serving all the same, and exit 0 on Ctrl-C.
func TestOutputReaderGone(t *testing.T) {
	s, r := stuckServer(t)
	r.Close() // as head does once it has its line
	c := s.dial()
	if err := echo(c, "Hello\n"); err != nil { // with -trace, the server writes lines meanwhile
		t.Fatalf("%v; the server exited: %v", err, s.wait())
	}
	c.Close()
	start := time.Now()
	if err := s.stop(os.Interrupt); err != nil {
		t.Fatalf("exit: %v, want 0: nobody reads the output, and writing it killed the server", err)
	}
	// One second for the final flush; the rest allows for a loaded machine
	// and the race detector.
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the server took %v to stop", took)
	}
}

// TestQuiet runs 300 clients that reset their connection after a reply,
// beside 50 that close: with -quiet, the server prints no line for any of
// them, and its summary counts the connections, the bytes and the resets.
func TestQuiet(t *testing.T) {
	s := startServer(t, nil, "-quiet")
	for i := range 350 {
		c := s.dial()
		if err := echo(c, "hi"); err != nil {
			t.Fatal(err)
		}
		if i < 300 {
			c.(*net.TCPConn).SetLinger(0) // close sends a reset
		}
		c.Close()
	}
	if err := s.stop(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	var out, errs []string
	for line := range s.stdout {
		out = append(out, line)
	}
	for line := range s.stderr {
		errs = append(errs, line)
	}
	want := []string{"Shutting down", "Served 350 connections, echoed 700 bytes", "Client errors: 300 connection reset by peer"}
	if strings.Join(out, "\n") != strings.Join(want, "\n") {
		t.Errorf("stdout:\n%s\nwant:\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	if len(errs) > 0 {
		t.Errorf("with -quiet, the server printed %d lines on stderr, the first %q; want none", len(errs), errs[0])
	}
}

// stuckPipe returns the write end of a pipe that is full, as a pipe is when
// whoever reads it has stopped (a pager left on its first page): the next
// write to it waits. The read end stays open until the test ends.
func stuckPipe(t *testing.T) *os.File {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	fd := int(w.Fd()) // which makes w blocking, for the server
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	for b := make([]byte, 4096); len(b) > 0; b = b[:len(b)/2] { // in smaller writes, to the last byte
		for {
			if _, err := unix.Write(fd, b); err == unix.EAGAIN {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestStuckStderr: the server's stderr is a pipe that is full and that
// nobody reads any more; its stdout is read, but the lines queued behind a
// line for stderr wait with it. Two clients are served; the first resets
// its connection, and the server reports it on stderr. That line must wait
// in the queue, not stop the server: the second client is still served.
// (The server handles the reset first: it comes before the second
// client's message, and on the lower descriptor.) At Ctrl-C, the summary
// waits in the queue too, with room to spare: the server must give up on
// it after a second, and exit 0.
func TestStuckStderr(t *testing.T) {
	s := startServerTo(t, stuckPipe(t), []string{quickExit()})
	first, second := s.dial(), s.dial()
	for _, c := range []net.Conn{first, second} { // both accepted and served
		if err := echo(c, "Hello\n"); err != nil {
			t.Fatal(err)
		}
	}
	first.(*net.TCPConn).SetLinger(0) // close sends a reset
	first.Close()
	second.SetDeadline(time.Now().Add(10 * time.Second)) // milliseconds, unless stuck
	if err := echo(second, "still served\n"); err != nil {
		t.Fatalf("after a reset reported on a stuck stderr: %v", err)
	}
	second.Close()
	s.signal(os.Interrupt)
	// A second for the last flush; the rest allows for a loaded machine.
	s.exitsWithin(3*time.Second, "Ctrl-C")
}
