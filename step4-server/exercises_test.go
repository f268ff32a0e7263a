//go:build exercises

// Checks for the exercises in docs/exercises.md: `make check EX=step4-conn`.
// They are kept out of `go test ./...` behind a build tag, because the
// step as it stands does not solve them. They reuse the step's own tests.
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
	"strings"
	"testing"
)

func TestExercise(t *testing.T) {
	t.Run("conn", func(t *testing.T) {
		for _, m := range []string{"Recv", "SendAll"} {
			if !hasMethod(t, "conn", m) {
				missing(t, "step4-server has no method (*conn).%s", m)
			}
		}
		for _, call := range []string{".Recv(yield", ".SendAll(yield"} {
			if !strings.Contains(source(t, "echoHandler"), call) {
				missing(t, "echoHandler does not call %s, ...)", call)
			}
		}
		still(t, "TestHello", TestHello)
		still(t, "TestPartialWrites", TestPartialWrites)
		still(t, "TestResetsStayWithTheirClient", TestResetsStayWithTheirClient)
		still(t, "TestShutdown", TestShutdown)
		still(t, "TestGracefulShutdown", TestGracefulShutdown)
	})
	t.Run("poll", func(t *testing.T) {
		wait := source(t, "ioWait")
		if strings.Contains(wait, "unix.Select(") || !strings.Contains(wait, "unix.Poll(") {
			missing(t, "ioWait still calls unix.Select instead of unix.Poll")
		}
		still(t, "TestHello", TestHello)
		still(t, "TestManyClientsAtOnce", TestManyClientsAtOnce)
		still(t, "TestShutdown", TestShutdown)
		t.Run("1100 connections", func(t *testing.T) {
			s := startServer(t, nil, "-quiet")
			conns := make([]interface{ Close() error }, 0, 1100)
			for i := range 1100 {
				c := s.dial()
				if err := echo(c, "x"); err != nil {
					missing(t, "connection %d of 1100 got no reply (%v): is the limit of select still there?", i+1, err)
				}
				conns = append(conns, c)
			}
		})
	})
	t.Run("idle", func(t *testing.T) {
		if _, usage, _ := runChild("-h"); !strings.Contains(usage, "-idle") {
			missing(t, "step4-server has no flag -idle")
		}
		t.Run("a silent client", func(t *testing.T) {
			s := startServer(t, nil, "-quiet", "-idle", "1s")
			silent, busy := s.dial(), s.dial()
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
		still(t, "TestSession", TestSession)
		still(t, "TestGracefulShutdown", TestGracefulShutdown)
	})
}

// still runs one of the step's tests, which the solution must still pass.
func still(t *testing.T, name string, test func(*testing.T)) {
	t.Helper()
	if !t.Run(name, test) {
		missing(t, "the server no longer passes %s (go test -run %s ./step4-server says why)", name, name)
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

// source returns the text of the step's function name, or "".
func source(t *testing.T, name string) string {
	fset, files := sources(t)
	for _, f := range files {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == name {
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
