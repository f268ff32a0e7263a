//go:build linux

package docs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// wait bounds each wait of the rehearsal: long enough for a loaded 2-core
// machine, short enough that a hang fails the test instead of CI.
const wait = 30 * time.Second

// students is the room of the rehearsal, as teaching.md counts it.
const students = 30

// TestTeachingRehearsal rehearses the live demo of teaching.md on
// loopback, with the guide's own commands: the pipeline that runs the
// robust server with -trace into tee -i and the live view, started once,
// and the command that draws the saved trace afterwards. Thirty students
// connect and stay; one types a line; the room types while the pipeline is
// frozen (Ctrl-Z, then fg); a client resets; Ctrl-C, twice. At each point
// it checks what the guide says the room sees: the count in recvWait, the
// trace lines per typed line, the select that wakes the whole room, the
// reset's one line, the threads, the view that stays with the whole run
// after the first Ctrl-C, and the picture of the round. It logs the counts
// that teaching.md quotes.
//
// It runs on Linux only: the freeze waits until the kernel has taken each
// student's line (TCP_INFO), and the threads are counted in /proc, as
// `top -H` counts them.
func TestTeachingRehearsal(t *testing.T) {
	if testing.Short() {
		t.Skip("a rehearsal of the class takes a few seconds")
	}
	status := gitStatus(t)
	r := startRehearsal(t)

	// The room connects, and types nothing: every student's handler waits
	// on Recv, beside tcpServer and shutdown, and the queue is empty.
	// (The view shows the task that ran last as running until the next
	// trace line, even when it has ended: the trace has no line for it.)
	room := make([]net.Conn, students)
	for i := range room {
		room[i] = r.dial()
	}
	idle := func(s *viewState) bool {
		return len(s.RecvWait) == students+2 && len(s.SendWait) == 0 && len(s.Ready) == 0
	}
	s := r.waitState("the room in recvWait", idle)
	page := r.get("/")
	if !strings.Contains(page, fmt.Sprintf(`id="recvCount">%d<`, students+2)) {
		t.Errorf("with %d students connected, the page does not count %d in recvWait", students, students+2)
	}
	t.Logf("%d students connected: recvWait holds %d tasks, the queue none", students, len(s.RecvWait))

	// One student types a line: the trace lines it makes.
	before := s.Total
	type1 := func(c net.Conn, line string) {
		t.Helper()
		if _, err := io.WriteString(c, line); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len("GOT:")+len(line))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != "GOT:"+line {
			t.Fatalf("typed %q, got %q, %v", line, got, err)
		}
	}
	type1(room[0], "Hello\n")
	s = r.waitState("the room idle again", func(s *viewState) bool { return idle(s) && s.Total > before })
	lines := r.traceLines(before+1, s.Total)
	h := "echoHandler(" + room[0].LocalAddr().String() + ")"
	want := []string{"select: 1 ready: " + h, "resume " + h, h + " waits on Send of fd", "select: 1 ready: " + h, "resume " + h, h + " waits on Recv of fd"}
	if len(lines) != len(want) || !eachHasPrefix(lines, want) {
		t.Errorf("a typed line made these trace lines:\n%s\nwant %d, like:\n%s", strings.Join(lines, "\n"), len(want), strings.Join(want, "\n"))
	}
	t.Logf("a typed line makes %d trace lines", len(lines))

	// Ctrl-Z freezes the pipeline; everyone types a line, which waits in
	// the kernel; fg, and one select wakes the whole room.
	r.signal(syscall.SIGTSTP)
	r.waitStopped()
	for i, c := range room {
		if _, err := fmt.Fprintf(c, "line 2 of student %d\n", i+1); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range room {
		waitAcked(t, c)
	}
	before = s.Total
	r.signal(syscall.SIGCONT)
	for i, c := range room {
		line := fmt.Sprintf("line 2 of student %d\n", i+1)
		got := make([]byte, len("GOT:")+len(line))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != "GOT:"+line {
			t.Fatalf("after fg, student %d got %q, %v", i+1, got, err)
		}
	}
	s = r.waitState("the room idle after fg", func(s *viewState) bool { return idle(s) && s.Total > before })
	lines = r.traceLines(before+1, s.Total)
	first := r.stateAt(before + 1)
	second := r.stateAt(before + 2 + 2*students)
	switch {
	case len(lines) != 2+4*students:
		t.Errorf("after fg, %d trace lines, want %d:\n%s", len(lines), 2+4*students, strings.Join(lines, "\n"))
	case first.Select == nil || first.Select.Ready != students || len(first.Select.Woken) != students || len(first.Ready) != students:
		t.Errorf("after fg, the first line is %q, and the view shows the queue %q; want a select that wakes all %d", lines[0], first.Ready, students)
	case second.Select == nil || second.Select.Ready != students || len(second.Select.Send) != students || len(second.SendWait) != 0:
		t.Errorf("after fg, line %d is %q; want a select that wakes all %d waiting on Send", 2+2*students, lines[1+2*students], students)
	}
	t.Logf("after the freeze: %q, then %d lines; in all %d", lines[0], len(lines)-1, len(lines))
	freezeFrom, freezeTo := before+1, s.Total
	t.Logf("the freeze is events %d-%d", freezeFrom, freezeTo)

	// A client that resets: one line that names it, and the room goes on.
	before = s.Total
	resetter := r.dial()
	addr := resetter.LocalAddr().String()
	if _, err := io.WriteString(resetter, "bye\n"); err != nil {
		t.Fatal(err)
	}
	resetter.(*net.TCPConn).SetLinger(0) // close sends RST
	resetter.Close()
	var said []string
	s = r.waitState("the reset client's task ended", func(s *viewState) bool {
		if !idle(s) || s.Total <= before {
			return false
		}
		said = nil
		closed := false
		for at := before + 1; at <= s.Total; at++ {
			for _, l := range r.stateAt(at).Output {
				if strings.HasPrefix(l, addr+": ") {
					said = append(said, l)
				}
				closed = closed || l == "Connection closed "+addr
			}
		}
		return closed
	})
	if len(said) != 1 || !regexp.MustCompile(`^127\.0\.0\.1:\d+: (read|write): (connection reset by peer|broken pipe)$`).MatchString(said[0]) {
		t.Errorf("on the reset, the view shows %q; want one line that names the client", said)
	}
	type1(room[1], "still here\n")
	t.Logf("the reset: %q", said)

	// The threads, as top -H counts them: a handful, fewer than the clients.
	threads := len(r.serverThreads())
	if threads < 2 || threads >= students {
		t.Errorf("the server has %d threads; the guide says a handful, fewer than the %d clients", threads, students)
	}
	t.Logf("the server has %d OS threads, serving %d clients", threads, students)

	// Ctrl-C: the server shuts down gently, each student reads EOF, and the
	// view stays with the whole run.
	total := s.Total
	r.signal(syscall.SIGINT)
	for i, c := range room {
		if rest, err := io.ReadAll(c); err != nil || len(rest) > 0 {
			t.Errorf("after Ctrl-C, student %d read %q, then %v, not EOF", i+1, rest, err)
		}
	}
	r.expect("timeline: Ctrl-C: the view stays until its input ends")
	ended := r.expect("timeline: the input has ended after ")
	s = r.waitState("the end of the run", func(s *viewState) bool { return s.Ended })
	if s.Total <= total || !slices.ContainsFunc(s.Output, regexp.MustCompile(fmt.Sprintf(`^Served %d connections, echoed \d+ bytes$`, students+1)).MatchString) {
		t.Fatalf("at the end, the view holds %d trace lines and shows %q; want more than %d, and the summary", s.Total, s.Output, total)
	}
	if !strings.Contains(ended, fmt.Sprintf(" %d trace lines", s.Total)) {
		t.Errorf("the view said %q; it holds %d trace lines", ended, s.Total)
	}
	t.Logf("after Ctrl-C: %q; the view shows %q", ended, s.Output)
	for _, c := range room {
		c.Close()
	}

	// The saved trace is the whole run, and draws the round's picture.
	saved, err := os.ReadFile(r.trace)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(saved, []byte("[trace] ")); n != s.Total || !bytes.HasSuffix(saved, []byte(s.Output[len(s.Output)-1]+"\n")) {
		t.Errorf("%s has %d trace lines and ends %q; want the view's %d and the summary", r.trace, n, saved[max(0, len(saved)-80):], s.Total)
	}
	for _, cmd := range r.drawCommands {
		// A window of the run is the freeze's, as the view numbers it.
		cmd = regexp.MustCompile(`-events \d+-\d+`).ReplaceAllString(cmd, fmt.Sprintf("-events %d-%d", freezeFrom, freezeTo))
		out := r.shell(cmd)
		file := regexp.MustCompile(`> (\S+\.svg)$`).FindStringSubmatch(cmd)
		if file == nil {
			t.Errorf("%s: it writes no .svg file", cmd)
			continue
		}
		svg, err := os.ReadFile(file[1])
		if err != nil || !bytes.HasPrefix(svg, []byte("<svg")) {
			t.Errorf("%s: %v; it said %s", cmd, err, out)
		}
		if strings.Contains(cmd, "-events") && bytes.Count(svg, []byte(fmt.Sprintf(`font-weight="bold">%d</text>`, students))) != 2 {
			t.Errorf("%s: the picture of the freeze has no two selects that each found %d ready", cmd, students)
		}
	}

	// The second Ctrl-C stops the view.
	r.signal(syscall.SIGINT)
	select {
	case <-r.exited:
	case <-time.After(wait):
		t.Fatalf("the view still runs %v after the second Ctrl-C", wait)
	}
	if after := gitStatus(t); after != status {
		t.Errorf("the rehearsal changed git status:\n%s\nwas:\n%s", after, status)
	}
}

// A rehearsal is the guide's pipeline, running in a process group of its
// own, as a terminal runs it: a signal sent to the group is a key typed in
// that terminal (Ctrl-C, Ctrl-Z).
type rehearsal struct {
	t            *testing.T
	cmd          *exec.Cmd
	server, bin  string // the server's address; the server's program
	view         string // the view's http://host:port
	trace        string // the file the pipeline saves the trace in
	drawCommands []string
	home         string
	stderr       chan string // the pipeline's stderr, the view's lines
	exited       chan struct{}
	updates      chan *viewState // the view's live states, from /events
}

// A viewState is what the view serves at /state and /events.
type viewState struct {
	At       int            `json:"at"`
	Total    int            `json:"total"`
	Line     string         `json:"line"`
	Output   []string       `json:"output"`
	Running  string         `json:"running"`
	Ready    []string       `json:"ready"`
	RecvWait map[int]string `json:"recvWait"`
	SendWait map[int]string `json:"sendWait"`
	Select   *struct {
		Recv  []int    `json:"recv"`
		Send  []int    `json:"send"`
		Ready int      `json:"ready"`
		Woken []string `json:"woken"`
	} `json:"select"`
	Ended bool `json:"ended"`
}

// startRehearsal takes from teaching.md the pipeline of the live demo and
// the commands that draw its trace, and starts the pipeline, with the
// programs built beforehand, the server on a free loopback port and the
// view on another, and ~ a new folder.
func startRehearsal(t *testing.T) *rehearsal {
	r := &rehearsal{t: t, home: t.TempDir(), stderr: make(chan string, 64), exited: make(chan struct{}), updates: make(chan *viewState, 1024)}
	var pipeline string
	for _, cmd := range commandsOf(t, "teaching.md") {
		switch {
		case strings.Contains(cmd, " | tee ") && strings.Contains(cmd, "-serve"):
			pipeline = cmd
		case strings.HasPrefix(cmd, "go run ./docs/timeline ") && strings.Contains(cmd, " < ~/"):
			r.drawCommands = append(r.drawCommands, cmd)
		}
	}
	if pipeline == "" || len(r.drawCommands) == 0 {
		t.Fatalf("teaching.md has no pipeline of the live demo (server -trace 2>&1 | tee FILE | view -serve), or no command that draws FILE")
	}
	bins := t.TempDir()
	r.bin = filepath.Join(bins, "robust")
	view := filepath.Join(bins, "timeline")
	for bin, pkg := range map[string]string{r.bin: "./step4-server/robust", view: "./docs/timeline"} {
		build := exec.Command("go", "build", "-o", bin, pkg)
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	run := strings.NewReplacer("go run ./step4-server/robust", r.bin, "go run ./docs/timeline", view,
		"0.0.0.0:25000", "127.0.0.1:0", "127.0.0.1:8000", "127.0.0.1:0", "~/", r.home+"/")
	pipeline = run.Replace(pipeline)
	for i, cmd := range r.drawCommands {
		r.drawCommands[i] = run.Replace(cmd)
	}
	if m := regexp.MustCompile(`tee (?:-i )?(\S+)`).FindStringSubmatch(pipeline); m != nil {
		r.trace = m[1]
	}
	if strings.Contains(pipeline, "go run") || r.trace == "" {
		t.Fatalf("cannot rehearse %q and %q", pipeline, r.drawCommands)
	}
	t.Logf("the pipeline: %s", pipeline)

	r.cmd = exec.Command("sh", "-c", pipeline)
	r.cmd.Dir = ".."
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	errPipe, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			r.stderr <- sc.Text()
		}
		close(r.stderr)
		r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.exited
	})
	r.view = strings.TrimSuffix(regexp.MustCompile(`http://\S+/`).FindString(r.expect("timeline: the view is at ")), "/")

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", r.view+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var s viewState
				if json.Unmarshal([]byte(data), &s) == nil {
					select {
					case r.updates <- &s:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	// The server's first line comes before its first trace line: the view
	// shows it at event 0.
	r.waitState("the first trace line", func(s *viewState) bool { return s.Total > 0 })
	for _, l := range r.stateAt(0).Output {
		if f := strings.Fields(l); len(f) > 2 && f[0] == "Listening" {
			r.server = strings.TrimSuffix(f[2], ";")
		}
	}
	if r.server == "" {
		t.Fatalf("the view shows no Listening line at event 0: %q", r.stateAt(0).Output)
	}
	return r
}

// expect reads the pipeline's stderr until a line starts with prefix.
func (r *rehearsal) expect(prefix string) string {
	r.t.Helper()
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	for {
		select {
		case l, ok := <-r.stderr:
			if !ok {
				r.t.Fatalf("the pipeline's stderr ended before a line starting %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout.C:
			r.t.Fatalf("no line starting %q within %v", prefix, wait)
		}
	}
}

// signal sends sig to the pipeline, as the terminal does for Ctrl-C (SIGINT)
// and Ctrl-Z (SIGTSTP), and fg (SIGCONT).
func (r *rehearsal) signal(sig syscall.Signal) {
	r.t.Helper()
	if err := syscall.Kill(-r.cmd.Process.Pid, sig); err != nil {
		r.t.Fatal(err)
	}
}

// dial connects a client to the server.
func (r *rehearsal) dial() net.Conn {
	r.t.Helper()
	c, err := net.DialTimeout("tcp", r.server, wait)
	if err != nil {
		r.t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(2 * wait))
	r.t.Cleanup(func() { c.Close() })
	return c
}

// waitState waits until the view's live state satisfies ok, and returns it.
func (r *rehearsal) waitState(what string, ok func(*viewState) bool) *viewState {
	r.t.Helper()
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	var last *viewState
	for {
		select {
		case s := <-r.updates:
			if ok(s) {
				return s
			}
			last = s
		case <-timeout.C:
			r.t.Fatalf("no %s in the view within %v; it shows %+v", what, wait, last)
		}
	}
}

// get fetches a path of the view.
func (r *rehearsal) get(path string) string {
	r.t.Helper()
	resp, err := http.Get(r.view + path)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		r.t.Fatalf("GET %s: %s %v", path, resp.Status, err)
	}
	return string(b)
}

// stateAt returns the view's state after trace line at.
func (r *rehearsal) stateAt(at int) *viewState {
	r.t.Helper()
	var s viewState
	if err := json.Unmarshal([]byte(r.get(fmt.Sprintf("/state?at=%d", at))), &s); err != nil {
		r.t.Fatal(err)
	}
	return &s
}

// traceLines returns trace lines from to to, as the view holds them.
func (r *rehearsal) traceLines(from, to int) []string {
	var lines []string
	for at := from; at <= to; at++ {
		lines = append(lines, r.stateAt(at).Line)
	}
	return lines
}

// serverThreads returns the /proc folders of the server's OS threads, the
// threads that top -H counts.
func (r *rehearsal) serverThreads() []string {
	r.t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, exe := range procs {
		if target, err := os.Readlink(exe); err == nil && target == r.bin {
			tasks, err := filepath.Glob(filepath.Join(filepath.Dir(exe), "task", "[0-9]*"))
			if err != nil || len(tasks) == 0 {
				r.t.Fatalf("the threads of %s: %v", exe, err)
			}
			return tasks
		}
	}
	r.t.Fatalf("no process runs %s", r.bin)
	return nil
}

// waitStopped waits until every thread of the server has stopped. A stop
// signal takes effect when each thread next runs: a thread woken from
// select by a line that arrives first returns with it, and stops only
// then. Nothing announces a stop to a process that is not the parent, so
// it looks again every millisecond, for at most wait.
func (r *rehearsal) waitStopped() {
	r.t.Helper()
	for deadline := time.Now().Add(wait); ; time.Sleep(time.Millisecond) {
		stopped := true
		for _, task := range r.serverThreads() {
			stat, err := os.ReadFile(filepath.Join(task, "stat"))
			if err != nil {
				r.t.Fatal(err)
			}
			// The state follows the command's name in parentheses: T, stopped.
			_, after, _ := bytes.Cut(stat, []byte(") "))
			stopped = stopped && len(after) > 0 && after[0] == 'T'
		}
		if stopped {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the server has not stopped %v after Ctrl-Z", wait)
		}
	}
}

// shell runs a command in the repository's root, and returns what it said.
func (r *rehearsal) shell(cmd string) string {
	r.t.Helper()
	out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
	if err != nil {
		r.t.Errorf("%s: %v\n%s", cmd, err, out)
	}
	return string(out)
}

// waitAcked waits until the kernel has acknowledged all that c sent: the
// line is then in the server's receive buffer, even while the server is
// stopped. Nothing announces an acknowledgement, so it looks again every
// millisecond, for at most wait.
func waitAcked(t *testing.T, c net.Conn) {
	t.Helper()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(wait); ; time.Sleep(time.Millisecond) {
		var info *unix.TCPInfo
		var ierr error
		raw.Control(func(fd uintptr) { info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) })
		if ierr != nil {
			t.Fatal(ierr)
		}
		if info.Unacked == 0 && info.Notsent_bytes == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after writing, the kernel still holds %d segments unacknowledged", wait, info.Unacked)
		}
	}
}

// eachHasPrefix says whether each line starts with its prefix.
func eachHasPrefix(lines, prefixes []string) bool {
	for i, p := range prefixes {
		if !strings.HasPrefix(lines[i], p) {
			return false
		}
	}
	return true
}
