package main

// An item is one column of the picture: a column of the timeline, or a
// fold that stands for a run of columns repeating the ones just before it.
type item struct {
	col    int // the first column it stands for
	n      int // how many: 1, or more for a fold
	period int // a fold's repeating block: it stands for n/period more copies of the period columns before it
}

// maxPeriod is the longest block of columns that folding looks for: a
// round of round-robin over a few tasks, a wake and the turns it causes.
const maxPeriod = 24

// fold lays out the columns of tl: a block of columns that appears minCopies
// times or more in a row is drawn once, followed by one fold for all the
// copies after it, if that saves at least three columns. The last item
// stands for the column after the last event, where the tasks still there
// end. minCopies < 2 folds nothing.
func fold(tl *timeline, minCopies int) []item {
	n := len(tl.cols)
	var items []item
	if minCopies < 2 {
		for c := range n + 1 {
			items = append(items, item{col: c, n: 1})
		}
		return items
	}
	key := columnKeys(tl)
	same := func(a, b, k int) bool { // columns a.. and b.. are the same for k columns
		for i := range k {
			if key[a+i] != key[b+i] {
				return false
			}
		}
		return true
	}
	for c := 0; c < n; {
		bestK, bestCopies := 0, 0
		for k := 1; k <= maxPeriod && c+2*k <= n; k++ {
			copies := 1
			for c+(copies+1)*k <= n && same(c, c+copies*k, k) {
				copies++
			}
			if copies >= minCopies && (copies-1)*k >= 3 && (copies-1)*k > (bestCopies-1)*bestK {
				bestK, bestCopies = k, copies
			}
		}
		if bestK == 0 {
			items = append(items, item{col: c, n: 1})
			c++
			continue
		}
		for i := range bestK {
			items = append(items, item{col: c + i, n: 1})
		}
		items = append(items, item{col: c + bestK, n: (bestCopies - 1) * bestK, period: bestK})
		c += bestCopies * bestK
	}
	return append(items, item{col: n, n: 1})
}

// columnKeys returns, for each column, a 64-bit digest of everything drawn
// in it but the program's output: every task's state, and what a wake call
// said. Equal digests mean equal columns (a collision has odds of about
// one in 2^64 per pair). Sweeping the columns once, changing only what
// each mark changes, costs the number of marks, not tasks times columns.
func columnKeys(tl *timeline) []uint64 {
	n := len(tl.cols)
	ids := map[state]uint64{{}: 0}
	// The marks, grouped by column: counting sort, as they are many.
	start := make([]int, n+1)
	for _, t := range tl.tasks {
		for _, m := range t.marks {
			if m.col < n {
				start[m.col+1]++
			}
		}
	}
	for c := range n {
		start[c+1] += start[c]
	}
	type change struct {
		row int
		id  uint64
	}
	changes := make([]change, start[n])
	fill := append([]int(nil), start...)
	for r, t := range tl.tasks {
		for _, m := range t.marks {
			if m.col >= n {
				continue
			}
			id, ok := ids[m.st]
			if !ok {
				id = uint64(len(ids))
				ids[m.st] = id
			}
			changes[fill[m.col]] = change{r, id}
			fill[m.col]++
		}
	}
	cur := make([]uint64, len(tl.tasks))
	var sum uint64
	for r := range tl.tasks {
		sum += mix(uint64(r) << 32)
	}
	key := make([]uint64, n)
	for c := range n {
		for _, ch := range changes[start[c]:start[c+1]] {
			sum += mix(uint64(ch.row)<<32|ch.id) - mix(uint64(ch.row)<<32|cur[ch.row])
			cur[ch.row] = ch.id
		}
		key[c] = sum
		if col := tl.cols[c]; col.task < 0 {
			key[c] ^= mix(1<<63 | uint64(col.ready))
		}
	}
	return key
}

// mix is SplitMix64's finalizer: it spreads every bit of x over the result.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
