// Step 4, made to survive real clients: the lesson's echo server, with
// every fault that step4-server/main.go names fixed, each where it is.
//
// Read step4-server first: this is the same server, file for file.
// `diff step4-server/main.go step4-server/robust/main.go` shows what
// surviving real clients takes in tcpServer and echoHandler, and
// `diff step4-server/scheduler.go step4-server/robust/scheduler.go` the
// scheduler's state moving into a value, and the Exit reason. The rest
// supports them: listen.go (addresses, the listening socket, what to try
// when listening fails), limits.go (what a client sees when the server is
// full), signals.go (Ctrl-C, and stopping gently), output.go (printing
// without ever waiting), select.go (step 3's select, tuned for speed) and
// deque.go (as in step 2). docs/step4-robust.md walks through each fix, and
// `make fault` shows what each prevents.
//
// Run it: go run ./step4-server/robust (the whole folder: `go run main.go`
// alone fails with "undefined: reason"), then: nc 127.0.0.1 25000
package main

import (
	"flag"
	"fmt"
	"iter"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// An echoServer is the state that the lesson keeps in module variables:
// the scheduler, and what tcpServer and the handlers count and share.
type echoServer struct {
	*scheduler
	write   func(fd int, p []byte) (int, error) // unix.Write; a test passes one that takes part of each reply
	closing bool                                // shutting down: accept and read no more (signals.go)
	counts                                      // for the summary (limits.go)
	spare   int                                 // a descriptor held in reserve, or -1 (limits.go)
}

// newEchoServer returns a server with its own scheduler, printing to out.
func newEchoServer(out *output, trace bool) *echoServer {
	return &echoServer{scheduler: newScheduler(out, trace), write: unix.Write, counts: counts{clientErrors: map[string]int{}}, spare: -1}
}

// tcpServer returns the task that accepts clients on the listening socket
// lfd (listen.go) and starts handler(fd, address) for each as a new task.
func (s *echoServer) tcpServer(lfd int, handler func(fd int, addr string) iter.Seq2[reason, int]) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		defer unix.Close(lfd)
		for !s.closing { // at shutdown, accept no more (signals.go)
			if !yield(Recv, lfd) || s.closing { // wait for a client to connect
				return
			}
			client, sa, err := unix.Accept(lfd)
			switch err {
			case nil:
			case unix.EAGAIN, unix.EINTR, unix.ECONNABORTED:
				continue // the client left before we took it, or a signal came: wait again
			case unix.EMFILE, unix.ENFILE:
				// The client stays in the backlog and the socket stays readable:
				// waiting on Recv again would spin. Refuse the client with the
				// spare descriptor (limits.go), or else pause, as below.
				if s.refuseWithSpare(lfd, err) {
					continue
				}
				fallthrough
			default:
				// ENOBUFS, ENOMEM...: the client too stays queued. Stop watching
				// the socket until another task ends (and frees what it held),
				// or 100 ms have passed, then try again.
				s.pause(err)
				if !yield(Exit, 100) {
					return
				}
				continue
			}
			if client >= unix.FD_SETSIZE {
				s.refuse(client, fullSelect) // limits.go
				continue
			}
			addr := addrPort(sa).String()
			if err := unix.SetNonblock(client, true); err != nil { // a read or write must never block the one thread
				s.out.logf("connection from %s: %v", addr, err)
				unix.Close(client)
				continue
			}
			s.accepting()
			s.served++
			s.newTask("echoHandler("+addr+")", handler(client, addr))
		}
	}
}

// echoHandler echoes what client sends, after "GOT:", until it closes.
// Any error ends this client's task only. At shutdown it reads no more,
// and says goodbye once its last reply is written.
func (s *echoServer) echoHandler(client int, address string) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		defer func() { // runs however the task ends: client gone, error, or shutdown
			unix.Close(client)
			s.out.say("Connection closed", address)
		}()
		s.out.say("Connection from", address)
		reply := make([]byte, len("GOT:")+1000) // "GOT:", and the data read in after it: no copy
		copy(reply, "GOT:")
		data := reply[len("GOT:"):]
		for !s.closing { // at shutdown, read no more (signals.go)
			if !yield(Recv, client) || s.closing { // wait until the client sends data
				break
			}
			n, err := unix.Read(client, data)
			if err == unix.EAGAIN {
				continue // woken, but the data is gone: wait again
			}
			if err != nil {
				s.clientError(address, "read", err)
				return
			}
			if n == 0 { // the client closed the connection
				return
			}
			// The kernel may take only part of a reply: wait on Send and write
			// the rest, as often as it takes. The lesson ignores what send()
			// returns, and so can lose the end of a reply.
			for out := reply[:len("GOT:")+n]; len(out) > 0; {
				if !yield(Send, client) { // wait until the client can receive
					return
				}
				m, err := s.write(client, out)
				if err == unix.EAGAIN {
					continue
				}
				if err != nil {
					s.clientError(address, "write", err)
					return
				}
				out = out[m:]
			}
			s.echoed += n
		}
		s.goodbye(yield, client, address, data)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:25000", "`host:port` to listen on; :25000 listens on every IPv4 interface")
	trace := flag.Bool("trace", false, "print a line for each scheduler event")
	quiet := flag.Bool("quiet", false, "print no line per connection or client error, only counts at exit (for load tests)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: step4-server/robust [-addr host:port] [-quiet] [-trace]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "unexpected argument %q; give the address as -addr host:port\n", flag.Arg(0))
		os.Exit(2)
	}
	// Go's runtime opens its poller (two descriptors on Linux) at the first
	// timer, which the garbage collector may set at any time: a server out
	// of descriptors then dies. Have it open them first, while there are some.
	time.AfterFunc(time.Hour, func() {}).Stop()
	spareP() // for speed: see select.go
	lfd, hint, err := listenOn(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sigfd, err := signalPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := newEchoServer(startOutput(os.Stdout, os.Stderr, *quiet, *trace), *trace)
	s.reserve() // a spare descriptor, to refuse clients with when there are none left (limits.go)
	s.out.printf("%s\n", hint)
	s.newTask("tcpServer", s.tcpServer(lfd, s.echoHandler))
	s.newTask("shutdown", s.shutdown(sigfd))
	s.run()
	s.out.stop(time.Second, s.summary()...)
}
