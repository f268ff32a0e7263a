package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The command that puts a step back, in exercises.md: a console block
// right after the marker <!-- undo -->.
var undoBlock = regexp.MustCompile("(?m)^<!-- undo -->\n```console\n\\$ (.*)\n```")

// TestUndoStep runs the command that exercises.md gives to put a step back,
// in a new repository that holds step 3, after the step3-sleep solution is
// applied, one of its files staged and another new file left untracked:
// git status must then be clean, and sleep.go gone. git checkout alone
// fails this, which is why the page gives more. The Korean page must give
// the same command.
func TestUndoStep(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git here")
	}
	var cmd string
	for _, page := range []string{"exercises.md", filepath.Join("ko", "exercises.md")} {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		m := undoBlock.FindSubmatch(text)
		if m == nil {
			t.Fatalf("%s has no <!-- undo --> command", page)
		}
		if cmd == "" {
			cmd = string(m[1])
		} else if string(m[1]) != cmd {
			t.Errorf("%s puts a step back with\n\t%s\nexercises.md with\n\t%s", page, m[1], cmd)
		}
	}
	if !strings.Contains(cmd, "step3-io-wait") {
		t.Fatalf("the command does not name step3-io-wait, which this test undoes: %s", cmd)
	}

	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		c := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		c.Dir = repo
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	git("init", "-q")
	// The step as committed here, without the rest of the repository: the
	// solution's patch touches only step 3.
	files, err := exec.Command("git", "-C", "..", "ls-files", "step3-io-wait").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	for _, f := range strings.Fields(string(files)) {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(repo, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("add", ".")
	git("commit", "-q", "-m", "step 3")

	patch, err := filepath.Abs(filepath.Join("solutions", "step3-sleep.patch"))
	if err != nil {
		t.Fatal(err)
	}
	git("apply", patch)
	git("add", "step3-io-wait/sleep.go") // staged, as git add would leave it
	if err := os.WriteFile(filepath.Join(repo, "step3-io-wait", "notes.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if git("status", "--porcelain") == "" {
		t.Fatal("the solution changed nothing")
	}

	sh := exec.Command("sh", "-c", cmd)
	sh.Dir = repo
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	if st := git("status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("after %s, git status says:\n%s", cmd, st)
	}
	if _, err := os.Stat(filepath.Join(repo, "step3-io-wait", "sleep.go")); err == nil {
		t.Errorf("after %s, sleep.go is still there", cmd)
	}
}
