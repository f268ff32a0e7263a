package main

import (
	"fmt"
	"log"
	"math/bits"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Step 3's ioWait built select's two descriptor sets from the wait maps
// before every call, and looked at every descriptor after it. With a
// thousand clients that costs more than the messages, so here each wait map
// keeps its set up to date as tasks park and wake, and wake visits only the
// descriptors that select marked ready. Nothing else in this file differs
// from step 3 but spareP and shutdown's deadline (signals.go): read it for
// speed, not for the lesson.

// A waitMap is recvWait or sendWait: descriptor -> task, and the same
// descriptors in the bit set that select takes.
type waitMap struct {
	tasks map[int]*task
	fds   unix.FdSet
}

// deadline, once set, is when ioWait stops every task still waiting: the
// end of shutdown's grace.
var deadline time.Time

// nfd is one more than the highest descriptor ever parked: select looks
// below it.
var nfd int

// add parks t on fd.
func (w *waitMap) add(fd int, t *task) {
	w.tasks[fd] = t
	w.fds.Set(fd)
	nfd = max(nfd, fd+1)
}

// remove takes the task parked on fd out of the map, and returns it.
func (w *waitMap) remove(fd int) *task {
	t := w.tasks[fd]
	delete(w.tasks, fd)
	w.fds.Clear(fd)
	return t
}

// ioWait sleeps in select() until at least one parked descriptor is ready,
// then moves the tasks waiting on ready descriptors to the ready queue.
// Past the deadline, if there is one, it stops every task instead.
func ioWait() {
	r, w := recvWait.fds, sendWait.fds // select overwrites the sets it is given: give it copies
	var timeout *unix.Timeval          // nil: wait as long as it takes
	if !deadline.IsZero() {            // but not past the deadline
		tv := unix.NsecToTimeval(max(0, time.Until(deadline).Nanoseconds()))
		timeout = &tv
	}
	n, err := unix.Select(nfd, &r, &w, nil, timeout)
	if !deadline.IsZero() && !time.Now().Before(deadline) {
		stopAll()
		return
	}
	switch {
	case err == unix.EINTR:
		return // a signal arrived: nothing is ready, so run() comes back here
	case err == unix.EBADF:
		dropClosed(recvWait)
		dropClosed(sendWait)
		return
	case err != nil:
		log.Panicf("select: %v", err) // not Fatalf: its line would only be queued (output.go)
	}
	if trace {
		stdout.Printf("[trace] select: %d ready\n", n)
	}
	recvWait.wake(&r)
	sendWait.wake(&w)
}

// wake moves the tasks whose descriptors select left set in ready back to
// the queue, lowest descriptor first. It takes the set a word at a time and
// jumps from one set bit to the next, so it costs what the ready
// descriptors cost, however many are parked.
func (w *waitMap) wake(ready *unix.FdSet) {
	const mask = ^uint64(0) >> (64 - unix.NFDBITS) // a word's bits: 64, or 32 on some systems
	for i, word := range ready.Bits {
		for rest := uint64(word) & mask; rest != 0; rest &= rest - 1 { // clear the lowest set bit
			fd := i*unix.NFDBITS + bits.TrailingZeros64(rest)
			tasks.pushBack(w.remove(fd))
		}
	}
}

// dropClosed stops the tasks that wait on a descriptor that is no longer
// open. One such descriptor makes every select fail with EBADF, so
// without this one faulty task would stop the scheduler for all.
func dropClosed(wait *waitMap) {
	for fd := range wait.tasks {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == unix.EBADF {
			fail(wait.remove(fd), fmt.Errorf("waits on descriptor %d, which is not open", fd))
		}
	}
}

// spareP makes sure the Go runtime has a spare processor (P). The one
// thread spends its idle time blocked in select. When Go sees a thread
// blocked in a system call and no idle P, it hands that thread's P to
// another thread, which wakes, finds nothing to do and sleeps, and
// select's return must win a P back: microseconds lost on every wait, on a
// machine (or a container) with one CPU. A spare P lets Go leave the
// blocked thread alone.
func spareP() {
	runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0)))
}
