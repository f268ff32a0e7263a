package main

import (
	"fmt"
	"iter"
	"log"

	"golang.org/x/sys/unix"
)

// reason is what a task waits for; the lesson's 'recv' and 'send'.
type reason int

const (
	Recv reason = iota + 1 // wait until the descriptor can be read
	Send                   // wait until the descriptor can be written
	Exit                   // wait until some other task ends (the descriptor is unused)
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

// tasks is the ready queue, as in the lesson: tasks = deque().
var tasks deque[*task]

// recvWait and sendWait hold the parked tasks, by the descriptor each waits
// to read or to write: the lesson's recv_wait and send_wait.
var (
	recvWait = &waitMap{tasks: map[int]*task{}}
	sendWait = &waitMap{tasks: map[int]*task{}}
)

// exitWait holds the tasks waiting for some other task to end.
var exitWait []*task

// trace, when on, makes run() print a line for each thing it does.
var trace bool

// newTask wraps a generator as a task and puts it on the ready queue.
func newTask(name string, gen iter.Seq2[reason, int]) {
	next, stop := iter.Pull2(gen)
	tasks.pushBack(&task{name: name, next: next, stop: stop})
}

// run is the scheduler. A task that yields is parked by its reason; when no
// task is ready, ioWait sleeps in select() until some parked descriptor is.
//
// The lesson's run() catches StopIteration and nothing else, so a task that
// fails takes the whole program down. Here a task that panics or yields
// something wrong is reported and stopped, and the others go on.
func run() {
	for tasks.len() > 0 || len(recvWait.tasks) > 0 || len(sendWait.tasks) > 0 {
		if tasks.len() == 0 {
			ioWait()
			continue
		}
		t := tasks.popFront()
		if trace {
			stdout.Println("[trace] resume", t.name)
		}
		why, fd, ok, err := resume(t)
		switch {
		case err != nil:
			fail(t, err)
		case !ok:
			say("Task done")
			ended()
		case why == Recv:
			park(recvWait, t, why, fd)
		case why == Send:
			park(sendWait, t, why, fd)
		case why == Exit:
			exitWait = append(exitWait, t)
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
	ended()
}

// ended is called when a task has ended: the tasks waiting on Exit go back
// to the queue.
func ended() {
	for _, t := range exitWait {
		tasks.pushBack(t)
	}
	exitWait = nil
}

// stopAll stops every task but the one running, wherever it waits. Stopping
// a task runs its deferred calls, so each handler closes its connection.
func stopAll() {
	for _, wait := range []*waitMap{recvWait, sendWait} {
		for fd := range wait.tasks {
			wait.remove(fd).stop()
		}
	}
	for tasks.len() > 0 {
		tasks.popFront().stop()
	}
	for _, t := range exitWait {
		t.stop()
	}
	exitWait = nil
}

// park files t under fd in wait (recvWait or sendWait). select can watch
// only descriptors below FD_SETSIZE (FdSet.Set panics past it), and a
// map holds one task per descriptor, so anything else is the task's fault.
func park(wait *waitMap, t *task, why reason, fd int) {
	switch {
	case fd < 0 || fd >= unix.FD_SETSIZE:
		fail(t, fmt.Errorf("descriptor %d is outside what select can watch (0 to %d)", fd, unix.FD_SETSIZE-1))
	case wait.tasks[fd] != nil:
		fail(t, fmt.Errorf("task %s already waits on %v of descriptor %d", wait.tasks[fd].name, why, fd))
	default:
		if trace {
			stdout.Printf("[trace] %s waits on %v of fd %d\n", t.name, why, fd)
		}
		wait.add(fd, t)
	}
}
