package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// How many clients the server can hold, and what a client sees past that.
//
// select() watches only descriptors below FD_SETSIZE (1024), and the
// process may open only so many (ulimit -n). Past either limit, a new
// client is accepted all the same, told why in one line, and closed: it
// learns at once to try again later, instead of waiting unanswered for a
// place that may never come free. The log says so when refusals start,
// and again, with their count, when accepting resumes: a line per refusal
// would flood it just when the server is busiest.

// fullSelect is why a client is refused when its descriptor is one that
// select cannot watch.
const fullSelect = "every descriptor below select's limit (FD_SETSIZE, 1024) is in use"

// counts are what the summary reports at exit.
type counts struct {
	served, echoed int            // connections accepted, bytes echoed back
	clientErrors   map[string]int // errors on clients' connections, by kind
	refused        int            // clients refused since the server last accepted one
	turnedAway     int            // clients refused in all
	pausing        error          // the accept error that made tcpServer pause, until it accepts again
}

// refuse tells the client on fd why the server cannot take it, and closes
// the connection.
func (s *echoServer) refuse(fd int, why string) {
	if s.refused == 0 {
		s.out.logf("server full: %s; refusing new clients", why)
	}
	s.refused++
	s.turnedAway++
	unix.SetNonblock(fd, true) // nothing here may wait for the client
	unix.Write(fd, []byte("server full: "+why+"; try again later\n"))
	// As goodbye does (signals.go): half-close, so that the client reads
	// EOF after the line, then read what it has sent already. Closing a
	// socket with unread input makes the kernel reset the connection, and a
	// reset that comes before the EOF can destroy the line unread.
	unix.Shutdown(fd, unix.SHUT_WR)
	var sink [1024]byte
	for range 4 {
		if n, err := unix.Read(fd, sink[:]); err != nil || n == 0 {
			break
		}
	}
	unix.Close(fd)
}

// pause logs, once until the server accepts again, that accept failed
// with err and that tcpServer waits before it tries again.
func (s *echoServer) pause(err error) {
	if s.pausing != err {
		s.out.logf("accept: %v; trying again when a connection ends, or in 100 ms", err)
		s.pausing = err
	}
}

// accepting ends a run of refusals or pauses, if there was one, and says
// how long it was.
func (s *echoServer) accepting() {
	if s.refused > 0 {
		s.out.logf("accepting clients again, after refusing %s", count(s.refused, "client"))
		s.refused = 0
	}
	s.pausing = nil
}

// Out of descriptors, the server cannot accept a client to tell it
// anything. So it holds a spare descriptor in reserve, open on /dev/null;
// it closes the spare, accepts and refuses the client with the descriptor
// that frees, and opens the spare again.

// reserve opens the spare descriptor, if it is not open.
func (s *echoServer) reserve() {
	if s.spare < 0 {
		if fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
			s.spare = fd
		}
	}
}

// refuseWithSpare refuses the client that the listening socket lfd could
// not accept for lack of a descriptor (err), using the spare. It reports
// whether it did. Without a spare (the whole system is out of
// descriptors), the caller must wait for a connection to close instead:
// the client stays queued, and the socket readable.
func (s *echoServer) refuseWithSpare(lfd int, err error) bool {
	s.reserve() // in case an earlier try lost it
	if s.spare < 0 {
		return false
	}
	unix.Close(s.spare)
	s.spare = -1
	fd, _, aerr := unix.Accept(lfd)
	if aerr == nil {
		s.refuse(fd, "out of descriptors ("+err.Error()+")")
	}
	s.reserve()
	return aerr == nil
}

// clientError reports an error on a client's connection: one line naming
// the client, unless quiet; and a count, for the summary.
func (s *echoServer) clientError(addr, op string, err error) {
	s.clientErrors[err.Error()]++
	if !s.out.quiet {
		s.out.logf("%s: %s: %v", addr, op, err)
	}
}

// summary returns the lines printed at exit. The first is always there;
// the others only when they have something to count.
func (s *echoServer) summary() []string {
	lines := []string{fmt.Sprintf("Served %s, echoed %s", count(s.served, "connection"), count(s.echoed, "byte"))}
	if s.turnedAway > 0 {
		lines = append(lines, fmt.Sprintf("Refused %s: the server was full", count(s.turnedAway, "client")))
	}
	if len(s.clientErrors) > 0 {
		kinds := slices.SortedFunc(maps.Keys(s.clientErrors), func(a, b string) int {
			return cmp.Or(s.clientErrors[b]-s.clientErrors[a], strings.Compare(a, b)) // most frequent first
		})
		for i, k := range kinds {
			kinds[i] = fmt.Sprintf("%d %s", s.clientErrors[k], k)
		}
		lines = append(lines, "Client errors: "+strings.Join(kinds, ", "))
	}
	return append(lines, s.out.losses()...)
}
