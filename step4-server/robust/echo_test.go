package main

import (
	"bytes"
	"errors"
	"io"
	"iter"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPartialWrites has the kernel take only part of each reply, as it
// may on a busy network. Over loopback it never does: once select says a
// socket is writable, the kernel takes a whole reply of 1004 bytes or less.
// So the test gives the server a write, the handler's one way to the kernel,
// that hands the kernel at most 3 bytes, and every other time returns
// EAGAIN without calling it. Every reply must still arrive whole, and
// after EAGAIN the handler must wait on Send before it writes again: a
// handler that writes again at once spins, and holds up every client.
func TestPartialWrites(t *testing.T) {
	calls, sends, sendsAtRefusal := 0, 0, -1
	var spun error
	s := testServer()
	s.write = func(fd int, p []byte) (int, error) {
		calls++
		if sends == sendsAtRefusal && spun == nil {
			spun = errors.New("after EAGAIN, echoHandler wrote again without waiting on Send")
		}
		sendsAtRefusal = -1
		if calls%2 == 1 {
			sendsAtRefusal = sends
			return -1, unix.EAGAIN
		}
		return unix.Write(fd, p[:min(len(p), 3)])
	}
	countSends := func(why reason) {
		if why == Send {
			sends++
		}
	}
	for _, size := range []int{1, 4, 1000} {
		fd, client := socketPair(t)
		msg := letters(size)
		if _, err := client.Write(msg); err != nil {
			t.Fatal(err)
		}
		client.CloseWrite() // the handler reads msg, then EOF, and ends
		reply := make(chan []byte, 1)
		go func() { // read while the handler writes: a socket holds only so much
			got, _ := io.ReadAll(client)
			reply <- got
		}()
		schedule(t, s, named{"echoHandler(pair)", watched(s.echoHandler(fd, "pair"), countSends)})
		if got, want := <-reply, append([]byte("GOT:"), msg...); !bytes.Equal(got, want) {
			t.Fatalf("sent %d bytes; the reply has %d bytes, want %d: %q", size, len(got), len(want), got[:min(len(got), 20)])
		}
	}
	if calls < 2*(1004/3) {
		t.Fatalf("echoHandler wrote %d times through write: it must write with write, not unix.Write, for this test to mean anything", calls)
	}
	if spun != nil {
		t.Fatal(spun)
	}
}

// watched runs gen as it is, and calls see with every reason it yields:
// a test can see what a handler waits for.
func watched(gen iter.Seq2[reason, int], see func(reason)) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		for why, fd := range gen {
			see(why)
			if !yield(why, fd) {
				return
			}
		}
	}
}

// TestWokenForNothing wakes echoHandler for data that is gone when it
// reads, as select may: man 2 select warns that a descriptor can be
// reported ready and then block. Here a second descriptor for the same
// socket, numbered lower, lets a thief task take the data first. The
// handler's read then says EAGAIN: it must wait again, and serve the
// client's next message, not end.
func TestWokenForNothing(t *testing.T) {
	low, client := socketPair(t)
	high, err := unix.FcntlInt(uintptr(low), unix.F_DUPFD_CLOEXEC, low+1)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(low)
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	eaten := make(chan struct{})
	thief := func(yield func(reason, int) bool) {
		defer close(eaten)
		if yield(Recv, low) {
			unix.Read(low, make([]byte, 10))
		}
	}
	clientErr := make(chan error, 1)
	go func() {
		<-eaten
		err := echo(client, "Hello")
		client.CloseWrite() // then the handler reads EOF and ends
		clientErr <- err
	}()
	s := testServer()
	logged := schedule(t, s, named{"thief", thief}, named{"echoHandler(pair)", s.echoHandler(high, "pair")})
	if logged != "" {
		t.Fatalf("the handler, woken for data that was gone, said %q", logged)
	}
	if err := <-clientErr; err != nil {
		t.Fatal(err)
	}
}
