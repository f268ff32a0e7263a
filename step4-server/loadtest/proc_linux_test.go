package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCPUTime spends CPU time in this process, 100 ms or more in its own
// code and as much in the kernel (reading /dev/zero), as getrusage counts
// it, and checks that cpuTime, which reads /proc, counts the same: both
// user and system time, in the right unit.
func TestCPUTime(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer zero.Close()
	buf := make([]byte, 1<<20)
	usage := func() (user, sys time.Duration) {
		var r unix.Rusage
		if err := unix.Getrusage(unix.RUSAGE_SELF, &r); err != nil {
			t.Fatal(err)
		}
		return time.Duration(r.Utime.Nano()), time.Duration(r.Stime.Nano())
	}
	const each = 100 * time.Millisecond
	user0, sys0 := usage()
	cpu0 := cpuTime(os.Getpid())
	begin := time.Now()
	sum := 0
	for user, _ := usage(); user-user0 < each; user, _ = usage() {
		for i := range 100_000 {
			sum += i ^ sum>>3
		}
	}
	for _, sys := usage(); sys-sys0 < each; _, sys = usage() {
		if _, err := zero.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	got := cpuTime(os.Getpid()) - cpu0
	wall := time.Since(begin)
	user1, sys1 := usage()
	used := user1 - user0 + sys1 - sys0
	// /proc counts in clock ticks (10 ms): two readings may each lose one,
	// of user time and of system time.
	const tick = 10 * time.Millisecond
	t.Logf("cpuTime %v, getrusage %v (%v user, %v system), in %v", got, used, user1-user0, sys1-sys0, wall)
	if got < used-4*tick || got > used+4*tick || got > wall+4*tick {
		t.Errorf("cpuTime counts %v; getrusage counts %v (%v user, %v system) in %v", got, used, user1-user0, sys1-sys0, wall)
	}
	runtime.KeepAlive(sum)
}

// TestPinnedServer starts a server pinned, as the driver does with two CPUs
// or more: the server may run on CPU 0 only, the driver's CPU 1 left to it.
func TestPinnedServer(t *testing.T) {
	var mine unix.CPUSet
	if err := unix.SchedGetaffinity(0, &mine); err != nil || !mine.IsSet(0) || !mine.IsSet(1) {
		t.Skipf("this test may not run on CPUs 0 and 1 (%d CPUs, error %v): the driver would not pin", runtime.NumCPU(), err)
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("no taskset: the driver would not pin (Debian: apt-get install util-linux)")
	}
	p, err := start(server{"netserver", build(t.TempDir(), "./netserver") + " -addr 127.0.0.1:{port}"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)) // sh and taskset exec the server: one process
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(status), "\n")
	if !slices.Contains(lines, "Name:\tnetserver") || !slices.Contains(lines, "Cpus_allowed_list:\t0") {
		shown := slices.DeleteFunc(lines, func(l string) bool {
			return !strings.HasPrefix(l, "Name:") && !strings.HasPrefix(l, "Cpus_allowed_list:")
		})
		t.Errorf("the pinned server's /proc/PID/status says %q; want netserver, with Cpus_allowed_list: 0", shown)
	}
}
