package docs

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The defects that GitHub's renderer shows and a reader of the Markdown
// source misses: a paragraph (or tight list item) that starts with "|" is a
// table row that fell out of its table, as a blank line inside the table
// makes its next rows do; and "**" left in the text is bold that did not
// take, as after a code span and before a Hangul letter.
var (
	strayRow  = regexp.MustCompile(`<(?:p|li) data-sourcepos="(\d+):[^"]*">\|`)
	codeSpan  = regexp.MustCompile(`(?s)<code>.*?</code>|<pre[ >].*?</pre>`)
	stars     = regexp.MustCompile(`\*\*+`)
	sourcepos = regexp.MustCompile(`data-sourcepos="(\d+):`)
)

// TestRender renders every Markdown page (the README, docs/ and below) as
// GitHub does, with cmark-gfm and GitHub's extensions, and fails on a table
// row that falls out of its table or on literal ** in the text. Without
// cmark-gfm it skips, unless CI is set: CI installs it (.ci/run).
func TestRender(t *testing.T) {
	bin, err := exec.LookPath("cmark-gfm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cmark-gfm is not installed, and CI is set: install it (apt-get install cmark-gfm); .ci/run does")
		}
		t.Skip("cmark-gfm is not installed: the pages are not rendered (apt-get install cmark-gfm)")
	}
	// Pages are named from the repository's root, as a reader finds them.
	pages := []string{"README.md"}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			pages = append(pages, filepath.Join("docs", path))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range pages {
		text, err := os.ReadFile(filepath.Join("..", page))
		if err != nil {
			t.Fatal(err)
		}
		for _, defect := range renderDefects(t, bin, text) {
			t.Errorf("%s:%s", page, defect)
		}
	}
}

// TestRenderFindsDefects shows that TestRender's checks catch what they
// are for: a blank line inserted into a table, and bold that ends after a
// code span before a Hangul letter; and pass the same page without them.
func TestRenderFindsDefects(t *testing.T) {
	bin, err := exec.LookPath("cmark-gfm")
	if err != nil {
		t.Skip("cmark-gfm is not installed")
	}
	good := "# Page\n\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\n**`-quiet` 플래그**를 주면\n"
	if d := renderDefects(t, bin, []byte(good)); len(d) != 0 {
		t.Errorf("a page without defects: %q", d)
	}
	gap := strings.Replace(good, "| 3 |", "\n| 3 |", 1)
	if d := renderDefects(t, bin, []byte(gap)); len(d) != 1 || !strings.HasPrefix(d[0], "7:") {
		t.Errorf("a blank line inserted into a table, before line 7: %q", d)
	}
	bold := strings.Replace(good, "**`-quiet` 플래그**를", "**`-quiet`**를", 1)
	if d := renderDefects(t, bin, []byte(bold)); len(d) != 1 || !strings.HasPrefix(d[0], "8:") {
		t.Errorf("bold that does not take, on line 8: %q", d)
	}
}

// renderDefects renders a page with cmark-gfm and returns its defects, each
// as "LINE: what", LINE the page's line.
func renderDefects(t *testing.T, bin string, page []byte) []string {
	t.Helper()
	cmd := exec.Command(bin, "--sourcepos", "--unsafe",
		"-e", "table", "-e", "strikethrough", "-e", "autolink", "-e", "tagfilter", "-e", "tasklist")
	cmd.Stdin = strings.NewReader(string(page))
	html, err := cmd.Output()
	if err != nil {
		t.Fatalf("cmark-gfm: %v", err)
	}
	var defects []string
	for _, m := range strayRow.FindAllSubmatch(html, -1) {
		defects = append(defects, string(m[1])+": a table row outside its table (a blank line inside the table?)")
	}
	// Code may show ** as it is; the text may not. Each run of asterisks
	// (a bold around a code span leaves ****) is reported at the line of the
	// element it is in.
	text := codeSpan.ReplaceAllString(string(html), "")
	for _, at := range stars.FindAllStringIndex(text, -1) {
		line := "?"
		if ms := sourcepos.FindAllStringSubmatch(text[:at[0]], -1); ms != nil {
			line = ms[len(ms)-1][1]
		}
		defects = append(defects, line+": literal ** in the text (bold that did not take?)")
	}
	return defects
}
