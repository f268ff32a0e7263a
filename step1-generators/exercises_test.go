//go:build exercises

// Checks for the exercises in docs/exercises.md: `make check EX=step1-fib`.
// They are kept out of `go test ./...` behind a build tag, because the
// step as it stands does not solve them.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExercise(t *testing.T) {
	t.Run("fib", func(t *testing.T) {
		for _, n := range []string{"10", "3"} {
			args := []string{"-fib", n}
			want := map[string]string{
				"10": "0\n1\n1\n2\n3\n5\n8\n13\n21\n34\nfibonacci: stopped\n",
				"3":  "0\n1\n1\nfibonacci: stopped\n",
			}[n]
			sameLines(t, args, exercise(t, args...), want)
		}
		unchanged(t)
	})
	t.Run("pipeline", func(t *testing.T) {
		for _, name := range []string{"filter", "apply"} {
			if !hasFunc(t, name) {
				missing(t, "main.go has no function %s", name)
			}
		}
		// -pipeline reads every value, so it cannot show a helper that
		// goes on after its consumer stops (Go then panics). The source can.
		for _, name := range []string{"filter", "apply"} {
			if call := ignoredYield(t, name); call != "" {
				missing(t, "%s calls %s and ignores what it returns: when it returns false, the consumer wants no more, and %s must return", name, call, name)
			}
		}
		args := []string{"-pipeline"}
		sameLines(t, args, exercise(t, args...), "Starting countdown from 10\n100\n64\n36\n16\n4\nCountdown complete!\n")
		unchanged(t)
	})
}

// hasFunc reports whether main.go declares a function called name.
func hasFunc(t *testing.T, name string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == name {
			return true
		}
	}
	return false
}

// ignoredYield returns the first call in main.go's function name, as
// source text, that calls a yield function (a parameter of type func(...)
// bool of a function literal) as a statement of its own, dropping the bool.
func ignoredYield(t *testing.T, name string) string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var found string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Name.Name != name || fn.Body == nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			lit, ok := n.(*ast.FuncLit)
			if !ok {
				return found == ""
			}
			yields := map[string]bool{}
			for _, p := range lit.Type.Params.List {
				if ft, ok := p.Type.(*ast.FuncType); ok && ft.Results != nil && len(ft.Results.List) == 1 {
					if id, ok := ft.Results.List[0].Type.(*ast.Ident); ok && id.Name == "bool" {
						for _, n := range p.Names {
							yields[n.Name] = true
						}
					}
				}
			}
			ast.Inspect(lit.Body, func(n ast.Node) bool {
				if s, ok := n.(*ast.ExprStmt); ok && found == "" {
					if call, ok := s.X.(*ast.CallExpr); ok {
						if id, ok := call.Fun.(*ast.Ident); ok && yields[id.Name] {
							found = fmt.Sprintf("%s(...) at line %d", id.Name, fset.Position(call.Pos()).Line)
						}
					}
				}
				return found == ""
			})
			return false
		})
	}
	return found
}

// exercise runs the program with args, as `go run` would, and returns its
// output; if it fails, the check stops with the program's own first line.
func exercise(t *testing.T, args ...string) string {
	t.Helper()
	out, stderr, err := runChild(args...)
	if err != nil {
		first, _, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
		missing(t, "`%s` fails: %s", command(args), first)
	}
	return out
}

// command is how a student would run the program with args.
func command(args []string) string {
	dir, _ := os.Getwd()
	return strings.TrimSpace("go run ./" + filepath.Base(dir) + " " + strings.Join(args, " "))
}

// missing stops a check with one line that says what is still missing.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Fatalf("MISSING: "+format, args...)
}

// sameLines checks the output of args line by line against want.
func sameLines(t *testing.T, args []string, got, want string) {
	t.Helper()
	if usual, err := os.ReadFile("testdata/output.golden"); err == nil && got == string(usual) {
		missing(t, "`%s` prints the usual output: the program has no %s flag yet", command(args), args[0])
	}
	if line, g, w := firstDiff(got, want); line > 0 {
		missing(t, "line %d of `%s` should be %q, not %q", line, command(args), w, g)
	}
}

// unchanged checks that the program's usual output is still its golden file.
func unchanged(t *testing.T) {
	t.Helper()
	want, err := os.ReadFile("testdata/output.golden")
	if err != nil {
		t.Fatal(err)
	}
	if exercise(t) != string(want) {
		missing(t, "without flags, the program must print what it printed before (testdata/output.golden)")
	}
}
