package main

import (
	"fmt"
	"math/bits"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Two speed tunings sit in this file, each measured with `make bench`
// (docs/performance.md). Step 3's ioWait built select's two descriptor sets
// from the wait maps before every call, and looked at every descriptor after
// it; here each wait map keeps its set up to date as tasks park and wake, and
// wake visits only the descriptors that select marked ready (+12% messages a
// second with 1000 busy clients). And spareP (-8 to -11% CPU a message).

// A waitMap is recvWait or sendWait: descriptor -> task, and the same
// descriptors in the bit set that select takes.
type waitMap struct {
	tasks map[int]*task
	fds   unix.FdSet
}

// newWaitMap returns an empty waitMap.
func newWaitMap() waitMap { return waitMap{tasks: map[int]*task{}} }

// add parks t on fd.
func (w *waitMap) add(fd int, t *task) {
	w.tasks[fd] = t
	w.fds.Set(fd)
}

// remove takes the task parked on fd out of the map, and returns it.
func (w *waitMap) remove(fd int) *task {
	t := w.tasks[fd]
	delete(w.tasks, fd)
	w.fds.Clear(fd)
	return t
}

// ioWait sleeps in select() until at least one parked descriptor is ready,
// or a task waiting on Exit has waited long enough, then moves the tasks
// whose wait is over to the ready queue. Past the deadline, if there is
// one, it stops every task instead.
func (s *scheduler) ioWait() {
	r, w := s.recvWait.fds, s.sendWait.fds // select overwrites the sets it is given: give it copies
	var timeout *unix.Timeval              // nil: wait as long as it takes
	if until := s.until(); !until.IsZero() {
		tv := unix.NsecToTimeval(max(0, time.Until(until).Nanoseconds()))
		timeout = &tv
	}
	n, err := unix.Select(s.nfd, &r, &w, nil, timeout)
	now := time.Now()
	if !s.deadline.IsZero() && !now.Before(s.deadline) {
		s.stopAll()
		return
	}
	s.wakeExit(func(w exitWaiter) bool { return !now.Before(w.until) })
	switch {
	case err == unix.EINTR:
		return // a signal arrived: nothing is ready, so run() comes back here
	case err == unix.EBADF:
		s.dropClosed(&s.recvWait)
		s.dropClosed(&s.sendWait)
		return
	case err != nil:
		panic(fmt.Sprintf("select: %v", err)) // not log.Fatal: its line would only be queued (output.go)
	}
	s.woken = s.woken[:0]
	s.recvWait.wake(&r, s)
	s.sendWait.wake(&w, s)
	if s.trace && n == 0 {
		s.tracef("select: 0 ready")
	} else if s.trace {
		s.tracef("select: %d ready: %s", n, strings.Join(s.woken, ", "))
	}
}

// until is when ioWait must stop waiting, even with nothing ready: the
// deadline, or the earliest a task waiting on Exit may wake. Zero: none.
func (s *scheduler) until() time.Time {
	until := s.deadline
	for _, w := range s.exitWait {
		if until.IsZero() || w.until.Before(until) {
			until = w.until
		}
	}
	return until
}

// wake moves the tasks whose descriptors select left set in ready back to
// s's queue, lowest descriptor first, and notes their names for the trace. It
// takes the set a word at a time and jumps from one set bit to the next,
// so it costs what the ready descriptors cost, however many are parked.
func (w *waitMap) wake(ready *unix.FdSet, s *scheduler) {
	const mask = ^uint64(0) >> (64 - unix.NFDBITS) // a word's bits: 64, or 32 on some systems
	for i, word := range ready.Bits {
		for rest := uint64(word) & mask; rest != 0; rest &= rest - 1 { // clear the lowest set bit
			t := w.remove(i*unix.NFDBITS + bits.TrailingZeros64(rest))
			s.tasks.pushBack(t)
			if s.trace {
				s.woken = append(s.woken, t.name)
			}
		}
	}
}

// dropClosed stops the tasks that wait on a descriptor that is no longer
// open. One such descriptor makes every select fail with EBADF, so
// without this one faulty task would stop the scheduler for all.
func (s *scheduler) dropClosed(wait *waitMap) {
	for fd := range wait.tasks {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == unix.EBADF {
			s.fail(wait.remove(fd), fmt.Errorf("waits on descriptor %d, which is not open", fd))
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
