package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
// until it listens. -addr defaults to 127.0.0.1 with a free port.
func startServer(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	return startServerTo(t, nil, env, args...)
}

// startServerTo is startServer, with the server's stderr going to stderr
// instead of to the test, unless it is nil.
func startServerTo(t *testing.T, stderr *os.File, env []string, args ...string) *server {
	t.Helper()
	if !strings.Contains(strings.Join(args, " "), "-addr") {
		args = append(args, "-addr", "127.0.0.1:0")
	}
	s := &server{t: t, cmd: mainCommand(context.Background(), env, args...),
		stdout: make(chan string, 1<<16), stderr: make(chan string, 1<<16), exited: make(chan error, 1)}
	outPipe, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	pipes := map[io.Reader]chan string{outPipe: s.stdout}
	if stderr != nil {
		s.cmd.Stderr = stderr
		close(s.stderr)
	} else {
		errPipe, err := s.cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		pipes[errPipe] = s.stderr
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	for pipe, lines := range pipes {
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
		s.exited <- s.cmd.Wait()
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
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
				s.t.Fatalf("server output ended before a line starting %q", prefix)
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

// expectN waits for n lines starting with prefix.
func (s *server) expectN(lines chan string, prefix string, n int) {
	s.t.Helper()
	for range n {
		s.expect(lines, prefix)
	}
}

// dial connects to the server; the connection closes when the test ends.
func (s *server) dial() net.Conn {
	s.t.Helper()
	c, err := net.DialTimeout("tcp", s.addr, wait)
	if err != nil {
		s.t.Fatalf("%v; %s", err, s.lastWords())
	}
	c.SetDeadline(time.Now().Add(wait))
	s.t.Cleanup(func() { c.Close() })
	return c
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

// stop sends sig to the server and returns its exit error once it is gone.
func (s *server) stop(sig os.Signal) error {
	s.t.Helper()
	s.signal(sig)
	return s.wait()
}

// signal sends sig to the server.
func (s *server) signal(sig os.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}

// wait returns the server's exit error once it is gone.
func (s *server) wait() error {
	s.t.Helper()
	select {
	case err := <-s.exited:
		s.exited <- err // for the cleanup
		return err
	case <-time.After(wait):
		s.t.Fatalf("server still running after %v", wait)
		return nil
	}
}

// checkSummary stops the server with SIGINT, checks that it exits 0, and
// that its summary is want, line for line: the lines it prints after
// "Shutting down", those of handlers ending left out.
func (s *server) checkSummary(want ...string) {
	s.t.Helper()
	s.signal(os.Interrupt)
	s.expect(s.stdout, "Shutting down")
	if err := s.wait(); err != nil {
		s.t.Fatalf("exit: %v", err)
	}
	var got []string
	for line := range s.stdout {
		if !strings.HasPrefix(line, "Connection closed ") && line != "Task done" && !strings.HasPrefix(line, "[trace] ") {
			got = append(got, line)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		s.t.Errorf("the summary says:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// exitsWithin waits for the server to exit, at most d, and fails unless
// it exits 0. A server whose exit a test times should run with
// quickExit() in its environment.
func (s *server) exitsWithin(d time.Duration, after string) {
	s.t.Helper()
	select {
	case err := <-s.exited:
		s.exited <- err // for the cleanup
		if err != nil {
			s.t.Fatalf("exit: %v", err)
		}
	case <-time.After(d):
		s.t.Fatalf("the server still runs %v after %s", d, after)
	}
}

// quickExit is the environment variable that keeps the race detector, if
// it is on, from waiting a second at exit, for a test that times the exit.
func quickExit() string {
	return "GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

// lastWords waits for the server to exit, within the tests' bound, and
// returns what it said on stderr, to explain a failure.
func (s *server) lastWords() string {
	var said []string
	timeout := time.After(wait)
	for {
		select {
		case line, ok := <-s.stderr: // closed when the server has exited
			if !ok {
				return fmt.Sprintf("the server exited, saying %q", said)
			}
			said = append(said, line)
		case <-timeout:
			return fmt.Sprintf("the server still runs, and said %q", said)
		}
	}
}

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

// chatter sends n numbered messages on c, checking each reply, and then
// sends on errs the first error, or nil.
func chatter(c net.Conn, name string, n int, errs chan<- error) {
	for j := range n {
		if err := echo(c, fmt.Sprintf("%s message %d\n", name, j)); err != nil {
			errs <- err
			return
		}
	}
	errs <- nil
}

// TestManyClientsAtOnce has 100 clients talk at the same time: their
// messages interleave in the server, and each gets exactly its own replies.
func TestManyClientsAtOnce(t *testing.T) {
	s := startServer(t, nil, "-quiet")
	errs := make(chan error, 100)
	for i := range 100 {
		go chatter(s.dial(), fmt.Sprint("client ", i), 20, errs)
	}
	for range 100 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestIdleClientHoldsUpNoOne connects a client that never sends, then
// checks that another client is served all the same.
func TestIdleClientHoldsUpNoOne(t *testing.T) {
	s := startServer(t, nil)
	s.dial()
	s.expect(s.stdout, "Connection from")
	if err := echo(s.dial(), "still here\n"); err != nil {
		t.Fatal(err)
	}
}

// TestClosedClientsLeaveNoDescriptors opens and closes 200 connections and
// checks that the server holds as many descriptors as before.
func TestClosedClientsLeaveNoDescriptors(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors in /proc")
	}
	s := startServer(t, nil)
	fds := func() string {
		dir := filepath.Join("/proc", strconv.Itoa(s.cmd.Process.Pid), "fd")
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			l, _ := os.Readlink(filepath.Join(dir, e.Name()))
			names = append(names, e.Name()+"->"+l)
		}
		return strings.Join(names, " ")
	}
	before := fds()
	for i := range 200 {
		c := s.dial()
		if err := echo(c, strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	// The handler closes the descriptor before it prints this line.
	s.expectN(s.stdout, "Connection closed", 200)
	if after := fds(); after != before {
		t.Errorf("server descriptors after 200 closed connections:\n%s\nbefore:\n%s", after, before)
	}
}

// letters returns n random lowercase letters: data that cannot contain
// "GOT:", so the prefixes in a reply can be found again.
func letters(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rand.Intn(26))
	}
	return b
}

// TestSlowReader sends 1 MiB at once to a client with a small receive
// buffer that reads 100 bytes at a time: the server must wait on Send until
// the client has room, and every byte must still come back, in order.
func TestSlowReader(t *testing.T) {
	s := startServer(t, nil, "-quiet")
	d := net.Dialer{Timeout: wait, Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
		})
		return err
	}}
	c, err := d.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	data := letters(1 << 20)
	sent := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		sent <- err
	}()
	var reply []byte
	chunk := make([]byte, 100)
	for want := len(data) + len("GOT:")*(len(data)/1000); ; {
		n, err := c.Read(chunk)
		reply = append(reply, chunk[:n]...)
		if err != nil {
			t.Fatalf("after %d bytes of reply: %v", len(reply), err)
		}
		// Every server read of up to 1000 bytes adds a prefix: once the
		// letters are all back, the reply is complete.
		if len(reply) >= want && len(bytes.ReplaceAll(reply, []byte("GOT:"), nil)) == len(data) {
			break
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	parts := bytes.Split(reply, []byte("GOT:"))
	if len(parts[0]) != 0 {
		t.Fatalf("reply starts with %q, not GOT:", parts[0][:min(10, len(parts[0]))])
	}
	for i, p := range parts[1:] {
		if len(p) == 0 || len(p) > 1000 {
			t.Fatalf("part %d of the reply has %d bytes; the server reads 1 to 1000", i, len(p))
		}
	}
	if !bytes.Equal(bytes.Join(parts, nil), data) {
		t.Fatal("the echoed data differs from what was sent")
	}
}

// resetAfter sends msg on a fresh connection and then resets it: with
// SO_LINGER 0, close sends RST instead of FIN.
func resetAfter(s *server, msg string) error {
	c, err := net.DialTimeout("tcp", s.addr, wait)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	c.(*net.TCPConn).SetLinger(0)
	return c.Close()
}

// TestResetsStayWithTheirClient runs 50 clients that echo steadily beside
// 50 that reset their connections mid-stream: every good client gets all
// its replies, and each reset ends only its own task.
func TestResetsStayWithTheirClient(t *testing.T) {
	s := startServer(t, nil)
	errs := make(chan error, 100)
	for i := range 50 {
		go chatter(s.dial(), fmt.Sprint("good ", i), 50, errs)
		go func() {
			var err error
			for j := 0; j < 10 && err == nil; j++ {
				err = resetAfter(s, strings.Repeat("bad", 300))
			}
			errs <- err
		}()
	}
	for range 100 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.Fatal(s.lastWords())
	}
	if err := echo(s.dial(), "after the storm\n"); err != nil {
		t.Fatal(err)
	}
	// A reset is reported in one line that names the client.
	line := s.expect(s.stderr, "127.0.0.1:")
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+: (read|write): (connection reset by peer|broken pipe)$`).MatchString(line) {
		t.Errorf("the server said %q", line)
	}
}

// TestSelectLimit holds more connections than select can watch. Each one
// whose descriptor would be 1024 or more is told "server full" and closed;
// the log says so once, and again, with the count, when a connection
// closes and a new client is served. The next refusal starts a new
// episode, with its own line.
func TestSelectLimit(t *testing.T) {
	needFiles(t, unix.FD_SETSIZE+200)
	s := startServer(t, nil, "-quiet")
	var served []net.Conn
	refused := 0
	for range unix.FD_SETSIZE + 76 {
		c := s.dial()
		switch got := greet(t, c); {
		case got == "served":
			served = append(served, c)
		case got == refusal(fullSelect):
			refused++
		default:
			t.Fatalf("connection %d got %s; want it served, or told in one line that the server is full", len(served)+refused, got)
		}
	}
	if len(served) < 900 || refused < 76 {
		t.Fatalf("%d connections served, %d refused", len(served), refused)
	}
	if err := echo(served[0], "still served"); err != nil {
		t.Fatal(err)
	}
	hangUp(t, served[0])
	if got := greet(t, s.dial()); got != "served" {
		t.Fatalf("a client after a connection closed: %s", got)
	}
	if got := greet(t, s.dial()); got != refusal(fullSelect) {
		t.Fatalf("a client at the limit again: %s", got)
	}
	want := []string{
		"server full: " + fullSelect + "; refusing new clients",
		fmt.Sprintf("accepting clients again, after refusing %d clients", refused),
		"server full: " + fullSelect + "; refusing new clients",
	}
	for _, w := range want {
		if line := s.expect(s.stderr, ""); line != w {
			t.Fatalf("the server said %q, want %q", line, w)
		}
	}
	noMore(t, s.stderr)
	// Every client that connected was served or refused, and counted once.
	s.checkSummary(
		fmt.Sprintf("Served %d connections, echoed %d bytes", len(served)+1, len(served)+1+len("still served")),
		fmt.Sprintf("Refused %d clients: the server was full", refused+1))
}

// greet sends "x" on c and says what came back: "served" for the echo, or
// the one line a refused client gets, followed by EOF.
func greet(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second)) // milliseconds, unless nobody answers
	defer c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, "x"); err != nil {
		return fmt.Sprintf("write: %v", err)
	}
	r := bufio.NewReader(c)
	if got, err := r.Peek(5); err == nil && string(got) == "GOT:x" {
		return "served"
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Sprintf("%q, then %v", line, err)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return fmt.Sprintf("%q, then %v, not EOF", line, err)
	}
	return line
}

// refusal is the line a client gets when the server is full, for why.
func refusal(why string) string {
	return "server full: " + why + "; try again later\n"
}

// hangUp closes c and returns once the server has closed its end, so that
// its descriptor is free.
func hangUp(t *testing.T, c net.Conn) {
	t.Helper()
	c.(*net.TCPConn).CloseWrite()
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// noMore fails if the server has said more on lines than the test has read.
func noMore(t *testing.T, lines chan string) {
	t.Helper()
	select {
	case line := <-lines:
		t.Errorf("the server said more: %q", line)
	default:
	}
}

// needFiles skips a test that needs n open descriptors where the system
// allows fewer (Go raises a process's limit to the most it may have).
func needFiles(t *testing.T, n uint64) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil && uint64(lim.Cur) < n {
		t.Skipf("needs %d open descriptors; the limit here is %d (ulimit -n)", n, lim.Cur)
	}
}

// TestBurst connects 1000 clients at once, and each gets its first reply.
// Whether any had to retry its connection is not counted here: Linux
// counts overflowing listen queues for the whole machine, and other
// programs' overflows would be taken for ours. TestListenBacklog reads
// the listening socket's own backlog instead.
func TestBurst(t *testing.T) {
	needFiles(t, 1200)
	s := startServer(t, nil, "-quiet")
	errs := make(chan error, 1000)
	start := make(chan struct{})
	for i := range 1000 {
		go func() {
			<-start
			c, err := net.DialTimeout("tcp", s.addr, wait)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(wait))
			errs <- echo(c, fmt.Sprintf("burst %d\n", i))
		}()
	}
	close(start)
	for range 1000 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestShutdown stops the server with SIGINT and SIGTERM: it closes every
// connection, prints a summary, and exits 0.
func TestShutdown(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			s := startServer(t, nil)
			var conns []net.Conn
			for i := range 3 {
				c := s.dial()
				if err := echo(c, fmt.Sprint("hi ", i)); err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
			}
			start := time.Now()
			if err := s.stop(sig); err != nil {
				t.Fatalf("exit: %v", err)
			}
			// It takes milliseconds; the bound allows for a loaded machine
			// and the race detector, which waits a second at exit.
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("the server took %v to stop", took)
			}
			s.expect(s.stdout, "Shutting down")
			s.expectN(s.stdout, "Connection closed", 3)
			if line := s.expect(s.stdout, "Served"); line != "Served 3 connections, echoed 12 bytes" {
				t.Errorf("summary = %q", line)
			}
			for i, c := range conns {
				if _, err := c.Read(make([]byte, 1)); err != io.EOF {
					t.Errorf("connection %d: read after shutdown: %v, want EOF", i, err)
				}
			}
		})
	}
}

// TestOutOfDescriptors runs the server with room for only a few
// connections. Past that, each new client is told "server full" and
// closed, with one line in the log for the episode; the server keeps
// serving the connections it has; when one closes it accepts again, and
// says how many it refused. A second episode is logged as the first was,
// and the summary counts every client once, served or refused.
func TestOutOfDescriptors(t *testing.T) {
	s := startServer(t, []string{"STEP_NOFILE=24"}, "-quiet")
	const why = "out of descriptors (too many open files)"
	var served []net.Conn
	for refused := 0; refused < 6; { // connect until six clients are refused
		c := s.dial()
		switch got := greet(t, c); {
		case got == "served" && refused == 0:
			served = append(served, c)
		case got == refusal(why):
			refused++
		case got == "served":
			t.Fatalf("client %d served after %d refused, with no connection closed", len(served)+refused, refused)
		default:
			t.Fatalf("client %d got %s; want it served, or told in one line that the server is full", len(served)+refused, got)
		}
		if len(served) > 24 {
			t.Fatalf("%d clients served with 24 descriptors", len(served))
		}
	}
	if err := echo(served[0], "still served"); err != nil {
		t.Fatal(err)
	}
	hangUp(t, served[0])
	if got := greet(t, s.dial()); got != "served" {
		t.Fatalf("a client after a connection closed: %s", got)
	}
	if got := greet(t, s.dial()); got != refusal(why) {
		t.Fatalf("a client out of descriptors again: %s", got)
	}
	for _, w := range []string{
		"server full: " + why + "; refusing new clients",
		"accepting clients again, after refusing 6 clients",
		"server full: " + why + "; refusing new clients",
	} {
		if line := s.expect(s.stderr, ""); line != w {
			t.Fatalf("the server said %q, want %q", line, w)
		}
	}
	noMore(t, s.stderr)
	s.checkSummary(
		fmt.Sprintf("Served %d connections, echoed %d bytes", len(served)+1, len(served)+1+len("still served")),
		"Refused 7 clients: the server was full")
}

// TestNoSpareDescriptor runs the server with the fewest descriptors it can
// start with: standard input, output and error, the runtime's poller (two),
// the listening socket and the two ends of the signal pipe. It has none to
// spare, so a client that connects can be neither accepted nor refused:
// it stays in the backlog, and the listening socket stays readable. Waiting on Recv of it again
// would spin; the server must instead wait for a connection to end (none
// will), or 100 ms, and try again: it says so once, uses under 10% of a
// CPU, and still stops on SIGINT.
func TestNoSpareDescriptor(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the server's CPU time from /proc, which only Linux has")
	}
	s := startServer(t, []string{"STEP_NOFILE=8"}, "-trace")
	s.dial() // the kernel completes the connection, into the backlog
	if line, want := s.expect(s.stderr, ""), "accept: too many open files; trying again when a connection ends, or in 100 ms"; line != want {
		t.Fatalf("the server said %q, want %q", line, want)
	}
	if used := s.cpuTime(2 * time.Second); used > 200*time.Millisecond {
		t.Errorf("with a client it could not accept, the server used %v of CPU in 2s", used)
	}
	noMore(t, s.stderr)
	s.checkSummary("Served 0 connections, echoed 0 bytes")
	// The trace counts the tries, however busy the machine: one each 100 ms
	// is about 20 in the 2 s above, and a shorter pause makes hundreds.
	pauses := 0
	for _, line := range s.seen {
		if line == "[trace] tcpServer waits on Exit" {
			pauses++
		}
	}
	if pauses > 40 {
		t.Errorf("tcpServer waited on Exit %d times in about 2 s: it tries again more often than every 100 ms", pauses)
	}
}

// cpuTime returns the CPU time the server uses during d, from /proc.
func (s *server) cpuTime(d time.Duration) time.Duration {
	s.t.Helper()
	ticks := func() int {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
		if err != nil {
			s.t.Fatalf("%v; %s", err, s.lastWords())
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		utime, _ := strconv.Atoi(f[11])
		stime, _ := strconv.Atoi(f[12])
		return utime + stime
	}
	before := ticks()
	time.Sleep(d)                                                // a measuring window, not a wait for an event
	return time.Duration(ticks()-before) * 10 * time.Millisecond // USER_HZ is 100
}

// TestBinarySafe sends every byte value, NUL and invalid UTF-8 included.
func TestBinarySafe(t *testing.T) {
	s := startServer(t, nil)
	var all []byte
	for b := range 256 {
		all = append(all, byte(b))
	}
	c := s.dial()
	for _, msg := range []string{string(all), "\x00", "\xff\xfe\xc3\x28", "GOT:GOT:"} {
		if err := echo(c, msg); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIPv6(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback here")
	} else {
		l.Close()
	}
	s := startServer(t, nil, "-addr", "[::1]:0")
	if !strings.HasPrefix(s.addr, "[::1]:") {
		t.Fatalf("listening on %s", s.addr)
	}
	if err := echo(s.dial(), "Hello over IPv6\n"); err != nil {
		t.Fatal(err)
	}
}

// mainCommand is this program as a child process, as `go run` runs it,
// with env added to the environment.
func mainCommand(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "STEP_RUN_MAIN=1"), env...)
	return cmd
}

// runChild runs main with args to its end, within the tests' bound, and
// returns what it printed.
func runChild(args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cmd := mainCommand(ctx, nil, args...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	return string(out), errOut.String(), err
}

// runFailing runs main with args, expecting it to fail, and returns its
// stderr and exit code.
func runFailing(t *testing.T, args ...string) (string, int) {
	t.Helper()
	_, stderr, err := runChild(args...)
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("%q: %v, want a non-zero exit", args, err)
	}
	return stderr, exit.ExitCode()
}

func TestBadCommandLines(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	cases := []struct {
		args []string
		want string // a regexp the one line must match
		code int    // 2 for a command line flag cannot parse, as flag does; 1 for a value that does not work
	}{
		{[]string{"-addr", "nonsense"}, `^invalid -addr "nonsense": not host:port; use host:port, e.g. 127.0.0.1:25000`, 1},
		{[]string{"-addr", "127.0.0.1:99999"}, `^invalid -addr "127.0.0.1:99999": the port must be a number from 0 to 65535`, 1},
		{[]string{"-addr", "example.com:80"}, `^invalid -addr "example.com:80": the host must be an IP address`, 1},
		{[]string{"-addr", busy.Addr().String()}, fmt.Sprintf(`^listen 127.0.0.1:%d: address already in use; is another server running\? Try -addr 127.0.0.1:%d$`, port, port+1), 1},
		{[]string{"25000"}, `^unexpected argument "25000"; give the address as -addr host:port$`, 2},
	}
	for _, c := range cases {
		badCommandLine(t, c.args, c.want, c.code)
	}
	t.Run("port below 1024", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:1")
		if err == nil {
			l.Close()
			t.Skip("this process may listen on port 1 (it runs as root, or has CAP_NET_BIND_SERVICE): there is no permission to deny")
		}
		if !errors.Is(err, syscall.EACCES) {
			t.Skipf("cannot try port 1 here: %v", err)
		}
		badCommandLine(t, []string{"-addr", "127.0.0.1:1"}, `^listen 127.0.0.1:1: permission denied; ports below 1024 need privileges`, 1)
	})
}

// badCommandLine runs main with args and checks that it fails with one line
// on stderr that matches the regexp want, and exit status wantCode.
func badCommandLine(t *testing.T, args []string, want string, wantCode int) {
	t.Helper()
	stderr, code := runFailing(t, args...)
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 || !regexp.MustCompile(want).MatchString(lines[0]) {
		t.Errorf("%q: stderr = %q, want one line matching %s", args, stderr, want)
	}
	if code != wantCode {
		t.Errorf("%q: exit status %d, want %d", args, code, wantCode)
	}
}

func TestUsage(t *testing.T) {
	_, out, err := runChild("-h") // flag prints usage on stderr
	if err != nil {
		t.Fatalf("-h: %v", err)
	}
	if !strings.HasPrefix(out, "usage: step4-server/robust [-addr host:port]") || !strings.Contains(out, "-quiet") {
		t.Errorf("-h printed %q", out)
	}
}

// TestBrokenTasksDoNotStopTheServer runs the scheduler in this process with
// an echoHandler on one end of a socketpair, beside a task that panics and
// one that yields a reason the scheduler does not know. Both are reported
// and stopped; the handler serves its client to the end.
func TestBrokenTasksDoNotStopTheServer(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.SetNonblock(fds[0], true)
	client := os.NewFile(uintptr(fds[1]), "client")
	defer client.Close()
	client.SetDeadline(time.Now().Add(wait))
	clientErr := make(chan error, 1)
	go func() {
		clientErr <- echo(client, "Hello")
		client.Close()
	}()
	srv := testServer()
	logged := schedule(t, srv,
		named{"panicky", func(yield func(reason, int) bool) { panic("boom") }},
		named{"confused", func(yield func(reason, int) bool) { yield(reason(42), 0) }},
		named{"echoHandler(pair)", srv.echoHandler(fds[0], "pair")})
	if err := <-clientErr; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"task panicky stopped: panic: boom", "task confused stopped: unknown yield reason reason(42)"} {
		if !strings.Contains(logged, want) {
			t.Errorf("log = %q, want %q", logged, want)
		}
	}
}

// checkGolden compares got with testdata/name, or rewrites the file when
// the test runs with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./step4-server -update` to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("output differs from %s (run `go test ./step4-server -update` if the change is intended):\n%s", path, got)
	}
}

// TestSession records a session with two clients, from start to Ctrl-C,
// as the walkthrough shows it. The second client, like nc, reads to EOF
// and closes. Port numbers change from run to run: the server's becomes
// 25000 and the clients' 52001, 52002, ...
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
	s.signal(os.Interrupt)
	if rest, err := io.ReadAll(b); err != nil || len(rest) > 0 {
		t.Fatalf("after Ctrl-C, the client read %q, then %v, not EOF", rest, err)
	}
	b.Close()
	if err := s.wait(); err != nil {
		t.Fatal(err)
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
	checkGolden(t, "session.golden", out)
}

// TestNoAllocationPerMessage runs the scheduler in this process with an
// echoHandler on one end of a socketpair, and counts the heap allocations
// of 10,000 round trips: the scheduler, the coroutine switches, select and
// the handler's buffer must all be reused, so the count stays near zero.
func TestNoAllocationPerMessage(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.SetNonblock(fds[0], true)
	srv := testServer()
	const rounds = 10_000
	msg, reply := []byte("ping"), make([]byte, len("GOT:ping"))
	var before, after runtime.MemStats
	clientErr := make(chan error, 1)
	go func() { // the client: blocking system calls, which allocate nothing
		defer unix.Close(fds[1])
		for range rounds {
			if _, err := unix.Write(fds[1], msg); err != nil {
				clientErr <- err
				return
			}
			for got := 0; got < len(reply); {
				n, err := unix.Read(fds[1], reply[got:])
				if err != nil || n == 0 {
					clientErr <- fmt.Errorf("read: %d, %v", n, err)
					return
				}
				got += n
			}
		}
		clientErr <- nil
	}()
	srv.newTask("echoHandler(pair)", srv.echoHandler(fds[0], "pair"))
	runtime.ReadMemStats(&before)
	srv.run()
	runtime.ReadMemStats(&after)
	if err := <-clientErr; err != nil {
		t.Fatal(err)
	}
	// The client goroutine and the runtime allocate a little now and then;
	// one allocation per round trip would be 10,000.
	n := after.Mallocs - before.Mallocs
	t.Logf("%d allocations in %d round trips", n, rounds)
	if n > rounds/100 {
		t.Errorf("%d allocations in %d round trips", n, rounds)
	}
}
