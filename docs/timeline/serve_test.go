package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// getState fetches /state?at=N (N < 0: /state) from srv and decodes it.
func getState(t *testing.T, srv *httptest.Server, at int) *State {
	t.Helper()
	url := srv.URL + "/state"
	if at >= 0 {
		url += fmt.Sprintf("?at=%d", at)
	}
	resp, err := srv.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	var s State
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestServeState checks /state?at=N against the reconstruction at every
// event of step 3's golden trace, /state for the latest, and the answers
// to events not held and to a bad N.
func TestServeState(t *testing.T) {
	h := loadTrace(t, "../../step3-io-wait/testdata/trace.golden")
	srv := httptest.NewServer((&viewServer{h: h}).handler())
	defer srv.Close()
	_, total, _, _ := h.span()
	for at := 0; at <= total; at++ {
		want, _ := h.stateAt(at)
		got := getState(t, srv, at)
		if got.Running != want.Running || !slices.Equal(got.Ready, want.Ready) || fmt.Sprint(got.RecvWait) != fmt.Sprint(want.RecvWait) || fmt.Sprint(got.SendWait) != fmt.Sprint(want.SendWait) {
			t.Errorf("/state?at=%d = %+v, want %+v", at, got, want)
		}
	}
	if got := getState(t, srv, -1); got.At != total || !got.Ended {
		t.Errorf("/state: at %d, ended %v; want the latest, %d, and ended", got.At, got.Ended, total)
	}
	resp, err := srv.Client().Get(srv.URL + "/state?at=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("/state?at=x: %s, want 400", resp.Status)
	}
}

// TestServeForgets feeds more events than a small history keeps: an old
// event answers 410 with one line that says which events are held, and
// the page says that older events were dropped.
func TestServeForgets(t *testing.T) {
	h := newHistory(snapEvery)
	for i := range 2000 {
		h.add(fmt.Sprintf("[trace] resume t%d", i))
	}
	srv := httptest.NewServer((&viewServer{h: h}).handler())
	defer srv.Close()
	first, total, _, _ := h.span()
	if first == 1 || total != 2000 || total-first+1 < snapEvery {
		t.Fatalf("holds %d to %d of 2000", first, total)
	}
	resp, err := srv.Client().Get(srv.URL + "/state?at=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := fmt.Sprintf("the view holds events %d to %d", first, total)
	if resp.StatusCode != http.StatusGone || strings.Count(string(body), "\n") != 1 || !strings.Contains(string(body), want) {
		t.Errorf("/state?at=1: %s %q, want 410 and one line with %q", resp.Status, body, want)
	}
	if s := getState(t, srv, first); s.Running != fmt.Sprintf("t%d", first-1) {
		t.Errorf("/state?at=%d: running %q", first, s.Running)
	}
	page := getPage(t, srv, fmt.Sprintf("/?at=%d", first))
	if !strings.Contains(page, fmt.Sprintf("Events before %d were dropped", first)) || strings.Contains(page, `id="dropped" class="warn" hidden`) {
		t.Errorf("the page does not say that events before %d were dropped", first)
	}
}

// getPage fetches a page from srv.
func getPage(t *testing.T, srv *httptest.Server, path string) string {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", path, resp.Status, err)
	}
	return string(b)
}

// A shown is what a page shows: the running task, the queue, the maps.
type shown struct {
	running            string
	ready              []string
	recvWait, sendWait map[int]string
}

var (
	runningEl = regexp.MustCompile(`(?s)id="running"[^>]*>(.*?)</div>`)
	readyEl   = regexp.MustCompile(`(?s)<ol id="ready"[^>]*>(.*?)</ol>`)
	cellEl    = regexp.MustCompile(`(?s)<li[^>]*>(.*?)</li>`)
	pairEl    = regexp.MustCompile(`(?s)<li data-fd="(\d+)"[^>]*><b class="fd">\d+</b><span class="task">(.*?)</span></li>`)
	mapEl     = func(id string) *regexp.Regexp { return regexp.MustCompile(`(?s)<ul id="` + id + `"[^>]*>(.*?)</ul>`) }
)

// readPage finds in an HTML page (the server's, or Chromium's DOM) the
// elements the view promises: id="running", id="ready" with one child per
// task, id="recvWait" and id="sendWait".
func readPage(t *testing.T, page string) shown {
	t.Helper()
	unescape := func(s string) string {
		return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&quot;", `"`, "&#39;", "'").Replace(strings.TrimSpace(s))
	}
	var s shown
	m := runningEl.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no id=\"running\" in the page")
	}
	s.running = unescape(m[1])
	r := readyEl.FindStringSubmatch(page)
	if r == nil {
		t.Fatalf("no id=\"ready\" in the page")
	}
	s.ready = []string{}
	for _, c := range cellEl.FindAllStringSubmatch(r[1], -1) {
		s.ready = append(s.ready, unescape(c[1]))
	}
	for _, w := range []struct {
		id string
		m  *map[int]string
	}{{"recvWait", &s.recvWait}, {"sendWait", &s.sendWait}} {
		l := mapEl(w.id).FindStringSubmatch(page)
		if l == nil {
			t.Fatalf("no id=%q in the page", w.id)
		}
		*w.m = map[int]string{}
		for _, p := range pairEl.FindAllStringSubmatch(l[1], -1) {
			var fd int
			fmt.Sscan(p[1], &fd)
			(*w.m)[fd] = unescape(p[2])
		}
	}
	return s
}

// checkShown compares what a page shows with the state.
func checkShown(t *testing.T, where string, got shown, want *State) {
	t.Helper()
	if got.running != want.Running || !slices.Equal(got.ready, want.Ready) || fmt.Sprint(got.recvWait) != fmt.Sprint(want.RecvWait) || fmt.Sprint(got.sendWait) != fmt.Sprint(want.SendWait) {
		t.Errorf("%s shows running %q, ready %q, recvWait %v, sendWait %v;\nthe state is running %q, ready %q, recvWait %v, sendWait %v",
			where, got.running, got.ready, got.recvWait, got.sendWait, want.Running, want.Ready, want.RecvWait, want.SendWait)
	}
}

// TestServePage checks the page as the server draws it, at every event of
// step 3's golden trace and of the robust server's made-up one.
func TestServePage(t *testing.T) {
	for _, path := range []string{"../../step3-io-wait/testdata/trace.golden", "testdata/robust.trace"} {
		h := loadTrace(t, path)
		srv := httptest.NewServer((&viewServer{h: h}).handler())
		_, total, _, _ := h.span()
		for at := 0; at <= total; at++ {
			want, _ := h.stateAt(at)
			checkShown(t, fmt.Sprintf("%s: /?at=%d", path, at), readPage(t, getPage(t, srv, fmt.Sprintf("/?at=%d", at))), want)
		}
		page := getPage(t, srv, "/")
		if strings.Contains(page, "//") && regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(page) {
			t.Errorf("the page fetches something from elsewhere")
		}
		srv.Close()
	}
}

// TestLive feeds a trace to the view line by line, as a running program
// does, and checks that a viewer of /events gets each new event.
func TestLive(t *testing.T) {
	h := newHistory(keepEvents)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- readInto(pr, h) }()
	srv := httptest.NewServer((&viewServer{h: h}).handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/events", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	updates := make(chan *State, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var s State
				if json.Unmarshal([]byte(data), &s) == nil {
					updates <- &s
				}
			}
		}
		close(updates)
	}()
	next := func(want func(*State) bool, what string) {
		t.Helper()
		for {
			select {
			case s, ok := <-updates:
				if !ok {
					t.Fatalf("the stream ended before %s", what)
				}
				if want(s) {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no update with %s within %v", what, wait)
			}
		}
	}
	next(func(s *State) bool { return s.Total == 0 }, "the empty start")
	fmt.Fprintln(pw, "[trace] new task a")
	fmt.Fprintln(pw, "[trace] resume a")
	next(func(s *State) bool { return s.Running == "a" }, "a running")
	fmt.Fprintln(pw, "[trace] a waits on Recv of fd 4")
	next(func(s *State) bool { return s.RecvWait[4] == "a" }, "a in recvWait")
	pw.Close()
	next(func(s *State) bool { return s.Ended }, "the end of the input")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestLiveStep4 runs the server that the teacher's guide puts on the
// projector (step4-server/robust, with -trace and 2>&1), its output read by
// the view as it comes: a client that connects appears in recvWait within
// 2 s. At Ctrl-C the server shuts down gently, and the view, at the end of
// its input, holds the whole run, the summary included.
func TestLiveStep4(t *testing.T) {
	s := startStep4(t, "step4-server/robust", true)
	h := newHistory(keepEvents)
	go func() {
		for l := range s.lines {
			h.add(l)
		}
		h.end()
	}()
	// The address is in the server's first line, which the view keeps.
	var addr string
	waitFor(t, h, wait, "the server's first line", func() bool {
		h.mu.RLock()
		defer h.mu.RUnlock()
		for _, l := range h.before {
			if f := strings.Fields(l); len(f) > 2 && f[0] == "Listening" {
				addr = strings.TrimSuffix(f[2], ";")
				return true
			}
		}
		return false
	})
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	start := time.Now()
	waitFor(t, h, 2*time.Second, "the client in recvWait", func() bool {
		s, _ := h.stateAt(-1)
		return slices.Contains(slices.Collect(maps.Values(s.RecvWait)), "echoHandler("+local+")")
	})
	t.Logf("the client was in recvWait %v after it connected", time.Since(start).Round(time.Millisecond))
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(c); err != nil { // the server's goodbye: EOF
		t.Fatal(err)
	}
	c.Close()
	waitFor(t, h, wait, "the end of the input", func() bool {
		_, _, ended, _ := h.span()
		return ended
	})
	last, _ := h.stateAt(-1)
	if len(last.Ready)+len(last.RecvWait)+len(last.SendWait) > 0 || !slices.Contains(last.Output, "Served 1 connection, echoed 0 bytes") {
		t.Errorf("at the end of the run, the view shows ready %q, recvWait %v, sendWait %v, output %q; want no task waiting, and the summary",
			last.Ready, last.RecvWait, last.SendWait, last.Output)
	}
	if err := s.end(); err != nil {
		t.Errorf("the server, stopped by Ctrl-C: %v", err)
	}
}

// waitFor waits until ok holds, checking at each change of h, for at most
// d, or until h's input has ended without it.
func waitFor(t *testing.T, h *history, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		_, total, ended, changed := h.span()
		if ok() {
			return
		}
		if ended {
			t.Fatalf("the input ended, after %d trace lines, with no %s", total, what)
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no %s within %v", what, d)
		}
	}
}

// A view is the command `timeline -serve 127.0.0.1:0` running, its input
// a pipe the test writes to, its stderr read a line at a time.
type view struct {
	t     *testing.T
	ctx   context.Context
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string // its stderr, closed at its end
	url   string      // where it serves
}

// startView runs the command built at bin with -serve, and waits for the
// line that says where it serves. It is killed, if it still runs, when
// the test ends.
func startView(t *testing.T, ctx context.Context, bin string) *view {
	t.Helper()
	v := &view{t: t, ctx: ctx, cmd: exec.CommandContext(ctx, bin, "-serve", "127.0.0.1:0"), lines: make(chan string, 16)}
	v.in, _ = v.cmd.StdinPipe()
	errPipe, _ := v.cmd.StderrPipe()
	if err := v.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			v.lines <- sc.Text()
		}
		close(v.lines)
	}()
	v.url = regexp.MustCompile(`http://\S+/`).FindString(v.expect("the view is at"))
	return v
}

// expect reads the view's stderr until a line that contains part.
func (v *view) expect(part string) string {
	v.t.Helper()
	for {
		select {
		case l, ok := <-v.lines:
			if !ok {
				v.t.Fatalf("the view's stderr ended before %q", part)
			}
			if strings.Contains(l, part) {
				return l
			}
		case <-v.ctx.Done():
			v.t.Fatalf("no line with %q", part)
		}
	}
}

// TestCtrlC runs the view as a command: the first Ctrl-C, while its input
// is open, is the traced program's, and the view lives on; once the input
// has ended, Ctrl-C stops it, and so does a second Ctrl-C while the input
// is still open (a traced program that does not stop at Ctrl-C).
func TestCtrlC(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	bin := buildTimeline(t, ctx)
	t.Run("the input ends, then Ctrl-C", func(t *testing.T) {
		v := startView(t, ctx, bin)
		fmt.Fprintln(v.in, "[trace] new task a")
		v.cmd.Process.Signal(syscall.SIGINT) // the server's Ctrl-C: its trace ends after it
		v.expect("the view stays until its input ends")
		fmt.Fprintln(v.in, "[trace] resume a")
		v.in.Close()
		v.expect("the input has ended after 2 trace lines")
		resp, err := http.Get(v.url + "state")
		if err != nil {
			t.Fatalf("after the first Ctrl-C and the end of the input, the view is gone: %v", err)
		}
		resp.Body.Close()
		v.cmd.Process.Signal(syscall.SIGINT)
		for range v.lines { // Wait closes the pipe: only once it is read to its end
		}
		if err := v.cmd.Wait(); err != nil {
			t.Fatalf("the view, stopped by Ctrl-C after its input ended: %v", err)
		}
	})
	t.Run("two Ctrl-Cs while the input is open", func(t *testing.T) {
		v := startView(t, ctx, bin)
		defer v.in.Close()
		fmt.Fprintln(v.in, "[trace] new task a")
		v.cmd.Process.Signal(syscall.SIGINT)
		v.expect("the view stays until its input ends") // the first is handled: the second is not merged with it
		v.cmd.Process.Signal(syscall.SIGINT)
		for l := range v.lines {
			if strings.Contains(l, "the view stays") {
				t.Fatalf("a second Ctrl-C, with the input still open, did not stop the view: %q", l)
			}
		}
		if err := v.cmd.Wait(); err != nil {
			t.Fatalf("the view, stopped by a second Ctrl-C: %v", err)
		}
	})
}

// BenchmarkViewers feeds 100,000 trace lines to the view with 10 viewers
// following, and reports the memory in use (the whole process, the trace
// it feeds included) and the part of it that the view holds, how long the
// last line takes to reach every viewer, and the lines read per second.
//
//	go test ./docs/timeline -run '^$' -bench Viewers -benchtime 1x
//
// (one round: in later ones, the round before may still be collected).
func BenchmarkViewers(b *testing.B) {
	const viewers, want = 10, 100_000
	var trace []string // input lines, up to the 100,000th trace line
	for events, lines := 0, strings.Split(synthTrace(want, 1), "\n"); events < want; lines = lines[1:] {
		trace = append(trace, lines[0])
		if strings.HasPrefix(lines[0], "[trace] ") {
			events++
		}
	}
	for range b.N {
		before := heapInUse()
		h := newHistory(keepEvents)
		srv := httptest.NewServer((&viewServer{h: h}).handler())
		ctx, cancel := context.WithCancel(context.Background())
		totals := make(chan int, viewers*64)
		for range viewers {
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/events", nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			go func() {
				defer resp.Body.Close()
				sc := bufio.NewScanner(resp.Body)
				sc.Buffer(nil, 1<<20)
				for sc.Scan() {
					if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
						var s struct{ Total int }
						json.Unmarshal([]byte(data), &s)
						totals <- s.Total
					}
				}
			}()
		}
		pr, pw := io.Pipe()
		go func() {
			w := bufio.NewWriter(pw)
			for _, l := range trace {
				w.WriteString(l)
				w.WriteByte('\n')
			}
			w.Flush()
			pw.Close()
		}()
		start := time.Now()
		if err := readInto(pr, h); err != nil {
			b.Fatal(err)
		}
		read := time.Since(start)
		_, total, _, _ := h.span()
		last := time.Now()
		for got := 0; got < viewers; { // each viewer's last update
			if <-totals == total {
				got++
			}
		}
		latency := time.Since(last)
		after := heapInUse()
		b.ReportMetric(float64(after)/(1<<20), "MB-in-use")
		b.ReportMetric(float64(after-before)/(1<<20), "MB-held-by-view")
		b.ReportMetric(float64(latency.Microseconds())/1000, "ms-to-10-viewers")
		b.ReportMetric(float64(len(trace))/read.Seconds(), "lines/s")
		runtime.KeepAlive(h)
		cancel()
		srv.Close()
	}
}

// heapInUse returns the bytes of heap and stacks in use, after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
