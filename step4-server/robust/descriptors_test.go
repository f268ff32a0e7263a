package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestOutOfDescriptorsWithoutSpinning runs the server with -trace and room
// for only a few connections, and connects until it says it is out of
// descriptors. A client it could not accept would keep the listening
// socket readable: were tcpServer to wait on Recv of it again, select would
// return at once, again and again, and the server would spin. So from its
// start to an echo made after that, the trace must show tcpServer waiting
// on Recv once at the start and once after each client it took from the
// queue, the one it accepted only to refuse included: not once more.
func TestOutOfDescriptorsWithoutSpinning(t *testing.T) {
	s := startServer(t, []string{"STEP_NOFILE=24"}, "-trace")
	var first net.Conn
	var listenWaits, accepted, firstWaits int // lines of the trace
	tally := func(line string) {
		switch {
		case strings.HasPrefix(line, "[trace] tcpServer waits on Recv"):
			listenWaits++
		case strings.HasPrefix(line, "Connection from"):
			accepted++
		case strings.HasPrefix(line, "[trace] echoHandler("+first.LocalAddr().String()+") waits on Recv"):
			firstWaits++
		}
	}
	timeout := time.After(wait)
	for out := false; !out; { // connect until the server is out of descriptors
		c := s.dial()
		if first == nil {
			first = c
		}
		for taken := false; !taken && !out; {
			select {
			case line := <-s.stdout:
				tally(line)
				taken = strings.HasPrefix(line, "Connection from")
				// One wait at the start, one after each client taken, and
				// one after the client in hand: any more is a spin.
				if listenWaits > accepted+2 {
					t.Fatalf("tcpServer waited on Recv %d times, for %d clients and once at its start: out of descriptors, select wakes it again and again for a client it cannot take", listenWaits, accepted+1)
				}
			case line := <-s.stderr:
				if !strings.Contains(line, "too many open files") {
					t.Fatalf("the server said %q", line)
				}
				out = true
			case <-timeout:
				t.Fatalf("the server neither accepted nor ran out of descriptors within %v", wait)
			}
		}
	}
	if err := echo(first, "still served"); err != nil {
		t.Fatal(err)
	}
	for firstWaits < 2 { // the echo ends when the first client's handler waits on Recv again
		tally(s.expect(s.stdout, ""))
	}
	const refused = 1 // the client that made the server say it was out
	if listenWaits != accepted+refused+1 {
		t.Errorf("out of descriptors, tcpServer waited on Recv again: %d waits for %d connections accepted and %d refused, want %d", listenWaits, accepted, refused, accepted+refused+1)
	}
}

// TestEverySocketIsNonBlocking looks at the flags of every socket the
// server holds, the listening one and a client's: each must be
// non-blocking. A blocking accept, read or write would stop the one thread,
// and every client with it, whenever the kernel had less to give than
// select promised.
func TestEverySocketIsNonBlocking(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the descriptors' flags in /proc")
	}
	s := startServer(t, nil)
	if err := echo(s.dial(), "Hello\n"); err != nil {
		t.Fatal(err)
	}
	dir := fmt.Sprintf("/proc/%d/", s.cmd.Process.Pid)
	fds, err := os.ReadDir(dir + "fd")
	if err != nil {
		t.Fatal(err)
	}
	sockets := 0
	for _, fd := range fds {
		if l, _ := os.Readlink(filepath.Join(dir, "fd", fd.Name())); !strings.HasPrefix(l, "socket:") {
			continue
		}
		sockets++
		info, err := os.ReadFile(filepath.Join(dir, "fdinfo", fd.Name()))
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(string(info), "flags:")
		octal, _, _ := strings.Cut(strings.TrimSpace(rest), "\n")
		flags, err := strconv.ParseUint(octal, 8, 64)
		if err != nil {
			t.Fatalf("descriptor %s: flags %q: %v", fd.Name(), octal, err)
		}
		if flags&unix.O_NONBLOCK == 0 {
			t.Errorf("descriptor %s, a socket, is blocking", fd.Name())
		}
	}
	if sockets != 2 {
		t.Errorf("the server holds %d sockets, want 2 (listening, and the client's)", sockets)
	}
}
