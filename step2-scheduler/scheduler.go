package main

import (
	"fmt"
	"io"
	"iter"
)

// A task is a generator that the scheduler drives. Its body yields nothing
// (struct{}{} is Go's "no value", like Python's bare `yield`): a yield only
// says "let someone else run now".
type task struct {
	name string                  // for the trace
	next func() (struct{}, bool) // resumes the body until its next yield
}

// tasks is the ready queue, as in the lesson: tasks = deque().
var tasks deque[*task]

// trace, when not nil, gets a line for each thing the scheduler does:
// -trace sets it to os.Stdout. A writer, not a switch, so that a reader of
// the trace (docs/timeline) can be checked against the real queue.
var trace io.Writer

// newTask wraps a generator as a task and puts it on the ready queue, like
// the lesson's tasks.append(countdown(10)).
func newTask(name string, gen iter.Seq[struct{}]) {
	next, _ := iter.Pull(gen) // every task here runs to its end, so stop is not needed
	tasks.pushBack(&task{name: name, next: next})
	if trace != nil {
		fmt.Fprintln(trace, "[trace] new task", name)
	}
}

// run is the scheduler: while there are tasks, resume the first one; if it
// yielded, it goes to the back of the queue; if its body returned, it is
// done. Python learns that from StopIteration; Go's next reports ok == false.
func run() {
	for tasks.len() > 0 {
		t := tasks.popFront()
		if trace != nil {
			fmt.Fprintln(trace, "[trace] resume", t.name)
		}
		if _, ok := t.next(); ok {
			tasks.pushBack(t)
			if trace != nil {
				fmt.Fprintln(trace, "[trace]", t.name, "yielded; back of the queue")
			}
		} else {
			fmt.Println("Task done")
		}
	}
}
