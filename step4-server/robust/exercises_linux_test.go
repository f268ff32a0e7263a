//go:build exercises

package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// forbidSelect makes every server this test starts unable to call select:
// the kernel answers it with ENOSYS, and the server stops. A check proves
// with it what the source alone cannot: select is never called. A first
// server shows that the kernel took the filter, and that the server
// serves a client without select; where the kernel takes no filter
// (seccomp is off), the source check stands alone.
func forbidSelect(t *testing.T) {
	t.Helper()
	t.Setenv("STEP_FORBID_SELECT", "1")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cmd := mainCommand(ctx, nil, "-quiet", "-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, _ := bufio.NewReader(out).ReadString('\n')
	fields := strings.Fields(line)
	if len(fields) < 3 || fields[0] != "Listening" {
		missing(t, "the server stopped as soon as the kernel refused it select: does it still call select?")
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "\nSeccomp:\t2\n") {
		t.Logf("the kernel took no seccomp filter: whether the server calls select is checked in its source only")
		os.Unsetenv("STEP_FORBID_SELECT")
		return
	}
	c, err := net.DialTimeout("tcp", strings.TrimSuffix(fields[2], ";"), wait)
	if err == nil {
		defer c.Close()
		c.SetDeadline(time.Now().Add(wait))
		err = echo(c, "x")
	}
	if err != nil {
		missing(t, "with select refused by the kernel, the server serves no client (%v): does it still call select?", err)
	}
}

// init runs first in a server that a check started after forbidSelect,
// before main: it installs a seccomp filter, which the kernel applies to
// every thread of the process and keeps for its whole life.
func init() {
	if os.Getenv("STEP_RUN_MAIN") != "1" || os.Getenv("STEP_FORBID_SELECT") != "1" {
		return
	}
	calls := []uint32{unix.SYS_PSELECT6} // unix.Select on most systems
	if nr, ok := map[string]uint32{"amd64": 23, "386": 142, "arm": 142}[runtime.GOARCH]; ok {
		calls = append(calls, nr) // select, or _newselect, where the system has it
	}
	const ret = unix.BPF_RET | unix.BPF_K
	prog := []unix.SockFilter{{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}} // the system call's number
	for i, nr := range calls {
		prog = append(prog, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: nr, Jt: uint8(len(calls) - i)})
	}
	prog = append(prog,
		unix.SockFilter{Code: ret, K: unix.SECCOMP_RET_ALLOW},
		unix.SockFilter{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)})
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	// Where this fails, the server runs as usual, and forbidSelect sees it.
	if unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == nil {
		unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	}
}

// interruptedWait is TestSignalsInterruptSelect for a server that sleeps
// in another system call, "ppoll" (what unix.Poll calls) or "epoll_wait":
// 20 times, a signal to the thread blocked there, which must retry the
// wait on EINTR, not fail.
func interruptedWait(t *testing.T, name string) {
	t.Helper()
	t.Run("EINTR in "+name, func(t *testing.T) {
		call := unix.SYS_PPOLL
		if name == "epoll_wait" {
			switch runtime.GOARCH { // what unix.EpollWait calls
			case "amd64":
				call = 232 // epoll_wait, which x/sys names only where it is in the system's list
			case "arm64", "riscv64", "loong64":
				call = unix.SYS_EPOLL_PWAIT
			default:
				t.Skipf("on %s, unix.EpollWait makes a system call that this check does not look for", runtime.GOARCH)
			}
		}
		s := startServer(t, nil)
		pid := s.cmd.Process.Pid
		c := s.dial()
		for i := range 20 {
			tid := threadIn(t, pid, call)
			if err := unix.Tgkill(pid, tid, unix.SIGURG); err != nil {
				t.Fatal(err)
			}
			delivered(t, pid, tid, unix.SIGURG)
			if err := echo(c, fmt.Sprint(i)); err != nil {
				missing(t, "after a signal to the thread in %s: %v; %s", name, err, s.lastWords())
			}
		}
	})
}
