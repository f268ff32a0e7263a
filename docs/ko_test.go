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
// The version is a hash of the English section's prose: its text without
// its code excerpts and outputs, which `make docs` rewrites from the source
// in both languages at once. A change to the code that a page quotes thus
// leaves every version as it was; a change to the prose changes the
// English section's version, and TestKoreanPages names the Korean section
// to bring up to date: translate the change, then record the new version.
// Only a translator records one: `make docs` never writes these comments.

// A section is a heading and what follows it, up to the next heading.
type section struct {
	heading  string    // the heading line, "## run"
	line     int       // the heading's line number in the page
	level    int       // 1 for #, 2 for ##, ...
	text     string    // the heading line and the body
	markers  []string  // the excerpt markers in it, in order
	versions []version // the <!-- en: ... --> comments in it, well written or not
}

// A version is a comment in a Korean section that records, or tries to
// record, the version of the English section that it translates.
type version struct {
	line int    // its line number in the page
	text string // the whole line
	hash string // the hash it records, or "" if it cannot be read
}

var (
	heading   = regexp.MustCompile(`^(#{1,6}) `)
	koMarker  = regexp.MustCompile(`^<!-- (code|output): .*-->$`)
	enComment = regexp.MustCompile(`^<!-- en: ([0-9a-f]{8}) -->$`)
	// enLike finds what looks like a version comment, well written or not,
	// so that a mistyped one fails instead of being passed over.
	enLike = regexp.MustCompile(`(?i)^\s*<!--\s*en\b`)
)

// sections splits a Markdown page at its headings; lines inside fenced
// blocks are never headings, excerpt markers or version comments.
func sections(text string) []section {
	var out []section
	var cur *section
	fence := false
	for i, line := range strings.SplitAfter(text, "\n") {
		bare := strings.TrimRight(line, "\n")
		if strings.HasPrefix(bare, "```") {
			fence = !fence
		}
		if m := heading.FindStringSubmatch(bare); m != nil && !fence {
			out = append(out, section{heading: bare, line: i + 1, level: len(m[1])})
			cur = &out[len(out)-1]
		} else if cur == nil {
			continue // before the first heading: nothing to keep in step
		}
		cur.text += line
		if fence {
			continue
		}
		if koMarker.MatchString(bare) {
			cur.markers = append(cur.markers, bare)
		}
		if enLike.MatchString(bare) {
			v := version{line: i + 1, text: bare}
			if m := enComment.FindStringSubmatch(bare); m != nil {
				v.hash = m[1]
			}
			cur.versions = append(cur.versions, v)
		}
	}
	return out
}

// prose is a section's text without its code excerpts and outputs (marker
// and block): what a translator translates, and `make docs` does not write.
// compare checks the markers apart, so a moved excerpt still shows.
func prose(s section) string {
	return excerpt.ReplaceAllString(s.text, "")
}

// hash is the version of an English section that a translation records:
// the start of the SHA-256 of its prose.
func hash(s section) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(strings.TrimSpace(prose(s)))))[:8]
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
		case len(k.versions) == 0:
			problems = append(problems, fmt.Sprintf("%s: no <!-- en: %s --> under its heading", where, hash(e)))
		case len(k.versions) > 1:
			problems = append(problems, fmt.Sprintf("%s: line %d: %q is a second version comment; a section records one, right under its heading", where, k.versions[1].line, k.versions[1].text))
		case k.versions[0].hash == "":
			problems = append(problems, fmt.Sprintf("%s: line %d: %q cannot be read; write <!-- en: HASH --> with the 8 lowercase hex digits of the English section's version", where, k.versions[0].line, k.versions[0].text))
		case k.versions[0].line != k.line+1:
			problems = append(problems, fmt.Sprintf("%s: line %d: the version comment must be right under the heading, on line %d", where, k.versions[0].line, k.line+1))
		case k.versions[0].hash != hash(e):
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
// English section, a missing or moved excerpt, a missing, unreadable,
// misplaced or second version comment; and that a change to the code an
// excerpt quotes, which `make docs` mends, changes no version.
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
		{"code changed, before make docs", strings.Replace(en, "```go\n```", "```go\nfunc run() {}\n```", 1), ko, ""},
		{"code changed, after make docs", strings.Replace(en, "```go\n```", "```go\nfunc run() {}\n```", 1), strings.Replace(ko, "```go\n```", "```go\nfunc run() {}\n```", 1), ""},
		{"placeholder", en, strings.Replace(ko, hash(es[1]), "XXXXXXXX", 1), `line 7: "<!-- en: XXXXXXXX -->" cannot be read`},
		{"short hash", en, strings.Replace(ko, hash(es[1]), hash(es[1])[:7], 1), "cannot be read"},
		{"upper case", en, strings.Replace(ko, hash(es[1]), strings.ToUpper(hash(es[1])), 1), "cannot be read"},
		{"no space", en, strings.Replace(ko, "<!-- en: "+hash(es[1]), "<!--en: "+hash(es[1]), 1), "cannot be read"},
		{"second version", en, strings.Replace(ko, "\n이유.", "\n<!-- en: XXXXXXXX -->\n이유.", 1), `line 13: "<!-- en: XXXXXXXX -->" is a second version comment`},
		{"second good version", en, strings.Replace(ko, "\n이유.", "\n<!-- en: "+hash(es[1])+" -->\n이유.", 1), "is a second version comment"},
		{"version not under the heading", en, strings.Replace(ko, "## run\n<!-- en: "+hash(es[1])+" -->\n", "## run\n\n<!-- en: "+hash(es[1])+" -->\n", 1), "line 8: the version comment must be right under the heading, on line 7"},
		{"version in a fence is no version", en, strings.Replace(ko, "```go\n```", "```go\n<!-- en: XXXXXXXX -->\n```", 1), ""},
	}
	for _, c := range cases {
		p := strings.Join(compare(sections(c.en), sections(c.ko)), "\n")
		if c.want == "" && p != "" || !strings.Contains(p, c.want) {
			t.Errorf("%s: got %q, want it to say %q", c.name, p, c.want)
		}
	}
}
