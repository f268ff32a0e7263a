// Step 4: the lesson's echo server, on step 3's scheduler.
//
// tcpServer is a task that waits on Recv of a listening socket and starts an
// echoHandler task for every client it accepts. echoHandler waits on Recv,
// reads up to 1000 bytes, waits on Send and writes them back after "GOT:".
// One thread serves every client: while one task waits, the others run.
//
// Unlike the lesson's server.py, this one holds up against real clients:
//   - a reply is written in full even when the kernel takes only part of it;
//   - a reset or broken connection ends that client's task, not the server;
//   - a task that panics or misbehaves is stopped and the others go on;
//   - select interrupted by a signal (EINTR) is simply called again;
//   - out of descriptors, it waits for a connection to close, without spinning;
//   - a descriptor past select's limit (FD_SETSIZE, 1024) is refused, not a panic;
//   - it listens with the system's largest backlog, not 5, so bursts connect;
//   - it listens on 127.0.0.1 unless told otherwise, not on every interface;
//   - Ctrl-C (SIGINT) or SIGTERM closes every connection and exits cleanly;
//   - it allocates nothing per message, and keeps select's descriptor sets
//     up to date instead of building them again for every call.
//
// Run it: go run ./step4-server   then, in another terminal: nc 127.0.0.1 25000
package main

import (
	"flag"
	"fmt"
	"iter"
	"log"
	"math/bits"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"strconv"

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

// A waitMap is the lesson's recv_wait or send_wait: descriptor -> task. It
// also keeps its descriptors in the bit set that select takes, up to date
// as tasks park and wake, instead of building the set again before every
// select: with a thousand clients, that rebuilding costs more than the
// messages.
type waitMap struct {
	tasks map[int]*task
	fds   unix.FdSet
}

var (
	tasks    deque[*task]                      // tasks ready to run
	recvWait = waitMap{tasks: map[int]*task{}} // tasks waiting to read a descriptor
	sendWait = waitMap{tasks: map[int]*task{}} // tasks waiting to write a descriptor
	nfd      int                               // one more than the highest descriptor ever parked: select looks below it
	exitWait []*task                           // tasks waiting for some other task to end
	trace    bool                              // print a line for each scheduler event
	quiet    bool                              // print nothing for each connection or task
)

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
			fmt.Println("[trace] resume", t.name)
		}
		why, fd, ok, err := resume(t)
		switch {
		case err != nil:
			fail(t, err)
		case !ok:
			if !quiet {
				fmt.Println("Task done")
			}
			ended()
		case why == Recv:
			park(&recvWait, t, why, fd)
		case why == Send:
			park(&sendWait, t, why, fd)
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
	for _, wait := range []*waitMap{&recvWait, &sendWait} {
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
			fmt.Printf("[trace] %s waits on %v of fd %d\n", t.name, why, fd)
		}
		wait.add(fd, t)
	}
}

// ioWait sleeps in select() until at least one parked descriptor is ready,
// then moves the tasks waiting on ready descriptors to the ready queue.
func ioWait() {
	r, w := recvWait.fds, sendWait.fds           // select overwrites the sets it is given: give it copies
	n, err := unix.Select(nfd, &r, &w, nil, nil) // nil timeout: wait as long as it takes
	switch {
	case err == unix.EINTR:
		return // a signal arrived: nothing is ready, so run() comes back here
	case err == unix.EBADF:
		dropClosed(&recvWait)
		dropClosed(&sendWait)
		return
	case err != nil:
		log.Fatalf("select: %v", err)
	}
	if trace {
		fmt.Printf("[trace] select: %d ready\n", n)
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

// served and echoed count connections accepted and bytes echoed back, for
// the summary printed at shutdown.
var served, echoed int

// tcpServer opens a listening socket on addr, and returns the task that
// accepts clients and starts handler(fd, address) for each as a new task.
// The socket is opened at once, not in the task as in the lesson, so that a
// bad address is reported before the scheduler starts.
func tcpServer(addr string, handler func(fd int, addr string) iter.Seq2[reason, int]) (iter.Seq2[reason, int], error) {
	sa, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	lfd, err := listen(sa)
	if err != nil {
		return nil, listenError(addr, sa, err)
	}
	if sa, err := unix.Getsockname(lfd); err == nil { // the real port, if addr asked for port 0
		ap := addrPort(sa)
		fmt.Printf("Listening on %s; try: nc %s %d\n", ap, ap.Addr(), ap.Port())
	}
	return func(yield func(reason, int) bool) {
		defer unix.Close(lfd)
		warned := false // said "out of descriptors" once: at the limit, every accept would say it
		for {
			if !yield(Recv, lfd) {
				return
			}
			fd, sa, err := unix.Accept(lfd)
			switch err {
			case nil:
			case unix.EAGAIN, unix.EINTR, unix.ECONNABORTED:
				continue // the client left before we took it, or a signal came: wait again
			case unix.EMFILE, unix.ENFILE:
				// The client stays in the backlog and the socket stays readable:
				// waiting on Recv again would spin at 100% CPU. Wait for a
				// connection to end instead.
				if !warned {
					log.Printf("accept: %v; waiting for a connection to close", err)
					warned = true
				}
				if !yield(Exit, 0) {
					return
				}
				continue
			default:
				log.Printf("accept: %v", err)
				continue
			}
			peer := addrPort(sa).String()
			if fd >= unix.FD_SETSIZE {
				log.Printf("connection from %s refused: descriptor %d is past select's limit, FD_SETSIZE = %d", peer, fd, unix.FD_SETSIZE)
				unix.Close(fd)
				continue
			}
			if err := unix.SetNonblock(fd, true); err != nil {
				log.Printf("connection from %s: %v", peer, err)
				unix.Close(fd)
				continue
			}
			served++
			newTask("echoHandler("+peer+")", handler(fd, peer))
		}
	}, nil
}

// readBuf is where every handler reads. Only one task runs at a time, and
// each copies what it read into its own reply before it yields again, so
// one buffer serves all: an idle connection holds only its last reply, not
// a 1000-byte buffer.
var readBuf [1000]byte

// echoHandler serves one client: it waits on Recv, reads up to 1000 bytes,
// and writes them back after "GOT:", until the client closes. Any error
// ends this client's task only, with one line naming the client.
func echoHandler(fd int, addr string) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		defer func() { // runs however the task ends: client gone, error, or shutdown
			unix.Close(fd)
			if !quiet {
				fmt.Println("Connection closed", addr)
			}
		}()
		if !quiet {
			fmt.Println("Connection from", addr)
		}
		var reply []byte // "GOT:" and the data; it grows to the largest reply, then is reused
		for {
			if !yield(Recv, fd) {
				return
			}
			n, err := unix.Read(fd, readBuf[:])
			if err == unix.EAGAIN {
				continue // woken, but the data is gone: wait again
			}
			if err != nil {
				log.Printf("%s: read: %v", addr, err)
				return
			}
			if n == 0 {
				return // the client closed its end
			}
			reply = append(append(reply[:0], "GOT:"...), readBuf[:n]...)
			// The kernel may take only part of a reply: wait on Send and write
			// the rest, as often as it takes. The lesson ignores what send()
			// returns and so can lose the end of a reply.
			for out := reply; len(out) > 0; {
				if !yield(Send, fd) {
					return
				}
				m, err := unix.Write(fd, out)
				if err == unix.EAGAIN {
					continue
				}
				if err != nil {
					log.Printf("%s: write: %v", addr, err)
					return
				}
				out = out[m:]
			}
			echoed += n
		}
	}
}

// shutdown waits on Recv of the read end of a pipe that a signal goroutine
// writes to, then stops every other task. That is how a signal enters a
// program whose only thread may be asleep in select().
func shutdown(fd int) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		defer unix.Close(fd)
		if !yield(Recv, fd) {
			return
		}
		fmt.Println("Shutting down")
		stopAll()
	}
}

// signalPipe returns the read end of a pipe that gets one byte when SIGINT
// or SIGTERM arrives.
func signalPipe() (int, error) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return 0, fmt.Errorf("pipe: %w", err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, unix.SIGINT, unix.SIGTERM)
	go func() {
		<-sig
		unix.Write(p[1], []byte{0})
	}()
	return p[0], nil
}

// listen creates a non-blocking TCP socket listening on sa.
func listen(sa unix.Sockaddr) (int, error) {
	family := unix.AF_INET
	if _, ok := sa.(*unix.SockaddrInet6); ok {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	// SO_REUSEADDR lets a restarted server bind while old connections
	// linger in TIME_WAIT. SOMAXCONN: the lesson's listen(5) makes a burst
	// of clients wait seconds for the kernel to retry their SYNs.
	err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err == nil {
		err = unix.Bind(fd, sa)
	}
	if err == nil {
		err = unix.Listen(fd, unix.SOMAXCONN)
	}
	if err == nil {
		err = unix.SetNonblock(fd, true) // an accept must never block the one thread
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// parseAddr turns "host:port" into a socket address. The host is an IPv4
// or IPv6 address, "localhost", or empty for every IPv4 interface.
func parseAddr(addr string) (unix.Sockaddr, error) {
	bad := func(why string) error {
		return fmt.Errorf("invalid -addr %q: %s; use host:port, e.g. 127.0.0.1:25000 or [::1]:25000", addr, why)
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, bad("not host:port")
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, bad("the port must be a number from 0 to 65535")
	}
	switch host {
	case "":
		host = "0.0.0.0"
	case "localhost":
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return nil, bad("the host must be an IP address")
	}
	if ip.Is4() || ip.Is4In6() {
		return &unix.SockaddrInet4{Port: int(port), Addr: ip.Unmap().As4()}, nil
	}
	return &unix.SockaddrInet6{Port: int(port), Addr: ip.As16()}, nil
}

// listenError explains why listening failed, and what to try instead.
func listenError(addr string, sa unix.Sockaddr, err error) error {
	ap := addrPort(sa)
	switch err {
	case unix.EADDRINUSE:
		next := netip.AddrPortFrom(ap.Addr(), ap.Port()%65535+1)
		return fmt.Errorf("listen %s: %v; is another server running? Try -addr %s", addr, err, next)
	case unix.EACCES:
		return fmt.Errorf("listen %s: %v; ports below 1024 need privileges. Try -addr %s", addr, err, netip.AddrPortFrom(ap.Addr(), 25000))
	case unix.EADDRNOTAVAIL:
		return fmt.Errorf("listen %s: %v; %s is not an address of this machine. Try -addr 127.0.0.1:%d", addr, err, ap.Addr(), ap.Port())
	}
	return fmt.Errorf("listen %s: %v", addr, err)
}

// addrPort returns the IP address and port of a TCP socket address; its
// String is "127.0.0.1:25000", or "[::1]:25000" for IPv6.
func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:25000", "`host:port` to listen on; :25000 listens on every IPv4 interface")
	flag.BoolVar(&trace, "trace", false, "print a line for each scheduler event")
	flag.BoolVar(&quiet, "quiet", false, "print no line per connection (for load tests)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: step4-server [-addr host:port] [-quiet] [-trace]")
		flag.PrintDefaults()
	}
	flag.Parse()
	log.SetFlags(0)
	if flag.NArg() > 0 {
		log.Printf("unexpected argument %q; give the address as -addr host:port", flag.Arg(0))
		os.Exit(2)
	}
	// The one thread spends its idle time blocked in select. When Go sees a
	// thread blocked in a system call and no idle processor (P) to spare,
	// it hands that thread's P to another thread, which wakes, finds
	// nothing to do and sleeps, and select's return must win a P back:
	// microseconds lost on every wait, on a machine (or a container) with
	// one CPU. A spare P lets Go leave the blocked thread alone.
	runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0)))
	sigfd, err := signalPipe()
	if err != nil {
		log.Fatal(err)
	}
	server, err := tcpServer(*addr, echoHandler)
	if err != nil {
		log.Fatal(err)
	}
	newTask("tcpServer", server)
	newTask("shutdown", shutdown(sigfd))
	run()
	fmt.Printf("Served %d connections, echoed %d bytes\n", served, echoed)
}
