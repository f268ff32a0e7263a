package main

import (
	"bufio"
	"bytes"
	"context"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestParseAddr checks where each form of -addr listens. The tests listen
// only on loopback, so the forms that mean every interface are checked
// here, without a socket.
func TestParseAddr(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:25000":      "127.0.0.1:25000",
		"localhost:0":          "127.0.0.1:0",
		":0":                   "0.0.0.0:0", // every IPv4 interface, as the lesson's ''
		":25000":               "0.0.0.0:25000",
		"[::1]:0":              "[::1]:0",
		"[::]:0":               "[::]:0",
		"[::ffff:127.0.0.1]:0": "127.0.0.1:0", // an IPv4 address, written as IPv6
	} {
		sa, err := parseAddr(addr)
		if err != nil {
			t.Errorf("-addr %s: %v", addr, err)
		} else if got := addrPort(sa).String(); got != want {
			t.Errorf("-addr %s listens on %s, want %s", addr, got, want)
		}
	}
}

// TestHintConnectsToLoopback checks the address in the startup hint, "try:
// nc ADDRESS PORT": an address that means every interface (0.0.0.0, ::) is
// none to connect to, and the hint gives loopback instead. The tests listen
// only on loopback, so the hint's address is checked without a socket.
func TestHintConnectsToLoopback(t *testing.T) {
	for ip, want := range map[string]string{
		"0.0.0.0":   "127.0.0.1",
		"::":        "::1",
		"127.0.0.1": "127.0.0.1",
		"::1":       "::1",
		"192.0.2.7": "192.0.2.7",
	} {
		if got := reachable(netip.MustParseAddr(ip)); got.String() != want {
			t.Errorf("listening on %s, the hint says nc %s, want nc %s", ip, got, want)
		}
	}
}

// TestLocalhost runs the server with -addr localhost:0: it listens on
// 127.0.0.1, on a port of the kernel's choosing, and serves.
func TestLocalhost(t *testing.T) {
	s := startServer(t, nil, "-addr", "localhost:0")
	if !strings.HasPrefix(s.addr, "127.0.0.1:") || strings.HasSuffix(s.addr, ":0") {
		t.Fatalf("-addr localhost:0 listens on %s", s.addr)
	}
	if err := echo(s.dial(), "Hello, localhost\n"); err != nil {
		t.Fatal(err)
	}
}

// TestListensOnLoopbackByDefault reads the default of -addr from the usage
// text: a learner's server must not be open to the network by surprise.
func TestListensOnLoopbackByDefault(t *testing.T) {
	_, usage, err := runChild("-h")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^  -addr .*\n.*\(default "([^"]*)"\)`).FindStringSubmatch(usage)
	if m == nil {
		t.Fatalf("no default for -addr in the usage:\n%s", usage)
	}
	sa, err := parseAddr(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if ap := addrPort(sa); !ap.Addr().IsLoopback() || ap.Port() != 25000 {
		t.Errorf("the default -addr is %q: it listens on %s, want loopback, port 25000", m[1], ap)
	}
}

// TestRestartBesideAClosedConnection stops a server that has a client,
// then starts another on the same port at once. The connection that the
// old server closed lingers in the kernel (until the client closes too,
// and for a minute after): without SO_REUSEADDR, the new server could not
// listen on the port until then.
func TestRestartBesideAClosedConnection(t *testing.T) {
	s := startServer(t, nil)
	if err := echo(s.dial(), "Hello\n"); err != nil {
		t.Fatal(err)
	}
	if err := s.stop(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	again := mainCommand(ctx, nil, "-addr", s.addr)
	var stderr bytes.Buffer
	again.Stderr = &stderr
	out, err := again.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n') // ends at the first line, or when the server exits
	again.Process.Kill()
	again.Wait()
	if !strings.HasPrefix(line, "Listening on "+s.addr+";") {
		t.Errorf("a new server on %s said %q%q", s.addr, line, stderr.String())
	}
}
