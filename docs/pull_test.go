package docs

import (
	"fmt"
	"iter"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPullIgnoringFalse shows what teaching.md answers about a generator
// body that ignores the false from yield and yields again. Under for range
// it panics. Under iter.Pull, as every scheduler here runs its tasks,
// nothing panics: stop() resumes the body, each later yield returns false
// at once, and stop() returns only when the body does; so with a body that
// never ends, stop() never returns. Run it with -v to read it.
func TestPullIgnoringFalse(t *testing.T) {
	// ignoring yields 0, 1, 2, ... and ignores what yield returns, until
	// quit is set (a body that never ends, for as long as the test wants),
	// counting the yields that returned false.
	var quit atomic.Bool
	var falses atomic.Int64
	ignoring := func(yield func(int) bool) {
		for i := 0; !quit.Load(); i++ {
			if !yield(i) {
				falses.Add(1)
			}
		}
	}

	t.Run("range panics", func(t *testing.T) {
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(fmt.Sprint(r), "continued iteration") {
				t.Fatalf("break out of a range over it: recovered %v, want Go's panic", r)
			}
			t.Logf("for range, then break: panic: %v", r)
		}()
		for range ignoring {
			break
		}
	})

	t.Run("stop hangs", func(t *testing.T) {
		quit.Store(false)
		falses.Store(0)
		next, stop := iter.Pull(iter.Seq[int](ignoring))
		next()
		next()
		stopped := make(chan any)
		go func() {
			defer func() { stopped <- recover() }()
			stop()
		}()
		select {
		case r := <-stopped:
			t.Fatalf("stop() returned (recovered %v) while the body still runs", r)
		case <-time.After(200 * time.Millisecond):
		}
		n := falses.Load()
		if n == 0 {
			t.Fatal("the body made no yield after stop()")
		}
		t.Logf("iter.Pull, then stop(): no panic; after 200 ms stop() has not returned, and yield has returned false %d times", n)
		quit.Store(true) // let the body end, or the test would hang too
		if r := <-stopped; r != nil {
			t.Fatalf("stop() panicked: %v", r)
		}
		t.Log("stop() returned once the body did")
	})
}
