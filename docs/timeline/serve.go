package main

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"time"
)

// The live view: `go run ./docs/timeline -serve 127.0.0.1:8000` reads a
// trace on stdin, as the picture does, and serves a page that shows the
// scheduler's structures at any event (replay), or follows a run as it
// happens (live). Everything the page needs is in view/, embedded: a
// classroom may be offline.

//go:embed view
var viewFiles embed.FS

// page is the view's one page; its script (view/view.js) takes it over.
var page = template.Must(template.New("view.html").Funcs(template.FuncMap{
	"sorted": sortedKeys,
}).ParseFS(viewFiles, "view/view.html"))

// keepEvents is how many events the view holds at least.
const keepEvents = 100_000

// updateEvery paces the live stream: a viewer gets the latest state at
// most this often, however fast the trace comes (the lines between are
// sampled away, and the page says so).
const updateEvery = 200 * time.Millisecond

// A viewServer serves one history.
type viewServer struct {
	h *history
}

// handler returns the view's routes.
func (v *viewServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", v.page)
	mux.HandleFunc("GET /state", v.state)
	mux.HandleFunc("GET /events", v.events)
	mux.HandleFunc("GET /timeline.svg", v.svg)
	mux.Handle("GET /view/", http.FileServerFS(viewFiles))
	return mux
}

// atParam reads ?at=N: -1 when it is absent (the latest), an error when
// it is not a number of 0 or more.
func atParam(r *http.Request, name string) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: want a trace line number, 0 or more", name, s)
	}
	return n, nil
}

// stateOr writes the state at ?at=N, or the error, in one line, as text;
// ok says whether there is a state to use.
func (v *viewServer) stateOr(w http.ResponseWriter, r *http.Request) (*State, bool) {
	at, err := atParam(r, "at")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, false
	}
	s, err := v.h.stateAt(at)
	var gone errGone
	if errors.As(err, &gone) {
		http.Error(w, gone.Error(), http.StatusGone)
		return nil, false
	}
	return s, true
}

// state serves /state?at=N as JSON (the latest state without at).
func (v *viewServer) state(w http.ResponseWriter, r *http.Request) {
	s, ok := v.stateOr(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(s)
}

// pageData is what the page's template shows.
type pageData struct {
	S      *State
	Follow bool // no ?at: the page follows the run
}

// page serves / and /?at=N: the state, drawn on the server so that the
// page shows it before (and without) its script.
func (v *viewServer) page(w http.ResponseWriter, r *http.Request) {
	s, ok := v.stateOr(w, r)
	if !ok {
		return
	}
	var out bytes.Buffer
	if err := page.Execute(&out, pageData{S: s, Follow: r.URL.Query().Get("at") == ""}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(out.Bytes())
}

// svg serves /timeline.svg?from=A&to=B&mark=N: the picture of events A to
// B, with the column of event N outlined.
func (v *viewServer) svg(w http.ResponseWriter, r *http.Request) {
	from, err1 := atParam(r, "from")
	to, err2 := atParam(r, "to")
	mark, err3 := atParam(r, "mark")
	if err := errors.Join(err1, err2, err3); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	first, total, _, _ := v.h.span()
	if to < 0 || to > total {
		to = total
	}
	if from < 0 {
		from = max(first, to-60)
	}
	if to-from > 1000 { // a window, not the whole run
		from = to - 1000
	}
	tl, err := windowOf(v.h, from, to)
	var gone errGone
	if errors.As(err, &gone) {
		http.Error(w, gone.Error(), http.StatusGone)
		return
	}
	if len(tl.cols) == 0 {
		w.Header().Set("Content-Type", "image/svg+xml")
		io.WriteString(w, `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`)
		return
	}
	var out bytes.Buffer
	opt := options{title: "Timeline", minCopies: 0, maxCols: 0, markAt: mark,
		window: fmt.Sprintf("Events %d to %d of %d.", from, min(to, total), total)}
	if err := draw(&out, tl, opt); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(out.Bytes())
}

// events streams the latest state to a page that follows the run, as
// server-sent events: at most one every updateEvery, each the latest
// state (a sample, when lines come faster). A viewer that goes away
// costs nothing: its request's context ends the loop.
func (v *viewServer) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	sent, sentEnded := -1, false
	for {
		_, total, ended, changed := v.h.span()
		if total != sent || ended != sentEnded {
			s, err := v.h.stateAt(-1)
			if err != nil {
				return
			}
			b, _ := json.Marshal(s)
			if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
				return
			}
			flusher.Flush()
			sent, sentEnded = s.Total, s.Ended
			pace := time.NewTimer(updateEvery)
			select {
			case <-pace.C:
			case <-ctx.Done():
				pace.Stop()
				return
			}
			continue
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}

// readInto reads lines from r into h until r ends, in batches: when lines
// come faster than one at a time, the history takes many under one lock.
func readInto(r io.Reader, h *history) error {
	lines := make(chan string, 1<<14)
	errc := make(chan error, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			lines <- sc.Text()
		}
		errc <- sc.Err()
	}()
	batch := make([]string, 0, 4096)
	for s := range lines {
		batch = append(batch[:0], s)
	more:
		for len(batch) < cap(batch) {
			select {
			case s, ok := <-lines:
				if !ok {
					break more
				}
				batch = append(batch, s)
			default:
				break more
			}
		}
		h.addBatch(batch)
	}
	h.end()
	return <-errc
}

// serveView serves the trace on stdin at addr until the second Ctrl-C, or
// the first once the input has ended. The first Ctrl-C in a terminal
// running `server -trace | timeline -serve` is the server's: it shuts
// down, its trace ends, and the view goes on showing the whole run.
func serveView(addr string, in io.Reader, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	h := newHistory(keepEvents)
	v := &viewServer{h: h}
	srv := &http.Server{Handler: v.handler(), ReadHeaderTimeout: 10 * time.Second}
	interrupt := make(chan os.Signal, 2)
	signal.Notify(interrupt, os.Interrupt) // before the line that says where: from then on, Ctrl-C is ours
	defer signal.Stop(interrupt)
	fmt.Fprintf(stderr, "timeline: the view is at http://%s/ (Ctrl-C stops it once its input has ended)\n", ln.Addr())
	inputDone := make(chan error, 1)
	go func() { inputDone <- readInto(in, h) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	ended, interrupted := false, false
	for {
		select {
		case err := <-inputDone:
			select {
			case <-interrupt: // it came before the end: the traced program's
				interrupted = true
			default:
			}
			ended = true
			_, total, _, _ := h.span()
			if err != nil {
				fmt.Fprintf(stderr, "timeline: reading the trace: %v\n", err)
			}
			fmt.Fprintf(stderr, "timeline: the input has ended after %d trace lines; the view stays at http://%s/ until Ctrl-C\n", total, ln.Addr())
		case <-interrupt:
			if !ended && !interrupted {
				interrupted = true // the traced program's Ctrl-C: its trace will end
				fmt.Fprintln(stderr, "timeline: Ctrl-C: the view stays until its input ends; Ctrl-C again then stops it")
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			srv.Shutdown(ctx) // the event streams end when the process does
			return nil
		case err := <-served:
			return err
		}
	}
}
