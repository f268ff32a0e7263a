package main

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// These tests run the scheduler in the test process, with tasks written for
// each case, so that a task is exactly where the case needs it when
// something goes wrong.

// named is a task to schedule: its name and its generator.
type named struct {
	name string
	gen  iter.Seq2[reason, int]
}

// testServer returns a server of its own, as main makes one, but quiet:
// each test builds a fresh one, so that no test depends on another.
func testServer() *echoServer {
	return newEchoServer(startOutput(io.Discard, io.Discard, true, false), false)
}

// schedule adds the tasks to s in order, runs them all (within the tests'
// bound), and returns what the scheduler logged. The log also goes to
// stderr, where go test shows it if the test fails. A panic that escapes
// run() fails the test: it would end the server, every client with it.
func schedule(t *testing.T, s *echoServer, gens ...named) string {
	t.Helper()
	var logged bytes.Buffer
	s.out = startOutput(io.Discard, io.MultiWriter(&logged, os.Stderr), true, false)
	for _, g := range gens {
		s.newTask(g.name, g.gen)
	}
	done := make(chan any, 1) // gets what run() panicked with, or nil
	go func() {
		defer func() { done <- recover() }()
		s.run()
	}()
	select {
	case p := <-done:
		if p != nil {
			t.Fatalf("run() panicked: %v; in the server, that ends the program, and every client with it", p)
		}
	case <-time.After(wait):
		t.Fatal("run() did not return")
	}
	s.out.stop(wait)
	return logged.String()
}

// pipe returns both ends of a new non-blocking pipe, closed when the test
// ends. Each end is numbered above min, so that a test can say which of
// two descriptors select reports first (wake goes lowest first).
func pipe(t *testing.T, min int) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	for i, fd := range p {
		if fd <= min {
			high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, min+1)
			if err != nil {
				t.Fatal(err)
			}
			unix.Close(fd)
			p[i] = high
		}
		if err := unix.SetNonblock(p[i], true); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

// socketPair returns the server's end of a new connected pair of sockets,
// non-blocking as tcpServer makes them, and the client's end as a
// net.Conn with the tests' deadline. The client's end closes when the test
// ends; the server's end is the handler's to close.
func socketPair(t *testing.T) (int, *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.SetNonblock(fds[0], true)
	f := os.NewFile(uintptr(fds[1]), "client")
	defer f.Close()
	c, err := net.FileConn(f) // a copy of the descriptor, with deadlines
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(wait))
	t.Cleanup(func() { c.Close() })
	return fds[0], c.(*net.UnixConn)
}

// goodTask waits for its pipe to be readable three times, reading a byte
// each time, and counts its rounds in *rounds.
func goodTask(rfd int, rounds *int) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		buf := make([]byte, 1)
		for range 3 {
			if !yield(Recv, rfd) {
				return
			}
			if _, err := unix.Read(rfd, buf); err != nil {
				return
			}
			*rounds++
		}
	}
}

// exitWatcher waits on Exit once, then notes in *wokeAt how many rounds
// the good task had done by then.
func exitWatcher(wokeAt *int, rounds *int) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		if yield(Exit, 10_000) {
			*wokeAt = *rounds
		}
	}
}

// TestBrokenTasksAreStoppedAndOthersGoOn checks each way a task can fail,
// as step 3 does: the failing task is reported by name and stopped (its
// defers run), and a good task beside it still finishes. A failing task has
// ended too, so a task that waits on Exit (as tcpServer does when out of
// descriptors) must wake at once, not when the good task ends.
func TestBrokenTasksAreStoppedAndOthersGoOn(t *testing.T) {
	cases := []struct {
		name string
		bad  func(closed *bool) iter.Seq2[reason, int]
		want string
	}{
		{"unknown reason", func(closed *bool) iter.Seq2[reason, int] {
			return func(yield func(reason, int) bool) {
				defer func() { *closed = true }()
				yield(reason(7), 0)
			}
		}, "task bad stopped: unknown yield reason reason(7)"},
		{"panic", func(closed *bool) iter.Seq2[reason, int] {
			return func(yield func(reason, int) bool) {
				defer func() { *closed = true }()
				panic("boom")
			}
		}, "task bad stopped: panic: boom"},
		{"descriptor past FD_SETSIZE", func(closed *bool) iter.Seq2[reason, int] {
			return func(yield func(reason, int) bool) {
				defer func() { *closed = true }()
				yield(Recv, unix.FD_SETSIZE)
			}
		}, "task bad stopped: descriptor 1024 is outside what select can watch (0 to 1023)"},
		{"negative descriptor", func(closed *bool) iter.Seq2[reason, int] {
			return func(yield func(reason, int) bool) {
				defer func() { *closed = true }()
				yield(Send, -1)
			}
		}, "task bad stopped: descriptor -1 is outside what select can watch"},
		{"descriptor that is not open", onClosedDescriptor(t, Recv), "which is not open"},
		{"Send on a descriptor that is not open", onClosedDescriptor(t, Send), "which is not open"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, w := pipe(t, 0)
			rounds, closed, wokeAt := 0, false, -1
			if _, err := unix.Write(w, []byte("abc")); err != nil {
				t.Fatal(err)
			}
			logged := schedule(t, testServer(),
				named{"waiter", exitWatcher(&wokeAt, &rounds)},
				named{"bad", c.bad(&closed)},
				named{"good", goodTask(r, &rounds)})
			if !strings.Contains(logged, c.want) {
				t.Errorf("log = %q, want it to say %q", logged, c.want)
			}
			if !closed {
				t.Error("the broken task's deferred calls did not run")
			}
			if rounds != 3 {
				t.Errorf("the good task ran %d rounds, want 3", rounds)
			}
			if wokeAt != 0 {
				t.Errorf("the task waiting on Exit woke after the good task's round %d, want as soon as the broken task was stopped (-1: never)", wokeAt)
			}
		})
	}
}

// TestTwoWaitersOnOneDescriptor checks that a second task waiting on the
// same descriptor is refused: a map holds one task per descriptor, and the
// lesson's dict would silently lose the first one.
func TestTwoWaitersOnOneDescriptor(t *testing.T) {
	r, w := pipe(t, 0)
	if _, err := unix.Write(w, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	var first, second int
	logged := schedule(t, testServer(), named{"first", goodTask(r, &first)}, named{"second", goodTask(r, &second)})
	if want := "task second stopped: task first already waits on Recv of descriptor"; !strings.Contains(logged, want) {
		t.Errorf("log = %q, want %q", logged, want)
	}
	if first != 3 || second != 0 {
		t.Errorf("rounds = %d and %d, want 3 and 0", first, second)
	}
}

// victim waits once for why on fd; *ended says that its deferred calls
// ran, *resumed that the scheduler resumed it instead of stopping it.
func victim(why reason, fd int, ended, resumed *bool) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		defer func() { *ended = true }()
		*resumed = yield(why, fd)
	}
}

// TestShutdownWindsDownEveryTask runs the shutdown task beside a task that
// is, when the signal comes, waiting on Recv, on Exit, or ready to run.
// Wherever it is, it must be resumed, to see that the server is closing and
// end by itself (a handler says goodbye to its client), and run() must
// return. A task that will not end is stopped once the grace is over.
func TestShutdownWindsDownEveryTask(t *testing.T) {
	for _, where := range []string{"Recv", "Exit", "ready", "Recv, again and again", "Exit, again and again"} {
		t.Run(where, func(t *testing.T) {
			sig, kick := pipe(t, 0) // the signal pipe, with its byte already in
			if _, err := unix.Write(kick, []byte{0}); err != nil {
				t.Fatal(err)
			}
			var ended, resumed bool
			var v iter.Seq2[reason, int]
			switch where {
			case "Recv": // a pipe with nothing to read
				r, _ := pipe(t, 0)
				v = victim(Recv, r, &ended, &resumed)
			case "Exit":
				v = victim(Exit, 10_000, &ended, &resumed)
			case "ready": // woken by the same select as the shutdown task, after it
				r, w := pipe(t, sig)
				unix.Write(w, []byte{0})
				v = victim(Recv, r, &ended, &resumed)
			case "Recv, again and again": // it ignores closing: the grace ends it
				r, _ := pipe(t, 0)
				v = func(yield func(reason, int) bool) {
					defer func() { ended = true }()
					for yield(Recv, r) {
						resumed = true
					}
				}
			case "Exit, again and again":
				v = func(yield func(reason, int) bool) {
					defer func() { ended = true }()
					for yield(Exit, 10_000) {
						resumed = true
					}
				}
			}
			s := testServer()
			schedule(t, s, named{"victim", v}, named{"shutdown", s.shutdown(sig)})
			if !ended || !resumed {
				t.Errorf("the task waiting on %s: ended = %v, resumed = %v; want resumed, then ended", where, ended, resumed)
			}
		})
	}
	// A handler and its client, with descriptors in the real server's
	// order: the signal pipe below the connection, so that when select finds
	// both ready, the shutdown task runs first.
	t.Run("Recv, with a message that comes with the signal", func(t *testing.T) {
		sig, kick := pipe(t, 0)
		fd, client := socketPairAbove(t, sig)
		if _, err := client.Write([]byte("Hello")); err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Write(kick, []byte{0}); err != nil {
			t.Fatal(err)
		}
		s := testServer()
		var stopped bool
		got := readToEOF(client, nil)
		schedule(t, s, named{"echoHandler(pair)", observed(s.echoHandler(fd, "pair"), nil, &stopped)}, named{"shutdown", s.shutdown(sig)})
		if got := <-got; got != `"", then EOF` || stopped {
			t.Errorf("the client read %s; the handler was stopped: %v. Want EOF at once, and no reply: the server was closing when it woke", got, stopped)
		}
	})
	// The handler has read a message, and waits on Send to reply when the
	// signal comes: the client has not read the replies before it.
	for _, reads := range []bool{true, false} {
		name := map[bool]string{true: "Send, the client reads after the signal", false: "Send, the client never reads"}[reads]
		t.Run(name, func(t *testing.T) {
			sig, kick := pipe(t, 0)
			fd, client := socketPairAbove(t, sig)
			unread := fill(t, fd)
			if _, err := client.Write([]byte("Hello")); err != nil {
				t.Fatal(err)
			}
			s := testServer()
			var stopped bool
			handler := observed(s.echoHandler(fd, "pair"), func(why reason) {
				if why == Send {
					unix.Write(kick, []byte{0}) // the signal comes as the handler waits on Send
				}
			}, &stopped)
			signalled := make(chan struct{})
			var got chan string
			if reads {
				got = readToEOF(client, signalled)
			}
			schedule(t, s, named{"echoHandler(pair)", handler}, named{"shutdown", func(yield func(reason, int) bool) {
				s.shutdown(sig)(yield)
				close(signalled)
			}})
			if !reads {
				if !stopped {
					t.Error("the handler ended by itself, but its client never read its reply")
				}
				return
			}
			if got, want := <-got, fmt.Sprintf("%d bytes ending %q, then EOF", unread+len("GOT:Hello"), "GOT:Hello"); got != want || stopped {
				t.Errorf("the client read %s; the handler was stopped (after the grace): %v. Want %s, at once", got, stopped, want)
			}
		})
	}
}

// socketPairAbove is socketPair, with the server's end numbered above min.
func socketPairAbove(t *testing.T, min int) (int, *net.UnixConn) {
	t.Helper()
	fd, client := socketPair(t)
	high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, min+1)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	return high, client
}

// fill writes to the non-blocking socket fd until it takes no more, as a
// client that does not read leaves it, and returns how many bytes it took.
func fill(t *testing.T, fd int) int {
	t.Helper()
	n := 0
	for b := make([]byte, 4096); ; {
		m, err := unix.Write(fd, b)
		if err == unix.EAGAIN {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		n += m
	}
}

// readToEOF reads c to its end, once start is closed (at once if nil),
// then closes c, as nc does, and says what it read.
func readToEOF(c net.Conn, start chan struct{}) chan string {
	got := make(chan string, 2)
	go func() {
		if start != nil {
			<-start
		}
		b, err := io.ReadAll(c)
		c.Close()
		if err == nil {
			err = io.EOF // ReadAll's nil
		}
		if len(b) > 20 {
			got <- fmt.Sprintf("%d bytes ending %q, then %v", len(b), b[len(b)-9:], err)
		} else {
			got <- fmt.Sprintf("%q, then %v", b, err)
		}
	}()
	return got
}

// observed runs gen for the scheduler, calling before (unless nil) with
// each reason gen yields; *stopped says whether the scheduler stopped gen
// (a yield returned false) rather than gen ending by itself. Unlike a
// range over gen, it lets gen yield again after that, as iter.Pull does.
func observed(gen iter.Seq2[reason, int], before func(reason), stopped *bool) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		gen(func(why reason, fd int) bool {
			if before != nil {
				before(why)
			}
			if !yield(why, fd) {
				*stopped = true
				return false
			}
			return true
		})
	}
}

// onClosedDescriptor returns a task, for TestBrokenTasksAreStoppedAndOthersGoOn,
// that waits (on Recv or Send) on a descriptor that was open once and is
// closed now, and notes in *closed that it has ended.
func onClosedDescriptor(t *testing.T, why reason) func(closed *bool) iter.Seq2[reason, int] {
	return func(closed *bool) iter.Seq2[reason, int] {
		var p [2]int
		if err := unix.Pipe(p[:]); err != nil {
			t.Fatal(err)
		}
		unix.Close(p[0])
		unix.Close(p[1])
		return func(yield func(reason, int) bool) {
			defer func() { *closed = true }()
			yield(why, p[0])
		}
	}
}
