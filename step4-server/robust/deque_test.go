package main

import (
	"slices"
	"testing"
)

// TestDequeKeepsOrder checks that the ready queue is first in, first out,
// across the ring's growth too: with its first element in the middle of
// the ring, and the rest wrapped round to its start. A task run out of turn
// is one that the trace, and its picture, would show out of order.
func TestDequeKeepsOrder(t *testing.T) {
	var q deque[int]
	var got []int
	next := 0
	for _, step := range []struct{ push, pop int }{{5, 3}, {6, 0}, {1, 0}, {20, 25}, {3, 7}} {
		for range step.push { // the third step grows the ring, full and wrapped
			q.pushBack(next)
			next++
		}
		for range step.pop {
			got = append(got, q.popFront())
		}
	}
	want := make([]int, next)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) || q.len() != 0 {
		t.Errorf("pushed 0 to %d, popped %v, %d left", next-1, got, q.len())
	}
}
