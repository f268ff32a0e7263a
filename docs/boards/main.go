// Command boards counts the students' boards that a teacher collects: the
// CSV files of `make check FORMAT=csv STUDENT=name` (docs/teaching.md). It
// reads them as CSV, so a name with a comma or a quote counts as one
// student, and lists every exercise of docs/exercises/list.sh, those that
// nobody has solved included.
//
//	go run ./docs/boards ~/boards/board-*.csv         how many each student and each exercise has, and who is stuck
//	go run ./docs/boards -join ~/boards/board-*.csv   the boards as one CSV, with one header, for a spreadsheet
//
// Run it from the repository's root, where it finds docs/exercises/list.sh.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
)

// header is the first line of every board, as check.sh writes it.
var header = []string{"student", "exercise", "status", "detail"}

// A result is one line of a board.
type result struct {
	student, exercise, status, detail string
}

// main reads the boards named on the command line and prints their
// counts, or joins them.
func main() {
	join := flag.Bool("join", false, "print the boards as one CSV, with one header, instead of the counts")
	list := flag.String("list", "docs/exercises/list.sh", "the file that lists the exercises")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./docs/boards [-join] [-list file] board.csv ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	exercises, err := readList(*list)
	if err != nil {
		fmt.Fprintln(os.Stderr, "boards:", err)
		os.Exit(1)
	}
	var results []result
	for _, name := range flag.Args() {
		r, err := readBoard(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "boards:", err)
			os.Exit(1)
		}
		results = append(results, r...)
	}
	if *join {
		err = writeJoined(os.Stdout, results)
	} else {
		err = writeCounts(os.Stdout, exercises, results)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "boards:", err)
		os.Exit(1)
	}
}

// readList returns the exercises that a list.sh sets, in order.
func readList(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%v (run it from the repository's root, or give -list)", err)
	}
	m := regexp.MustCompile(`(?m)^EXERCISES="([^"]*)"`).FindSubmatch(b)
	if m == nil {
		return nil, fmt.Errorf("%s sets no EXERCISES", path)
	}
	return strings.Fields(string(m[1])), nil
}

// readBoard reads one board, and checks its header: a file that is not a
// board is an error, not a student with no exercise solved.
func readBoard(path string) ([]result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(records) == 0 || !slices.Equal(records[0], header) {
		return nil, fmt.Errorf("%s: not a board: its first line is not %s", path, strings.Join(header, ","))
	}
	var results []result
	for _, r := range records[1:] {
		results = append(results, result{r[0], r[1], r[2], r[3]})
	}
	return results, nil
}

// writeJoined writes the results as one CSV, with one header.
func writeJoined(w io.Writer, results []result) error {
	c := csv.NewWriter(w)
	c.Write(header)
	for _, r := range results {
		c.Write([]string{r.student, r.exercise, r.status, r.detail})
	}
	c.Flush()
	return c.Error()
}

// writeCounts writes how many exercises each student has solved (most
// first), how many students have solved each exercise (in the list's
// order, every one, and any the boards add), and the errors: a student
// whose step does not build is stuck, not slow. Where a student handed in
// more than one board, the later line for an exercise counts.
func writeCounts(w io.Writer, exercises []string, results []result) error {
	var students []string
	status := map[[2]string]result{} // student, exercise -> its last result
	for _, r := range results {
		if !slices.Contains(students, r.student) {
			students = append(students, r.student)
		}
		if !slices.Contains(exercises, r.exercise) {
			exercises = append(exercises, r.exercise)
		}
		status[[2]string{r.student, r.exercise}] = r
	}
	solved := func(student string) int {
		n := 0
		for _, e := range exercises {
			n += boolInt(status[[2]string{student, e}].status == "pass")
		}
		return n
	}
	slices.SortStableFunc(students, func(a, b string) int {
		if d := solved(b) - solved(a); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})

	fmt.Fprintf(w, "Exercises solved, by student (%d students):\n", len(students))
	for _, s := range students {
		fmt.Fprintf(w, "  %2d of %d  %s\n", solved(s), len(exercises), s)
	}
	fmt.Fprintf(w, "Students who solved it, by exercise:\n")
	for _, e := range exercises {
		n := 0
		for _, s := range students {
			n += boolInt(status[[2]string{s, e}].status == "pass")
		}
		fmt.Fprintf(w, "  %2d of %d  %s\n", n, len(students), e)
	}
	fmt.Fprintf(w, "Errors (the step does not build, or a test broke):\n")
	none := true
	for _, s := range students {
		for _, e := range exercises {
			if r := status[[2]string{s, e}]; r.status == "error" {
				fmt.Fprintf(w, "  %s, %s: %s\n", s, e, r.detail)
				none = false
			}
		}
	}
	if none {
		fmt.Fprintln(w, "  none")
	}
	return nil
}

// boolInt returns 1 for true, 0 for false.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
