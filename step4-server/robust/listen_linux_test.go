package main

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestListenBacklog checks how many connections the kernel will hold for
// the listening socket while the server is busy: the most it allows
// (SOMAXCONN, capped by net.core.somaxconn), not the lesson's 5. TestBurst
// shows what a small backlog does to a burst of clients; this test reads
// the number itself, from the socket's TCP_INFO, where Linux gives a
// listening socket's backlog.
func TestListenBacklog(t *testing.T) {
	want := unix.SOMAXCONN
	if b, err := os.ReadFile("/proc/sys/net/core/somaxconn"); err == nil {
		if limit, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			want = min(want, limit)
		}
	}
	fd, err := listen(&unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		t.Fatal(err)
	}
	if got := int(info.Sacked); got != want { // for a listening socket, Sacked is its backlog
		t.Errorf("the listening socket's backlog is %d, want %d", got, want)
	}
}
