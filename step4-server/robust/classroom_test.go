package main

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestClassroom is the live demo of docs/teaching.md, scripted on
// loopback: 50 students connect to a server started with -trace and type a
// line each, all at once, for five rounds; every reply is checked. In the
// third round one more client sends a line and resets its connection, and
// the others go on. When all have left, the trace must be well-formed:
// see checkTrace.
func TestClassroom(t *testing.T) {
	const students, rounds = 50, 5
	s := startServer(t, nil, "-trace")
	conns := make([]net.Conn, students)
	for i := range conns {
		conns[i] = s.dial()
	}
	var resetter string // the address of the client that resets
	for round := 1; round <= rounds; round++ {
		if round == 3 {
			c := s.dial()
			resetter = c.LocalAddr().String()
			if _, err := c.Write([]byte("I have to go\n")); err != nil {
				t.Fatal(err)
			}
			c.(*net.TCPConn).SetLinger(0) // close sends RST, not FIN
			c.Close()
		}
		// Everyone types this round's line before anyone types the next:
		// the server always has 50 clients in flight at once.
		errs := make(chan error, students)
		for i, c := range conns {
			go func() { errs <- echo(c, fmt.Sprintf("student %d, line %d\n", i+1, round)) }()
		}
		for range students {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}
	// Each handler ends with "Task done": wait for all of them, so that
	// s.seen holds the whole run.
	s.expectN(s.stdout, "Task done", students+1)

	line := s.expect(s.stderr, resetter)
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+: (read|write): (connection reset by peer|broken pipe)$`).MatchString(line) {
		t.Errorf("on the reset, the server said %q", line)
	}
	select {
	case line := <-s.stderr:
		t.Errorf("the server said more: %q", line)
	default:
	}
	for _, want := range []string{"Connection from " + resetter, "Connection closed " + resetter} {
		if !strings.Contains(strings.Join(s.seen, "\n"), want) {
			t.Errorf("the output has no line %q", want)
		}
	}
	sum, err := checkTrace(s.seen)
	if err != nil {
		t.Fatal(err)
	}
	if sum.ended != students+1 {
		t.Errorf("%d tasks ended, want %d", sum.ended, students+1)
	}
	if sum.parked != 2 {
		t.Errorf("%d tasks still wait at the end, want 2 (tcpServer and shutdown)", sum.parked)
	}
	t.Logf("%d trace lines; %d selects, each waking %.1f tasks on average and up to %d at once",
		sum.lines, sum.selects, float64(sum.woken)/float64(sum.selects), sum.maxReady)
}

// The three forms of a trace line in step 4.
var (
	traceResume = regexp.MustCompile(`^\[trace\] resume (\S+)$`)
	traceWait   = regexp.MustCompile(`^\[trace\] (\S+) waits on (Recv|Send) of fd (\d+)$`)
	traceSelect = regexp.MustCompile(`^\[trace\] (?:select|poll|epoll_wait): (\d+) ready(?:: (.+))?$`) // poll and epoll_wait: the exercises
	traceNew    = regexp.MustCompile(`^\[trace\] new task (\S+)$`)
)

// A traceSummary counts what a trace shows.
type traceSummary struct {
	lines    int // [trace] lines
	selects  int // select calls
	woken    int // tasks they woke, in all
	maxReady int // the most one select woke
	ended    int // tasks that ended ("Task done")
	parked   int // tasks still waiting at the end
}

// checkTrace reads the output of step 4 run with -trace and checks that the
// trace is well-formed: each [trace] line has one of the four forms, and
// the lines tell a story that run() can tell. A task that is resumed then
// parks (its "waits on" comes next) or ends ("Task done") before any other
// task runs, and a handler's own lines come while it runs. No two tasks wait
// on the same descriptor for the same thing. A parked task runs again only
// after a select, and each "select: N ready: A, B" names N parked tasks,
// which are resumed before the next select (other resumes are of tasks
// that "new task" queued). So resumes and waits balance: resumes = waits +
// tasks ended.
func checkTrace(output []string) (traceSummary, error) {
	var sum traceSummary
	running := ""                  // the task resumed last, until it parks or ends
	waitsOn := map[string]string{} // parked task -> "Recv of fd 5"
	taken := map[string]string{}   // "Recv of fd 5" -> the task parked there
	seen := map[string]bool{}      // tasks that have run and not ended
	queued := map[string]bool{}    // new tasks, not yet resumed
	woken := map[string]bool{}     // parked tasks the last select woke, not yet resumed
	resumes, waits := 0, 0
	for i, line := range output {
		at := func(format string, args ...any) error {
			return fmt.Errorf("trace line %d, %q: %s", i+1, line, fmt.Sprintf(format, args...))
		}
		if line == "Task done" {
			if running == "" {
				return sum, at("no task is running")
			}
			delete(seen, running)
			running = ""
			sum.ended++
			continue
		}
		if addr, ok := strings.CutPrefix(line, "Connection "); ok {
			addr = strings.TrimPrefix(strings.TrimPrefix(addr, "from "), "closed ")
			if running != "echoHandler("+addr+")" {
				return sum, at("a handler's line, while %q runs", running)
			}
			continue
		}
		if !strings.HasPrefix(line, "[trace]") {
			continue
		}
		sum.lines++
		if m := traceNew.FindStringSubmatch(line); m != nil {
			if seen[m[1]] || queued[m[1]] {
				return sum, at("%s is already a task", m[1])
			}
			queued[m[1]] = true
		} else if m := traceResume.FindStringSubmatch(line); m != nil {
			name := m[1]
			switch {
			case running != "":
				return sum, at("%s ran before it, and neither parked nor ended", running)
			case queued[name]:
				delete(queued, name)
			case waitsOn[name] != "":
				if !woken[name] {
					return sum, at("%s waits on %s, and no select has woken it", name, waitsOn[name])
				}
				delete(woken, name)
				delete(taken, waitsOn[name])
				delete(waitsOn, name)
			default:
				return sum, at("%s is neither new nor woken by a select", name)
			}
			seen[name] = true
			running = name
			resumes++
		} else if m := traceWait.FindStringSubmatch(line); m != nil {
			name, on := m[1], m[2]+" of fd "+m[3]
			switch {
			case name != running:
				return sum, at("the task running is %q", running)
			case taken[on] != "":
				return sum, at("%s already waits on %s", taken[on], on)
			}
			waitsOn[name], taken[on] = on, name
			running = ""
			waits++
		} else if m := traceSelect.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			switch {
			case running != "":
				return sum, at("select while %s runs, neither parked nor ended", running)
			case len(woken) > 0:
				return sum, at("%d tasks woken by the select before have not run", len(woken))
			case n < 1 || n > len(waitsOn):
				return sum, at("%d tasks wait: %d cannot be ready", len(waitsOn), n)
			}
			names := strings.Split(m[2], ", ")
			if len(names) != n {
				return sum, at("it names %d tasks", len(names))
			}
			for _, name := range names {
				if waitsOn[name] == "" || woken[name] {
					return sum, at("%s does not wait", name)
				}
				woken[name] = true
			}
			sum.selects++
			sum.woken += n
			sum.maxReady = max(sum.maxReady, n)
		} else {
			return sum, at("not a trace line of step 4")
		}
	}
	if running != "" {
		return sum, fmt.Errorf("the trace ends while %s runs", running)
	}
	if resumes != waits+sum.ended {
		return sum, fmt.Errorf("%d resumes, but %d waits and %d tasks ended", resumes, waits, sum.ended)
	}
	sum.parked = len(waitsOn)
	return sum, nil
}

// TestCheckTrace shows checkTrace rejecting the traces of broken
// schedulers, so that TestClassroom can fail.
func TestCheckTrace(t *testing.T) {
	good := []string{
		"[trace] new task tcpServer",
		"[trace] resume tcpServer",
		"[trace] tcpServer waits on Recv of fd 5",
		"[trace] select: 1 ready: tcpServer",
		"[trace] resume tcpServer",
		"[trace] new task echoHandler(127.0.0.1:52001)",
		"[trace] tcpServer waits on Recv of fd 5",
		"[trace] resume echoHandler(127.0.0.1:52001)",
		"Connection from 127.0.0.1:52001",
		"[trace] echoHandler(127.0.0.1:52001) waits on Recv of fd 6",
		"[trace] select: 1 ready: echoHandler(127.0.0.1:52001)",
		"[trace] resume echoHandler(127.0.0.1:52001)",
		"Connection closed 127.0.0.1:52001",
		"Task done",
	}
	if _, err := checkTrace(good); err != nil {
		t.Fatalf("a good trace: %v", err)
	}
	bad := map[string]func([]string) []string{
		"a line of another form": func(tr []string) []string {
			tr[2] = "[trace] tcpServer parked on Recv of fd 5"
			return tr
		},
		"a parked task resumed with no select": func(tr []string) []string {
			return append(tr[:3], tr[4:]...)
		},
		"a select that wakes more than it says": func(tr []string) []string {
			tr[3] = "[trace] select: 0 ready"
			return tr
		},
		"a select that names another task": func(tr []string) []string {
			tr[10] = "[trace] select: 1 ready: tcpServer"
			return tr
		},
		"a task resumed that was never queued": func(tr []string) []string {
			return append(tr[:5], tr[6:]...)
		},
		"two tasks on one descriptor": func(tr []string) []string {
			tr[9] = "[trace] echoHandler(127.0.0.1:52001) waits on Recv of fd 5"
			return tr
		},
		"a handler's line before its turn": func(tr []string) []string {
			tr[7], tr[8] = tr[8], tr[7]
			return tr
		},
		"a task that ran and neither parked nor ended": func(tr []string) []string {
			return tr[:len(tr)-1]
		},
	}
	for name, breakIt := range bad {
		if _, err := checkTrace(breakIt(append([]string(nil), good...))); err == nil {
			t.Errorf("%s: checkTrace found nothing wrong", name)
		}
	}
}
