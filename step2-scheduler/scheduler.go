package main

import (
	"fmt"
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
