package main

import (
	"fmt"
	"log"
	"strings"

	"golang.org/x/sys/unix"
)

// ioWait sleeps in select() until at least one parked descriptor is ready,
// then moves the tasks waiting on ready descriptors to the ready queue.
func ioWait() {
	var r, w unix.FdSet
	nfd := 0 // select wants the highest descriptor plus one
	for fd := range recvWait {
		r.Set(fd)
		nfd = max(nfd, fd+1)
	}
	for fd := range sendWait {
		w.Set(fd)
		nfd = max(nfd, fd+1)
	}
	n, err := unix.Select(nfd, &r, &w, nil, nil) // nil timeout: wait as long as it takes
	switch {
	case err == unix.EINTR:
		return // a signal arrived: nothing is ready, so run() comes back here
	case err == unix.EBADF:
		dropClosed(recvWait)
		dropClosed(sendWait)
		return
	case err != nil:
		log.Fatalf("select: %v", err)
	}
	woken := wake(recvWait, &r, nfd, nil)
	woken = wake(sendWait, &w, nfd, woken)
	if trace != nil {
		fmt.Fprintf(trace, "[trace] select: %d ready: %s\n", n, strings.Join(woken, ", "))
	}
}

// wake moves the tasks whose descriptors select marked ready back to the
// queue, lowest descriptor first, so that every run goes the same way. It
// appends their names to woken, in that order, for the trace.
func wake(wait map[int]*task, ready *unix.FdSet, nfd int, woken []string) []string {
	for fd := range nfd {
		if ready.IsSet(fd) {
			woken = append(woken, wait[fd].name)
			tasks.pushBack(wait[fd])
			delete(wait, fd)
		}
	}
	return woken
}

// dropClosed stops the tasks that wait on a descriptor that is no longer
// open. One such descriptor makes every select fail with EBADF, so
// without this one faulty task would stop the scheduler for all.
func dropClosed(wait map[int]*task) {
	for fd, t := range wait {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == unix.EBADF {
			delete(wait, fd)
			fail(t, fmt.Errorf("waits on descriptor %d, which is not open", fd))
		}
	}
}
