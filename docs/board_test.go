package docs

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fakeGo is a stand-in for go that answers check.sh's `go test -run
// ^TestExercise$/^NAME$` as a student's tree might: fib solved, pipeline
// missing something (in a line with commas and quotes), ids not building
// (two lines of errors), and every other exercise missing something.
const fakeGo = `#!/bin/sh
case "$*" in
*'/^fib$'*) echo ok; exit 0 ;;
*'/^pipeline$'*)
	echo '--- FAIL: TestExercise (0.01s)'
	echo '    exercises_test.go:33: MISSING: line 2 of ` + "`go run ./step1-generators -pipeline`" + ` should be "100", not "64"'
	echo FAIL; exit 1 ;;
*'/^ids$'*)
	echo '# gensched/step2-scheduler [gensched/step2-scheduler.test]'
	echo 'step2-scheduler/main.go:49:16: undefined: showIDs'
	echo 'step2-scheduler/scheduler.go:52:5: undefined: lastID'
	echo 'FAIL	gensched/step2-scheduler [build failed]'; exit 1 ;;
*) echo '    exercises_test.go:1: MISSING: not yet'; exit 1 ;;
esac
`

// runBoard runs `make check` (check.sh, with no exercise named) with the
// fake go and the environment env, and returns its output.
func runBoard(t *testing.T, env ...string) string {
	t.Helper()
	gobin := filepath.Join(t.TempDir(), "go")
	if err := os.WriteFile(gobin, []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "exercises/check.sh")
	cmd.Env = append(os.Environ(), append([]string{"GO=" + gobin, "FORMAT=", "STUDENT="}, env...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check.sh %q: %v\n%s", env, err, out)
	}
	return string(out)
}

// TestBoardCSV checks `make check FORMAT=csv`: a header, then one CSV
// record per exercise, in the order of exercises/list.sh, that a
// spreadsheet reads as four columns whatever the check said.
func TestBoardCSV(t *testing.T) {
	out := runBoard(t, "FORMAT=csv", `STUDENT=Kim, "Minji"`)
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV with the same number of fields in every line: %v\n%s", err, out)
	}
	if got := strings.Join(records[0], ","); got != "student,exercise,status,detail" {
		t.Fatalf("header = %q", got)
	}
	var exercises []string
	for _, r := range records[1:] {
		exercises = append(exercises, r[1])
		if r[0] != `Kim, "Minji"` {
			t.Errorf("%s: student = %q", r[1], r[0])
		}
		want := map[string][2]string{
			"step1-fib":      {"pass", ""},
			"step1-pipeline": {"fail", "line 2 of `go run ./step1-generators -pipeline` should be \"100\", not \"64\""},
			"step2-ids":      {"error", "step2-scheduler/main.go:49:16: undefined: showIDs; step2-scheduler/scheduler.go:52:5: undefined: lastID"},
		}[r[1]]
		if want[0] == "" {
			want = [2]string{"fail", "not yet"}
		}
		if r[2] != want[0] || r[3] != want[1] {
			t.Errorf("%s: status and detail = %q, %q; want %q, %q", r[1], r[2], r[3], want[0], want[1])
		}
	}
	if all := listedExercises(t); !slices.Equal(exercises, all) {
		t.Errorf("the board lists %q, want %q", exercises, all)
	}
}

// TestBoardText checks that the board a student reads stays the default:
// a line per exercise (and a second line where the check says more), then
// a count.
func TestBoardText(t *testing.T) {
	out := runBoard(t)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var exercises []string
	for _, line := range lines[:len(lines)-1] {
		if result, ex, ok := strings.Cut(line, "  "); ok && (result == "PASS" || result == "FAIL") {
			ex, _, _ = strings.Cut(ex, ":")
			exercises = append(exercises, ex)
		} else if !strings.HasPrefix(line, "      ") {
			t.Errorf("a line that is neither a result nor its second line: %q", line)
		}
	}
	if all := listedExercises(t); !slices.Equal(exercises, all) {
		t.Errorf("the board lists %q, want %q", exercises, all)
	}
	if lines[0] != "PASS  step1-fib" || !strings.HasPrefix(lines[1], "FAIL  step1-pipeline: line 2 of") {
		t.Errorf("the board begins:\n%s\n%s", lines[0], lines[1])
	}
	if want := regexp.MustCompile(`^1 of \d+ exercises solved`); !want.MatchString(lines[len(lines)-1]) {
		t.Errorf("the board ends %q", lines[len(lines)-1])
	}
}

// listedExercises returns the exercises of exercises/list.sh, in order.
func listedExercises(t *testing.T) []string {
	t.Helper()
	list, err := os.ReadFile("exercises/list.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^EXERCISES="([^"]*)"`).FindSubmatch(list)
	if m == nil {
		t.Fatal("exercises/list.sh sets no EXERCISES")
	}
	return strings.Fields(string(m[1]))
}
