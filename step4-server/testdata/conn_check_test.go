// The part of step4-conn's check that calls the exercise's own conn. It
// names conn, which the step has only once the exercise is done, so it
// lives in testdata, out of every build: the check (exercises_test.go)
// adds it to one with go test -overlay, once the step has a conn, and runs
// TestConnCheck. A check that fails says what is missing in a line that
// starts with MISSING:, which the check passes on.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestConnCheck calls Recv and SendAll with a yield of its own, which
// plays the scheduler: the client's data arrives, and the client reads,
// only while the task waits.
func TestConnCheck(t *testing.T) {
	t.Run("Recv", func(t *testing.T) {
		fd, client := socketPairFds(t)
		c := &conn{fd: fd}
		var arriving string // what the client sends while Recv waits
		yield := func(why reason, on int) bool {
			if why != Recv || on != fd {
				lacks(t, "Recv yielded (%v, %d); want (Recv, %d): wait until the client's socket has data", why, on, fd)
			}
			if arriving != "" {
				unix.Write(client, []byte(arriving))
				arriving = ""
			}
			return true
		}
		for _, try := range []struct {
			sent    string
			maxSize int
			want    string
		}{
			{"Hello", 1000, "Hello"},
			{"Goodbye", 4, "Good"}, // no more than maxSize
			{"", 1000, "bye"},
		} {
			arriving = try.sent
			data, err := c.Recv(yield, try.maxSize)
			if string(data) != try.want || err != nil {
				lacks(t, "with %q sent while it waits, Recv(yield, %d) returned %q, %v; want %q, nil", try.sent, try.maxSize, data, err, try.want)
			}
		}
		unix.Shutdown(client, unix.SHUT_WR) // the client closes the connection
		if data, err := c.Recv(yield, 1000); len(data) > 0 || !errors.Is(err, io.EOF) {
			lacks(t, "once the client has closed, Recv returned %q, %v; want io.EOF", data, err)
		}
	})
	t.Run("SendAll", func(t *testing.T) {
		fd, client := socketPairFds(t)
		// A small send buffer: the kernel takes a few KiB of each write.
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 16<<10); err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 1<<20)
		for i := range data {
			data[i] = byte('a' + i%26)
		}
		var got []byte
		buf := make([]byte, 64<<10)
		read := func() { // all that the client can read now
			for {
				n, err := unix.Read(client, buf)
				if n <= 0 || err != nil {
					return
				}
				got = append(got, buf[:n]...)
			}
		}
		wrong := ""
		yield := func(why reason, on int) bool {
			if why != Send || on != fd {
				wrong = fmt.Sprintf("SendAll yielded (%v, %d); want (Send, %d): wait until the client can receive", why, on, fd)
				return false
			}
			read()
			return true
		}
		done := make(chan error, 1)
		go func() { done <- (&conn{fd: fd}).SendAll(yield, data) }()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			unix.Shutdown(fd, unix.SHUT_WR) // its next write fails, and it can return
			lacks(t, "SendAll of 1 MiB did not return within 10 s: when the socket is full, it must wait on Send, and the client reads only then")
		}
		read()
		switch {
		case wrong != "":
			lacks(t, "%s", wrong)
		case err != nil:
			lacks(t, "SendAll of 1 MiB returned %v", err)
		case len(got) != len(data):
			lacks(t, "SendAll of 1 MiB returned nil, and the client got %d bytes of it: the kernel takes only part of a big write, and SendAll must write the rest", len(got))
		case !bytes.Equal(got, data):
			lacks(t, "SendAll of 1 MiB: the client got %d bytes, not those sent", len(got))
		}
	})
	t.Run("stopped", func(t *testing.T) {
		fd, client := socketPairFds(t)
		c := &conn{fd: fd}
		unix.Write(client, []byte("x"))
		stop := func(reason, int) bool { return false } // the scheduler is stopping the task
		if data, err := c.Recv(stop, 1000); err == nil {
			lacks(t, "when yield returns false, Recv returned %q, nil: the task is being stopped; return an error, and end the handler", data)
		}
		if err := c.SendAll(stop, []byte("GOT:x")); err == nil {
			lacks(t, "when yield returns false, SendAll returned nil: the task is being stopped; return an error, and end the handler")
		}
	})
}

// socketPairFds returns a connected pair of non-blocking sockets: the
// server's end, as tcpServer makes it, and the client's. Both close when
// the test ends.
func socketPairFds(t *testing.T) (server, client int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

// lacks stops the check with one line that says what is still missing.
func lacks(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Fatalf("MISSING: "+format, args...)
}
