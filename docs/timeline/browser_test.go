package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var screenshots = flag.Bool("screenshots", false, "take the walkthroughs' pictures of the view with Chromium (view-step*.png beside this file)")

// chromium returns the path of Debian's chromium, or skips the test when
// there is none, unless CI is set: CI installs it (.ci/run), so there a
// missing browser is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set and there is no chromium on the PATH: .ci/run installs it (apt-get install -y chromium)")
		}
		t.Skip("no chromium on the PATH, so no browser test: apt-get install -y chromium to run it")
	}
	return path
}

// runChromium runs headless Chromium with a new, empty profile, and the
// extra arguments, and returns what it printed.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-proxy-server", "--user-data-dir=" + t.TempDir(),
	}, args...)
	cmd := exec.CommandContext(ctx, bin, all...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestBrowser loads /?at=N in Chromium for events of step 3's golden trace
// and step 4's, and checks that the page, once its script has drawn it,
// shows the running task, the queue in order, and both maps.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	for _, tc := range []struct {
		trace string
		at    []int // events to check; the busiest one is added
	}{
		{"../../step3-io-wait/testdata/trace.golden", []int{7, 12}},
		{"testdata/step4.trace", nil},
		{"testdata/robust.trace", []int{24}},
	} {
		h := loadTrace(t, tc.trace)
		srv := httptest.NewServer((&viewServer{h: h}).handler())
		for _, at := range append(tc.at, busiest(h)) {
			want, err := h.stateAt(at)
			if err != nil {
				t.Fatal(err)
			}
			dom := string(runChromium(t, bin, "--dump-dom", fmt.Sprintf("%s/?at=%d", srv.URL, at)))
			if !strings.Contains(dom, `data-rendered="js"`) {
				t.Errorf("%s, /?at=%d: the page's script did not draw the state", tc.trace, at)
			}
			checkShown(t, fmt.Sprintf("Chromium, %s, /?at=%d", tc.trace, at), readPage(t, dom), want)
		}
		srv.Close()
	}
}

// busiest returns the event whose state holds the most tasks in the queue
// and the maps, the first of them: the fullest page.
func busiest(h *history) int {
	_, total, _, _ := h.span()
	best, most := 0, -1
	for at := 0; at <= total; at++ {
		s, _ := h.stateAt(at)
		if n := 2*len(s.Ready) + len(s.RecvWait) + len(s.SendWait); n > most {
			best, most = at, n
		}
	}
	return best
}

// TestScreenshots takes the pictures of the view that the walkthroughs
// show, with -screenshots: go test ./docs/timeline -run Screenshots -screenshots
func TestScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("takes the walkthroughs' pictures only with -screenshots")
	}
	bin := chromium(t)
	for _, p := range []struct {
		trace, png string
		at         int
		extra      []string
	}{
		{"../../step2-scheduler/testdata/trace.golden", "view-step2.png", 8, nil},
		{"../../step3-io-wait/testdata/trace.golden", "view-step3.png", 10, nil},
		{"testdata/step4.trace", "view-step4.png", 0, []string{"--force-dark-mode"}},
	} {
		h := loadTrace(t, p.trace)
		at := p.at
		if at == 0 {
			at = busiest(h)
		}
		srv := httptest.NewServer((&viewServer{h: h}).handler())
		out, err := filepath.Abs(p.png)
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1400,1000",
			"--screenshot=" + out}, p.extra...)
		runChromium(t, bin, append(args, fmt.Sprintf("%s/?at=%d", srv.URL, at))...)
		srv.Close()
		t.Logf("%s: /?at=%d of %s", p.png, at, p.trace)
	}
}
