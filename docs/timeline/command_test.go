package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// buildTimeline builds this package's command into a folder of the test's
// and returns its path.
func buildTimeline(t *testing.T, ctx context.Context) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "timeline")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runCommand runs the command built at bin with args and stdin, and
// returns what it wrote and its exit status.
func runCommand(t *testing.T, ctx context.Context, bin string, stdin []byte, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(stdin), &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), status
}

// count returns how many of texts are s.
func count(texts []string, s string) int {
	n := 0
	for _, x := range texts {
		if x == s {
			n++
		}
	}
	return n
}

// TestCommandLine runs the command as the walkthroughs show it, on step 3's
// golden trace (16 trace lines, both tasks done at the end): arguments it
// does not take get the usage and status 2; -events 5-5 draws the one
// column of trace line 5; -events 10- draws to the end, where each task's
// row says done, as in the whole picture.
func TestCommandLine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	bin := buildTimeline(t, ctx)
	trace, err := os.ReadFile("../../step3-io-wait/testdata/trace.golden")
	if err != nil {
		t.Fatal(err)
	}
	draw := func(t *testing.T, args ...string) []string {
		t.Helper()
		out, errOut, status := runCommand(t, ctx, bin, trace, args...)
		if status != 0 || errOut != "" {
			t.Fatalf("timeline %s: status %d, stderr %q", strings.Join(args, " "), status, errOut)
		}
		_, texts := elements(t, out)
		return texts
	}
	t.Run("extra arguments", func(t *testing.T) {
		out, errOut, status := runCommand(t, ctx, bin, trace, "extra")
		if status != 2 || out != "" || !strings.HasPrefix(errOut, "usage: ") {
			t.Errorf("timeline extra: status %d, stdout %d bytes, stderr %q; want 2, nothing, and the usage", status, len(out), errOut)
		}
	})
	t.Run("-events 5-5", func(t *testing.T) {
		texts := draw(t, "-events", "5-5")
		if want := "Trace lines 5 to 5 of 16. run() resumed a task 1 time."; !slices.Contains(texts, want) {
			t.Errorf("-events 5-5 draws no %q; its texts are %q", want, texts)
		}
	})
	t.Run("-events 10-", func(t *testing.T) {
		whole, window := draw(t), draw(t, "-events", "10-")
		if want := "Trace lines 10 to 16 of 16. run() resumed a task 3 times, and called select() 3 times because no task was ready."; !slices.Contains(window, want) {
			t.Errorf("-events 10- draws no %q; its texts are %q", want, window)
		}
		// The legend says done once; each task that returned says it again.
		if w, g := count(whole, "done"), count(window, "done"); w != 3 || g != w {
			t.Errorf("the whole picture says done %d times, the window to its end %d; want 3 each (the legend, the reader, the writer)", w, g)
		}
	})
}

// TestCtrlCWhileDrawing runs `... -trace | timeline > run.svg` as a
// terminal does at Ctrl-C: SIGINT reaches the timeline too, while its
// input is still open. It must live on, read the rest, and draw it all.
func TestCtrlCWhileDrawing(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	bin := buildTimeline(t, ctx)
	trace, err := os.ReadFile("../../step3-io-wait/testdata/trace.golden")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The program's own lines before its first trace line, more than a pipe
	// holds: the write returns only once the timeline reads its input, and
	// it decides what Ctrl-C does before it reads.
	if _, err := io.WriteString(in, strings.Repeat("Listening on 127.0.0.1:25000\n", 1<<16)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	in.Write(trace) // fails if Ctrl-C killed it: cmd.Wait says so
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the timeline, given Ctrl-C while its input was open: %v; stderr: %q", err, errOut.String())
	}
	_, texts := elements(t, out.String())
	if want := "run() resumed a task 6 times, and called select() 4 times because no task was ready."; !slices.Contains(texts, want) {
		t.Errorf("the picture drawn after Ctrl-C says no %q; its texts are %q", want, texts)
	}
}
