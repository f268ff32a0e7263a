package main

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestClientErrorsMostFrequentFirst runs three handlers whose clients fail
// in two ways: two close with a reply unread, which resets the connection,
// and one closes before its reply is written, which breaks the pipe. The
// summary counts each kind, the most frequent first: not in the order of
// their names, which is the other way round here.
func TestClientErrorsMostFrequentFirst(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("a pair of Unix sockets closed with data unread resets the other end on Linux; elsewhere it may read EOF")
	}
	s := testServer()
	var handlers []named
	for i, how := range []string{"reset", "broken pipe", "reset"} {
		fd, client := socketPair(t)
		switch how {
		case "reset": // the client leaves a reply unread
			if _, err := unix.Write(fd, []byte("GOT:earlier")); err != nil {
				t.Fatal(err)
			}
		case "broken pipe": // the client is gone before its reply
			if _, err := client.Write([]byte("Hello")); err != nil {
				t.Fatal(err)
			}
		}
		client.Close()
		handlers = append(handlers, named{fmt.Sprintf("echoHandler(%d)", i), s.echoHandler(fd, how)})
	}
	schedule(t, s, handlers...)
	want := "Client errors: 2 connection reset by peer, 1 broken pipe"
	if lines := s.summary(); len(lines) != 2 || lines[1] != want {
		t.Errorf("the summary says:\n%s\nwant its second line %q", strings.Join(lines, "\n"), want)
	}
}
