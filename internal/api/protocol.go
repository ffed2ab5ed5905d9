package api

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"vfnet/internal/agent"
	"vfnet/internal/store"
)

// The agent protocol (issue 5): an agent long-polls its host's desired
// state and reports what it applied; operators list the events.
//
//	GET /v1/hosts/{host}/desired?after=REV&wait=30s
//	    200 and the desired state (agent.Desired) at once when after is
//	    absent or the host's revision differs from it; otherwise when the
//	    revision changes; 304 when wait (at most MaxWait) ends first; 503
//	    when the server shuts down meanwhile.
//	PUT /v1/hosts/{host}/applied   the agent's agent.Report
//	GET /v1/hosts/{host}/applied   the last one, for operators
//	GET /v1/events?host=H&kind=K&limit=N

func (a *API) protocolRoutes() []route {
	return []route{
		{"GET", "/v1/hosts/{host}/desired", agents, a.desired},
		{"PUT", "/v1/hosts/{host}/applied", agents, a.reportApplied},
		{"GET", "/v1/hosts/{host}/applied", readers, a.showApplied},
		{"GET", "/v1/events", readers, a.listEvents},
	}
}

// MaxWait bounds a long-poll: proxies and load balancers cut idle requests
// after a minute or two.
const MaxWait = 60 * time.Second

// maxAppliedBody bounds an applied report: a host of 4 x 256 VFs reporting
// every VF's settings and the first pass's differences is about 1 MiB.
const maxAppliedBody = 16 << 20

func (a *API) desired(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	q := r.URL.Query()
	after := int64(-1)
	if s := q.Get("after"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return badRequest(err, "after=%q is not a revision (a number >= 0); send the revision the agent holds", s)
		}
		after = v
	}
	var wait time.Duration
	if s := q.Get("wait"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return badRequest(err, "wait=%q is not a duration >= 0; write it like 30s", s)
		}
		wait = min(d, MaxWait)
	}
	h, err := a.store.Host(r.Context(), r.PathValue("host"))
	if err != nil {
		return err
	}
	if after >= 0 && h.DesiredRevision == after {
		changed := false
		if wait > 0 {
			if changed, err = a.hub.wait(r.Context(), a.store, h.ID, after, wait); err != nil {
				return err
			}
		}
		if !changed {
			if r.Context().Err() != nil {
				return nil // the agent went away
			}
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	d, err := a.store.Desired(r.Context(), h.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) reportApplied(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var rep agent.Report
	if err := decodeLimit(r, &rep, false, maxAppliedBody); err != nil {
		return err
	}
	h, err := a.store.ReportApplied(r.Context(), r.PathValue("host"), rep)
	if err != nil {
		return err
	}
	if a.metrics != nil {
		a.metrics.AppliedReport(rep.Converged)
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

// AppliedView is GET /v1/hosts/{host}/applied.
type AppliedView struct {
	Host       string        `json:"host"`
	Desired    int64         `json:"desired_revision"`
	ReportedAt *time.Time    `json:"reported_at"` // null: never reported
	Report     *agent.Report `json:"report"`
}

func (a *API) showApplied(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	h, err := a.store.Host(r.Context(), r.PathValue("host"))
	if err != nil {
		return err
	}
	rep, at, ok, err := a.store.AppliedReport(r.Context(), h.ID)
	if err != nil {
		return err
	}
	v := AppliedView{Host: h.Hostname, Desired: h.DesiredRevision}
	if ok {
		v.ReportedAt, v.Report = &at, &rep
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// EventView is one event of GET /v1/events.
type EventView = store.Event

// EventList is GET /v1/events.
type EventList struct {
	Events []EventView `json:"events"`
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	q := r.URL.Query()
	f := store.EventFilter{Host: q.Get("host"), Kind: store.EventKind(q.Get("kind"))}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return badRequest(err, "limit=%q is not a number >= 1", s)
		}
		f.Limit = n
	}
	evs, err := a.store.Events(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, EventList{Events: nonNil(evs)})
	return nil
}

// Shutdown ends every long-poll at once with a 503, and any that starts
// after: http.Server.Shutdown waits for requests to finish and does not
// cancel them, so without this a shutdown would wait out each agent's
// long-poll (up to MaxWait). The server calls it through RegisterOnShutdown.
func (a *API) Shutdown() { a.hub.shutdown() }

// LongPolls is how many agents' long-polls are waiting now.
func (a *API) LongPolls() int {
	a.hub.mu.Lock()
	defer a.hub.mu.Unlock()
	return len(a.hub.waiters)
}

// errShuttingDown answers the long-polls that Shutdown ends; the agent
// retries with backoff.
var errShuttingDown = &httpError{status: http.StatusServiceUnavailable,
	msg: "The server is shutting down; ask again (another server, or this one once it is back)"}

// revisionHub lets any number of long-polls wait on host revisions with
// one store query per pollInterval: while anyone waits, one goroutine reads
// every host's revision and wakes the waiters whose host moved. Reading the
// store, not a signal within this process, is what makes a change made
// through another server on the same PostgreSQL wake this one's agents.
// The zero value is ready.
type revisionHub struct {
	mu      sync.Mutex
	waiters map[*revWaiter]struct{}
	running bool
	down    bool // shutdown was called
}

type revWaiter struct {
	host  string
	after int64
	done  chan struct{}
	// down is set before done is closed when the server shuts down.
	down bool
}

// pollInterval is the delay between a revision change and the agents'
// long-polls returning, at worst.
const pollInterval = 100 * time.Millisecond

// wait blocks until host's revision differs from after (true), or until
// timeout or ctx ends (false), or the server shuts down (errShuttingDown).
func (h *revisionHub) wait(ctx context.Context, st *store.Store, host string, after int64, timeout time.Duration) (bool, error) {
	wt := &revWaiter{host: host, after: after, done: make(chan struct{})}
	h.mu.Lock()
	if h.down {
		h.mu.Unlock()
		return false, errShuttingDown
	}
	if h.waiters == nil {
		h.waiters = map[*revWaiter]struct{}{}
	}
	h.waiters[wt] = struct{}{}
	if !h.running {
		h.running = true
		go h.poll(st)
	}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.waiters, wt)
		h.mu.Unlock()
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-wt.done:
		if wt.down { // written before done was closed
			return false, errShuttingDown
		}
		return true, nil
	case <-timer.C:
	case <-ctx.Done():
	}
	return false, nil
}

func (h *revisionHub) shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.down = true
	for wt := range h.waiters {
		wt.down = true
		close(wt.done)
		delete(h.waiters, wt)
	}
}

func (h *revisionHub) poll(st *store.Store) {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for range tick.C {
		h.mu.Lock()
		if len(h.waiters) == 0 {
			h.running = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		revs, err := st.Revisions(ctx)
		cancel()
		if err != nil {
			continue // the store is away; the waiters time out and the agents retry
		}
		cur := make(map[string]int64, len(revs))
		for _, r := range revs {
			cur[r.ID] = r.Revision
		}
		h.mu.Lock()
		for wt := range h.waiters {
			if rev, ok := cur[wt.host]; !ok || rev != wt.after {
				close(wt.done)
				delete(h.waiters, wt)
			}
		}
		h.mu.Unlock()
	}
}
