//go:build exercises

// Checks for the exercises in docs/exercises.md: `make check EX=step3-sleep`.
// They are kept out of `go test ./...` behind a build tag, because the
// step as it stands does not solve them.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExercise(t *testing.T) {
	t.Run("sleep", func(t *testing.T) {
		args := []string{"-sleep"}
		start := time.Now()
		out := exercise(t, args...)
		sameLines(t, args, out, `a: sleeping 30 ms
b: sleeping 10 ms
c: sleeping 20 ms
b: woke up
Task done
c: woke up
Task done
a: woke up
Task done
`)
		if took := time.Since(start); took < 30*time.Millisecond {
			missing(t, "`%s` took %v: the longest sleep alone is 30 ms", command(args), took)
		}
		// One select per sleeper, give or take a wake-up a microsecond
		// early. A timeout of zero makes thousands: the scheduler spins,
		// at full CPU, until the time comes. The trace counts them,
		// however fast or slow the machine.
		args = []string{"-sleep", "-trace"}
		switch selects := strings.Count(exercise(t, args...), "[trace] select"); {
		case selects == 0:
			missing(t, "`%s` shows no select: when every task sleeps, ioWait must sleep in select, with a timeout", command(args))
		case selects > 12:
			missing(t, "`%s` shows %d selects for three sleepers: it spins. select's timeout must be the time until the soonest sleeper wakes", command(args), selects)
		}
		unchanged(t)
	})
	t.Run("pingpong", func(t *testing.T) {
		var want strings.Builder
		for n := 1; n <= 10; n++ {
			who := "ping"
			if n%2 == 1 {
				who = "pong"
			}
			fmt.Fprintf(&want, "%s got %d\n", who, n)
		}
		want.WriteString("Task done\nTask done\n")
		args := []string{"-pingpong"}
		sameLines(t, args, exercise(t, args...), want.String())
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
