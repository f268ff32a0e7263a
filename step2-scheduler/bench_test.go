package main

import (
	"fmt"
	"iter"
	"os"
	"runtime"
	"testing"
)

// What a task switch costs: the step's scheduler against a bare iter.Pull
// resume, tasks as goroutines handing off over channels, and tasks as
// hand-written state machines (no coroutine at all). Run with
//
//	go test ./step2-scheduler -run '^$' -bench . -benchmem
//
// Each op is one resume of one task.

// spin is a silent task: it yields n times.
func spin(n int) iter.Seq[struct{}] {
	return func(yield func(struct{}) bool) {
		for range n {
			if !yield(struct{}{}) {
				return
			}
		}
	}
}

// silenced runs f with standard output thrown away: run prints "Task done".
func silenced(b *testing.B, f func()) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		b.Fatal(err)
	}
	defer null.Close()
	stdout := os.Stdout
	os.Stdout = null
	defer func() { os.Stdout = stdout }()
	f()
}

// sizes are the numbers of tasks the scheduler juggles.
var sizes = []int{1, 100, 10_000}

func BenchmarkSwitch(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("scheduler/tasks=%d", n), func(b *testing.B) {
			for range n {
				newTask("spin", spin(b.N/n))
			}
			b.ResetTimer()
			silenced(b, run)
		})
	}
	b.Run("bare-pull", func(b *testing.B) {
		next, stop := iter.Pull(spin(b.N))
		defer stop()
		for range b.N {
			next()
		}
	})
	for _, n := range sizes {
		b.Run(fmt.Sprintf("goroutines/tasks=%d", n), func(b *testing.B) {
			var q deque[*goTask]
			for range n {
				q.pushBack(startGoTask(b.N / n))
			}
			b.ResetTimer()
			for q.len() > 0 {
				t := q.popFront()
				t.resume <- struct{}{}
				if <-t.yielded {
					q.pushBack(t)
				}
			}
		})
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("state-machines/tasks=%d", n), func(b *testing.B) {
			var q deque[*counter]
			for range n {
				q.pushBack(&counter{left: b.N / n})
			}
			b.ResetTimer()
			for q.len() > 0 {
				if t := q.popFront(); t.step() {
					q.pushBack(t)
				}
			}
		})
	}
}

// A goTask is a task run as a goroutine: the scheduler hands it the turn
// over one channel, and it hands the turn back over another.
type goTask struct {
	resume  chan struct{}
	yielded chan bool // true: it yielded; false: it is done
}

func startGoTask(n int) *goTask {
	t := &goTask{make(chan struct{}), make(chan bool)}
	go func() {
		for range n {
			<-t.resume
			t.yielded <- true
		}
		<-t.resume
		t.yielded <- false
	}()
	return t
}

// A counter is a task written as a state machine: its state is a field,
// and each step is a method call that returns instead of yielding.
type counter struct{ left int }

func (c *counter) step() bool {
	if c.left == 0 {
		return false
	}
	c.left--
	return true
}

// BenchmarkMemoryPerTask reports the memory that each of 10,000 live,
// paused tasks holds: its coroutine's stack and the scheduler's records.
func BenchmarkMemoryPerTask(b *testing.B) {
	const n = 10_000
	for range b.N {
		before := inUse()
		for range n {
			newTask("spin", spin(1))
		}
		for range n { // resume each once, so that each is paused at a yield
			t := tasks.popFront()
			t.next()
			tasks.pushBack(t)
		}
		b.ReportMetric(float64(inUse()-before)/n, "B/task")
		silenced(b, run)
	}
}

// inUse returns the bytes of heap and goroutine stacks in use.
func inUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
