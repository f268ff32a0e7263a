//go:build exercises

// The check for step4-conn, the exercise of docs/exercises.md that builds
// on this server: `make check EX=step4-conn`. It is kept out of `go test
// ./...` behind a build tag, because the step as it stands does not solve
// it; it reuses the step's own tests. The other step 4 exercises build on
// robust/, and their checks are there.
package main

import (
	"cmp"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
		handler := source(t, "echoHandler")
		for _, call := range []string{".Recv(yield", ".SendAll(yield"} {
			if !strings.Contains(handler, call) {
				missing(t, "echoHandler does not call %s, ...)", call)
			}
		}
		if strings.Contains(handler, "unix.Read(") || strings.Contains(handler, "unix.Write(") {
			missing(t, "echoHandler still reads or writes the socket itself: let Recv and SendAll do it")
		}
		connCheck(t)
		still(t, "TestHello", TestHello)
		still(t, "TestClientsTakeTurns", TestClientsTakeTurns)
		still(t, "TestAResetEndsOnlyItsClient", TestAResetEndsOnlyItsClient)
		still(t, "TestSession", TestSession)
		still(t, "TestStep3Scheduler", TestStep3Scheduler)
	})
}

// connCheck runs TestConnCheck, of testdata/conn_check_test.go, which calls
// the step's Recv and SendAll itself. That file names conn, and would stop
// this one from building while the step has none: so it is added only to
// a build of its own, with go test -overlay, which leaves the folder as it
// is. GO, which check.sh sets, is the go command to use.
func connCheck(t *testing.T) {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("testdata", "conn_check_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	dst, err := filepath.Abs("conn_check_test.go")
	if err != nil {
		t.Fatal(err)
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {dst: src}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "overlay.json")
	if err := os.WriteFile(path, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cmp.Or(os.Getenv("GO"), "go"), "test", "-count=1", "-overlay", path, "-run", "^TestConnCheck$", ".").CombinedOutput()
	if err == nil {
		return
	}
	if m := regexp.MustCompile(`MISSING: (.*)`).FindSubmatch(out); m != nil {
		missing(t, "%s", m[1])
	}
	// It did not build: the step's conn is not as the exercise says.
	first := regexp.MustCompile(`(?m)^\S*\.go:\d+.*$`).Find(out)
	missing(t, "the check's test of conn (step4-server/testdata/conn_check_test.go) fails with your conn: %s", cmp.Or(string(first), strings.TrimSpace(string(out))))
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

// hasMethod reports whether the step declares a method typ.name, on typ
// or *typ.
func hasMethod(t *testing.T, typ, name string) bool {
	_, files := sources(t)
	for _, f := range files {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil && fn.Name.Name == name {
				r := fn.Recv.List[0].Type
				if star, ok := r.(*ast.StarExpr); ok {
					r = star.X
				}
				if id, ok := r.(*ast.Ident); ok && id.Name == typ {
					return true
				}
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
