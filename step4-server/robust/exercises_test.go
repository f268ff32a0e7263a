//go:build exercises

// Checks for the exercises of docs/exercises.md that build on this server:
// `make check EX=step4-poll`. They are kept out of `go test ./...` behind a
// build tag, because the server as it stands does not solve them. They
// reuse its own tests. (step4-conn builds on the lesson's server, and its
// check is in step4-server.)
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestExercise(t *testing.T) {
	t.Run("poll", func(t *testing.T) {
		wait := source(t, "scheduler.ioWait")
		if strings.Contains(wait, "unix.Select(") || !strings.Contains(wait, "unix.Poll(") {
			missing(t, "ioWait still calls unix.Select instead of unix.Poll")
		}
		forbidSelect(t)
		still(t, "TestHello", TestHello)
		still(t, "TestManyClientsAtOnce", TestManyClientsAtOnce)
		still(t, "TestPartialWrites", TestPartialWrites)
		still(t, "TestClassroom", TestClassroom)
		still(t, "TestShutdown", TestShutdown)
		interruptedWait(t, "ppoll")
		pastSelectsLimit(t)
	})
	t.Run("idle", func(t *testing.T) {
		if _, usage, _ := runChild("-h"); !strings.Contains(usage, "-idle") {
			missing(t, "step4-server/robust has no flag -idle")
		}
		t.Run("a silent client", func(t *testing.T) {
			s := startServer(t, nil, "-quiet", "-idle", "1s")
			// The busy client talks for longer than 1s before the silent
			// one comes: a server that counts a client's silence from when
			// it connected, not from its last message, closes it.
			busy := s.dial()
			for start := time.Now(); time.Since(start) < 1500*time.Millisecond; {
				if err := echo(busy, "still here"); err != nil {
					missing(t, "a client that talks all the time was closed after %v: %v", time.Since(start).Round(time.Millisecond), err)
				}
			}
			silent := s.dial()
			told := make(chan string, 1)
			go func() {
				b, err := io.ReadAll(silent)
				told <- fmt.Sprintf("%q, then %v", b, err)
			}()
			for { // the busy client talks all the time, and must never be closed
				if err := echo(busy, "still here"); err != nil {
					missing(t, "a client that talks all the time was closed: %v", err)
				}
				select {
				case got := <-told:
					if want := fmt.Sprintf("%q, then <nil>", "idle for 1s; closing\n"); got != want {
						missing(t, "a client silent for 1s got %s; want %s (EOF)", got, want)
					}
					return
				default:
				}
			}
		})
		t.Run("no more lock-out", func(t *testing.T) {
			// Silent clients take every descriptor; after 1s they are
			// closed, and a new client is served.
			s := startServer(t, []string{"STEP_NOFILE=24"}, "-quiet", "-idle", "1s")
			var silent []net.Conn
			for {
				c := s.dial()
				if got := greet(t, c); got != "served" {
					break
				}
				silent = append(silent, c)
			}
			if b, err := io.ReadAll(silent[0]); string(b) != "idle for 1s; closing\n" || err != nil {
				missing(t, "a silent client got %q, then %v; want its line and EOF", b, err)
			}
			if got := greet(t, s.dial()); got != "served" {
				missing(t, "once the silent clients are closed, a new client is not served: %s", got)
			}
		})
		t.Run("a client that never reads", func(t *testing.T) {
			// It sends all the time, and reads none of the replies: they fill
			// its socket, and its handler waits on Send for good, reading
			// nothing more. To the server it is as silent as a client that
			// sends nothing, and it must be closed too.
			s := startServer(t, nil, "-idle", "1s")
			c := smallBuffer(t, s.addr)
			t.Cleanup(func() { c.Close() })
			go func() {
				for chunk := make([]byte, 64<<10); ; {
					if _, err := c.Write(chunk); err != nil {
						return // the server has closed it, or the test is over
					}
				}
			}()
			if !s.await("Connection closed "+c.LocalAddr().String(), 15*time.Second) {
				missing(t, "a client that sends all the time but never reads, its handler waiting on Send, was still open after 15s: close the clients whose handlers wait in sendWait too")
			}
		})
		still(t, "TestSession", TestSession)
		still(t, "TestGracefulShutdown", TestGracefulShutdown)
	})
	t.Run("eager", func(t *testing.T) {
		// The step 4 tests prove it correct; this proves the order. A
		// loopback socket always has room for a short reply, so a handler
		// that writes first never needs to wait on Send.
		if n := sendWaits(t, 100); n > 0 {
			missing(t, "echoHandler waited on Send %d times in 100 short echoes: write first, and wait on Send only when the kernel says EAGAIN", n)
		}
		still(t, "TestHello", TestHello)
		still(t, "TestManyClientsAtOnce", TestManyClientsAtOnce)
		still(t, "TestSlowReader", TestSlowReader)
		still(t, "TestPartialWrites", TestPartialWrites)
		still(t, "TestResetsStayWithTheirClient", TestResetsStayWithTheirClient)
		still(t, "TestNoAllocationPerMessage", TestNoAllocationPerMessage)
		still(t, "TestShutdown", TestShutdown)
		still(t, "TestGracefulShutdown", TestGracefulShutdown)
	})
	t.Run("epoll", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("epoll is Linux's; on macOS and the BSDs, kqueue does its work (docs/exercises.md)")
		}
		if calls := sourceCalls(t, "unix.Select"); len(calls) > 0 {
			missing(t, "the server still calls unix.Select (%s)", calls[0])
		}
		if len(sourceCalls(t, "unix.EpollWait")) == 0 {
			missing(t, "the server never calls unix.EpollWait")
		}
		forbidSelect(t)
		still(t, "TestHello", TestHello)
		still(t, "TestManyClientsAtOnce", TestManyClientsAtOnce)
		still(t, "TestIdleClientHoldsUpNoOne", TestIdleClientHoldsUpNoOne)
		still(t, "TestClosedClientsLeaveNoDescriptors", TestClosedClientsLeaveNoDescriptors)
		still(t, "TestSlowReader", TestSlowReader)
		still(t, "TestPartialWrites", TestPartialWrites)
		still(t, "TestWokenForNothing", TestWokenForNothing)
		still(t, "TestResetsStayWithTheirClient", TestResetsStayWithTheirClient)
		still(t, "TestBrokenTasksDoNotStopTheServer", TestBrokenTasksDoNotStopTheServer)
		interruptedWait(t, "epoll_wait")
		still(t, "TestOutOfDescriptors", TestOutOfDescriptors)
		still(t, "TestOutOfDescriptorsWithoutSpinning", TestOutOfDescriptorsWithoutSpinning)
		still(t, "TestClassroom", TestClassroom)
		still(t, "TestShutdown", TestShutdown)
		still(t, "TestGracefulShutdown", TestGracefulShutdown)
		pastSelectsLimit(t)
	})
}

// await reads the server's output until a line starts with prefix, and
// reports whether one did within d.
func (s *server) await(prefix string, d time.Duration) bool {
	timeout := time.After(d)
	for {
		select {
		case line, ok := <-s.stdout:
			if !ok {
				return false
			}
			s.seen = append(s.seen, line)
			if strings.HasPrefix(line, prefix) {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

// pastSelectsLimit has 1100 clients connected at once, more than select
// can watch, and each must be served.
func pastSelectsLimit(t *testing.T) {
	t.Helper()
	t.Run("1100 connections", func(t *testing.T) {
		enoughFiles(t, 1100+1100+100) // the clients' ends here, the server's in its process
		s := startServer(t, nil, "-quiet")
		for i := range 1100 {
			if err := echo(s.dial(), "x"); err != nil {
				missing(t, "connection %d of 1100 got no reply (%v): is the limit of select still there?", i+1, err)
			}
		}
	})
}

// enoughFiles raises this process's soft limit on open descriptors to n,
// which the servers it starts inherit, or skips the test, saying why, when
// the hard limit is lower.
func enoughFiles(t *testing.T, n int) {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if uint64(lim.Cur) >= uint64(n) {
		return
	}
	if uint64(lim.Max) < uint64(n) {
		t.Skipf("needs %d open descriptors; the hard limit here is %d (ulimit -Hn)", n, lim.Max)
	}
	old := lim
	setTo(&lim.Cur, n)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("needs %d open descriptors; raising the limit from %d: %v", n, old.Cur, err)
	}
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_NOFILE, &old) })
}

// sendWaits runs echoHandler in this process for n short echoes over a
// socketpair, and returns how often it waited on Send.
func sendWaits(t *testing.T, n int) int {
	fd, client := socketPair(t)
	waits := 0
	done := make(chan error, 1)
	go func() {
		defer client.CloseWrite() // the handler reads EOF, and ends
		for i := range n {
			if err := echo(client, fmt.Sprint("message ", i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	srv := testServer()
	schedule(t, srv, named{"echoHandler(pair)", watched(srv.echoHandler(fd, "pair"), func(why reason) {
		if why == Send {
			waits++
		}
	})})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return waits
}

// still runs one of the step's tests, which the solution must still pass.
func still(t *testing.T, name string, test func(*testing.T)) {
	t.Helper()
	if !t.Run(name, test) {
		if os.Getenv("STEP_FORBID_SELECT") == "1" {
			missing(t, "the server fails %s when the kernel refuses it select: does it still call select? (go test -run %s ./step4-server/robust, with select allowed)", name, name)
		}
		missing(t, "the server no longer passes %s (go test -run %s ./step4-server/robust says why)", name, name)
	}
}

// missing stops a check with one line that says what is still missing.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Fatalf("MISSING: "+format, args...)
}

// sources parses the step's Go files, tests left out: an exercise may
// put its code in any of them.
func sources(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return fset, files
}

// hasMethod reports whether the step declares a method typ.name.
func hasMethod(t *testing.T, typ, name string) bool {
	_, files := sources(t)
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != name {
				continue
			}
			r := fn.Recv.List[0].Type
			if star, ok := r.(*ast.StarExpr); ok {
				r = star.X
			}
			if id, ok := r.(*ast.Ident); ok && id.Name == typ {
				return true
			}
		}
	}
	return false
}

// source returns the text of the step's function name, or of the method
// Type.name, or "".
func source(t *testing.T, name string) string {
	fset, files := sources(t)
	typ, method, isMethod := strings.Cut(name, ".")
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			var found bool
			if isMethod {
				found = fn.Recv != nil && fn.Name.Name == method && hasMethod(t, typ, method) && receiverIs(fn, typ)
			} else {
				found = fn.Recv == nil && fn.Name.Name == name
			}
			if found {
				src, err := os.ReadFile(fset.Position(fn.Pos()).Filename)
				if err != nil {
					t.Fatal(err)
				}
				return string(src[fset.Position(fn.Pos()).Offset:fset.Position(fn.End()).Offset])
			}
		}
	}
	return ""
}

// sourceCalls returns where the step's files call pkg.Name (e.g.
// "unix.Select"), as file:line.
func sourceCalls(t *testing.T, name string) []string {
	fset, files := sources(t)
	var at []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name+"."+sel.Sel.Name == name {
						pos := fset.Position(call.Pos())
						at = append(at, fmt.Sprintf("%s:%d", pos.Filename, pos.Line))
					}
				}
			}
			return true
		})
	}
	return at
}

// receiverIs reports whether fn is a method of typ or *typ.
func receiverIs(fn *ast.FuncDecl, typ string) bool {
	r := fn.Recv.List[0].Type
	if star, ok := r.(*ast.StarExpr); ok {
		r = star.X
	}
	id, ok := r.(*ast.Ident)
	return ok && id.Name == typ
}
