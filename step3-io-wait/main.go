// Step 3: tasks that wait for I/O.
//
// In step 2 a task could only say "let someone else run". Here it says what
// it waits for: it yields a reason (Recv or Send) and a file descriptor. The
// scheduler parks the task in recvWait or sendWait, keyed by descriptor, and
// when no task is ready it calls select() to sleep until the kernel says a
// parked descriptor can be read or written; those tasks go back to the
// queue. This is the scheduler of the lesson's server.py.
//
// Two tasks talk over a socketpair, so the program needs no network: a
// writer that sends more than the socket can hold, so that it really parks
// on Send, and a reader that really parks on Recv.
//
// Run it: go run ./step3-io-wait   (add -trace to watch the scheduler)
package main

import (
	"bytes"
	"flag"
	"fmt"
	"iter"
	"log"

	"golang.org/x/sys/unix"
)

// deque is a first-in, first-out queue of tasks, like Python's
// collections.deque as the lesson uses it. It is a ring buffer: a plain
// slice used as a queue (q = q[1:]) keeps moving through memory and copies
// itself as it grows, and container/list allocates a node for every push
// and holds values as `any`. A ring reuses one array.
type deque[T any] struct {
	buf  []T // the ring; its length is always 0 or a power of two
	head int // index of the first element
	n    int // number of elements
}

// len reports how many elements the queue holds.
func (q *deque[T]) len() int { return q.n }

// pushBack appends v at the back, doubling the ring when it is full.
func (q *deque[T]) pushBack(v T) {
	if q.n == len(q.buf) {
		bigger := make([]T, max(2*len(q.buf), 8))
		for i := range q.n {
			bigger[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
		}
		q.buf, q.head = bigger, 0
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = v
	q.n++
}

// popFront removes and returns the first element; the queue must not be
// empty.
func (q *deque[T]) popFront() T {
	v := q.buf[q.head]
	var zero T
	q.buf[q.head] = zero // let the garbage collector have what we dropped
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return v
}

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

var (
	tasks    deque[*task]      // tasks ready to run
	recvWait = map[int]*task{} // descriptor -> task waiting to read it
	sendWait = map[int]*task{} // descriptor -> task waiting to write it
	trace    bool              // print a line for each scheduler event
)

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
	for tasks.len() > 0 || len(recvWait) > 0 || len(sendWait) > 0 {
		if tasks.len() == 0 {
			ioWait()
			continue
		}
		t := tasks.popFront()
		if trace {
			fmt.Println("[trace] resume", t.name)
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
		if trace {
			fmt.Printf("[trace] %s waits on %v of fd %d\n", t.name, why, fd)
		}
		wait[fd] = t
	}
}

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
	if trace {
		fmt.Printf("[trace] select: %d ready\n", n)
	}
	wake(recvWait, &r, nfd)
	wake(sendWait, &w, nfd)
}

// wake moves the tasks whose descriptors select marked ready back to the
// queue, lowest descriptor first, so that every run goes the same way.
func wake(wait map[int]*task, ready *unix.FdSet, nfd int) {
	for fd := range nfd {
		if ready.IsSet(fd) {
			tasks.pushBack(wait[fd])
			delete(wait, fd)
		}
	}
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

// sent and received count the bytes that cross the socketpair.
var sent, received int

// writer waits for room, fills the socket until the kernel takes no more,
// waits on Send until the reader has made room, then sends a last line and
// closes its end.
func writer(fd int) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		defer unix.Close(fd)
		if !yield(Send, fd) {
			return
		}
		block := bytes.Repeat([]byte("x"), 4096)
		for {
			n, err := unix.Write(fd, block)
			if err == unix.EAGAIN { // full: a non-blocking socket says so instead of waiting
				break
			}
			if err != nil {
				log.Printf("writer: %v", err)
				return
			}
			sent += n
		}
		fmt.Println("writer: the socket is full; waiting on Send")
		if !yield(Send, fd) {
			return
		}
		fmt.Println("writer: there is room again; sending the last line and closing")
		n, err := unix.Write(fd, []byte("bye\n"))
		if err != nil {
			log.Printf("writer: %v", err)
			return
		}
		sent += n
	}
}

// reader waits on Recv, then reads all that is there, until the writer
// closes its end.
func reader(fd int) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		defer unix.Close(fd)
		buf := make([]byte, 64*1024)
		for {
			fmt.Println("reader: waiting on Recv")
			if !yield(Recv, fd) {
				return
			}
			for { // read until the kernel has nothing more: EAGAIN
				n, err := unix.Read(fd, buf)
				if err == unix.EAGAIN {
					break
				}
				if err != nil {
					log.Printf("reader: %v", err)
					return
				}
				if n == 0 {
					fmt.Println("reader: the writer closed its end")
					return
				}
				received += n
			}
			fmt.Println("reader: read all there was")
		}
	}
}

func main() {
	flag.BoolVar(&trace, "trace", false, "print a line for each scheduler event")
	flag.Parse()
	log.SetFlags(0)

	// A socketpair is two connected sockets: what one end writes, the other
	// reads. Non-blocking, so a full or empty socket returns EAGAIN instead
	// of putting the whole program to sleep.
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		log.Fatalf("socketpair: %v", err)
	}
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			log.Fatalf("socketpair: %v", err)
		}
	}
	newTask("reader", reader(fds[0]))
	newTask("writer", writer(fds[1]))
	run()
	if sent == received {
		fmt.Println("every byte the writer sent has arrived")
	} else {
		fmt.Printf("bytes lost: sent %d, received %d\n", sent, received)
	}
}
