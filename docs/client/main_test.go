package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets a test run main in a child process: the test binary runs
// itself again with CLIENT_RUN_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("CLIENT_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// wait bounds every wait here, for a loaded machine.
const wait = 30 * time.Second

// TestWaitsForTheReply pipes the client one line and the end of its input,
// as `echo Hello | go run ./docs/client` does, against a server that replies
// only once the client has said it will send nothing more. The client must
// print the reply: one that exits at the end of its input prints nothing,
// and one that never says it is done waits until the bound.
func TestWaitsForTheReply(t *testing.T) {
	addr := serveOnce(t, func(c net.Conn) {
		data, _ := io.ReadAll(c) // until the client closes its side for writing
		c.Write(append([]byte("GOT:"), data...))
		c.Close()
	})
	out, stderr, err := runClient(addr, "Hello\n")
	if err != nil {
		t.Fatalf("client: %v\n%s", err, stderr)
	}
	if out != "GOT:Hello\n" {
		t.Errorf("client printed %q, want %q", out, "GOT:Hello\n")
	}
}

// TestReset has the server reset the connection instead of closing it: the
// client must say so and exit 1, as nc does, not end as if all were well.
func TestReset(t *testing.T) {
	addr := serveOnce(t, func(c net.Conn) {
		io.ReadAll(c)                 // until the client closes its side for writing
		c.(*net.TCPConn).SetLinger(0) // close sends RST, not FIN
		c.Close()
	})
	_, stderr, err := runClient(addr, "Hello\n")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr, "connection reset by peer") {
		t.Errorf("after a reset, the client ended with %v and said %q; want exit status 1 and the error", err, stderr)
	}
}

// serveOnce listens on loopback, hands the first connection to handle (with
// a deadline of wait), and returns the address to dial.
func serveOnce(t *testing.T, handle func(net.Conn)) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(wait))
		handle(c)
	}()
	return l.Addr().String()
}

// runClient runs the client against addr with input on its stdin, and
// returns what it printed on stdout and stderr, and how it exited.
func runClient(addr, input string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-addr", addr)
	cmd.Env = append(os.Environ(), "CLIENT_RUN_MAIN=1")
	cmd.Stdin = strings.NewReader(input)
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	out, err := cmd.Output()
	return string(out), errBuf.String(), err
}
