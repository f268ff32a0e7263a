package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCtrlCThroughMake runs the server the way the README says, with
// `make robust`, and stops it the way a terminal does on Ctrl-C: SIGINT to
// the whole foreground process group, make and its shell included. The
// server must print its summary and exit 0, so make reports no error. (A
// target that used `go run` would fail: go run exits 1 when it gets SIGINT,
// whatever the program does.)
func TestCtrlCThroughMake(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make here to run the Makefile's step4 target")
	}
	cmd := exec.Command("make", "robust", "ARGS=-addr 127.0.0.1:0")
	cmd.Dir = "../.." // the repository's root
	for _, kv := range os.Environ() {
		// Run as a learner's make, not as a sub-make of `make test`.
		if name, _, _ := strings.Cut(kv, "="); name != "MAKEFLAGS" && name != "MFLAGS" && name != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a group of its own, like a job in a terminal
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	group := cmd.Process.Pid
	lines := make(chan string, 100)
	go func() {
		defer close(lines) // at EOF: make, its shell and the server have all closed the pipe
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	ended := false // whether every process of the group has closed the pipe
	defer func() {
		if !ended {
			syscall.Kill(-group, syscall.SIGKILL)
		}
		if cmd.ProcessState == nil {
			cmd.Wait()
		}
	}()

	// The first run in a fresh clone compiles golang.org/x/sys: allow for it.
	var seen []string
	timeout := time.After(4 * wait)
	for !strings.HasPrefix(last(seen), "Listening on ") {
		select {
		case line, ok := <-lines:
			if !ok {
				ended = true
				t.Fatalf("make robust ended before the server listened:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, line)
		case <-timeout:
			t.Fatalf("no Listening line within %v:\n%s", 4*wait, strings.Join(seen, "\n"))
		}
	}
	addr := strings.TrimSuffix(strings.Fields(last(seen))[2], ";")
	c := (&server{t: t, addr: addr}).dial()
	if err := echo(c, "Hello\n"); err != nil {
		t.Fatal(err)
	}

	if err := syscall.Kill(-group, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	timeout = time.After(wait)
	for !ended {
		select {
		case line, ok := <-lines:
			if !ok {
				ended = true
				break
			}
			seen = append(seen, line)
		case <-timeout:
			t.Fatalf("still running %v after SIGINT:\n%s", wait, strings.Join(seen, "\n"))
		}
	}
	out := strings.Join(seen, "\n")
	if !strings.Contains(out, "\nServed 1 connection, echoed 6 bytes") {
		t.Errorf("no summary from the server:\n%s", out)
	}
	// make reports a recipe that fails, or is killed, on a line with "***".
	if strings.Contains(out, "***") {
		t.Errorf("make reported an error:\n%s", out)
	}
	// GNU make, once its recipe has ended, re-raises SIGINT on itself, so
	// its own status is "killed by SIGINT", which a shell does not report;
	// any other status is an error.
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && !(ws.Exited() && ws.ExitStatus() == 0) && !(ws.Signaled() && ws.Signal() == syscall.SIGINT) {
		t.Errorf("make ended with %v:\n%s", cmd.ProcessState, out)
	}
}

// last returns the last of lines, or "".
func last(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return lines[len(lines)-1]
}
