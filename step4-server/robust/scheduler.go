package main

import (
	"fmt"
	"iter"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// reason is what a task waits for; the lesson's 'recv' and 'send'.
type reason int

const (
	Recv reason = iota + 1 // wait until the descriptor can be read
	Send                   // wait until the descriptor can be written
	Exit                   // wait until another task ends, or at most n ms: yield(Exit, n), n > 0
)

// String names a reason, for messages.
func (r reason) String() string {
	switch r {
	case Recv:
		return "Recv"
	case Send:
		return "Send"
	case Exit:
		return "Exit"
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// A task is a generator that the scheduler drives. Each yield hands over a
// reason and a descriptor: Python's `yield 'recv', sock`.
type task struct {
	name string                     // for messages and the trace
	next func() (reason, int, bool) // resumes the body until its next yield
	stop func()                     // ends the body early, running its defers
}

// A scheduler holds the lesson's task system: the ready queue and the wait
// maps. Steps 2 to 4 keep them in package variables, as the lesson does;
// here they live in a value, which each test builds afresh.
type scheduler struct {
	tasks              deque[*task] // the ready queue, as in the lesson: tasks = deque()
	recvWait, sendWait waitMap      // the parked tasks, by descriptor: the lesson's recv_wait and send_wait
	exitWait           []exitWaiter // the tasks waiting for another to end
	nfd                int          // one more than the highest descriptor ever parked: select looks below it
	deadline           time.Time    // once set, when ioWait stops every task still waiting (signals.go)
	trace              bool         // print a line for each thing run() does
	woken              []string     // the tasks the last select woke, for the trace (select.go)
	out                *output      // where every line goes (output.go)
}

// An exitWaiter is a task waiting on Exit, and the latest it may wake.
type exitWaiter struct {
	t     *task
	until time.Time
}

// newScheduler returns a scheduler with no tasks, printing to out.
func newScheduler(out *output, trace bool) *scheduler {
	return &scheduler{recvWait: newWaitMap(), sendWait: newWaitMap(), trace: trace, out: out}
}

// newTask wraps a generator as a task and puts it on the ready queue.
func (s *scheduler) newTask(name string, gen iter.Seq2[reason, int]) {
	next, stop := iter.Pull2(gen)
	s.tasks.pushBack(&task{name: name, next: next, stop: stop})
	s.tracef("new task %s", name)
}

// run is the scheduler. A task that yields is parked by its reason; when no
// task is ready, ioWait sleeps in select() until some parked descriptor is.
//
// The lesson's run() catches StopIteration and nothing else, so a task that
// fails takes the whole program down. Here a task that panics or yields
// something wrong is reported and stopped, and the others go on.
func (s *scheduler) run() {
	for s.tasks.len() > 0 || len(s.recvWait.tasks) > 0 || len(s.sendWait.tasks) > 0 || len(s.exitWait) > 0 {
		if s.tasks.len() == 0 {
			s.ioWait()
			continue
		}
		t := s.tasks.popFront()
		if s.trace { // (a test: this path allocates nothing, with the trace off)
			s.tracef("resume %s", t.name)
		}
		why, fd, ok, err := resume(t)
		switch {
		case err != nil:
			s.fail(t, err)
		case !ok:
			s.out.say("Task done")
			s.ended()
		case why == Recv:
			s.park(&s.recvWait, t, why, fd)
		case why == Send:
			s.park(&s.sendWait, t, why, fd)
		case why == Exit && fd <= 0:
			s.fail(t, fmt.Errorf("waits on Exit for %d ms: it must wait 1 ms or more", fd))
		case why == Exit:
			s.tracef("%s waits on Exit", t.name)
			s.exitWait = append(s.exitWait, exitWaiter{t, time.Now().Add(time.Duration(fd) * time.Millisecond)})
		default:
			s.fail(t, fmt.Errorf("unknown yield reason %v", why))
		}
	}
}

// resume runs t until its next yield. A panic inside the task comes back
// here (iter.Pull passes it to the caller of next) and becomes an error.
func resume(t *task) (why reason, fd int, ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	why, fd, ok = t.next()
	return why, fd, ok, nil
}

// fail reports a broken task and stops it; stop runs its deferred calls,
// so it still closes what it opened.
func (s *scheduler) fail(t *task, err error) {
	s.out.logf("task %s stopped: %v", t.name, err)
	s.tracef("stop %s", t.name)
	t.stop()
	s.ended()
}

// ended is called when a task has ended: the tasks waiting on Exit go back
// to the queue.
func (s *scheduler) ended() {
	s.wakeExit(func(exitWaiter) bool { return true })
}

// wakeExit moves the tasks waiting on Exit for which woken says so back to
// the queue, in the order they came.
func (s *scheduler) wakeExit(woken func(exitWaiter) bool) {
	var names []string
	left := s.exitWait[:0]
	for _, w := range s.exitWait {
		if woken(w) {
			s.tasks.pushBack(w.t)
			names = append(names, w.t.name)
		} else {
			left = append(left, w)
		}
	}
	s.exitWait = left
	if len(names) > 0 {
		s.tracef("exit wakes %s", strings.Join(names, ", "))
	}
}

// stopAll stops every task but the one running, wherever it waits. Stopping
// a task runs its deferred calls, so each handler closes its connection.
func (s *scheduler) stopAll() {
	for _, wait := range []*waitMap{&s.recvWait, &s.sendWait} {
		for fd := range wait.tasks {
			s.stop(wait.remove(fd))
		}
	}
	for s.tasks.len() > 0 {
		s.stop(s.tasks.popFront())
	}
	for _, w := range s.exitWait {
		s.stop(w.t)
	}
	s.exitWait = nil
}

// stop stops t, which is not running, and says so in the trace.
func (s *scheduler) stop(t *task) {
	s.tracef("stop %s", t.name)
	t.stop()
}

// park files t under fd in wait (recvWait or sendWait). select can watch
// only descriptors below FD_SETSIZE (FdSet.Set panics past it), and a
// map holds one task per descriptor, so anything else is the task's fault.
func (s *scheduler) park(wait *waitMap, t *task, why reason, fd int) {
	switch {
	case fd < 0 || fd >= unix.FD_SETSIZE:
		s.fail(t, fmt.Errorf("descriptor %d is outside what select can watch (0 to %d)", fd, unix.FD_SETSIZE-1))
	case wait.tasks[fd] != nil:
		s.fail(t, fmt.Errorf("task %s already waits on %v of descriptor %d", wait.tasks[fd].name, why, fd))
	default:
		if s.trace {
			s.tracef("%s waits on %v of fd %d", t.name, why, fd)
		}
		wait.add(fd, t)
		s.nfd = max(s.nfd, fd+1)
	}
}

// tracef prints a line of the trace, if it is on.
func (s *scheduler) tracef(format string, args ...any) {
	if s.trace {
		s.out.printf("[trace] "+format+"\n", args...)
	}
}
