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
// Read this file first: the two tasks and the program. Then scheduler.go,
// the scheduler (`diff step2-scheduler/scheduler.go step3-io-wait/scheduler.go`
// shows what waiting for I/O adds), and deque.go, the queue, as in step 2.
//
// Run it: go run ./step3-io-wait   (add -trace to watch the scheduler)
// The step is the whole folder: `go run main.go` alone fails with
// "undefined: newTask".
package main

import (
	"bytes"
	"flag"
	"fmt"
	"iter"
	"log"
	"os"

	"golang.org/x/sys/unix"
)

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
	on := flag.Bool("trace", false, "print a line for each scheduler event")
	flag.Parse()
	if *on {
		trace = os.Stdout
	}
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
