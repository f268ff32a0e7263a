package main

import (
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSelectRetriesEINTR runs the scheduler with a task that waits on an
// empty pipe, sends SIGURG to the thread blocked in select, and writes to
// the pipe only once that thread has taken the signal: select has failed
// with EINTR by then, and must have been called again. (The Go runtime has
// a handler for SIGURG, which it uses to preempt goroutines.)
func TestSelectRetriesEINTR(t *testing.T) {
	switch runtime.GOARCH {
	case "amd64", "arm64", "loong64", "riscv64", "mips64", "mips64le": // where unix.Select calls pselect6
	default:
		t.Skipf("on %s, unix.Select makes a system call that this test does not look for", runtime.GOARCH)
	}
	r, w := pipe(t)
	rounds := 0
	signalled := make(chan error, 1)
	go func() {
		err := interruptSelect(os.Getpid())
		if err == nil {
			_, err = unix.Write(w, []byte("abc"))
		}
		signalled <- err
	}()
	schedule(t, map[string]iter.Seq2[reason, int]{"good": goodTask(r, &rounds)})
	if err := <-signalled; err != nil {
		t.Fatal(err)
	}
	if rounds != 3 {
		t.Errorf("the task ran %d rounds, want 3", rounds)
	}
}

// interruptSelect finds the thread of process pid that is blocked in
// select, sends it SIGURG, and waits until it has taken the signal. Nothing
// tells when a thread enters a system call or takes a signal, so it looks
// in /proc every millisecond, within 30 seconds.
func interruptSelect(pid int) error {
	dir := fmt.Sprintf("/proc/%d/task/", pid)
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(time.Millisecond) {
		threads, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, th := range threads {
			b, err := os.ReadFile(dir + th.Name() + "/syscall") // the call's number and arguments, or "running"
			if err != nil {
				return err
			}
			if f := strings.Fields(string(b)); len(f) == 0 || f[0] != strconv.Itoa(unix.SYS_PSELECT6) {
				continue
			}
			tid, _ := strconv.Atoi(th.Name())
			if err := unix.Tgkill(pid, tid, unix.SIGURG); err != nil {
				return err
			}
			for time.Since(start) < 30*time.Second {
				status, err := os.ReadFile(dir + th.Name() + "/status")
				if errors.Is(err, fs.ErrNotExist) {
					return nil // the thread has ended, and the signal with it
				}
				if err != nil {
					return err
				}
				_, rest, _ := strings.Cut(string(status), "\nSigPnd:")
				hex, _, _ := strings.Cut(rest, "\n")
				pending, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
				if err != nil {
					return fmt.Errorf("SigPnd: %v", err)
				}
				if pending&(1<<(unix.SIGURG-1)) == 0 {
					return nil
				}
				time.Sleep(time.Millisecond)
			}
		}
	}
	return errors.New("no thread was blocked in select, or took the signal, within 30s")
}
