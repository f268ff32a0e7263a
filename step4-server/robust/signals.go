package main

import (
	"fmt"
	"iter"
	"maps"
	"os"
	"os/signal"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// grace is how long shutdown waits for clients to read their last replies
// and close, before it closes what is left.
const grace = time.Second

// shutdown waits on Recv of the read end of a pipe that a signal goroutine
// writes to. That is how a signal enters a program whose only thread may
// be asleep in select(). Then it winds the server down, gently: it wakes
// every task waiting to read, and each sees closing. tcpServer closes the
// listening socket; a handler finishes the reply it is writing, if any,
// and says goodbye. After the grace, ioWait stops whatever is left.
func (s *echoServer) shutdown(fd int) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		defer unix.Close(fd)
		if !yield(Recv, fd) {
			return
		}
		s.out.printf("Shutting down\n")
		s.closing = true
		s.deadline = time.Now().Add(grace)
		for _, fd := range slices.Sorted(maps.Keys(s.recvWait.tasks)) { // in order, so that runs agree
			s.tasks.pushBack(s.recvWait.remove(fd))
		}
	}
}

// goodbye ends a connection at shutdown. It half-closes it (SHUT_WR): the
// client reads its last reply, then EOF. Then it reads and drops whatever
// the client still sends, until the client closes its end: closing a
// socket with unread input makes the kernel reset the connection, and a
// reset destroys the replies that the client has not read yet.
func (s *echoServer) goodbye(yield func(reason, int) bool, fd int, addr string, buf []byte) {
	unix.Shutdown(fd, unix.SHUT_WR)
	for yield(Recv, fd) {
		n, err := unix.Read(fd, buf)
		if err != nil && err != unix.EAGAIN {
			s.clientError(addr, "read", err)
			return
		}
		if n == 0 {
			return // the client has closed: now close() sends no reset
		}
	}
}

// signalPipe returns the read end of a pipe that gets one byte when SIGINT
// or SIGTERM arrives. A second signal ends the process at once: whoever
// sends it does not want to wait. (Re-raising it would not do: a program
// started in the background by a script inherits SIGINT ignored.)
func signalPipe() (int, error) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return 0, fmt.Errorf("pipe: %w", err)
	}
	sig := make(chan os.Signal, 2) // room for both, however fast they come
	signal.Notify(sig, unix.SIGINT, unix.SIGTERM)
	go func() {
		<-sig
		unix.Write(p[1], []byte{0})
		again := <-sig
		os.Exit(128 + int(again.(unix.Signal))) // as a shell reports a process killed by it: 130 for SIGINT
	}()
	return p[0], nil
}
