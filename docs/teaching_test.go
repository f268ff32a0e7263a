package docs

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// A commands block in teaching.md is a console block right after the
// marker <!-- commands -->, which teaching.md's readers do not see.
var commandsBlock = regexp.MustCompile("(?m)^[ \t]*<!-- commands -->\n[ \t]*```console\n((?s:.*?))[ \t]*```")

// TestTeachingCommands checks every command of teaching.md's commands
// blocks, as far as a test can without a classroom:
//
//	make T ...           make -n T ... succeeds (the target exists), and EX= names an exercise
//	go run ./P ARGS      P builds and takes every flag in ARGS; after a |, grep or tee may follow
//	go run ./docs/boards ARGS
//	                     runs, on two boards made by check.sh in ~/boards/, and prints something
//	go build ... ./P     P builds
//	go test ./P -run T   P has a test function T
//	go version           runs
//	python3 -c ...       runs against step 4 on loopback (the command's host and port
//	                     become the server's), given "Hello\n": it prints GOT:Hello, or nothing
//
// Any other command in such a block fails the test. None may change what
// git status says.
func TestTeachingCommands(t *testing.T) {
	commands := commandsOf(t, "teaching.md")
	if len(commands) == 0 {
		t.Fatal("teaching.md has no commands block")
	}
	status := gitStatus(t)
	c := &commandChecker{top: t, bin: t.TempDir(), home: t.TempDir()}
	for _, cmd := range commands {
		t.Run(cmd, func(t *testing.T) { c.check(t, cmd) })
	}
	if after := gitStatus(t); after != status {
		t.Errorf("the commands changed git status:\n%s\nwas:\n%s", after, status)
	}
}

// commandsOf returns the commands of a page's commands blocks, in order.
func commandsOf(t *testing.T, page string) []string {
	t.Helper()
	text, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var commands []string
	for _, m := range commandsBlock.FindAllSubmatch(text, -1) {
		for _, line := range strings.Split(strings.TrimSpace(string(m[1])), "\n") {
			cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "$ ")
			if !ok {
				t.Errorf("%s: a line in a commands block is not a command: %q", page, line)
				continue
			}
			commands = append(commands, cmd)
		}
	}
	return commands
}

// TestTeachingCommandsKorean checks that the Korean guide shows the very
// commands that TestTeachingCommands runs: the same commands blocks, with
// the same commands in the same order. Translating a page never changes a
// command.
func TestTeachingCommandsKorean(t *testing.T) {
	ko := filepath.Join("ko", "teaching.md")
	if _, err := os.Stat(ko); err != nil {
		t.Skipf("%s is missing; TestKoreanPages says so", ko)
	}
	en, kr := commandsOf(t, "teaching.md"), commandsOf(t, ko)
	for i := range max(len(en), len(kr)) {
		switch {
		case i >= len(kr):
			t.Errorf("%s: its commands blocks end before %q", ko, en[i])
		case i >= len(en):
			t.Errorf("%s: %q is in no commands block of teaching.md", ko, kr[i])
		case en[i] != kr[i]:
			t.Errorf("%s: command %d is\n\t%s\nteaching.md has\n\t%s", ko, i+1, kr[i], en[i])
		default:
			continue
		}
		return // one difference shifts the rest: report the first
	}
}

// A commandChecker checks commands; it builds each program once, and
// starts one server for all the clients.
type commandChecker struct {
	top    *testing.T        // the test, whose folders and server outlive each command's
	bin    string            // where programs are built
	home   string            // what ~ stands for
	built  map[string]string // package -> its binary
	server string            // host:port of step 4, once started
	boards string            // ~/boards, with two boards, once made
}

// check checks one command.
func (c *commandChecker) check(t *testing.T, cmd string) {
	cmd = strings.ReplaceAll(cmd, "~/", c.home+"/")
	switch prog, _, _ := strings.Cut(cmd, " "); prog {
	case "make", "go":
		for i, part := range strings.Split(cmd, " | ") {
			part, _, _ = strings.Cut(part, " > ") // where output comes from and goes is the reader's affair
			part, _, _ = strings.Cut(part, " < ")
			part = strings.TrimSpace(part)
			switch prog, args, _ := strings.Cut(part, " "); {
			case prog == "make":
				c.makeTarget(t, args)
			case prog == "go" && strings.HasPrefix(args, "run ./docs/boards "):
				c.boardFolder(t)
				if out := c.run(t, "..", "", part); out == "" {
					t.Errorf("%s printed nothing", part)
				}
			case prog == "go":
				c.goCommand(t, shellWords(t, args))
			case i > 0 && (prog == "grep" || prog == "tee"):
			default:
				t.Errorf("%q: this test cannot check it", part)
			}
		}
	case "python3":
		c.client(t, cmd)
	default:
		t.Errorf("this test cannot check %s; put it in an unmarked block", prog)
	}
}

// makeTarget runs make -n with args: it fails for a target that does not
// exist. An exercise named by EX= must exist too.
func (c *commandChecker) makeTarget(t *testing.T, args string) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make here")
	}
	c.run(t, "..", "", "make -n "+args)
	for _, w := range shellWords(t, args) {
		if ex, ok := strings.CutPrefix(w, "EX="); ok && !slices.Contains(listedExercises(t), ex) {
			t.Errorf("there is no exercise %s", ex)
		}
	}
}

// goCommand checks a go command, given as words.
func (c *commandChecker) goCommand(t *testing.T, words []string) {
	switch {
	case len(words) == 1 && words[0] == "version":
		c.run(t, "..", "", "go version")
	case len(words) >= 2 && words[0] == "run":
		bin := c.build(t, words[1])
		usage, _ := exec.Command(bin, "-h").CombinedOutput()
		for _, w := range words[2:] {
			if !strings.HasPrefix(w, "-") {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if !regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(name) + `\b`).Match(usage) {
				t.Errorf("%s takes no flag -%s:\n%s", words[1], name, usage)
			}
		}
	case len(words) >= 2 && words[0] == "build":
		c.build(t, words[len(words)-1])
	case len(words) >= 2 && words[0] == "test":
		i := slices.Index(words, "-run")
		if i < 0 || i+1 == len(words) || !regexp.MustCompile(`^Test\w+$`).MatchString(words[i+1]) {
			t.Fatalf("want go test ./P -run TestName")
		}
		src, _ := filepath.Glob(filepath.Join("..", words[1], "*_test.go"))
		found := false
		for _, f := range src {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			found = found || bytes.Contains(b, []byte("\nfunc "+words[i+1]+"(t *testing.T)"))
		}
		if !found {
			t.Errorf("%s has no test %s", words[1], words[i+1])
		}
	default:
		t.Errorf("this test cannot check go %s", strings.Join(words, " "))
	}
}

// build builds the package pkg ("./step4-server"), once, and returns the
// program.
func (c *commandChecker) build(t *testing.T, pkg string) string {
	t.Helper()
	if bin, ok := c.built[pkg]; ok {
		return bin
	}
	if !strings.HasPrefix(pkg, "./") {
		t.Fatalf("%q: give the package as ./folder", pkg)
	}
	bin := filepath.Join(c.bin, filepath.Base(pkg))
	c.run(t, "..", "", "go build -o "+bin+" "+pkg)
	if c.built == nil {
		c.built = map[string]string{}
	}
	c.built[pkg] = bin
	return bin
}

// client runs a python3 client against step 4 on loopback: the command's
// address (the teacher's, or 127.0.0.1) and port become the server's.
func (c *commandChecker) client(t *testing.T, cmd string) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 here")
	}
	if c.server == "" {
		c.server = startServer(c.top, c.build(t, "./step4-server/robust"))
	}
	host, port, _ := strings.Cut(c.server, ":")
	cmd = strings.NewReplacer("192.168.1.20", host, "127.0.0.1", host, "25000", port).Replace(cmd)
	if out := c.run(t, "..", "Hello\n", cmd); out != "" && out != "GOT:Hello\n" {
		t.Errorf("typed Hello, got %q", out)
	}
}

// startServer starts step 4 on 127.0.0.1 with a free port, for as long as
// the test runs, and returns its address.
func startServer(t *testing.T, bin string) string {
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := bufio.NewScanner(out)
	if !lines.Scan() { // the server's first line, or the end of its output
		t.Fatal("the server said nothing")
	}
	f := strings.Fields(lines.Text()) // Listening on 127.0.0.1:PORT; try: ...
	if len(f) < 3 || f[0] != "Listening" {
		t.Fatalf("the server said %q", lines.Text())
	}
	go func() { // read the rest, so that the server never waits on its output
		for lines.Scan() {
		}
	}()
	return strings.TrimSuffix(f[2], ";")
}

// boardFolder returns ~/boards, with two students' boards made by
// check.sh with the stand-in go of board_test.go, one of them a name with
// a comma and a quote.
func (c *commandChecker) boardFolder(t *testing.T) string {
	if c.boards != "" {
		return c.boards
	}
	c.boards = filepath.Join(c.home, "boards")
	if err := os.Mkdir(c.boards, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, student := range []string{"kim", `Choi, "Minji"`} {
		board := runBoard(c.top, "FORMAT=csv", "STUDENT="+student)
		if err := os.WriteFile(filepath.Join(c.boards, "board-"+strings.TrimSuffix(strings.Fields(student)[0], ",")+".csv"), []byte(board), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return c.boards
}

// run runs a shell command in dir, with input on its standard input,
// within a bound, and returns its output; it must succeed.
func (c *commandChecker) run(t *testing.T, dir, input, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sh := exec.CommandContext(ctx, "sh", "-c", cmd)
	sh.Dir = dir
	sh.Stdin = strings.NewReader(input)
	var stderr bytes.Buffer
	sh.Stderr = &stderr
	out, err := sh.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", cmd, err, out, stderr.Bytes())
	}
	return string(out)
}

// shellWords splits args into words as sh does.
func shellWords(t *testing.T, args string) []string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `printf '%s\n' `+args).Output()
	if err != nil {
		t.Fatalf("sh cannot read %q: %v", args, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// gitStatus returns what git status says of the repository, or "" where
// there is no git.
func gitStatus(t *testing.T) string {
	out, err := exec.Command("git", "-C", "..", "status", "--porcelain").Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// TestTeachingNamesChecksTests checks that the tests teaching.md says an
// exercise's check runs are the ones it runs: each "the server no longer
// passes TestX" in the table of an exercise of step 4, and each
// "`step4-NAME`'s check runs `TestX`" or "`TestX`, which `step4-NAME`'s
// check runs", against the still(t, "TestX", ...)
// calls in that exercise's t.Run block of exercises_test.go, in
// step4-server (step4-conn) or step4-server/robust (the others).
func TestTeachingNamesChecksTests(t *testing.T) {
	guide, err := os.ReadFile("teaching.md")
	if err != nil {
		t.Fatal(err)
	}
	var src []byte // step4-conn's check is the lesson server's; the others, robust's
	for _, f := range []string{"../step4-server/exercises_test.go", "../step4-server/robust/exercises_test.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	runs := map[string][]string{} // exercise -> the tests its check runs
	for _, block := range regexp.MustCompile(`(?s)\n\tt\.Run\("(\w+)", func\(t \*testing\.T\) \{(.*?)\n\t\}\)`).FindAllStringSubmatch(string(src), -1) {
		for _, m := range regexp.MustCompile(`still\(t, "(Test\w+)"`).FindAllStringSubmatch(block[2], -1) {
			runs["step4-"+block[1]] = append(runs["step4-"+block[1]], m[1])
		}
	}
	if len(runs["step4-conn"]) == 0 {
		t.Fatalf("found no still(t, \"TestX\", ...) in the conn check of exercises_test.go: has its form changed?")
	}
	named := 0
	check := func(ex, test, where string) {
		named++
		if !slices.Contains(runs[ex], test) {
			t.Errorf("teaching.md, %s: says that %s's check runs %s; it runs %q", where, ex, test, runs[ex])
		}
	}
	for _, sec := range regexp.MustCompile(`(?m)^### (step4-\w+)\n`).FindAllStringSubmatchIndex(string(guide), -1) {
		ex := string(guide[sec[2]:sec[3]])
		body := string(guide[sec[1]:])
		if next := strings.Index(body, "\n#"); next >= 0 {
			body = body[:next]
		}
		for _, m := range regexp.MustCompile(`the server no longer passes (Test\w+)`).FindAllStringSubmatch(body, -1) {
			check(ex, m[1], "the table of "+ex)
		}
	}
	for _, m := range regexp.MustCompile("`(step4-\\w+)`'s\\s+check\\s+runs\\s+`(Test\\w+)`").FindAllStringSubmatch(string(guide), -1) {
		check(m[1], m[2], "in a sentence")
	}
	for _, m := range regexp.MustCompile("`(Test\\w+)`,\\s+which\\s+`(step4-\\w+)`'s\\s+check\\s+runs").FindAllStringSubmatch(string(guide), -1) {
		check(m[2], m[1], "in a sentence")
	}
	if named == 0 {
		t.Error("teaching.md names no test that a check of step 4 runs: has its wording changed?")
	}
}
