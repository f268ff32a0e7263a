// Step 1: what a generator is, in Go.
//
// The lesson's countdown(n) is a Python generator: calling it runs nothing;
// each next() runs the body up to the next yield and pauses there. Go has the
// same thing since Go 1.23: a push iterator (iter.Seq) turned into a pull
// iterator by iter.Pull. next() resumes the body until its next yield;
// stop() ends it early and runs its deferred calls.
//
// Run it: go run ./step1-generators
package main

import (
	"fmt"
	"iter"
)

// countdown is the lesson's generator: it announces itself, yields n down
// to 1, and says when it is done. Nothing in it runs until someone asks for
// the first value.
func countdown(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		fmt.Println("Starting countdown from", n)
		for i := n; i > 0; i-- {
			// yield hands i to the caller and pauses here. It returns
			// false when the caller wants no more values: then we stop.
			if !yield(i) {
				return
			}
		}
		fmt.Println("Countdown complete!")
	}
}

// byHand drives countdown(5) the way the lesson does: next() three times,
// then a loop over whatever is left.
func byHand() {
	fmt.Println("== next() by hand, then a loop over the rest")
	next, stop := iter.Pull(countdown(5))
	defer stop()
	for range 3 {
		v, _ := next()
		fmt.Println(v)
	}
	// Python's for loop calls next() until StopIteration; in Go, next
	// reports ok == false when the generator has returned.
	for {
		v, ok := next()
		if !ok {
			break
		}
		fmt.Println(v)
	}
}

// chatty shows where a generator pauses: it prints before and after every
// yield, and a deferred line that runs however it ends.
func chatty(name string) iter.Seq[int] {
	return func(yield func(int) bool) {
		defer fmt.Println(name, "cleanup (deferred) runs")
		fmt.Println(name, "body starts")
		for i := 1; i <= 3; i++ {
			fmt.Println(name, "about to yield", i)
			if !yield(i) {
				fmt.Println(name, "told to stop at yield", i)
				return
			}
			fmt.Println(name, "resumed after yield", i)
		}
		fmt.Println(name, "body ends")
	}
}

// pauses shows that the body starts only at the first next(), pauses at
// each yield, and that stop() ends it early with its cleanup.
func pauses() {
	fmt.Println("== the body runs only when asked")
	next, stop := iter.Pull(chatty("gen"))
	fmt.Println("main: pulled the generator; nothing has run yet")
	v, _ := next()
	fmt.Println("main: got", v)
	v, _ = next()
	fmt.Println("main: got", v)
	fmt.Println("main: calling stop()")
	stop()
	_, ok := next()
	fmt.Println("main: next() after stop() reports ok =", ok)
}

// alternate advances two generators in turn, by hand. Step 2 turns this
// loop into a scheduler.
func alternate() {
	fmt.Println("== two generators, advanced in turn")
	nextA, stopA := iter.Pull(countdown(3))
	defer stopA()
	nextB, stopB := iter.Pull(countdown(2))
	defer stopB()
	for aLive, bLive := true, true; aLive || bLive; {
		if aLive {
			aLive = advance("A", nextA)
		}
		if bLive {
			bLive = advance("B", nextB)
		}
	}
}

// advance resumes one generator, prints what it yielded, and reports
// whether it is still alive.
func advance(label string, next func() (int, bool)) bool {
	v, ok := next()
	if ok {
		fmt.Println(label+":", v)
	}
	return ok
}

func main() {
	byHand()
	fmt.Println()
	pauses()
	fmt.Println()
	alternate()
}
