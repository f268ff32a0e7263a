package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
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

// TestShutdownGrace stops the server with SIGTERM while its reply to one
// client cannot be written (the client never reads, and the handler is
// blocked on Send), and another client reads its EOF but never closes.
// The server must not wait for them longer than its grace of a second:
// it stops the handler where it waits, on Send, and exits 0 within 3 s.
func TestShutdownGrace(t *testing.T) {
	s := startServer(t, []string{quickExit()}, "-trace")
	idle := s.dial()
	if err := echo(idle, "hi"); err != nil {
		t.Fatal(err)
	}
	stuck := narrowClient(t, s.addr)
	defer stuck.Close()
	handler := blockOnSend(t, s, stuck, idle, true)
	s.signal(syscall.SIGTERM)
	if _, err := io.ReadAll(idle); err != nil {
		t.Fatalf("the idle client: %v, want EOF", err)
	}
	s.exitsWithin(3*time.Second, "SIGTERM")
	for line := range s.stdout {
		s.seen = append(s.seen, line)
	}
	if waited := lastWait(s.seen, handler); waited != "stopped on Send" {
		t.Errorf("the handler of the client that never reads: %s, want stopped on Send", waited)
	}
}

// TestShutdownWhileWriting: a client that sent its last message, then
// stopped reading for a while, so that the server waits on Send to write
// the reply when Ctrl-C comes. Then the client reads, as nc does, to EOF,
// and closes. The server must write the reply in full, then EOF at once,
// since it reads no more: not after waiting for its grace to run out.
func TestShutdownWhileWriting(t *testing.T) {
	s := startServer(t, nil, "-trace")
	probe := s.dial()
	if err := echo(probe, "hi"); err != nil {
		t.Fatal(err)
	}
	c := narrowClient(t, s.addr)
	defer c.Close()
	handler := blockOnSend(t, s, c, probe, false)
	before := len(s.seen) // the lines up to here
	s.signal(os.Interrupt)
	s.expect(s.stdout, "Shutting down")
	if waited := lastWait(s.seen[before:], handler); waited != "" {
		t.Fatalf("between the signal and shutdown, the handler %s: it must wait on Send as the signal comes", waited)
	}
	start := time.Now()
	var tr transfer
	tr.receive(c, 16<<10, nil) // to EOF, then close
	took := time.Since(start)
	if tr.readErr != io.EOF {
		t.Fatalf("after %d bytes and %v: %v, want EOF", tr.got, took, tr.readErr)
	}
	if _, err := io.ReadAll(probe); err != nil {
		t.Fatalf("the other client: %v, want EOF", err)
	}
	probe.Close()
	if err := s.wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	for line := range s.stdout {
		s.seen = append(s.seen, line)
	}
	if waited := lastWait(s.seen, handler); waited != "ended" {
		t.Errorf("the client read its reply and EOF in %v; its handler %s, want it ended by itself: it waited for its grace to run out", took, waited)
	}
}

// The trace lines that blockOnSend and lastWait read.
var (
	traceStop  = regexp.MustCompile(`^\[trace\] stop (\S+)$`)
	traceEnded = regexp.MustCompile(`^Connection closed (\S+)$`)
)

// blockOnSend sends from c, a narrowClient that does not read, 1000 bytes
// at a time, each once the server has echoed the one before, until the
// server's handler of c is blocked on Send: it cannot write its reply until
// c reads. It returns the handler's name. The server runs with -trace,
// which tells how far the handler is: it waits on Recv once it has echoed,
// and on Send before each write. Whenever it waits on Send, probe, another
// client already served, sends a byte: if the select that wakes probe's
// handler does not wake c's too, nor did one before it, c's socket was not
// writable. The handler has then read all that c sent: it is blocked on the
// reply to c's last message.
//
// With settle, it goes on until the handler is blocked for good. The kernel
// probes a closed window after 200 ms, then 400 ms more, and may grow the
// server's send buffer with the answer (Linux does, once, with its default
// congestion control): the handler wakes, and writes more. So once blocked,
// the handler is given a second for that; if it wakes, it is blocked again
// as before, and then the buffer has grown.
func blockOnSend(t *testing.T, s *server, c, probe net.Conn, settle bool) string {
	t.Helper()
	handler := "echoHandler(" + c.LocalAddr().String() + ")"
	prober := "echoHandler(" + probe.LocalAddr().String() + ")"
	waits := ""                    // what the handler waits on, or "" while it runs
	probing, woken := false, false // a probe is on its way; a select woke the handler since it was sent
	var settling <-chan time.Time  // after a block, while the kernel may grow the buffer
	timeout := time.After(wait)
	sent := 0
	next := func() { // the next message, or a probe, as the handler waits
		switch {
		case waits == "Recv" && sent >= 1<<20:
			t.Fatalf("sent %d bytes, and the server is not yet blocked on Send", sent)
		case waits == "Recv":
			if _, err := c.Write(patterned(sent, 1000)); err != nil {
				t.Fatal(err)
			}
			sent += 1000
		case waits == "Send":
			if _, err := probe.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
			probing, woken = true, false
		}
	}
	for {
		var line string
		select {
		case line = <-s.stdout:
			s.seen = append(s.seen, line)
		case <-settling:
			return handler // still blocked: the buffer did not grow
		case <-timeout:
			t.Fatalf("the handler was not blocked on Send within %v", wait)
		}
		if m := traceWait.FindStringSubmatch(line); m != nil && m[1] == handler {
			waits = m[2]
			if !probing {
				next()
			}
		} else if m := traceSelect.FindStringSubmatch(line); m != nil {
			woke := strings.Split(m[2], ", ")
			if slices.Contains(woke, handler) {
				waits, woken = "", true
				if settling != nil {
					settle, settling = false, nil // the buffer grew: block it again
				}
			}
			if probing && slices.Contains(woke, prober) {
				if _, err := io.ReadFull(probe, make([]byte, len("GOT:x"))); err != nil {
					t.Fatal(err)
				}
				probing = false
				switch {
				case waits == "Send" && !woken && !settle:
					return handler
				case waits == "Send" && !woken:
					settling = time.After(time.Second) // a window to measure in, not a wait for an event
				default:
					next()
				}
			}
		}
	}
}

// lastWait says how task, a handler, ends in output, a trace: "ended" by
// itself, "stopped on Send" or Recv where it waited last, or still
// "waits on" Send or Recv. If a select woke it and it did not wait again,
// it says "woke"; with no line about it, "".
func lastWait(output []string, task string) string {
	last := ""
	for _, line := range output {
		if m := traceWait.FindStringSubmatch(line); m != nil && m[1] == task {
			last = "waits on " + m[2]
		} else if m := traceSelect.FindStringSubmatch(line); m != nil && slices.Contains(strings.Split(m[2], ", "), task) {
			last = "woke"
		} else if m := traceStop.FindStringSubmatch(line); m != nil && m[1] == task {
			return strings.Replace(last, "waits on", "stopped on", 1)
		} else if m := traceEnded.FindStringSubmatch(line); m != nil && "echoHandler("+m[1]+")" == task {
			return "ended"
		}
	}
	return last
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
// can write only that much ahead of what the client reads, and what its
// own send buffer holds.
func smallBuffer(t *testing.T, addr string) net.Conn {
	return dialWith(t, addr, map[[2]int]int{{unix.SOL_SOCKET, unix.SO_RCVBUF}: 4096})
}

// narrowClient is smallBuffer, with TCP segments of 1000 bytes: the kernel
// sizes the server's send buffer by the segment, and on loopback, whose
// segments are 64 KiB, it would hold megabytes. So the server can write
// only some tens of kilobytes ahead of what this client reads.
func narrowClient(t *testing.T, addr string) net.Conn {
	return dialWith(t, addr, map[[2]int]int{{unix.SOL_SOCKET, unix.SO_RCVBUF}: 4096, {unix.IPPROTO_TCP, unix.TCP_MAXSEG}: 1000})
}

// dialWith connects to addr with the socket options opts (level and name:
// value) set before it connects.
func dialWith(t *testing.T, addr string, opts map[[2]int]int) net.Conn {
	d := net.Dialer{Timeout: wait, Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) {
			for opt, v := range opts {
				if err == nil {
					err = unix.SetsockoptInt(int(fd), opt[0], opt[1], v)
				}
			}
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
