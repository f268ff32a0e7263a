package main

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeGo stands in for go under check.sh: step1-fib is solved, step2-ids
// does not build, and every other exercise misses something.
const fakeGo = `#!/bin/sh
case "$*" in
*'/^fib$'*) echo ok; exit 0 ;;
*'/^ids$'*) echo 'step2-scheduler/main.go:49:16: undefined: showIDs'; exit 1 ;;
*) echo '    exercises_test.go:1: MISSING: not yet, "really"'; exit 1 ;;
esac
`

// board writes the board that `make check FORMAT=csv STUDENT=student`
// prints (check.sh, with fakeGo) into dir, and returns its path.
func board(t *testing.T, dir, file, student string) string {
	t.Helper()
	gobin := filepath.Join(t.TempDir(), "go")
	if err := os.WriteFile(gobin, []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "../exercises/check.sh")
	cmd.Env = append(os.Environ(), "GO="+gobin, "FORMAT=csv", "STUDENT="+student)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check.sh: %v\n%s", err, out)
	}
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCounts counts three boards made by check.sh, one of them a student's
// whose name has a comma and a quote, and a fourth written by hand in which
// that student has solved one more exercise: each student is one student,
// and every exercise is listed, those that nobody solved with 0.
func TestCounts(t *testing.T) {
	dir := t.TempDir()
	choi := `Choi, "Minji"`
	files := []string{
		board(t, dir, "board-kim.csv", "kim"),
		board(t, dir, "board-choi.csv", choi),
		board(t, dir, "board-lee.csv", "lee"),
	}
	later := filepath.Join(dir, "board-choi-2.csv")
	if err := os.WriteFile(later, []byte("student,exercise,status,detail\n\"Choi, \"\"Minji\"\"\",step3-sleep,pass,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, later)
	exercises, err := readList("../exercises/list.sh")
	if err != nil {
		t.Fatal(err)
	}
	var results []result
	for _, f := range files {
		r, err := readBoard(f)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, r...)
	}
	var out strings.Builder
	if err := writeCounts(&out, exercises, results); err != nil {
		t.Fatal(err)
	}
	n := len(exercises)
	for _, want := range []string{
		"Exercises solved, by student (3 students):\n",
		"   2 of " + strconv.Itoa(n) + "  " + choi + "\n",
		"   1 of " + strconv.Itoa(n) + "  kim\n",
		"   1 of " + strconv.Itoa(n) + "  lee\n",
		"   3 of 3  step1-fib\n",
		"   1 of 3  step3-sleep\n",
		"   0 of 3  step4-epoll\n",
		"  kim, step2-ids: step2-scheduler/main.go:49:16: undefined: showIDs\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the counts lack %q:\n%s", want, out.String())
		}
	}
	for _, e := range exercises {
		if !strings.Contains(out.String(), " of 3  "+e+"\n") {
			t.Errorf("exercise %s is not listed:\n%s", e, out.String())
		}
	}
	if strings.Contains(out.String(), `"Choi`) {
		t.Errorf("a student is split at the comma in the name:\n%s", out.String())
	}

	var joined strings.Builder
	if err := writeJoined(&joined, results); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(strings.NewReader(joined.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1+3*n+1 || records[1+n][0] != choi {
		t.Errorf("joined: %d records, want %d, with %q in the first column of record %d:\n%s", len(records), 1+3*n+1, choi, 1+n, joined.String())
	}
}

// TestNotABoard checks that a file that is not a board is an error.
func TestNotABoard(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.csv")
	if err := os.WriteFile(path, []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readBoard(path); err == nil {
		t.Error("read as a board")
	}
}
