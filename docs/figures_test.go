package docs

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// A figure is a number that more than one page states: one page measures
// or defines it (its home), and others quote it, in English or in Korean.
// A quote that is not a link drifts when the home changes; TestFigures
// keeps every quote equal to its home.
type figure struct {
	what  string         // what the figure is, for messages
	home  string         // the file that states it first hand, relative to docs/
	pages []string       // the pages that quote it, each at least once; nil: any page may
	find  *regexp.Regexp // the figure as the pages write it: the number in the first group that matched
}

// selectLimit is the number of clients the robust server serves at once
// before it refuses the next: 1024 descriptors that select can watch, less
// the ones it holds itself. Any "about 10xx" or "10xx clients" on any page
// is that number (1000 itself is a round number of clients, not a limit).
var selectLimit = regexp.MustCompile(`(?i)\babout (10(?:0[1-9]|1\d|2[0-3]))\b|\b(10(?:0[1-9]|1\d|2[0-3]))(?: clients|개)`)

// figures lists the figures that pages quote from one another. A page that
// quotes a figure of another page either links to it, or is listed here.
func figures() []figure {
	fs := []figure{
		{"clients served at once, below select's limit", "step4-robust.md", nil, selectLimit},
		{"the oldest Go, which CI runs the tests with too", "../go.mod",
			[]string{"../README.md", "teaching.md", "ko/teaching.md"},
			regexp.MustCompile(`(?m)^go (1\.\d+)|Go (1\.\d+) or newer|Go (1\.\d+)\.0\b|Go (1\.\d+) 이상`)},
		{"memory of a paused task, in KB", "performance.md",
			[]string{"teaching.md", "ko/teaching.md", "ko/performance.md"},
			regexp.MustCompile(`a paused task holds about ([0-9.]+) KB|keeps its stack, about ([0-9.]+) KB|([0-9.]+) KB쯤 되는 자기 스택|일시 중지된 작업 하나는 약 ([0-9.]+) KB`)},
		{"what writing first saves beside idle clients, in %", "performance.md",
			[]string{"exercises.md", "ko/exercises.md", "ko/performance.md"},
			regexp.MustCompile(`it saves nearly (\d+)%|nearly (\d+)% of what a message costs|(\d+)% 가까이`)},
		{"how long make bench takes, in minutes", "../Makefile",
			[]string{"../README.md"},
			regexp.MustCompile(`pinned; about (\d+) minutes|benchmarks \(about (\d+) minutes\)`)},
		{"the length of the class, in minutes", "teaching.md",
			[]string{"../README.md", "ko/teaching.md"},
			regexp.MustCompile(`(\d+)-minute class|(\d+)분 수업`)},
		{"the length of the workshop, in hours", "teaching.md",
			[]string{"../README.md", "ko/teaching.md"},
			regexp.MustCompile(`(\d+)-hour workshop|(\d+)시간 워크숍`)},
	}
	// The time a walkthrough takes: on its first lines, and in the tables
	// of walkthroughs.
	for _, step := range []string{"step1-generators", "step2-scheduler", "step3-io-wait", "step4-server", "step4-robust"} {
		link := regexp.QuoteMeta("(" + step + ".md)")
		fs = append(fs, figure{"the time " + step + ".md takes, in minutes", step + ".md",
			[]string{"ko/" + step + ".md", "README.md", "ko/README.md"},
			regexp.MustCompile(`About (\d+) minutes\.|약 (\d+)분\.|` + link + ` \|[^|\n]*\| (\d+) min \||` + link + ` \|[^|\n]*\|[^|\n]*\| (\d+)분 \|`)})
	}
	return fs
}

// TestFigures checks that every page quotes each figure as its home states
// it.
func TestFigures(t *testing.T) {
	everyPage := markdownFiles(t)
	for _, f := range figures() {
		home, err := os.ReadFile(f.home)
		if err != nil {
			t.Fatal(err)
		}
		want := quoted(f.find, string(home))
		if len(want) == 0 {
			t.Errorf("%s: %s no longer states %s (%s); update the figures in figures_test.go", f.what, f.home, f.what, f.find)
			continue
		}
		pages := append([]string{f.home}, f.pages...)
		if f.pages == nil {
			pages = everyPage
		}
		for _, page := range pages {
			text, err := os.ReadFile(page)
			if err != nil {
				t.Fatal(err)
			}
			got := quoted(f.find, string(text))
			if len(got) == 0 && f.pages != nil {
				t.Errorf("%s: %s no longer quotes %s; link to %s instead, and take it out of figures_test.go", f.what, page, f.what, f.home)
			}
			for _, g := range got {
				if g.value != want[0].value {
					t.Errorf("%s: %s:%d says %s, and %s, where it comes from, says %s", f.what, page, g.line, g.value, f.home, want[0].value)
				}
			}
		}
	}
}

// A quote is one place where a page states a figure.
type quote struct {
	line  int
	value string
}

// quoted lists where text states the figure that find finds.
func quoted(find *regexp.Regexp, text string) []quote {
	var out []quote
	for _, m := range find.FindAllStringSubmatchIndex(text, -1) {
		for g := 1; g < len(m)/2; g++ {
			if m[2*g] >= 0 {
				line := 1 + strings.Count(text[:m[0]], "\n")
				out = append(out, quote{line, text[m[2*g]:m[2*g+1]]})
				break
			}
		}
	}
	return out
}

// TestFiguresCatch shows that TestFigures' patterns catch a stale quote of
// the select limit, in either language, and leave other numbers alone.
func TestFiguresCatch(t *testing.T) {
	for text, want := range map[string]string{
		"so about 1017 clients can be":           "1017",
		"About 1020: `select` cannot":            "1020",
		"클라이언트는 1020개쯤입니다":                       "1020",
		"1000 clients connecting at once":        "",
		"descriptors 0 to 1023 (`FD_SETSIZE`)":   "",
		"`connection 1017 of 1100 got no reply`": "",
	} {
		got := ""
		if q := quoted(selectLimit, text); len(q) > 0 {
			got = q[0].value
		}
		if got != want {
			t.Errorf("%q: found %q, want %q", text, got, want)
		}
	}
}
