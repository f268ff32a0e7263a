package main

import (
	"fmt"
	"html"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sizes, in pixels. Text widths are estimated, as an SVG cannot measure
// its text: charW is a wide sans-serif's average width per point of size.
const (
	margin     = 16
	colW       = 26 // one column, at the least
	maxColW    = 44 // one column, at the most
	foldW      = 34 // a fold
	rowH       = 24 // one row
	barPad     = 4  // between a bar and its row's edges
	charW      = 0.62
	noteChars  = 64  // the longest line of output shown under a column
	legendW    = 640 // the narrowest picture: room for the legend
	legendMaxW = 900 // the legend wraps there, even in a wider picture
)

// Colours: the picture has its own white background, so that it reads the
// same in a light or a dark page. Each kind of wait has its own colour and
// its own text, for readers who tell colours apart badly.
const (
	ink       = "#1f2328"
	grey      = "#59636e"
	lineGrey  = "#d1d9e0"
	runFill   = "#2e7d32"
	readyFill = "#ffd54f"
	recvFill  = "#64b5f6"
	sendFill  = "#ff8a65"
	otherFill = "#ce93d8"
	wakeFill  = "#37474f"
	foldFill  = "#eef1f4"
	wakeBand  = "#e3e9f0"
)

// A canvas collects the SVG's elements.
type canvas struct {
	b strings.Builder
}

// printf adds an element.
func (c *canvas) printf(format string, args ...any) {
	fmt.Fprintf(&c.b, format, args...)
	c.b.WriteByte('\n')
}

// text adds a line of text at x, y; attrs are extra attributes.
func (c *canvas) text(x, y float64, size int, attrs, s string) {
	c.printf(`<text x="%s" y="%s" font-size="%d"%s>%s</text>`, num(x), num(y), size, attrs, esc(s))
}

// rect adds a rectangle.
func (c *canvas) rect(x, y, w, h float64, attrs string) {
	c.printf(`<rect x="%s" y="%s" width="%s" height="%s"%s/>`, num(x), num(y), num(w), num(h), attrs)
}

// num formats a coordinate with at most one decimal, so that the SVG is
// short and the same on every machine.
func num(v float64) string {
	return strconv.FormatFloat(float64(int64(v*10+0.5))/10, 'f', -1, 64)
}

// esc makes s safe inside an SVG element: valid UTF-8, no control
// characters (XML forbids them), and & < > " escaped.
func esc(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return html.EscapeString(s)
}

// textW estimates how wide s is at size.
func textW(s string, size int) float64 {
	return float64(utf8.RuneCountInString(s)) * float64(size) * charW
}

// clip shortens s to at most n characters, ending it with … if cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// options are what the command line sets.
type options struct {
	title     string
	minCopies int    // fold a block of columns that appears this many times in a row
	maxCols   int    // draw at most this many columns (folds count as one); 0: all
	window    string // what part of the trace a window shows, for the header; "" for the whole
	markAt    int    // outline the column of this trace line (or the last before it); 0: none
	from, to  int    // -events: draw trace lines from..to only; 0: the whole trace
}

// drawing holds what the parts of the picture share.
type drawing struct {
	tl      *timeline
	items   []item
	xs      []float64       // each item's left edge
	ws      []float64       // each item's width
	gridX   float64         // left edge of the first column
	gridTop float64         // top of the first row
	wakeRow bool            // a row for the wake calls comes first
	call    string          // the wake call's name, "select"
	used    map[string]bool // which kinds of mark the legend must explain
	// otherLabel is the first wait the trace names that is neither Recv
	// nor Send, to show in the legend.
	otherLabel string
}

// rowY returns the top of task row r.
func (d *drawing) rowY(r int) float64 {
	if d.wakeRow {
		r++
	}
	return d.gridTop + float64(r)*rowH
}

// draw writes tl as an SVG picture.
func draw(w io.Writer, tl *timeline, opt options) error {
	items, left := fold(tl, opt.minCopies), 0
	if opt.maxCols > 0 && len(items) > opt.maxCols+1 {
		at := items[opt.maxCols].col
		left = len(tl.cols) - at
		tl = tl.cut(at)
		items = fold(tl, opt.minCopies)
	}
	d := &drawing{tl: tl, items: items, used: map[string]bool{}}
	resumes, wakes := 0, 0
	for _, c := range tl.cols {
		if c.task >= 0 {
			resumes++
		} else {
			wakes++
			d.wakeRow, d.call = true, c.call
		}
	}
	// Left: the task names.
	nameW := 0.0
	for _, t := range tl.tasks {
		nameW = max(nameW, textW(t.name, 12))
	}
	if d.wakeRow {
		nameW = max(nameW, textW(d.callName(), 12))
	}
	d.gridX = margin + nameW + 10
	// The column after the last event holds "done" and the like.
	endW := 8.0
	for _, t := range tl.tasks {
		if st, col := t.stateAfter(len(tl.cols)); st.kind == ended && col == len(tl.cols) {
			endW = max(endW, textW(st.reason, 11)+8)
		}
	}
	// A short trace gets wider columns, up to maxColW, to fill the
	// narrowest picture: room for the waits' labels.
	cw, folds := float64(colW), 0
	for _, it := range d.items {
		if it.n > 1 {
			folds++
		}
	}
	if cols := len(d.items) - 1 - folds; cols > 0 {
		cw = min(max(cw, (legendW-margin-d.gridX-endW-float64(folds*foldW))/float64(cols)), maxColW)
	}
	x := d.gridX
	for _, it := range d.items {
		w := cw
		switch {
		case it.col == len(tl.cols):
			w = endW
		case it.n > 1:
			w = foldW
		}
		d.xs, d.ws = append(d.xs, x), append(d.ws, w)
		x += w
	}
	gridRight := x
	rows := len(tl.tasks)
	if d.wakeRow {
		rows++
	}
	title := opt.title
	if title == "" {
		title = "Scheduler timeline"
	}
	counts := "run() resumed a task " + plural(resumes, "time", "times")
	if d.wakeRow {
		counts += ", and called " + d.callName() + " " + plural(wakes, "time", "times") + " because no task was ready"
	}
	folded := 0
	for _, it := range d.items {
		if it.n > 1 {
			folded += it.n
		}
	}
	if folded > 0 {
		counts += "; " + plural(folded, "repeated column", "repeated columns") + " folded"
	}
	counts += "."
	if opt.window != "" {
		counts = opt.window + " " + counts
	}
	const what = "Time runs left to right: one column per scheduler event."
	width := max(gridRight+margin, legendW, margin*2+textW(title, 16), margin*2+textW(counts, 12))
	textChars := int((width - 2*margin) / (12 * charW))

	// Top: the title, and what the picture shows.
	var head canvas
	y := float64(margin + 16)
	head.text(margin, y, 16, ` font-weight="bold"`, title)
	y += 20
	head.text(margin, y, 12, ` fill="`+grey+`"`, what)
	y += 16
	head.text(margin, y, 12, ` fill="`+grey+`"`, counts)
	if len(tl.before) > 0 {
		y += 16
		head.text(margin, y, 12, ` fill="`+grey+`"`, clip("Printed before the first event: "+strings.Join(tl.before, " · "), textChars))
	}
	if left > 0 {
		y += 16
		head.text(margin, y, 12, ` fill="#9a1c1c"`, fmt.Sprintf("The trace goes on for %s, not drawn here: -max 0 draws them all.", plural(left, "more event", "more events")))
	}
	y += 26 // room for the folds' counts above the grid
	d.gridTop = y

	var grid canvas
	d.drawGrid(&grid, gridRight, rows)
	y = d.gridTop + float64(rows)*rowH
	d.drawMark(&grid, opt.markAt, y)

	var notes canvas
	y, width = d.drawNotes(&notes, y, width)

	var legend canvas
	y = d.drawLegend(&legend, y+18, min(width, legendMaxW))
	textChars = int((width - 2*margin) / (12 * charW))
	for i, n := range tl.notes {
		if i == 4 && len(tl.notes) > 5 {
			n = fmt.Sprintf("and %d more.", len(tl.notes)-4)
		}
		y += 16
		legend.text(margin, y, 12, ` fill="#9a1c1c"`, clip("Note: "+n, textChars))
		if i == 4 {
			break
		}
	}
	height := y + margin

	_, err := fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" font-size="12" fill="%s">
<title>%s</title>
<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9e9e9e" stroke-width="2"/></pattern></defs>
<rect width="100%%" height="100%%" fill="#ffffff"/>
%s%s%s%s</svg>
`, num(width), num(height), num(width), num(height), ink, esc(title), head.b.String(), grid.b.String(), notes.b.String(), legend.b.String())
	return err
}

// cut returns the first n columns of tl, and the tasks seen in them. The
// rows keep their order: a row that moves up is renumbered wherever a
// column names it.
func (tl *timeline) cut(n int) *timeline {
	out := &timeline{cols: slices.Clone(tl.cols[:n]), before: tl.before, notes: tl.notes}
	row := make([]int, len(tl.tasks)) // old row -> new row
	for r, t := range tl.tasks {
		row[r] = len(out.tasks)
		if len(t.marks) == 0 || t.marks[0].col >= n {
			continue
		}
		out.tasks = append(out.tasks, t) // its marks past n are not drawn
	}
	for c := range out.cols {
		if col := &out.cols[c]; col.task >= 0 {
			col.task = row[col.task]
		} else {
			col.woke = slices.Clone(col.woke)
			for i, r := range col.woke {
				col.woke[i] = row[r]
			}
		}
	}
	return out
}

// callName is the wake call as the text names it: "select()".
func (d *drawing) callName() string {
	if d.call == "" {
		return "select()"
	}
	return d.call + "()"
}

// plural says n things, in the singular or the plural.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// stateAfter returns the state of t in column c, and the column of the
// mark that set it (-1 if none did: the task had not started).
func (t *task) stateAfter(c int) (state, int) {
	lo, hi := 0, len(t.marks) // the first mark after column c
	for lo < hi {
		m := (lo + hi) / 2
		if t.marks[m].col <= c {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return state{}, -1
	}
	return t.marks[lo-1].st, t.marks[lo-1].col
}

// changesWithin reports whether t's state changes in columns from+1 .. to-1.
func (t *task) changesWithin(from, to int) bool {
	_, at := t.stateAfter(to - 1)
	return at > from
}

// A cell is what one row shows in one item.
type cell struct {
	st     state
	varies bool // a fold through which the state changes
}

// barKey is what makes neighbouring cells one bar: the same wait, or the
// same stay in the queue. Running cells are drawn one by one, to count turns.
func barKey(c cell) (state, bool) {
	if c.varies {
		return state{}, false
	}
	switch c.st.kind {
	case ready, waitFD, waitOther, untraced:
		k := c.st
		k.woken = false
		return k, true
	}
	return state{}, false
}

// drawGrid draws the rows: names, bars, the wake calls and what they woke,
// and the folds.
func (d *drawing) drawGrid(c *canvas, right float64, rows int) {
	tl := d.tl
	bottom := d.gridTop + float64(rows)*rowH
	for i, it := range d.items { // folds first, under everything
		if it.n > 1 {
			c.rect(d.xs[i], d.gridTop-4, d.ws[i], bottom-d.gridTop+4, ` fill="`+foldFill+`"`)
			c.text(d.xs[i]+d.ws[i]/2, d.gridTop-8, 11, ` text-anchor="middle" fill="`+grey+`"`, fmt.Sprintf("×%d", it.n/it.period))
			d.used["fold"] = true
		}
	}
	// Under the bars, each wake call's column is shaded, with a line from
	// the call down to the last task it woke: it shows between the bars.
	for i, it := range d.items {
		if !d.isWake(it) {
			continue
		}
		c.rect(d.xs[i], d.gridTop, d.ws[i], bottom-d.gridTop, ` fill="`+wakeBand+`"`)
		lowest := -1
		for _, r := range tl.cols[it.col].woke {
			lowest = max(lowest, r)
		}
		if lowest >= 0 {
			cx := d.xs[i] + d.ws[i]/2
			c.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"/>`, num(cx), num(d.gridTop+rowH/2), num(cx), num(d.rowY(lowest)+rowH/2), wakeFill)
		}
	}
	for r := 0; r <= rows; r++ { // row lines
		y := d.gridTop + float64(r)*rowH
		c.printf(`<line x1="%d" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, margin, num(y), num(right), num(y), lineGrey)
	}
	if d.wakeRow {
		c.text(margin, d.gridTop+rowH/2+4, 12, ` font-style="italic" fill="`+grey+`"`, d.callName())
	}
	cells := make([]cell, len(d.items))
	for r, t := range tl.tasks {
		y := d.rowY(r)
		c.text(margin, y+rowH/2+4, 12, "", t.name)
		lo, hi := d.span(t)
		for i := lo; i < hi; i++ {
			it := d.items[i]
			st, _ := t.stateAfter(it.col)
			cells[i] = cell{st: st, varies: it.n > 1 && t.changesWithin(it.col, it.col+it.n)}
		}
		for i := lo; i < hi; {
			j := i + 1
			if k, ok := barKey(cells[i]); ok {
				for j < hi {
					if k2, ok2 := barKey(cells[j]); !ok2 || k2 != k {
						break
					}
					j++
				}
			}
			d.drawCells(c, r, i, j, cells)
			i = j
		}
	}
	// What each wake call said, and a dot on each task it woke.
	for i, it := range d.items {
		if !d.isWake(it) {
			continue
		}
		col := tl.cols[it.col]
		cx := d.xs[i] + d.ws[i]/2
		c.rect(d.xs[i]+2, d.gridTop+barPad, d.ws[i]-4, rowH-2*barPad, ` rx="3" fill="`+wakeFill+`"`)
		c.text(cx, d.gridTop+rowH/2+4, 11, ` text-anchor="middle" fill="#ffffff" font-weight="bold"`, strconv.Itoa(col.ready))
		for _, r := range col.woke {
			c.printf(`<circle cx="%s" cy="%s" r="4.5" fill="%s" stroke="#ffffff" stroke-width="1.5"/>`, num(cx), num(d.rowY(r)+rowH/2), wakeFill)
			d.used["woke"] = true
		}
		d.used["wake"] = true
	}
	for i, it := range d.items { // the folds' zigzags, over the bars
		if it.n > 1 {
			var pts strings.Builder
			x0 := d.xs[i] + d.ws[i]/2
			for k, y := 0, d.gridTop; y <= bottom; k, y = k+1, y+6 {
				fmt.Fprintf(&pts, "%s,%s ", num(x0+float64(k%2*2-1)*3), num(y))
			}
			c.printf(`<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`, strings.TrimSpace(pts.String()), grey)
		}
	}
	// The end of the trace.
	end := d.xs[len(d.xs)-1]
	c.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-dasharray="3,3"/>`, num(end), num(d.gridTop-4), num(end), num(bottom+4), grey)
}

// drawMark outlines the column of trace line at, or of the last event
// before it: the live view's current event.
func (d *drawing) drawMark(c *canvas, at int, bottom float64) {
	if at <= 0 {
		return
	}
	i := -1
	for k, it := range d.items {
		if it.col < len(d.tl.cols) && d.tl.cols[it.col].at <= at {
			i = k
		}
	}
	if i < 0 {
		return
	}
	c.rect(d.xs[i]-1, d.gridTop-4, d.ws[i]+2, bottom-d.gridTop+8, ` fill="none" stroke="#d81b60" stroke-width="3" rx="3"`)
}

// span returns the items from i to j-1 in which t is drawn: from its first
// mark to its last, or to the end of the trace if it is still there. A
// trace with many short tasks costs what they draw, not rows times columns.
func (d *drawing) span(t *task) (i, j int) {
	if len(t.marks) == 0 {
		return 0, 0
	}
	first, last := t.marks[0].col, t.marks[len(t.marks)-1]
	end := len(d.tl.cols)
	if last.st.kind == blank {
		end = last.col - 1
	}
	i = sort.Search(len(d.items), func(k int) bool { return d.items[k].col+d.items[k].n > first })
	j = sort.Search(len(d.items), func(k int) bool { return d.items[k].col > end })
	return i, j
}

// isWake reports whether it is a single column in which a wake call
// (select) returned.
func (d *drawing) isWake(it item) bool {
	return it.n == 1 && it.col < len(d.tl.cols) && d.tl.cols[it.col].task < 0
}

// drawCells draws items i..j-1 of row r, which show one bar, or cells
// drawn one by one.
func (d *drawing) drawCells(c *canvas, r, i, j int, cells []cell) {
	cl := cells[i]
	y := d.rowY(r) + barPad
	h := float64(rowH - 2*barPad)
	x0, x1 := d.xs[i], d.xs[j-1]+d.ws[j-1]
	st := cl.st
	if cl.varies { // the fold's background and zigzag say it
		return
	}
	var labels []string // the longest first: the first that fits is drawn
	fill := ""
	switch st.kind {
	case running:
		fill = runFill
		d.used["running"] = true
	case ready:
		fill = readyFill
		d.used["ready"] = true
	case waitFD:
		fill, labels = otherFill, []string{fmt.Sprintf("%s fd %d", st.reason, st.fd), fmt.Sprintf("%.1s%d", st.reason, st.fd)}
		switch st.reason {
		case "Recv":
			fill = recvFill
			d.used["Recv"] = true
		case "Send":
			fill = sendFill
			d.used["Send"] = true
		default:
			d.used["other"] = true
			if d.otherLabel == "" {
				d.otherLabel = st.reason
			}
		}
	case waitOther:
		fill, labels = otherFill, []string{st.detail, st.reason}
		d.used["other"] = true
		if d.otherLabel == "" {
			d.otherLabel = st.reason
		}
	case untraced:
		fill, labels = "url(#hatch)", []string{"?"}
		d.used["untraced"] = true
	case ended:
		if d.items[i].n == 1 {
			c.text(x0+3, y+h/2+4, 11, ` font-style="italic" fill="`+grey+`"`, st.reason)
			d.used[st.reason] = true
		}
		return
	default:
		return
	}
	if st.kind == running {
		for k := i; k < j; k++ {
			c.rect(d.xs[k]+1.5, y, d.ws[k]-3, h, ` rx="3" fill="`+fill+`"`)
		}
		return
	}
	c.rect(x0+1, y, x1-x0-2, h, ` rx="3" fill="`+fill+`"`)
	if cells[j-1].st.woken { // the label keeps clear of the wake's dot
		x1 = d.xs[j-1]
	}
	for _, label := range labels {
		if textW(label, 11) <= x1-x0-2 {
			c.text((x0+x1)/2, y+h/2+4, 11, ` text-anchor="middle"`, label)
			break
		}
	}
}

// maxNotes bounds the lines of output drawn under the grid: a long trace
// says how many more there were instead.
const maxNotes = 40

// A note is a line drawn under the grid, tied to an item by a leader line.
type note struct {
	item   int
	text   string
	italic bool
}

// notes returns the lines to draw under the grid, in column order: what
// the program printed in each column, and what each fold stands for. It
// also says how many lines it left out.
func (d *drawing) notes() ([]note, int) {
	var out []note
	left := 0
	for i, it := range d.items {
		var lines []note
		if it.n > 1 {
			what := fmt.Sprintf("the %d columns before", it.period)
			if it.period == 1 {
				what = "the column before"
			}
			lines = append(lines, note{i, fmt.Sprintf("folded: %s, %d more times (%s)", what, it.n/it.period, plural(it.n, "column", "columns")), true})
		} else if it.col < len(d.tl.cols) {
			for _, s := range d.tl.cols[it.col].output {
				if s = strings.TrimSpace(s); s != "" && s != "Task done" {
					lines = append(lines, note{i, clip(s, noteChars), false})
				}
			}
		}
		if len(out)+len(lines) > maxNotes {
			left += len(lines)
			continue
		}
		out = append(out, lines...)
	}
	return out, left
}

// drawNotes writes the notes under the grid, one per line, each tied to
// its column by a thin line; it returns the bottom of what it drew and
// the width it needs.
func (d *drawing) drawNotes(c *canvas, top, width float64) (float64, float64) {
	notes, left := d.notes()
	if len(notes) == 0 {
		return top, width
	}
	const size, lineH = 11, 15
	y := top + lineH
	need := width
	// Each leader runs from the grid down to the last note of its column.
	for k, n := range notes {
		if k+1 < len(notes) && notes[k+1].item == n.item {
			continue
		}
		cx := d.xs[n.item] + d.ws[n.item]/2
		c.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, num(cx), num(top+2), num(cx), num(y+float64(k)*lineH-4), lineGrey)
	}
	for _, n := range notes {
		cx := d.xs[n.item] + d.ws[n.item]/2
		attrs := ` fill="` + grey + `" stroke="#ffffff" stroke-width="3" paint-order="stroke"`
		if n.italic {
			attrs += ` font-style="italic"`
		}
		if w := textW(n.text, size); cx+5+w > width-margin && cx-5-w >= margin {
			attrs += ` text-anchor="end"`
			c.text(cx-5, y, size, attrs, n.text)
		} else {
			c.text(cx+5, y, size, attrs, n.text)
			need = max(need, cx+5+w+margin)
		}
		y += lineH
	}
	if left > 0 {
		c.text(margin, y, size, ` font-style="italic" fill="`+grey+`"`, fmt.Sprintf("… and %s of output, not shown", plural(left, "more line", "more lines")))
		y += lineH
	}
	return y - lineH + 6, need
}

// drawLegend explains every kind of mark the picture uses, and returns the
// bottom of what it drew.
func (d *drawing) drawLegend(c *canvas, top, width float64) float64 {
	call := d.callName()
	entries := []struct {
		key, text string
	}{
		{"running", "running: run() resumed it"},
		{"ready", "ready: in the queue"},
		{"Recv", "parked in recvWait until fd N can be read"},
		{"Send", "parked in sendWait until fd N can be written"},
		{"other", "parked for another reason, as the trace names it"},
		{"untraced", "waiting; the trace does not say on what"},
		{"wake", call + " returned: n descriptors ready"},
		{"woke", "a task that " + call + " woke: back to the queue"},
		{"done", "the task returned (Task done)"},
		{"failed", "the task was stopped (see the output)"},
		{"ended", "the task did not run again"},
		{"fold", "folded: the columns before, repeated"},
	}
	const swatchW, lineH, gap = 58, 22, 24
	var shown []int
	colW := 0.0 // the first column's width, swatch and text
	for i, e := range entries {
		if d.used[e.key] {
			if len(shown)%2 == 0 {
				colW = max(colW, swatchW+8+textW(e.text, 12))
			}
			shown = append(shown, i)
		}
	}
	perRow := 2
	for _, i := range shown {
		if margin+colW+gap+swatchW+8+textW(entries[i].text, 12) > width-margin {
			perRow = 1
		}
	}
	y := top + 14
	c.text(margin, y, 12, ` font-weight="bold"`, "Legend")
	for k, i := range shown {
		e := entries[i]
		x := float64(margin)
		if k%perRow == 1 {
			x += colW + gap
		} else {
			y += lineH
		}
		sx, sy, sh := x, y-13, 18.0
		switch e.key {
		case "running":
			c.rect(sx+16, sy, 26, sh, ` rx="3" fill="`+runFill+`"`)
		case "ready":
			c.rect(sx, sy, swatchW, sh, ` rx="3" fill="`+readyFill+`"`)
		case "Recv", "Send":
			fill, label := recvFill, "Recv fd N"
			if e.key == "Send" {
				fill, label = sendFill, "Send fd N"
			}
			c.rect(sx, sy, swatchW, sh, ` rx="3" fill="`+fill+`"`)
			c.text(sx+swatchW/2, y, 11, ` text-anchor="middle"`, label)
		case "other":
			c.rect(sx, sy, swatchW, sh, ` rx="3" fill="`+otherFill+`"`)
			c.text(sx+swatchW/2, y, 11, ` text-anchor="middle"`, clip(d.otherLabel, 9))
		case "untraced":
			c.rect(sx, sy, swatchW, sh, ` rx="3" fill="url(#hatch)"`)
			c.text(sx+swatchW/2, y, 11, ` text-anchor="middle"`, "?")
		case "wake":
			c.rect(sx+16, sy, 26, sh, ` rx="3" fill="`+wakeFill+`"`)
			c.text(sx+29, y, 11, ` text-anchor="middle" fill="#ffffff" font-weight="bold"`, "n")
		case "woke":
			c.rect(sx, sy, swatchW, sh, ` rx="3" fill="`+recvFill+`"`)
			c.printf(`<circle cx="%s" cy="%s" r="4.5" fill="%s" stroke="#ffffff" stroke-width="1.5"/>`, num(sx+swatchW-13), num(sy+sh/2), wakeFill)
		case "done", "failed", "ended":
			c.text(sx+swatchW/2, y, 11, ` text-anchor="middle" font-style="italic" fill="`+grey+`"`, e.key)
		case "fold":
			c.rect(sx+12, sy-2, 34, sh+4, ` fill="`+foldFill+`"`)
			c.text(sx+29, y, 11, ` text-anchor="middle" fill="`+grey+`"`, "×4")
		}
		c.text(sx+swatchW+8, y, 12, "", e.text)
	}
	return y + 8
}
