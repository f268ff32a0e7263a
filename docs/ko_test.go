package docs

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Korean pages under ko/ translate the English pages in this folder,
// one for one and section for section. Each Korean section starts, right
// under its heading, with a comment that records which version of the
// English section it translates:
//
//	## 스케줄러
//	<!-- en: 3f2a9c1e -->
//
// The hash is of the English section's text. When an English section
// changes, its hash changes, and TestKoreanPages names the Korean section to
// bring up to date: translate the change, then record the new hash.

// A section is a heading and what follows it, up to the next heading.
type section struct {
	heading string   // the heading line, "## run"
	level   int      // 1 for #, 2 for ##, ...
	text    string   // the heading line and the body
	markers []string // the excerpt markers in it, in order
	source  string   // the hash recorded in a Korean section, or ""
}

var (
	heading   = regexp.MustCompile(`^(#{1,6}) `)
	koMarker  = regexp.MustCompile(`^<!-- (code|output): .*-->$`)
	enComment = regexp.MustCompile(`^<!-- en: ([0-9a-f]{8}) -->$`)
)

// sections splits a Markdown page at its headings; lines inside fenced
// blocks are never headings.
func sections(text string) []section {
	var out []section
	var cur *section
	fence := false
	for _, line := range strings.SplitAfter(text, "\n") {
		bare := strings.TrimRight(line, "\n")
		if strings.HasPrefix(bare, "```") {
			fence = !fence
		}
		if m := heading.FindStringSubmatch(bare); m != nil && !fence {
			out = append(out, section{heading: bare, level: len(m[1])})
			cur = &out[len(out)-1]
		} else if cur == nil {
			continue // before the first heading: nothing to keep in step
		}
		cur.text += line
		if koMarker.MatchString(bare) && !fence {
			cur.markers = append(cur.markers, bare)
		}
		if m := enComment.FindStringSubmatch(bare); m != nil && cur.source == "" {
			cur.source = m[1]
		}
	}
	return out
}

// hash is the version of an English section that a translation records.
func hash(s section) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(strings.TrimSpace(s.text))))[:8]
}

// TestKoreanPages checks that every English page has its Korean page, with
// the same sections, excerpts and outputs in the same order, each section
// recording the version of the English section that it translates.
func TestKoreanPages(t *testing.T) {
	english, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range english {
		ko := filepath.Join("ko", en)
		enText, err := os.ReadFile(en)
		if err != nil {
			t.Fatal(err)
		}
		koText, err := os.ReadFile(ko)
		if err != nil {
			t.Errorf("%s has no Korean page: %s is missing", en, ko)
			continue
		}
		for _, problem := range compare(sections(string(enText)), sections(string(koText))) {
			t.Errorf("docs/%s: %s", ko, problem)
		}
	}
	korean, _ := filepath.Glob(filepath.Join("ko", "*.md"))
	for _, ko := range korean {
		if _, err := os.Stat(filepath.Base(ko)); err != nil {
			t.Errorf("docs/%s translates no English page: docs/%s is missing", ko, filepath.Base(ko))
		}
	}
}

// compare lists what keeps a Korean page from matching its English page.
func compare(en, ko []section) []string {
	var problems []string
	if len(en) != len(ko) {
		problems = append(problems, fmt.Sprintf("%d sections, the English page has %d: %s", len(ko), len(en), outline(en)))
	}
	for i := range min(len(en), len(ko)) {
		e, k := en[i], ko[i]
		where := fmt.Sprintf("section %d %q (English %q)", i+1, k.heading, e.heading)
		switch {
		case e.level != k.level:
			problems = append(problems, fmt.Sprintf("%s: heading level %d, the English is %d", where, k.level, e.level))
		case strings.Join(e.markers, "\n") != strings.Join(k.markers, "\n"):
			problems = append(problems, fmt.Sprintf("%s: its excerpts and outputs are\n\t%s\nthe English section's are\n\t%s", where, strings.Join(k.markers, "\n\t"), strings.Join(e.markers, "\n\t")))
		case k.source == "":
			problems = append(problems, fmt.Sprintf("%s: no <!-- en: %s --> under its heading", where, hash(e)))
		case k.source != hash(e):
			problems = append(problems, fmt.Sprintf("%s: translates an older version of the English section; bring the translation up to date, then record <!-- en: %s -->", where, hash(e)))
		}
	}
	return problems
}

// outline lists a page's headings, to say what a page should hold.
func outline(ss []section) string {
	var hs []string
	for _, s := range ss {
		hs = append(hs, s.heading)
	}
	return strings.Join(hs, " | ")
}

// TestKoreanCompare shows that compare catches what it is for: a changed
// English section, a missing or moved excerpt, a missing version comment.
func TestKoreanCompare(t *testing.T) {
	en := "# Step\n\nIntro.\n\n## run\n\n<!-- code: step2-scheduler/scheduler.go run -->\n```go\n```\n\nWhy.\n"
	es := sections(en)
	ko := fmt.Sprintf("# 단계\n<!-- en: %s -->\n\n소개.\n\n## run\n<!-- en: %s -->\n\n<!-- code: step2-scheduler/scheduler.go run -->\n```go\n```\n\n이유.\n", hash(es[0]), hash(es[1]))
	if p := compare(es, sections(ko)); len(p) != 0 {
		t.Fatalf("a faithful translation fails: %v", p)
	}
	cases := []struct{ name, en, ko, want string }{
		{"English changed", strings.Replace(en, "Why.", "Why not.", 1), ko, `section 2 "## run" (English "## run"): translates an older version`},
		{"excerpt missing", en, strings.Replace(ko, "<!-- code: step2-scheduler/scheduler.go run -->\n", "", 1), "its excerpts and outputs are"},
		{"no version", en, strings.Replace(ko, "<!-- en: "+hash(es[1])+" -->\n", "", 1), "no <!-- en: " + hash(es[1]) + " -->"},
		{"section missing", en, ko[:strings.Index(ko, "## run")], "1 sections, the English page has 2"},
		{"heading level", en, strings.Replace(ko, "## run", "### run", 1), "heading level 3, the English is 2"},
		{"heading in a fence is no heading", en, strings.Replace(ko, "```go\n```", "```go\n# not a heading\n```", 1), ""},
	}
	for _, c := range cases {
		p := strings.Join(compare(sections(c.en), sections(c.ko)), "\n")
		if c.want == "" && p != "" || !strings.Contains(p, c.want) {
			t.Errorf("%s: got %q, want it to say %q", c.name, p, c.want)
		}
	}
}
