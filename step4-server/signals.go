package main

import (
	"fmt"
	"iter"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// shutdown waits on Recv of the read end of a pipe that a signal goroutine
// writes to, then stops every other task. That is how a signal enters a
// program whose only thread may be asleep in select().
func shutdown(fd int) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		defer unix.Close(fd)
		if !yield(Recv, fd) {
			return
		}
		stdout.Println("Shutting down")
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
