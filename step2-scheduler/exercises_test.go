//go:build exercises

// Checks for the exercises in docs/exercises.md: `make check EX=step2-ids`.
// They are kept out of `go test ./...` behind a build tag, because the
// step as it stands does not solve them.
package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExercise(t *testing.T) {
	golden, err := os.ReadFile("testdata/output.golden")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ids", func(t *testing.T) {
		want := string(golden)
		for _, id := range []string{"2", "1", "3"} { // the order in which the tasks end
			want = strings.Replace(want, "Task done\n", "Task "+id+" finished\n", 1)
		}
		want = strings.ReplaceAll(want, "finished", "done")
		args := []string{"-ids"}
		sameLines(t, args, exercise(t, args...), want)
		unchanged(t)
	})
	t.Run("crash", func(t *testing.T) {
		args := []string{"-crash"}
		out := exercise(t, args...)
		if !strings.Contains(out, "Task crasher failed: boom\n") {
			missing(t, "`%s` should print \"Task crasher failed: boom\"", command(args))
		}
		var others []string
		for _, line := range strings.SplitAfter(out, "\n") {
			if !strings.Contains(line, "crasher") {
				others = append(others, line)
			}
		}
		if strings.Join(others, "") != string(golden) {
			missing(t, "with -crash, the three other tasks must still print all their lines, and \"Task done\" each")
		}
		unchanged(t)
	})
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
