package main

// deque is a first-in, first-out queue of tasks, like Python's
// collections.deque as the lesson uses it. It is a ring buffer: a plain
// slice used as a queue (q = q[1:]) keeps moving through memory and copies
// itself as it grows, and container/list allocates a node for every push
// and holds values as `any`. A ring reuses one array.
type deque[T any] struct {
	buf  []T // the ring; its length is always 0 or a power of two
	head int // index of the first element
	n    int // number of elements
}

// len reports how many elements the queue holds.
func (q *deque[T]) len() int { return q.n }

// pushBack appends v at the back, doubling the ring when it is full.
func (q *deque[T]) pushBack(v T) {
	if q.n == len(q.buf) {
		bigger := make([]T, max(2*len(q.buf), 8))
		for i := range q.n {
			bigger[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
		}
		q.buf, q.head = bigger, 0
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = v
	q.n++
}

// popFront removes and returns the first element; the queue must not be
// empty.
func (q *deque[T]) popFront() T {
	v := q.buf[q.head]
	var zero T
	q.buf[q.head] = zero // let the garbage collector have what we dropped
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return v
}
