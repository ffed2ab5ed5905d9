package sched

// ranking orders the hosts that have at least one free device of some kind
// by that count, most first, then by host id: the spread order. Host ids
// follow host names at NewIndex; a host first seen later by ReplaceHost
// comes after them among equals (ties are broken by an integer so that a
// claim on a fleet of equal hosts costs integer compares only). It is an
// indexed binary heap, so a claim or a release moves one host in
// O(log hosts) and the best host is read in O(1); each enumerates in order
// without disturbing the heap, visiting only as many hosts as the caller
// consumes (O(k log k) for the first k).
type ranking struct {
	heap []rentry
	// pos[host] is the host's index in heap plus one; 0 when absent. A
	// slice, not a map: at fleet scale every heap move updates it, and map
	// writes at random keys cost cache misses.
	pos []int32
}

type rentry struct {
	n    int32
	host int32
}

func newRanking() *ranking { return &ranking{} }

func (r *ranking) at(host int32) (int, bool) {
	if int(host) >= len(r.pos) || r.pos[host] == 0 {
		return 0, false
	}
	return int(r.pos[host]) - 1, true
}

func (r *ranking) less(i, j int) bool {
	a, b := &r.heap[i], &r.heap[j]
	if a.n != b.n {
		return a.n > b.n
	}
	return a.host < b.host
}

func (r *ranking) swap(i, j int) {
	r.heap[i], r.heap[j] = r.heap[j], r.heap[i]
	r.pos[r.heap[i].host] = int32(i + 1)
	r.pos[r.heap[j].host] = int32(j + 1)
}

func (r *ranking) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !r.less(i, p) {
			return
		}
		r.swap(i, p)
		i = p
	}
}

func (r *ranking) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(r.heap) {
			return
		}
		m := l
		if rr := l + 1; rr < len(r.heap) && r.less(rr, l) {
			m = rr
		}
		if !r.less(m, i) {
			return
		}
		r.swap(i, m)
		i = m
	}
}

// set records that host has n free devices of this ranking's kind; n <= 0
// takes the host out.
func (r *ranking) set(host int32, n int) {
	i, ok := r.at(host)
	switch {
	case !ok && n <= 0:
		return
	case !ok:
		if int(host) >= len(r.pos) {
			r.pos = append(r.pos, make([]int32, int(host)+1-len(r.pos))...)
		}
		r.heap = append(r.heap, rentry{n: int32(n), host: host})
		r.pos[host] = int32(len(r.heap))
		r.up(len(r.heap) - 1)
	case n <= 0:
		last := len(r.heap) - 1
		r.swap(i, last)
		r.heap = r.heap[:last]
		r.pos[host] = 0
		if i < last {
			r.down(i)
			r.up(i)
		}
	default:
		old := r.heap[i].n
		r.heap[i].n = int32(n)
		if int32(n) > old {
			r.up(i)
		} else {
			r.down(i)
		}
	}
}

func (r *ranking) len() int {
	if r == nil {
		return 0
	}
	return len(r.heap)
}

func (r *ranking) count(host int32) int {
	if r == nil {
		return 0
	}
	if i, ok := r.at(host); ok {
		return int(r.heap[i].n)
	}
	return 0
}

// each calls fn with the hosts in order until fn returns false. The heap's
// root is the best; the next best is always a child of one already
// visited, so a second heap of heap indices (the frontier) yields the order
// lazily.
func (r *ranking) each(fn func(host int32) bool) {
	if r.len() == 0 {
		return
	}
	// The frontier lives on the stack for the common case of a caller that
	// stops after a few hosts.
	var buf [32]int
	fr := append(buf[:0], 0)
	for len(fr) > 0 {
		i := fr[0]
		last := len(fr) - 1
		fr[0] = fr[last]
		fr = fr[:last]
		r.frontierDown(fr, 0)
		if !fn(r.heap[i].host) {
			return
		}
		for _, c := range [2]int{2*i + 1, 2*i + 2} {
			if c < len(r.heap) {
				fr = append(fr, c)
				r.frontierUp(fr, len(fr)-1)
			}
		}
	}
}

func (r *ranking) frontierUp(fr []int, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !r.less(fr[i], fr[p]) {
			return
		}
		fr[i], fr[p] = fr[p], fr[i]
		i = p
	}
}

func (r *ranking) frontierDown(fr []int, i int) {
	for {
		l := 2*i + 1
		if l >= len(fr) {
			return
		}
		m := l
		if rr := l + 1; rr < len(fr) && r.less(fr[rr], fr[l]) {
			m = rr
		}
		if !r.less(fr[m], fr[i]) {
			return
		}
		fr[i], fr[m] = fr[m], fr[i]
		i = m
	}
}
