//go:build !linux

package main

import (
	"errors"
	"time"
)

// Elsewhere than Linux the driver neither pins nor reads /proc: it still
// measures throughput and latency, and reports CPU time as zero.

func pinDriver() bool           { return false }
func cpuTime(int) time.Duration { return 0 }
func rss(int) (int64, error)    { return 0, errors.New("memory is read from /proc, on Linux only") }
