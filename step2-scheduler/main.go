// Step 2: a scheduler that runs generators as tasks.
//
// Step 1 advanced two generators by hand. Here a queue of tasks and a run()
// loop do it for any number of them: take the first task, resume it until
// its next yield, put it at the back; when a task's body returns, it is done.
// This is the lesson's multitask.py, and its output is the lesson's, line for
// line.
//
// Read this file first: the tasks and the program. Then scheduler.go (a
// task, the ready queue and run) and deque.go (the queue itself).
//
// Run it: go run ./step2-scheduler   (add -trace to watch the scheduler)
// The step is the whole folder: `go run main.go` alone fails with
// "undefined: newTask".
package main

import (
	"flag"
	"fmt"
	"iter"
	"os"
)

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
	on := flag.Bool("trace", false, "print a line for each scheduler event")
	flag.Parse()
	if *on {
		trace = os.Stdout
	}
	newTask("countdown(10)", countdown(10))
	newTask("countdown(5)", countdown(5))
	newTask("countup(20)", countup(20))
	run()
}
