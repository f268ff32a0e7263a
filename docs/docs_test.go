// Package docs holds the walkthroughs. Its tests keep them true: every code
// excerpt equals the declaration it quotes from the source, every output
// equals the golden file it quotes, every relative link leads to a file,
// and every figure that a page quotes from another equals it (figures_test.go).
// `make docs` (go test ./docs -update) rewrites the excerpts from the source.
package docs

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

var update = flag.Bool("update", false, "rewrite the excerpts in the Markdown files from the source")

// An excerpt is a marker comment followed by a fenced block:
//
//	<!-- code: step2-scheduler/main.go run -->      Go declarations, by name
//	<!-- code: step3-io-wait/main.go reader "for {" -->  one statement of a function
//	<!-- output: step2-scheduler/testdata/output.golden 1-10 -->  lines of a file
//
// Paths are relative to the repository's root. A method is named
// Type.method. A quoted text after a function's name quotes, instead of
// the whole function, the first statement in it whose line starts with that
// text, with the comment lines right above it: a piece of a long function,
// short enough to read at a glance. Lines are "from-to", and optional.
var excerpt = regexp.MustCompile("(?m)^<!-- (code|output): (\\S+)((?: (?:\"[^\"\\n]*\"|[^\\s>\"]+))*) -->\n```([a-z]*)\n((?s:.*?))```\n")

// arg is one argument of a marker: a name, or a quoted text.
var arg = regexp.MustCompile(`"[^"\n]*"|[^\s"]+`)

// marker finds what looks like an excerpt's marker, well written or not:
// an HTML comment at the start of a line that begins with code or output.
var marker = regexp.MustCompile(`(?mi)^[ \t]*<!--[ \t]*(code|output)\b.*`)

// TestExcerpts checks (or, with -update, rewrites) every excerpt in the
// Markdown files under docs/ and in the README.
func TestExcerpts(t *testing.T) {
	for _, md := range markdownFiles(t) {
		text, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range malformed(text) {
			t.Errorf("%s: %s", md, bad)
		}
		var failed bool
		fixed := excerpt.ReplaceAllFunc(text, func(block []byte) []byte {
			m := excerpt.FindSubmatch(block)
			kind, path, args, lang, body := string(m[1]), string(m[2]), arg.FindAllString(string(m[3]), -1), m[4], string(m[5])
			want, err := cut(kind, path, args)
			if err != nil {
				t.Errorf("%s: %v", md, err)
				failed = true
				return block
			}
			if body != want {
				if !*update {
					t.Errorf("%s: the excerpt of %s %s differs from the source; run `make docs`\n%s", md, path, strings.Join(args, " "), firstDiff(body, want))
				}
				failed = true
			}
			return fmt.Appendf(nil, "<!-- %s: %s%s -->\n```%s\n%s```\n", kind, path, m[3], lang, want)
		})
		if *update && failed && !bytes.Equal(fixed, text) {
			if err := os.WriteFile(md, fixed, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote %s", md)
		}
	}
}

// malformed describes each marker in text that does not start an excerpt
// as excerpt reads them (a mistyped marker, or a fence such as ```Go): an
// excerpt that is not read is not checked.
func malformed(text []byte) []string {
	starts := map[int]bool{}
	for _, m := range excerpt.FindAllIndex(text, -1) {
		starts[m[0]] = true
	}
	var bad []string
	for _, m := range marker.FindAllIndex(text, -1) {
		if !starts[m[0]] {
			line := bytes.Count(text[:m[0]], []byte("\n")) + 1
			bad = append(bad, fmt.Sprintf("line %d: %q starts no excerpt; write <!-- code: PATH NAME... --> or <!-- output: PATH FROM-TO -->, then a fence of ```go or ```text", line, text[m[0]:m[1]]))
		}
	}
	return bad
}

// TestMalformedMarkers checks that malformed catches the mistakes that
// would make TestExcerpts pass over an excerpt.
func TestMalformedMarkers(t *testing.T) {
	const body = "func main() {}\n```\n"
	for text, want := range map[string]int{
		"<!-- code: step1-generators/main.go main -->\n```go\n" + body:           0,
		"<!-- output: a/b.golden 1-2 -->\n```text\nhi\n```\n":                    0,
		"<!--code: step1-generators/main.go main -->\n```go\n" + body:            1, // no space
		"<!-- code:step1-generators/main.go main -->\n```go\n" + body:            1,
		"<!-- Code: step1-generators/main.go main -->\n```go\n" + body:           1,
		"<!-- code: step1-generators/main.go main -->\n```Go\n" + body:           1, // the fence
		"<!-- code: step1-generators/main.go main -->\n```go \n" + body:          1,
		"<!-- code: step1-generators/main.go main -->\n\n```go\n" + body:         1, // a blank line
		"<!-- code: step1-generators/main.go main ->\n```go\n" + body:            1,
		"  <!-- code: step1-generators/main.go main -->\n```go\n" + body:         1, // indented
		"<!-- a comment about code -->\n":                                        0,
		"<!-- code: step1-generators/main.go main \"for {\" -->\n```go\n" + body: 0,
		"<!-- code: step1-generators/main.go main \"for { -->\n```go\n" + body:   1, // no closing quote
	} {
		if got := malformed([]byte(text)); len(got) != want {
			t.Errorf("%q: %d complaints, want %d: %q", text, len(got), want, got)
		}
	}
}

// TestStatementExcerpts checks that a quoted text picks the statement
// whose line starts with it, with the comments right above it, moved
// left; and that a text that picks nothing is an error.
func TestStatementExcerpts(t *testing.T) {
	got, err := cut("code", "step3-io-wait/main.go", []string{"main", `"fds, err :="`})
	if err != nil {
		t.Fatal(err)
	}
	want := "// A socketpair is two connected sockets: what one end writes, the other\n"
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "\nfds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)\n") || strings.Count(got, "\n") != 4 {
		t.Errorf("main \"fds, err :=\" cut\n%s\nwant the three lines of comment and the statement, and no more", got)
	}
	got, err = cut("code", "step3-io-wait/main.go", []string{"reader", `"for {"`, "reader", `"n, err :="`})
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(got, "\n"); first != "for {" || !strings.Contains(got, "\n\nn, err := unix.Read(fd, buf)\n") {
		t.Errorf("reader \"for {\" and \"n, err :=\" cut\n%s\nwant the outer loop, then the read alone", got)
	}
	for _, args := range [][]string{
		{"reader", `"no such statement"`},
		{`"for {"`},
		{"sent", `"var"`}, // not a function
	} {
		if got, err := cut("code", "step3-io-wait/main.go", args); err == nil {
			t.Errorf("%q cut %q, want an error", args, got)
		}
	}
}

// TestLinks checks that every relative link in the Markdown files leads to
// a file or folder that exists, and a link to a section of a page (#...)
// to a heading of that page.
func TestLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, md := range markdownFiles(t) {
		text, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllSubmatch(text, -1) {
			target := string(m[1])
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, section, _ := strings.Cut(target, "#")
			path := filepath.Join(filepath.Dir(md), file)
			if file == "" {
				path = md
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: broken link %s", md, m[1])
				continue
			}
			if section == "" || !strings.HasSuffix(path, ".md") {
				continue
			}
			page, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(anchors(string(page)), section) {
				t.Errorf("%s: link %s: %s has no heading whose anchor is #%s", md, m[1], path, section)
			}
		}
	}
}

// anchors returns the anchors that GitHub gives a page's headings: the
// heading's text, lower case, without punctuation, spaces made hyphens; a
// second heading of the same anchor gets -1, a third -2.
func anchors(page string) []string {
	linkText := regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	var out []string
	seen := map[string]int{}
	for _, s := range sections(page) {
		h := strings.TrimLeft(s.heading, "#")
		h = linkText.ReplaceAllString(strings.TrimSpace(h), "$1")
		a := strings.Map(func(r rune) rune {
			switch {
			case r == ' ':
				return '-'
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
				return unicode.ToLower(r)
			}
			return -1
		}, h)
		if n := seen[a]; n > 0 {
			seen[a]++
			a = fmt.Sprintf("%s-%d", a, n)
		} else {
			seen[a] = 1
		}
		out = append(out, a)
	}
	return out
}

// TestReadmeNamesEveryPage checks that the README links to every page in
// docs/, so that a reader who starts there can find each.
func TestReadmeNamesEveryPage(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	pages, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range pages {
		if !bytes.Contains(readme, []byte("](docs/"+page)) {
			t.Errorf("the README has no link to docs/%s", page)
		}
	}
}

// TestAnchors checks anchors against headings whose anchors GitHub shows.
func TestAnchors(t *testing.T) {
	page := "# Step 4\n\n## 2. `scheduler.go`: what a server adds to step 3's scheduler\n\n### `tcpServer`\n\n## 한계, 그리고 잘못 동작하는 클라이언트와 출력\n\n### `tcpServer`\n\n## See [the glossary](glossary.md)\n\n```go\n# not a heading\n```\n"
	want := []string{"step-4", "2-schedulergo-what-a-server-adds-to-step-3s-scheduler", "tcpserver", "한계-그리고-잘못-동작하는-클라이언트와-출력", "tcpserver-1", "see-the-glossary"}
	if got := anchors(page); !slices.Equal(got, want) {
		t.Errorf("anchors:\n got %q\nwant %q", got, want)
	}
}

// TestExercisesAgree checks that every exercise in exercises/list.sh has
// a section in exercises.md, a solution and a wrong solution, and that
// every solution, right or wrong, has an exercise.
func TestExercisesAgree(t *testing.T) {
	names := listedExercises(t)
	doc, err := os.ReadFile("exercises.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range names {
		if !strings.Contains(string(doc), "\n## "+ex+": ") || !strings.Contains(string(doc), "make check EX="+ex+"`") {
			t.Errorf("exercises.md has no section for %s, or no check command", ex)
		}
		if _, err := os.Stat(filepath.Join("solutions", ex+".patch")); err != nil {
			t.Errorf("%s has no solution: %v", ex, err)
		}
		if wrong, _ := filepath.Glob(filepath.Join("solutions", "wrong", ex+"-*.patch")); len(wrong) == 0 {
			t.Errorf("%s has no wrong solution in solutions/wrong/ for make solutions to prove that its check rejects", ex)
		}
	}
	patches, _ := filepath.Glob("solutions/*.patch")
	for _, p := range patches {
		if ex := strings.TrimSuffix(filepath.Base(p), ".patch"); !slices.Contains(names, ex) {
			t.Errorf("%s solves no exercise in exercises/list.sh", p)
		}
	}
	wrong, _ := filepath.Glob("solutions/wrong/*")
	for _, p := range wrong {
		if !slices.ContainsFunc(names, func(ex string) bool {
			return strings.HasPrefix(filepath.Base(p), ex+"-") && strings.HasSuffix(p, ".patch")
		}) {
			t.Errorf("%s is no wrong solution of an exercise in exercises/list.sh (wrong/EXERCISE-what.patch)", p)
		}
	}
}

// TestFaultsAgree checks that every fault in faults/list.sh has its patch,
// a test that exists, and its command on the page of the robust server,
// and that every patch in faults/ is in the list; and that every fault the
// lesson's server keeps (LESSON_FAULTS) has its command on step 4's page.
func TestFaultsAgree(t *testing.T) {
	list, err := os.ReadFile("faults/list.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?ms)^FAULTS='(.*?)'`).FindSubmatch(list)
	if m == nil {
		t.Fatal("faults/list.sh sets no FAULTS")
	}
	robust, err := os.ReadFile("step4-robust.md")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(m[1])), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			t.Errorf("faults/list.sh: %q is not NAME FOLDER TEST WHAT", line)
			continue
		}
		name, dir, test := f[0], f[1], strings.Split(f[2], "/")[0]
		names = append(names, name)
		if _, err := os.Stat(filepath.Join("faults", name+".patch")); err != nil {
			t.Errorf("fault %s has no patch: %v", name, err)
		}
		if !strings.Contains(string(robust), "`make fault NAME="+name+"`") {
			t.Errorf("step4-robust.md does not show make fault NAME=%s", name)
		}
		tests, _ := filepath.Glob(filepath.Join("..", dir, "*_test.go"))
		found := false
		for _, file := range tests {
			src, _ := os.ReadFile(file)
			found = found || bytes.Contains(src, []byte("\nfunc "+test+"(t *testing.T)"))
		}
		if !found {
			t.Errorf("fault %s: %s has no test %s", name, dir, test)
		}
	}
	patches, _ := filepath.Glob("faults/*.patch")
	for _, p := range patches {
		if name := strings.TrimSuffix(filepath.Base(p), ".patch"); !slices.Contains(names, name) {
			t.Errorf("%s is no fault in faults/list.sh", p)
		}
	}
	m = regexp.MustCompile(`(?ms)^LESSON_FAULTS='(.*?)'`).FindSubmatch(list)
	if m == nil {
		t.Fatal("faults/list.sh sets no LESSON_FAULTS")
	}
	lesson, err := os.ReadFile("step4-server.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(m[1])), "\n") {
		if name := strings.Fields(line)[0]; !strings.Contains(string(lesson), "`make fault NAME="+name+" SERVER=lesson`") {
			t.Errorf("step4-server.md does not show make fault NAME=%s SERVER=lesson", name)
		}
	}
}

// markdownFiles lists the README and the Markdown files in docs/ and in
// docs/ko/.
func markdownFiles(t *testing.T) []string {
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	korean, err := filepath.Glob(filepath.Join("ko", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append(append(files, korean...), filepath.Join("..", "README.md"))
}

// cut returns what an excerpt must hold: the named declarations of a Go
// file, or lines of any file.
func cut(kind, path string, args []string) (string, error) {
	src, err := os.ReadFile(filepath.Join("..", path))
	if err != nil {
		return "", err
	}
	if kind == "output" {
		return lines(string(src), args)
	}
	if len(args) == 0 {
		return "", fmt.Errorf("code: %s names no declaration", path)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	var parts []string
	for i := 0; i < len(args); i++ {
		name := args[i]
		if strings.HasPrefix(name, `"`) {
			return "", fmt.Errorf("code: %s: the text %s follows no function's name", path, name)
		}
		decl := find(f, name)
		if decl == nil {
			return "", fmt.Errorf("%s has no declaration %s", path, name)
		}
		if i+1 < len(args) && strings.HasPrefix(args[i+1], `"`) {
			i++
			part, err := statement(fset, src, decl, strings.Trim(args[i], `"`))
			if err != nil {
				return "", fmt.Errorf("%s: %s: %v", path, name, err)
			}
			parts = append(parts, part)
			continue
		}
		start := decl.Pos()
		if doc := docOf(decl); doc != nil {
			start = doc.Pos()
		}
		parts = append(parts, string(src[fset.Position(start).Offset:fset.Position(decl.End()).Offset]))
	}
	return strings.Join(parts, "\n\n") + "\n", nil
}

// statement returns the first statement in the function decl whose line
// starts with text, with the comment lines right above it, all moved left
// by the statement's indentation, as if it stood alone.
func statement(fset *token.FileSet, src []byte, decl ast.Decl, text string) (string, error) {
	fn, ok := decl.(*ast.FuncDecl)
	if !ok || fn.Body == nil {
		return "", fmt.Errorf("a quoted text picks a statement in a function; this is no function")
	}
	all := strings.SplitAfter(string(src), "\n")
	var found ast.Stmt
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		s, ok := n.(ast.Stmt)
		if found != nil || !ok || s == fn.Body {
			return found == nil
		}
		pos := fset.Position(s.Pos())
		line := all[pos.Line-1]
		if strings.TrimSpace(line[:pos.Column-1]) == "" && strings.HasPrefix(line[pos.Column-1:], text) {
			found = s
		}
		return found == nil
	})
	if found == nil {
		return "", fmt.Errorf("no statement starts with %q", text)
	}
	first, last := fset.Position(found.Pos()).Line, fset.Position(found.End()).Line
	indent := all[first-1][:fset.Position(found.Pos()).Column-1]
	for first > 1 && strings.HasPrefix(strings.TrimSpace(all[first-2]), "//") {
		first--
	}
	var b strings.Builder
	for _, line := range all[first-1 : last] {
		b.WriteString(strings.TrimPrefix(line, indent))
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// lines returns the lines from-to (1-based, inclusive) of text, or all of it.
func lines(text string, args []string) (string, error) {
	if len(args) == 0 {
		return text, nil
	}
	from, to, ok := strings.Cut(args[0], "-")
	a, err1 := strconv.Atoi(from)
	b, err2 := strconv.Atoi(to)
	all := strings.SplitAfter(text, "\n")
	if !ok || err1 != nil || err2 != nil || a < 1 || b < a || b > len(all) {
		return "", fmt.Errorf("bad line range %q", args[0])
	}
	return strings.Join(all[a-1:b], ""), nil
}

// find returns the top-level declaration called name ("Type.method" for a
// method), or nil.
func find(f *ast.File, name string) ast.Decl {
	recv, method, isMethod := strings.Cut(name, ".")
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !isMethod && d.Recv == nil && d.Name.Name == name {
				return d
			}
			if isMethod && d.Recv != nil && d.Name.Name == method && receiverName(d.Recv.List[0].Type) == recv {
				return d
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.Name == name {
						return d
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.Name == name {
							return d
						}
					}
				}
			}
		}
	}
	return nil
}

// receiverName returns T for a receiver of type T, *T, T[X] or *T[X].
func receiverName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// docOf returns a declaration's doc comment, or nil.
func docOf(d ast.Decl) *ast.CommentGroup {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return d.Doc
	case *ast.GenDecl:
		return d.Doc
	}
	return nil
}

// firstDiff shows the first line where the excerpt and the source differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d of the excerpt:\n  docs:   %q\n  source: %q", i+1, gl, wl)
		}
	}
	return ""
}
