package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
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
)

var update = flag.Bool("update", false, "record step 4's session and draw the pictures again, instead of comparing")

// wait bounds every wait in these tests: long enough for a loaded 2-core
// machine, short enough that a hang fails the test instead of CI.
const wait = 30 * time.Second

// The pictures the walkthroughs show, and the traces they are drawn from.
// Step 4's trace is recorded by TestStep4Session, which comes first so
// that -update records it before it is drawn.
var pictures = []struct {
	trace, svg, title string
}{
	{"../../step2-scheduler/testdata/trace.golden", "step2.svg", "Step 2: three tasks take turns (go run ./step2-scheduler -trace)"},
	{"../../step3-io-wait/testdata/trace.golden", "step3.svg", "Step 3: a reader and a writer on a socketpair (go run ./step3-io-wait -trace)"},
	{"testdata/step4.trace", "step4.svg", "Step 4: the lesson's echo server, two clients, then Ctrl-C (go run ./step4-server -trace)"},
}

// A traced is a step 4 server, built for a test and run with -trace on a
// free loopback port, its output read a line at a time.
type traced struct {
	t      *testing.T
	cmd    *exec.Cmd
	lines  chan string   // its stdout (and stderr, if merged), closed at its end
	stderr *lockedBuffer // its stderr, if not merged
	exited chan struct{} // closed once the output has ended and the program exited
	err    error         // then, what cmd.Wait returned
	seen   []string      // the lines expect has read, in order
}

// startStep4 builds the program in pkg (a folder of the repository, such
// as step4-server) and runs it with -trace on 127.0.0.1 and a free port.
// With merged, its stderr goes where its stdout goes, as 2>&1 does. The
// program is killed, if it still runs, when the test ends.
func startStep4(t *testing.T, pkg string, merged bool) *traced {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../../"+pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build ../../%s: %v\n%s", pkg, err, out)
	}
	r := &traced{t: t, cmd: exec.Command(bin, "-trace", "-addr", "127.0.0.1:0"), lines: make(chan string, 1<<14), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	pipe, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stderr = r.stderr
	if merged {
		r.cmd.Stderr = r.cmd.Stdout
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(r.lines)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		r.err = r.cmd.Wait() // Wait closes the pipe: only once it is read to its end
		close(r.exited)
	}()
	t.Cleanup(func() {
		r.cmd.Process.Kill() // after a clean exit, this does nothing
		for range r.lines {
		}
		<-r.exited
	})
	return r
}

// expect reads the program's lines until one starts with prefix.
func (r *traced) expect(prefix string) string {
	r.t.Helper()
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	for {
		select {
		case line, ok := <-r.lines:
			if !ok {
				r.t.Fatalf("the program's output ended before a line starting %q; stderr:\n%s", prefix, r.stderr)
			}
			r.seen = append(r.seen, line)
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout.C:
			r.t.Fatalf("no line starting %q within %v", prefix, wait)
		}
	}
}

// end reads the program's lines to their end, and returns how it exited.
func (r *traced) end() error {
	r.t.Helper()
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	for {
		select {
		case line, ok := <-r.lines:
			if !ok {
				<-r.exited
				return r.err
			}
			r.seen = append(r.seen, line)
		case <-timeout.C:
			r.t.Fatalf("the program's output did not end within %v", wait)
		}
	}
}

// A lockedBuffer is a bytes.Buffer that a program's stderr is copied into
// while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestStep4Session runs the lesson's step 4 with -trace, serves two
// loopback clients one after the other, each waiting for its reply,
// closes the first, and stops the server with SIGINT: the trace is the
// same every time. Port numbers change from run to run: the server's
// becomes 25000 and the clients' 52001 and 52002, as in step 4's own
// session.golden.
func TestStep4Session(t *testing.T) {
	s := startStep4(t, "step4-server", false)
	addr := strings.TrimSuffix(strings.Fields(s.expect("Listening on "))[2], ";")
	dial := func() net.Conn {
		t.Helper()
		c, err := net.DialTimeout("tcp", addr, wait)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(wait))
		t.Cleanup(func() { c.Close() })
		return c
	}
	a := dial()
	echo(t, a, "Hello\n")
	b := dial()
	echo(t, b, "Goodbye\n")
	a.Close()
	s.expect("Task done") // the first client's task has ended: nothing else is ready
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	s.expect("Shutting down")
	if err := s.end(); err != nil {
		t.Fatalf("step 4 exited: %v; stderr:\n%s", err, s.stderr)
	}
	// The server has exited, and the kernel has closed its connections.
	if rest, err := io.ReadAll(b); err != nil || len(rest) > 0 {
		t.Fatalf("after Ctrl-C, the client read %q, then %v, not EOF", rest, err)
	}
	if e := s.stderr.String(); e != "" {
		t.Errorf("step 4 said on stderr:\n%s", e)
	}
	ports := map[string]string{addr[strings.LastIndex(addr, ":")+1:]: "25000"}
	port := regexp.MustCompile(`(127\.0\.0\.1[: ])(\d+)`)
	trace := port.ReplaceAllStringFunc(strings.Join(s.seen, "\n")+"\n", func(m string) string {
		sub := port.FindStringSubmatch(m)
		if _, ok := ports[sub[2]]; !ok {
			ports[sub[2]] = strconv.Itoa(52000 + len(ports))
		}
		return sub[1] + ports[sub[2]]
	})
	checkFile(t, "testdata/step4.trace", []byte(trace), "the trace of step 4's session")
}

// echo sends msg on c and checks that "GOT:" + msg comes back.
func echo(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len("GOT:")+len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("reading the reply to %q: %v", msg, err)
	}
	if string(got) != "GOT:"+msg {
		t.Fatalf("sent %q, got %q", msg, got)
	}
}

// TestPictures draws each step's trace and compares the picture with the
// one committed beside this file, which the walkthroughs show.
func TestPictures(t *testing.T) {
	for _, p := range pictures {
		t.Run(p.svg, func(t *testing.T) {
			f, err := os.Open(p.trace)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out bytes.Buffer
			if err := run(f, &out, options{title: p.title, minCopies: 3}); err != nil {
				t.Fatal(err)
			}
			checkFile(t, p.svg, out.Bytes(), "the picture of "+filepath.ToSlash(filepath.Clean(filepath.Join("docs/timeline", p.trace))))
		})
	}
}

// checkFile compares got with the file at path (relative to this
// package), or writes it there when the tests run with -update.
func checkFile(t *testing.T, path string, got []byte, what string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; from the repository's root, run: go test ./docs/timeline -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/timeline/%s is not %s as drawn now. If the change is meant, run from the repository's root: go test ./docs/timeline -update (make docs does it too), and look at the result.\n%s",
			path, what, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  committed: %s\n  drawn now: %s", i+1, a, b)
		}
	}
	return ""
}
