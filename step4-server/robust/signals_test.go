package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The clients of these tests send data made by pattern, and receive checks
// that every byte of the replies is part of a "GOT:" or the next byte sent.

// pattern is the byte at offset i of a client's data: lowercase letters
// only, so the "GOT:" of a reply can never be taken for data.
func pattern(i int) byte { return 'a' + byte(i%26) }

// patterned returns n bytes of pattern, from offset at.
func patterned(at, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = pattern(at + i)
	}
	return b
}

// A transfer is how a client's connection ended.
type transfer struct {
	got      int   // data bytes received, the "GOT:" prefixes left out
	readErr  error // how reading ended: io.EOF is a clean end
	writeErr error // a write that failed, unless after our own Close
}

// receive reads replies on c, size bytes at a time, until the server ends
// the connection, and then closes c, as nc does. progress, unless nil, is
// told the data received so far after every read.
func (tr *transfer) receive(c net.Conn, size int, progress func(got int)) {
	defer c.Close()
	buf := make([]byte, size)
	prefix := 0 // how much of "GOT:" has been read, where a reply starts
	for {
		n, err := c.Read(buf)
		for _, b := range buf[:n] {
			switch {
			case b == "GOT:"[prefix]:
				prefix = (prefix + 1) % 4
			case prefix == 0 && b == pattern(tr.got):
				tr.got++
			default:
				tr.readErr = fmt.Errorf("byte %q after %d bytes of data, not the data sent", b, tr.got)
				return
			}
		}
		if progress != nil {
			progress(tr.got)
		}
		if err != nil {
			tr.readErr = err
			return
		}
	}
}

// write sends data on c, and notes how writing failed.
func (tr *transfer) write(c net.Conn, data []byte) bool {
	_, err := c.Write(data)
	if err != nil && !errors.Is(err, net.ErrClosed) { // not our own Close
		tr.writeErr = err
	}
	return err == nil
}

// stream is a client in the middle of a transfer: it writes 1000-byte
// chunks and reads the replies at the same time, with up to four chunks
// on their way (more, and a loaded test could not read them all within
// the server's grace). first is called at the first reply.
func stream(c net.Conn, first func()) *transfer {
	tr := &transfer{}
	credit := make(chan struct{}, 4) // a chunk may be sent for each
	for range cap(credit) {
		credit <- struct{}{}
	}
	finished := make(chan struct{})
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		for sent := 0; ; sent += 1000 {
			select {
			case <-credit:
			case <-finished:
				return
			}
			if !tr.write(c, patterned(sent, 1000)) {
				return
			}
		}
	}()
	credited := 0
	tr.receive(c, 16<<10, func(got int) {
		for ; credited < got/1000; credited++ {
			credit <- struct{}{}
		}
		if first != nil {
			first()
			first = nil
		}
	})
	close(finished)
	writer.Wait()
	return tr
}

// TestGracefulShutdown stops the server with SIGINT while 500 clients are
// in the middle of a transfer, beside a slow one that reads 100 bytes at a
// time through a small buffer, so that the server is likely waiting to
// write its reply. After the signal, each must receive whole replies, then
// EOF, and no reset, which would destroy replies still on their way. The
// server must count as echoed exactly the bytes the clients received.
func TestGracefulShutdown(t *testing.T) {
	needFiles(t, 1200)
	s := startServer(t, nil, "-quiet")
	slow := &transfer{}
	var done sync.WaitGroup
	done.Add(1)
	go func() {
		defer done.Done()
		c := smallBuffer(t, s.addr)
		if c == nil {
			return
		}
		go slow.write(c, patterned(0, 1<<20))
		slow.receive(c, 100, nil)
	}()
	conns := make([]net.Conn, 500)
	for i := range conns { // connect all first: 500 streams slow down connecting
		conns[i] = s.dial()
	}
	streams := make([]*transfer, len(conns))
	var replied sync.WaitGroup
	replied.Add(len(conns))
	done.Add(len(conns))
	for i, c := range conns {
		go func() {
			defer done.Done()
			streams[i] = stream(c, replied.Done)
		}()
	}
	replied.Wait() // every client is mid-transfer
	s.signal(os.Interrupt)
	if err := s.wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	done.Wait() // each connection has a deadline: this wait is bounded
	total, bad := 0, 0
	for i, tr := range append(streams, slow) {
		total += tr.got
		if tr.readErr != io.EOF || tr.writeErr != nil {
			if bad++; bad <= 3 {
				t.Errorf("client %d: reading ended with %v after %d bytes, writing with %v", i, tr.readErr, tr.got, tr.writeErr)
			}
		}
	}
	if bad > 3 {
		t.Errorf("and %d clients more", bad-3)
	}
	if line, want := s.expect(s.stdout, "Served"), fmt.Sprintf("Served 501 connections, echoed %d bytes", total); line != want {
		t.Errorf("summary %q, want %q: the clients received %d bytes", line, want, total)
	}
}

// TestShutdownGrace stops the server while one client never reads (its
// reply cannot be written) and another reads its EOF but never closes.
// The server must not wait for them for more than its grace.
func TestShutdownGrace(t *testing.T) {
	s := startServer(t, nil, "-quiet")
	stuck, idle := s.dial(), s.dial()
	for _, c := range []net.Conn{stuck, idle} { // both accepted and served
		if err := echo(c, "hi"); err != nil {
			t.Fatal(err)
		}
	}
	go io.Copy(stuck, zeros{}) // until the server stops reading, and past
	s.signal(syscall.SIGTERM)
	if _, err := io.ReadAll(idle); err != nil {
		t.Fatalf("the idle client: %v, want EOF", err)
	}
	// The grace is a second; the rest allows for a loaded machine and the
	// race detector, which waits a second at exit.
	select {
	case err := <-s.exited:
		s.exited <- err // for the cleanup
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server still runs 10s after SIGTERM")
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestSecondSignal: while the server waits for a client that never reads,
// a second Ctrl-C ends it at once, with status 130, as a shell reports a
// process killed by SIGINT. The first one started a grace of a second;
// should the test be too slow to send the second within it, it tries
// again.
func TestSecondSignal(t *testing.T) {
	for try := 1; ; try++ {
		s := startServer(t, nil, "-quiet")
		c := s.dial()
		if err := echo(c, "hi"); err != nil { // accepted and served
			t.Fatal(err)
		}
		go io.Copy(c, zeros{})
		s.signal(os.Interrupt)
		s.expect(s.stdout, "Shutting down")
		s.signal(os.Interrupt)
		err := s.wait()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 130 {
			return
		}
		if err == nil && try < 3 {
			continue // the grace ran out first
		}
		t.Fatalf("after two Ctrl-C: %v, want exit status 130", err)
	}
}

// smallBuffer connects to addr with a receive buffer of 4 KiB: the server
// can write only that much ahead of what the client reads.
func smallBuffer(t *testing.T, addr string) net.Conn {
	d := net.Dialer{Timeout: wait, Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
		})
		return err
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return nil
	}
	c.SetDeadline(time.Now().Add(wait))
	return c
}
