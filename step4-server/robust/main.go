// Step 4: the lesson's echo server, on step 3's scheduler.
//
// tcpServer is a task that waits on Recv of a listening socket and starts an
// echoHandler task for every client it accepts. echoHandler waits on Recv,
// reads up to 1000 bytes, waits on Send and writes them back after "GOT:".
// One thread serves every client: while one task waits, the others run.
//
// Read this file first, beside the lesson's server.py. Then scheduler.go:
// `diff step3-io-wait/scheduler.go step4-server/scheduler.go` shows all that
// a server needs from step 3's scheduler. The rest supports them: listen.go
// (addresses, the listening socket, what to try when listening fails),
// limits.go (what a client sees when the server is full), signals.go
// (Ctrl-C, and stopping gently), output.go (printing without ever waiting),
// select.go (step 3's select, tuned for speed) and deque.go (as in step 2).
//
// Unlike the lesson's server.py, this one holds up against real clients:
//   - a reply is written in full even when the kernel takes only part of it;
//   - a reset or broken connection ends that client's task, not the server;
//   - past select's limit (FD_SETSIZE, 1024) or out of descriptors, a new
//     client is told "server full" and closed, not left waiting (limits.go);
//   - a task that panics or misbehaves is stopped, and the others go on
//     (scheduler.go); EINTR is retried and a closed descriptor dropped (select.go);
//   - it listens on 127.0.0.1 with the largest backlog, not 5 (listen.go);
//   - a stdout or stderr that nobody reads cannot stop it (output.go);
//   - Ctrl-C or SIGTERM stops it gently: every client gets the replies to
//     what was read, then EOF; a second Ctrl-C stops it at once (signals.go).
//
// Run it: go run ./step4-server (the whole folder: `go run main.go` alone fails
// with "undefined: reason"), then, in another terminal: nc 127.0.0.1 25000
package main

import (
	"flag"
	"fmt"
	"iter"
	"log"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

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
	// A spare descriptor, to refuse clients with when there are none left
	// (limits.go).
	reserve()
	if sa, err := unix.Getsockname(lfd); err == nil { // the real port, if addr asked for port 0
		ap := addrPort(sa)
		fmt.Printf("Listening on %s; try: nc %s %d\n", ap, reachable(ap.Addr()), ap.Port())
	}
	return func(yield func(reason, int) bool) {
		defer unix.Close(lfd)
		for reading(yield, lfd) {
			fd, sa, err := unix.Accept(lfd)
			switch err {
			case nil:
			case unix.EAGAIN, unix.EINTR, unix.ECONNABORTED:
				continue // the client left before we took it, or a signal came: wait again
			case unix.EMFILE, unix.ENFILE:
				// The client stays in the backlog and the socket stays readable:
				// waiting on Recv again would spin at 100% CPU. Refuse the client
				// with the spare descriptor or, with none, wait for a connection
				// to end.
				if !refuseWithSpare(lfd, err) && !yield(Exit, 0) {
					return
				}
				continue
			default:
				log.Printf("accept: %v", err)
				continue
			}
			if fd >= unix.FD_SETSIZE {
				refuse(fd, fullSelect)
				continue
			}
			peer := addrPort(sa).String()
			if err := unix.SetNonblock(fd, true); err != nil {
				log.Printf("connection from %s: %v", peer, err)
				unix.Close(fd)
				continue
			}
			accepting()
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

var write = unix.Write // a test swaps it: loopback never takes part of a reply

// echoHandler serves one client: it waits on Recv, reads up to 1000 bytes,
// and writes them back after "GOT:", until the client closes. Any error
// ends this client's task only. At shutdown it reads no more, and says
// goodbye once its last reply is written.
func echoHandler(fd int, addr string) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		defer func() { // runs however the task ends: client gone, error, or shutdown
			unix.Close(fd)
			say("Connection closed", addr)
		}()
		say("Connection from", addr)
		var reply []byte // "GOT:" and the data; it grows to the largest reply, then is reused
		for reading(yield, fd) {
			n, err := unix.Read(fd, readBuf[:])
			if err == unix.EAGAIN {
				continue // woken, but the data is gone: wait again
			}
			if err != nil {
				clientError(addr, "read", err)
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
				m, err := write(fd, out)
				if err == unix.EAGAIN {
					continue
				}
				if err != nil {
					clientError(addr, "write", err)
					return
				}
				out = out[m:]
			}
			echoed += n
		}
		goodbye(yield, fd, addr)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:25000", "`host:port` to listen on; :25000 listens on every IPv4 interface")
	flag.BoolVar(&trace, "trace", false, "print a line for each scheduler event")
	flag.BoolVar(&quiet, "quiet", false, "print no line per connection or client error, only counts at exit (for load tests)")
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
	spareP() // for speed: see select.go
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
	startOutput()
	run()
	stopOutput(time.Second, summary()...)
}
