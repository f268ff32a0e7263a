package main

import (
	"fmt"
	"io"
	"iter"
	"log"

	"golang.org/x/sys/unix"
)

// reason is what a task waits for; the lesson's 'recv' and 'send'.
type reason int

const (
	Recv reason = iota + 1 // wait until the descriptor can be read
	Send                   // wait until the descriptor can be written
)

// String names a reason, for messages.
func (r reason) String() string {
	switch r {
	case Recv:
		return "Recv"
	case Send:
		return "Send"
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

// tasks is the ready queue, as in the lesson: tasks = deque().
var tasks deque[*task]

// recvWait and sendWait hold the parked tasks, by the descriptor each waits
// to read or to write: the lesson's recv_wait and send_wait.
var (
	recvWait = map[int]*task{}
	sendWait = map[int]*task{}
)

// trace, when not nil, gets a line for each thing the scheduler does:
// -trace sets it to os.Stdout. A writer, not a switch, so that a reader of
// the trace (docs/timeline) can be checked against the real queue and maps.
var trace io.Writer

// newTask wraps a generator as a task and puts it on the ready queue.
func newTask(name string, gen iter.Seq2[reason, int]) {
	next, stop := iter.Pull2(gen)
	tasks.pushBack(&task{name: name, next: next, stop: stop})
	if trace != nil {
		fmt.Fprintln(trace, "[trace] new task", name)
	}
}

// run is the scheduler. A task that yields is parked by its reason; when no
// task is ready, ioWait sleeps in select() until some parked descriptor is.
//
// The lesson's run() catches StopIteration and nothing else, so a task that
// fails takes the whole program down. Here a task that panics or yields
// something wrong is reported and stopped, and the others go on.
func run() {
	for tasks.len() > 0 || len(recvWait) > 0 || len(sendWait) > 0 {
		if tasks.len() == 0 {
			ioWait()
			continue
		}
		t := tasks.popFront()
		if trace != nil {
			fmt.Fprintln(trace, "[trace] resume", t.name)
		}
		why, fd, ok, err := resume(t)
		switch {
		case err != nil:
			fail(t, err)
		case !ok:
			fmt.Println("Task done")
		case why == Recv:
			park(recvWait, t, why, fd)
		case why == Send:
			park(sendWait, t, why, fd)
		default:
			fail(t, fmt.Errorf("unknown yield reason %v", why))
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
func fail(t *task, err error) {
	log.Printf("task %s stopped: %v", t.name, err)
	t.stop()
	if trace != nil {
		fmt.Fprintln(trace, "[trace] stop", t.name)
	}
}

// park files t under fd in wait (recvWait or sendWait). select can watch
// only descriptors below FD_SETSIZE (FdSet.Set panics past it), and a
// map holds one task per descriptor, so anything else is the task's fault.
func park(wait map[int]*task, t *task, why reason, fd int) {
	switch {
	case fd < 0 || fd >= unix.FD_SETSIZE:
		fail(t, fmt.Errorf("descriptor %d is outside what select can watch (0 to %d)", fd, unix.FD_SETSIZE-1))
	case wait[fd] != nil:
		fail(t, fmt.Errorf("task %s already waits on %v of descriptor %d", wait[fd].name, why, fd))
	default:
		wait[fd] = t
		if trace != nil {
			fmt.Fprintf(trace, "[trace] %s waits on %v of fd %d\n", t.name, why, fd)
		}
	}
}
