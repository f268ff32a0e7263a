package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSignalsInterruptSelect sends SIGURG, 20 times, to the thread that is
// blocked in select, and sends the client's message only once the thread
// has taken the signal: select has then failed with EINTR, which must be
// retried, not fatal. A signal sent to the process goes to a thread the kernel
// picks, seldom the one in select, so the test finds that thread in /proc
// and sends it the signal with tgkill. The Go runtime has a handler for
// SIGURG (it preempts goroutines with it) and ignores it here.
func TestSignalsInterruptSelect(t *testing.T) {
	switch runtime.GOARCH {
	case "amd64", "arm64", "loong64", "riscv64", "mips64", "mips64le": // where unix.Select calls pselect6
	default:
		t.Skipf("on %s, unix.Select makes a system call that this test does not look for", runtime.GOARCH)
	}
	s := startServer(t, nil)
	pid := s.cmd.Process.Pid
	c := s.dial()
	for i := range 20 {
		tid := threadIn(t, pid, unix.SYS_PSELECT6)
		if err := unix.Tgkill(pid, tid, unix.SIGURG); err != nil {
			t.Fatal(err)
		}
		// Until the thread has taken the signal, data from the client
		// could wake select first, and it would return no error.
		delivered(t, pid, tid, unix.SIGURG)
		if err := echo(c, strconv.Itoa(i)); err != nil {
			t.Fatalf("signal %d to the thread in select, then: %v; %s", i+1, err, s.lastWords())
		}
	}
}

// threadIn returns the thread of process pid that is in system call
// number call. Nothing tells when a thread enters a system call, so it
// looks in /proc every millisecond, within the tests' bound.
func threadIn(t *testing.T, pid, call int) int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/task", pid)
	for start := time.Now(); time.Since(start) < wait; time.Sleep(time.Millisecond) {
		threads, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range threads {
			// The file holds the number of the system call and its
			// arguments, or "running".
			b, err := os.ReadFile(dir + "/" + th.Name() + "/syscall")
			if err != nil {
				t.Skipf("cannot see the server's system calls: %v", err)
			}
			if f := strings.Fields(string(b)); len(f) > 0 && f[0] == strconv.Itoa(call) {
				tid, _ := strconv.Atoi(th.Name())
				return tid
			}
		}
	}
	t.Fatalf("no thread of the server was in system call %d within %v", call, wait)
	return 0
}

// delivered waits until thread tid of process pid has taken signal sig:
// until it is no longer pending (SigPnd in /proc).
func delivered(t *testing.T, pid, tid int, sig unix.Signal) {
	t.Helper()
	status := fmt.Sprintf("/proc/%d/task/%d/status", pid, tid)
	for start := time.Now(); time.Since(start) < wait; time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(status)
		if errors.Is(err, fs.ErrNotExist) {
			return // the thread has ended, the signal with it: the echo that follows says more
		}
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(string(b), "\nSigPnd:")
		hex, _, _ := strings.Cut(rest, "\n")
		pending, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
		if err != nil {
			t.Fatalf("%s: SigPnd: %v", status, err)
		}
		if pending&(1<<(sig-1)) == 0 {
			return
		}
	}
	t.Fatalf("thread %d did not take signal %v within %v", tid, sig, wait)
}
