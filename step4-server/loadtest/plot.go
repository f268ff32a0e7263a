package main

import (
	"bytes"
	"fmt"
	"math"
)

// A chart is a line chart of one figure against a count, a line per server.
type chart struct {
	title, xLabel string
	logX          bool                 // a log scale for the counts (which must then be above 0)
	xs            []int                // the counts, ascending
	y             func(result) float64 // the figure plotted, a median over the rounds
	yUnit         func(float64) string // how a y grid line is labelled
	data          map[string]map[int][]result
}

// svg draws the chart for servers.
func (c chart) svg(servers []server) []byte {
	const w, h, left, right, top, bottom = 640, 400, 70, 130, 30, 50
	maxY := 0.0
	for _, s := range servers {
		for _, x := range c.xs {
			maxY = math.Max(maxY, median(c.data[s.name][x], c.y))
		}
	}
	maxY = niceCeil(maxY)
	scale := func(v int) float64 { return float64(v) }
	if c.logX {
		scale = func(v int) float64 { return math.Log10(float64(v)) }
	}
	lo, hi := scale(c.xs[0]), scale(c.xs[len(c.xs)-1])
	px := func(v int) float64 { return left + (scale(v)-lo)/(hi-lo)*(w-left-right) }
	py := func(v float64) float64 { return h - bottom - v/maxY*(h-top-bottom) }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="14">%s</text>`+"\n", left, c.title)
	for i := 0; i <= 4; i++ { // horizontal grid lines, labelled
		v := maxY * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, w-right, py(v), py(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, py(v)+4, c.yUnit(v))
	}
	for _, x := range c.xs {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", px(x), h-bottom+18, x)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", (left+w-right)/2, h-12, c.xLabel)
	colors := []string{"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"}
	for i, s := range servers {
		color := colors[i%len(colors)]
		var pts bytes.Buffer
		for _, x := range c.xs {
			fmt.Fprintf(&pts, "%.1f,%.1f ", px(x), py(median(c.data[s.name][x], c.y)))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(x), py(median(c.data[s.name][x], c.y)), color)
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color, pts.String())
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s</text>`+"\n", w-right+12, top+20+18*i, color, s.name)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
