// Step 2: a scheduler that runs generators as tasks.
//
// Step 1 advanced two generators by hand. Here a queue of tasks and a run()
// loop do it for any number of them: take the first task, resume it until
// its next yield, put it at the back; when a task's body returns, it is done.
// This is the lesson's multitask.py, and its output is the lesson's, line for
// line.
//
// Run it: go run ./step2-scheduler   (add -trace to watch the scheduler)
package main

import (
	"flag"
	"fmt"
	"iter"
)

// deque is a first-in, first-out queue of tasks, like Python's
// collections.deque as the lesson uses it. It is a ring buffer: a plain
// slice used as a queue (q = q[1:]) keeps moving through memory and copies
// itself as it grows, and container/list allocates a node for every push
// and holds values as `any`. A ring reuses one array.
type deque[T any] struct {
	buf  []T // the ring; its length is always 0 or a power of two
	head int // index of the first element
	n    int // number of elements
}

// len reports how many elements the queue holds.
func (q *deque[T]) len() int { return q.n }

// pushBack appends v at the back, doubling the ring when it is full.
func (q *deque[T]) pushBack(v T) {
	if q.n == len(q.buf) {
		bigger := make([]T, max(2*len(q.buf), 8))
		for i := range q.n {
			bigger[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
		}
		q.buf, q.head = bigger, 0
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = v
	q.n++
}

// popFront removes and returns the first element; the queue must not be
// empty.
func (q *deque[T]) popFront() T {
	v := q.buf[q.head]
	var zero T
	q.buf[q.head] = zero // let the garbage collector have what we dropped
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return v
}

// A task is a generator that the scheduler drives. Its body yields nothing
// (struct{}{} is Go's "no value", like Python's bare `yield`): a yield only
// says "let someone else run now".
type task struct {
	name string                  // for the trace
	next func() (struct{}, bool) // resumes the body until its next yield
}

// tasks is the ready queue, as in the lesson: tasks = deque().
var tasks deque[*task]

// trace, when on, makes run() print a line for each thing it does.
var trace bool

// newTask wraps a generator as a task and puts it on the ready queue, like
// the lesson's tasks.append(countdown(10)).
func newTask(name string, gen iter.Seq[struct{}]) {
	next, _ := iter.Pull(gen) // every task here runs to its end, so stop is not needed
	tasks.pushBack(&task{name: name, next: next})
}

// run is the scheduler: while there are tasks, resume the first one; if it
// yielded, it goes to the back of the queue; if its body returned, it is
// done. Python learns that from StopIteration; Go's next reports ok == false.
func run() {
	for tasks.len() > 0 {
		t := tasks.popFront()
		if trace {
			fmt.Println("[trace] resume", t.name)
		}
		if _, ok := t.next(); ok {
			if trace {
				fmt.Println("[trace]", t.name, "yielded; back of the queue")
			}
			tasks.pushBack(t)
		} else {
			fmt.Println("Task done")
		}
	}
}

// countdown prints T-minus n down to 1, yielding after each line.
func countdown(n int) iter.Seq[struct{}] {
	return func(yield func(struct{}) bool) {
		for ; n > 0; n-- {
			fmt.Println("T-minus", n)
			if !yield(struct{}{}) {
				return
			}
		}
	}
}

// countup prints Up we go 0 to n-1, yielding after each line.
func countup(n int) iter.Seq[struct{}] {
	return func(yield func(struct{}) bool) {
		for x := 0; x < n; x++ {
			fmt.Println("Up we go", x)
			if !yield(struct{}{}) {
				return
			}
		}
	}
}

func main() {
	flag.BoolVar(&trace, "trace", false, "print a line for each scheduler event")
	flag.Parse()
	newTask("countdown(10)", countdown(10))
	newTask("countdown(5)", countdown(5))
	newTask("countup(20)", countup(20))
	run()
}
