package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestMain lets a test run this program's main in a child process: the test
// binary runs itself again with STEP_RUN_MAIN=1. STEP_NOFILE, if set, lowers
// the child's descriptor limit first (Go raises it to the maximum at start).
func TestMain(m *testing.M) {
	if os.Getenv("STEP_RUN_MAIN") == "1" {
		if n, err := strconv.Atoi(os.Getenv("STEP_NOFILE")); err == nil {
			var lim unix.Rlimit
			setTo(&lim.Cur, n)
			setTo(&lim.Max, n)
			if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
				log.Fatal(err)
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// setTo sets an rlimit field, which is uint64 on some systems and int64 on
// others.
func setTo[T int64 | uint64](field *T, n int) { *field = T(n) }

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the program's output")

// wait bounds every wait in these tests: long enough for a loaded 2-core
// machine, short enough that a hang fails the test instead of CI.
const wait = 30 * time.Second

// server is the step 4 program running in a child process.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string      // where it listens
	stdout chan string // its output, a line at a time
	stderr chan string
	exited chan error // gets cmd.Wait's result
	seen   []string   // the lines expect has read, in order
}

// startServer runs main with args (and env, e.g. STEP_NOFILE=64) and waits
// until it listens, on 127.0.0.1 and a free port unless args say -addr.
func startServer(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	if !strings.Contains(strings.Join(args, " "), "-addr") {
		args = append(args, "-addr", "127.0.0.1:0")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "STEP_RUN_MAIN=1"), env...)
	s := &server{t: t, cmd: cmd, stdout: make(chan string, 1<<16), stderr: make(chan string, 1<<16), exited: make(chan error, 1)}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	for pipe, lines := range map[io.Reader]chan string{outPipe: s.stdout, errPipe: s.stderr} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			defer close(lines)
			sc := bufio.NewScanner(pipe)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
	}
	go func() {
		readers.Wait() // Wait closes the pipes: read them to the end first
		s.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.exited
	})
	line := s.expect(s.stdout, "Listening on ")
	s.addr = strings.TrimSuffix(strings.Fields(line)[2], ";")
	return s
}

// expect reads lines until one starts with prefix, and returns it.
func (s *server) expect(lines chan string, prefix string) string {
	s.t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				s.t.Fatalf("server output ended before a line starting %q; it said %q", prefix, s.seen)
			}
			s.seen = append(s.seen, line)
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			s.t.Fatalf("no line starting %q within %v", prefix, wait)
		}
	}
}

// dial connects to the server; the connection closes when the test ends.
func (s *server) dial() net.Conn {
	s.t.Helper()
	c, err := net.DialTimeout("tcp", s.addr, wait)
	if err != nil {
		s.t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(wait))
	s.t.Cleanup(func() { c.Close() })
	return c
}

// stop sends sig to the server and returns its exit error once it is gone.
func (s *server) stop(sig os.Signal) error {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		s.exited <- err // for the cleanup
		return err
	case <-time.After(wait):
		s.t.Fatalf("server still running %v after %v", wait, sig)
		return nil
	}
}

// echo sends msg on c and checks that exactly "GOT:" + msg comes back.
func echo(c io.ReadWriter, msg string) error {
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	got := make([]byte, len("GOT:")+len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("reading reply to %q: %w", msg, err)
	}
	if string(got) != "GOT:"+msg {
		return fmt.Errorf("sent %q, got %q", msg, got)
	}
	return nil
}

// TestHello is the lesson's own try: nc, Hello, GOT:Hello.
func TestHello(t *testing.T) {
	s := startServer(t, nil)
	c := s.dial()
	if err := echo(c, "Hello\n"); err != nil {
		t.Fatal(err)
	}
	s.expect(s.stdout, "Connection from 127.0.0.1:")
	c.Close()
	s.expect(s.stdout, "Connection closed 127.0.0.1:")
	s.expect(s.stdout, "Task done")
}

// TestClientsTakeTurns has 50 clients talk at the same time: their
// messages interleave in the one thread, and each gets exactly its own
// replies. A handler that blocked the thread, or read into another's
// buffer, would fail it.
func TestClientsTakeTurns(t *testing.T) {
	s := startServer(t, nil)
	errs := make(chan error, 50)
	for i := range 50 {
		c := s.dial()
		go func() {
			for j := range 20 {
				if err := echo(c, fmt.Sprintf("client %d message %d, %s\n", i, j, strings.Repeat("x", i*17))); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 50 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestAResetEndsOnlyItsClient resets one connection (SO_LINGER 0): its
// handler says so in one line and ends; another client is still served.
func TestAResetEndsOnlyItsClient(t *testing.T) {
	s := startServer(t, nil)
	bad := s.dial().(*net.TCPConn)
	if err := echo(bad, "about to reset\n"); err != nil {
		t.Fatal(err)
	}
	bad.SetLinger(0) // close sends a reset, not a FIN
	bad.Close()
	if line := s.expect(s.stderr, "127.0.0.1:"); !strings.Contains(line, "connection reset by peer") {
		t.Errorf("the reset was reported as %q", line)
	}
	if err := echo(s.dial(), "still here\n"); err != nil {
		t.Fatal(err)
	}
}

// TestCtrlC stops the server with SIGINT, then SIGTERM: exit 0 each time.
func TestCtrlC(t *testing.T) {
	for _, sig := range []os.Signal{unix.SIGINT, unix.SIGTERM} {
		s := startServer(t, nil)
		if err := echo(s.dial(), "Hello\n"); err != nil {
			t.Fatal(err)
		}
		if err := s.stop(sig); err != nil {
			t.Errorf("after %v: %v, want exit status 0", sig, err)
		}
	}
}

// TestBadCommandLines gives an address the server cannot use, or an
// extra argument: one line says what is wrong, and the exit status is 1.
func TestBadCommandLines(t *testing.T) {
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, args := range [][]string{
		{"-addr", "localhost:25000"},
		{"-addr", "[::1]:25000"},
		{"-addr", "127.0.0.1"},
		{"-addr", "127.0.0.1:0", "extra"},
		{"-addr", busy.Addr().String()},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		cmd := exec.CommandContext(ctx, os.Args[0], args...)
		cmd.Env = append(os.Environ(), "STEP_RUN_MAIN=1")
		out, err := cmd.CombinedOutput()
		cancel()
		if code := cmd.ProcessState.ExitCode(); code != 1 || strings.Count(string(out), "\n") != 1 {
			t.Errorf("%q: exit status %d (%v), and said %q; want 1, and one line", args, code, err, out)
		}
	}
}

// TestSession records a session with two clients, from start to Ctrl-C,
// as the walkthrough shows it. Port numbers change from run to run: the
// server's becomes 25000 and the clients' 52001, 52002, ...
func TestSession(t *testing.T) {
	s := startServer(t, nil)
	a := s.dial()
	if err := echo(a, "Hello\n"); err != nil {
		t.Fatal(err)
	}
	s.expect(s.stdout, "Connection from")
	b := s.dial()
	if err := echo(b, "Goodbye\n"); err != nil {
		t.Fatal(err)
	}
	s.expect(s.stdout, "Connection from")
	a.Close()
	s.expect(s.stdout, "Task done")
	if err := s.stop(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(b); err != nil || len(rest) > 0 {
		t.Fatalf("after Ctrl-C, the client read %q, then %v, not EOF", rest, err)
	}
	for line := range s.stdout {
		s.seen = append(s.seen, line)
	}
	ports := map[string]string{strings.Split(s.addr, ":")[1]: "25000"}
	port := regexp.MustCompile(`(127\.0\.0\.1[: ])(\d+)`)
	out := port.ReplaceAllStringFunc(strings.Join(s.seen, "\n")+"\n", func(m string) string {
		sub := port.FindStringSubmatch(m)
		if _, ok := ports[sub[2]]; !ok {
			ports[sub[2]] = strconv.Itoa(52000 + len(ports))
		}
		return sub[1] + ports[sub[2]]
	})
	path := filepath.Join("testdata", "session.golden")
	if *update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || out != string(want) {
		t.Fatalf("output differs from %s (%v; run `go test ./step4-server -update` if the change is intended):\n%s", path, err, out)
	}
}

// TestStep3Scheduler keeps the lesson's point true: the server is two more
// tasks on step 3's scheduler, unchanged, and the folder stays lesson-sized.
func TestStep3Scheduler(t *testing.T) {
	lines := 0
	for _, name := range []string{"deque.go", "scheduler.go", "select.go", "main.go"} {
		ours, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		lines += bytes.Count(ours, []byte("\n"))
		if name == "main.go" {
			continue
		}
		step3, err := os.ReadFile(filepath.Join("..", "step3-io-wait", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, step3) {
			t.Errorf("%s differs from step3-io-wait/%s: the lesson's server runs on step 3's scheduler as it is", name, name)
		}
	}
	if lines > 340 {
		t.Errorf("the folder holds %d lines of code; the lesson's server stays at 340 or fewer", lines)
	}
}

// TestHalfClose is `printf 'Hello\n' | nc -N`: the client sends a line and
// closes its sending half. It must still get its reply, and then EOF: the
// handler reads 0 bytes, ends, and closes the connection.
func TestHalfClose(t *testing.T) {
	s := startServer(t, nil)
	c := s.dial().(*net.TCPConn)
	if _, err := io.WriteString(c, "Hello\n"); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c) // the deadline of dial bounds it
	if string(got) != "GOT:Hello\n" || err != nil {
		t.Fatalf("after Hello and a half close, the client read %q, %v; want %q and EOF", got, err, "GOT:Hello\n")
	}
}

// TestRestartAfterCtrlC stops the server with a client still connected,
// so that the server's end of the connection is the one that waits out
// TIME_WAIT, and starts it again on the same port at once, as a learner
// does with make step4: SO_REUSEADDR is what lets it listen.
func TestRestartAfterCtrlC(t *testing.T) {
	s := startServer(t, nil)
	c := s.dial()
	if err := echo(c, "Hello\n"); err != nil {
		t.Fatal(err)
	}
	if err := s.stop(unix.SIGINT); err != nil {
		t.Fatalf("at Ctrl-C: %v", err)
	}
	io.ReadAll(c) // the kernel closed the server's end: read its FIN, then close ours
	c.Close()
	startServer(t, nil, "-addr", s.addr) // it fails the test unless it listens
}

// TestDefaultAddress checks that with no -addr the server listens on
// loopback only: every other test gives -addr, so this one reads the flag's
// default from -h rather than listening on port 25000, which may be taken.
func TestDefaultAddress(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-h")
	cmd.Env = append(os.Environ(), "STEP_RUN_MAIN=1")
	out, _ := cmd.CombinedOutput() // -h exits 0 or 2, depending on the Go version
	if !strings.Contains(string(out), `(default "127.0.0.1:25000")`) {
		t.Fatalf("-h does not give 127.0.0.1:25000 as -addr's default:\n%s", out)
	}
}
