package main

import (
	"io"
	"strings"
	"testing"
)

// BenchmarkDraw reads and draws a made-up trace of 10,000 events (see
// synthTrace): as the command does by default, whole, and whole with
// nothing folded.
func BenchmarkDraw(b *testing.B) {
	trace := synthTrace(10000, 1)
	tl, err := parse(strings.NewReader(trace))
	if err != nil {
		b.Fatal(err)
	}
	if len(tl.notes) > 0 {
		b.Fatalf("the made-up trace disagrees with itself: %q", tl.notes)
	}
	for _, bc := range []struct {
		name string
		opt  options
	}{
		{"default", options{minCopies: 3, maxCols: 200}}, // as the command draws it
		{"whole", options{minCopies: 3}},                 // -max 0
		{"whole,unfolded", options{}},                    // -max 0 -fold 0
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ReportMetric(float64(len(tl.cols)), "events")
			for range b.N {
				if err := run(strings.NewReader(trace), io.Discard, bc.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
