//go:build faults

package main

// The faults that this server keeps from the lesson's, each shown
// happening: every test here asks for what a server for real clients must
// do, and fails on this one, saying what went wrong. They are not among
// the tests that `go test` runs; `make fault NAME=... SERVER=lesson` runs
// one (go test -tags faults -run TestX ./step4-server), and `make faults`
// proves that each still fails. robust/ passes the same checks.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestBurstWhileBusy: while the server is busy (here: stopped, with
// SIGSTOP), the kernel completes connections for it and holds them until
// it accepts, but only as many as the backlog that listen asked for. With
// the lesson's 5, the sixth or seventh client's SYN is dropped, and it
// waits a second or more for the kernel to send it again.
func TestBurstWhileBusy(t *testing.T) {
	s := startServer(t, nil)
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	const clients = 20
	conns := make(chan net.Conn, clients)
	errs := make(chan error, clients)
	for range clients {
		go func() {
			c, err := net.DialTimeout("tcp", s.addr, 500*time.Millisecond) // SYN is retried after 1 s
			if err != nil {
				errs <- err
				return
			}
			conns <- c
		}()
	}
	var failed []error
	for range clients {
		select {
		case c := <-conns:
			t.Cleanup(func() { c.Close() })
		case err := <-errs:
			failed = append(failed, err)
		}
	}
	s.cmd.Process.Signal(syscall.SIGCONT)
	if len(failed) > 0 {
		t.Fatalf("%d of %d clients could not connect within 0.5 s while the server was busy: its backlog (listen(5)) was full. The first: %v", len(failed), clients, failed[0])
	}
}

// TestOutOfDescriptors lets the server open only a few descriptors, and
// connects until accept fails with EMFILE. The client stays in the queue,
// the listening socket stays readable, and tcpServer waits on Recv of it
// again: select returns at once, accept fails again, and the loop spins.
// A server that does not spin says so once.
func TestOutOfDescriptors(t *testing.T) {
	s := startServer(t, []string{"STEP_NOFILE=8"})
	for {
		s.dial()
		select {
		case <-time.After(wait):
			t.Fatalf("the server did not run out of descriptors within %v", wait)
		case line := <-s.stdout:
			if strings.HasPrefix(line, "Connection from") {
				continue
			}
			t.Fatalf("the server said %q", line)
		case line := <-s.stderr:
			if !strings.Contains(line, "too many open files") {
				t.Fatalf("the server said %q", line)
			}
		}
		break
	}
	select {
	case line := <-s.stderr:
		n := 2
		for more := true; more && n < 1000; n++ {
			select {
			case _, more = <-s.stderr:
			case <-time.After(time.Second):
				more = false
			}
		}
		t.Fatalf("out of descriptors, the server spins: %q, %d times or more in a row", line, n)
	case <-time.After(2 * time.Second):
	}
}

// TestOutputReaderGone runs the server with its output to a pipe, as in
// `go run ./step4-server | head -1`, and closes the pipe's read end once
// the server listens, as head does once it has its line. The next line
// the server prints raises SIGPIPE, which kills it: the next client is
// never served.
func TestOutputReaderGone(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: startCommand(), exited: make(chan error, 1)}
	s.cmd.Stdout = w
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() { s.cmd.Process.Kill(); <-s.exited })
	line := make([]byte, 200)
	n, _ := r.Read(line)
	if !strings.HasPrefix(string(line[:n]), "Listening on ") {
		t.Fatalf("the server said %q", line[:n])
	}
	s.addr = strings.TrimSuffix(strings.Fields(string(line[:n]))[2], ";")
	r.Close() // as head does once it has its line
	if err := echo(s.dial(), "Hello\n"); err != nil {
		select {
		case exit := <-s.exited:
			s.exited <- exit
			t.Fatalf("%v: the server is gone (%v) since nobody reads its output", err, exit)
		case <-time.After(wait):
			t.Fatal(err)
		}
	}
}

// startCommand is the server as a child process on a free port, not yet
// started.
func startCommand() *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "STEP_RUN_MAIN=1")
	return cmd
}

// TestSelectLimit connects 1100 clients and keeps them all: descriptors
// of 1024 and up are more than select can watch. Each client must get a
// reply, or be told in a line why it cannot; the lesson's server, in Python,
// dies of it (ValueError). This one accepts the client, its scheduler
// stops the handler that cannot park, and closes the connection with the
// client's line unread, which resets it: the client gets no answer.
func TestSelectLimit(t *testing.T) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 1200 {
		t.Skipf("the test needs 1200 descriptors, and may open %d (%v)", lim.Cur, err)
	}
	s := startServer(t, nil)
	for i := range 1100 {
		c := s.dial()
		err := echo(c, fmt.Sprintf("client %d\n", i))
		if err == nil { // twice: each client stays, and holds its descriptor
			err = echo(c, fmt.Sprintf("client %d, again\n", i))
		}
		if err != nil {
			why := ""
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				why = ": the server closed it without a word"
			}
			if i > 1000 {
				why += "; its descriptor is near the limit of select (FD_SETSIZE, 1024)"
			}
			t.Fatalf("client %d: %v%s", i, err, why)
		}
	}
}
