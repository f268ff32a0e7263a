package main

import (
	"fmt"
	"log"

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

// refused counts the clients refused since the server last accepted one;
// turnedAway counts them all, for the summary.
var refused, turnedAway int

// fullSelect is why a client is refused when its descriptor is one that
// select cannot watch.
var fullSelect = fmt.Sprintf("every descriptor below select's limit (FD_SETSIZE, %d) is in use", unix.FD_SETSIZE)

// refuse tells the client on fd why the server cannot take it, and closes
// the connection.
func refuse(fd int, why string) {
	if refused == 0 {
		log.Printf("server full: %s; refusing new clients", why)
	}
	refused++
	turnedAway++
	unix.SetNonblock(fd, true) // nothing here may wait for the client
	unix.Write(fd, []byte("server full: "+why+"; try again later\n"))
	// As goodbye does (signals.go): half-close, so that the client reads
	// EOF after the line, then read what it has sent already. Closing a
	// socket with unread input makes the kernel reset the connection, and a
	// reset that comes before the EOF can destroy the line unread.
	unix.Shutdown(fd, unix.SHUT_WR)
	for range 4 {
		if n, err := unix.Read(fd, readBuf[:]); err != nil || n == 0 {
			break
		}
	}
	unix.Close(fd)
}

// accepting ends a run of refusals, if there was one, and says how long
// it was.
func accepting() {
	if refused > 0 {
		log.Printf("accepting clients again, after refusing %s", count(refused, "client"))
		refused = 0
	}
}

// spare is a descriptor held in reserve, open on /dev/null. Out of
// descriptors, the server cannot accept a client to tell it anything; so
// it closes the spare, accepts and refuses the client with the descriptor
// that frees, and opens the spare again.
var spare = -1

// reserve opens the spare descriptor, if it is not open.
func reserve() {
	if spare < 0 {
		if fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
			spare = fd
		}
	}
}

// refuseWithSpare refuses the client that the listening socket lfd could
// not accept for lack of a descriptor (err), using the spare. It reports
// whether the spare is still there for next time. Without it (the whole
// system is out of descriptors), the caller must wait for a connection to
// close instead: the client stays queued, and the socket readable.
func refuseWithSpare(lfd int, err error) bool {
	reserve() // in case an earlier try lost it
	if spare < 0 {
		return false
	}
	unix.Close(spare)
	spare = -1
	if fd, _, aerr := unix.Accept(lfd); aerr == nil {
		refuse(fd, "out of descriptors ("+err.Error()+")")
	}
	reserve()
	return spare >= 0
}
