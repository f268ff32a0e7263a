package main

import (
	"io"
	"strings"
	"testing"
)

// BenchmarkDraw reads and draws a made-up trace of 10,000 events (see
// synthTrace), folded as by default, and with nothing folded.
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
		name      string
		minCopies int
	}{{"folded", 3}, {"unfolded", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ReportMetric(float64(len(tl.cols)), "events")
			for range b.N {
				if err := run(strings.NewReader(trace), io.Discard, options{minCopies: bc.minCopies}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
