package main

import (
	"bytes"
	"io"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPartialWrites makes the kernel take at most 3 bytes of each reply
// that echoHandler writes, and refuse every other write (EAGAIN), as a
// busy network may. Over loopback it never happens: once select says a
// socket is writable, the kernel takes a whole reply of 1004 bytes or
// less. So the test swaps write, the handler's one way to the kernel.
// Every reply must still arrive whole.
func TestPartialWrites(t *testing.T) {
	calls := 0
	write = func(fd int, p []byte) (int, error) {
		calls++
		if calls%2 == 1 {
			return -1, unix.EAGAIN
		}
		return unix.Write(fd, p[:min(len(p), 3)])
	}
	defer func() { write = unix.Write }()
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
		schedule(t, named{"echoHandler(pair)", echoHandler(fd, "pair")})
		if got, want := <-reply, append([]byte("GOT:"), msg...); !bytes.Equal(got, want) {
			t.Fatalf("sent %d bytes; the reply has %d bytes, want %d: %q", size, len(got), len(want), got[:min(len(got), 20)])
		}
	}
	if calls < 2*(1004/3) {
		t.Fatalf("echoHandler wrote %d times through write: it must write with write, not unix.Write, for this test to mean anything", calls)
	}
}
