package agent

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vfnet/internal/inventory"
	"vfnet/internal/model"
	"vfnet/internal/sim"
)

// fakeServer is the control plane of the loop tests: each method answers
// through a function the test sets, and every call is recorded in order.
type fakeServer struct {
	mu       sync.Mutex
	calls    []string
	register func(ctx context.Context) error
	desired  func(ctx context.Context, after int64) (Desired, bool, error)
	applied  func(ctx context.Context, r Report) error
	waits    []time.Duration // the long-poll wait of each desired call
}

func (f *fakeServer) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
}

func (f *fakeServer) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeServer) RegisterHost(ctx context.Context, name string, _ model.Personality) (model.Host, error) {
	f.record("register")
	if f.register != nil {
		if err := f.register(ctx); err != nil {
			return model.Host{}, err
		}
	}
	return model.Host{Hostname: name}, nil
}

func (f *fakeServer) ReportInventory(ctx context.Context, host string, _ inventory.Report) (model.Host, error) {
	f.record("inventory")
	return model.Host{Hostname: host}, nil
}

func (f *fakeServer) Desired(ctx context.Context, _ string, after int64, wait time.Duration) (Desired, bool, error) {
	f.mu.Lock()
	f.waits = append(f.waits, wait)
	f.mu.Unlock()
	f.record("desired")
	return f.desired(ctx, after)
}

func (f *fakeServer) ReportApplied(ctx context.Context, host string, r Report) (model.Host, error) {
	f.record("applied")
	if f.applied != nil {
		if err := f.applied(ctx, r); err != nil {
			return model.Host{}, err
		}
	}
	return model.Host{Hostname: host}, nil
}

// notFoundErr is the client's refusal for an unknown host.
type notFoundErr struct{}

func (notFoundErr) Error() string  { return "host not found" }
func (notFoundErr) NotFound() bool { return true }

// runLoop runs l until stop is closed or the test ends, and checks that Run
// returns ctx's error and leaves no goroutine behind.
func runLoop(t *testing.T, l *Loop) (stop func()) {
	t.Helper()
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Run returned %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return within 10s of its context ending")
			}
			noLeak(t, before)
		})
	}
	t.Cleanup(stop)
	return stop
}

// noLeak waits for the goroutine count to come back to before.
func noLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before the loop ran:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

// waitFor waits until cond holds over the server's calls.
func waitFor(t *testing.T, f *fakeServer, what string, cond func(calls []string) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(f.Calls()) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10s; calls: %v", what, f.Calls())
		}
		runtime.Gosched()
	}
}

func count(calls []string, call string) int {
	n := 0
	for _, c := range calls {
		if c == call {
			n++
		}
	}
	return n
}

// A host deleted on the server (or a fresh database) makes the long-poll
// answer 404: the agent registers again and asks for the new host's state
// from scratch, instead of polling an unknown host for ever.
func TestLoopRegistersAgainWhenDesiredNotFound(t *testing.T) {
	k := newSim(t, testHost)
	var (
		mu     sync.Mutex
		afters []int64
	)
	f := &fakeServer{}
	f.desired = func(ctx context.Context, after int64) (Desired, bool, error) {
		mu.Lock()
		afters = append(afters, after)
		n := len(afters)
		mu.Unlock()
		switch {
		case n == 1:
			return Desired{Revision: 5}, true, nil
		case n == 2:
			return Desired{}, false, notFoundErr{} // the host was deleted
		case after < 0:
			return Desired{Revision: 1}, true, nil
		}
		<-ctx.Done()
		return Desired{}, false, ctx.Err()
	}
	l := &Loop{Host: "compute-0", Kernel: k, Server: f, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
	stop := runLoop(t, l)
	waitFor(t, f, "second registration and pass", func(c []string) bool { return count(c, "register") >= 2 && count(c, "applied") >= 2 })
	stop()
	mu.Lock()
	defer mu.Unlock()
	if want := []int64{-1, 5, -1, 1}; len(afters) < len(want) || !slices.Equal(afters[:len(want)], want) {
		t.Errorf("long-polls asked after %v; want %v: the new host's state fetched without a revision", afters, want)
	}
}

// A server that answers "no change" to a request without a revision breaks
// the protocol; the loop backs off rather than asking again at once.
func TestLoopBacksOffOnNoChangeWithoutRevision(t *testing.T) {
	k := newSim(t, testHost)
	f := &fakeServer{desired: func(context.Context, int64) (Desired, bool, error) { return Desired{}, false, nil }}
	var (
		mu   sync.Mutex
		msgs []string
	)
	h := &recordHandler{fn: func(r slog.Record) {
		mu.Lock()
		msgs = append(msgs, r.Message)
		mu.Unlock()
	}}
	l := &Loop{Host: "compute-0", Kernel: k, Server: f, Log: slog.New(h), MinBackoff: time.Hour, MaxBackoff: time.Hour}
	runLoop(t, l)
	waitFor(t, f, "long-poll", func(c []string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			if strings.Contains(m, "fetching the desired state failed") {
				return true
			}
		}
		return false
	})
	if n := count(f.Calls(), "desired"); n != 1 {
		t.Errorf("%d long-polls before the backoff of an hour ended; want 1", n)
	}
}

// A server that accepts a request and never answers must not stall the
// agent: each call is bounded by RequestTimeout, then retried.
func TestLoopRequestTimeout(t *testing.T) {
	k := newSim(t, testHost)
	var (
		mu    sync.Mutex
		hangs = 1
	)
	f := &fakeServer{
		register: func(ctx context.Context) error {
			mu.Lock()
			hang := hangs > 0
			hangs--
			mu.Unlock()
			if hang {
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		},
		desired: func(ctx context.Context, after int64) (Desired, bool, error) {
			<-ctx.Done()
			return Desired{}, false, ctx.Err()
		},
	}
	l := &Loop{Host: "compute-0", Kernel: k, Server: f, RequestTimeout: time.Millisecond,
		Resync: time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
	runLoop(t, l)
	waitFor(t, f, "registration after a hung one", func(c []string) bool { return count(c, "register") >= 2 })
	waitFor(t, f, "long-poll after a hung one", func(c []string) bool { return count(c, "desired") >= 2 })
}

// Run ends as soon as its context does, wherever the loop is waiting, and
// leaves no goroutine behind (runLoop checks both).
func TestLoopStopsOnCancel(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    *fakeServer
		at   func([]string) bool
	}{
		{"in the long-poll", &fakeServer{desired: func(ctx context.Context, after int64) (Desired, bool, error) {
			if after < 0 {
				return Desired{Revision: 1}, true, nil
			}
			<-ctx.Done()
			return Desired{}, false, ctx.Err()
		}}, func(c []string) bool { return count(c, "desired") >= 2 }},
		{"in the backoff", &fakeServer{desired: func(context.Context, int64) (Desired, bool, error) {
			return Desired{}, false, errors.New("503 Service Unavailable")
		}}, func(c []string) bool { return count(c, "desired") >= 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Loop{Host: "compute-0", Kernel: newSim(t, testHost), Server: tc.f, MinBackoff: time.Hour, MaxBackoff: time.Hour}
			stop := runLoop(t, l)
			waitFor(t, tc.f, tc.name, tc.at)
			stop()
		})
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	for i, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		if got := b.next(); got < want/2 || got > want {
			t.Errorf("wait %d: got %v, want within [%v, %v]", i, got, want/2, want)
		}
	}
	b.reset()
	if got := b.next(); got > b.min {
		t.Errorf("after reset: got %v, want at most %v", got, b.min)
	}
}

type recordHandler struct{ fn func(slog.Record) }

func (h *recordHandler) Enabled(context.Context, slog.Level) bool      { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error { h.fn(r); return nil }
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler            { return h }
func (h *recordHandler) WithGroup(string) slog.Handler                 { return h }

// A pass that does not converge (the kernel refused a write, for now) is
// retried after a short backoff, not left until the next resync; once the
// host converges the long-poll waits the full resync again.
func TestLoopRetriesSoonAfterUnconvergedPass(t *testing.T) {
	ctx := context.Background()
	k := newSim(t, testHost)
	pf := "0000:3b:00.0"
	// Two failed passes' worth of numvfs writes (3 passes each), then none.
	must(t, k.InjectFault(ctx, sim.Fault{Op: sim.OpNumVFs, Device: pf, Errno: syscall.EIO, Times: 6}))
	f := &fakeServer{}
	f.desired = func(ctx context.Context, after int64) (Desired, bool, error) {
		if after < 0 {
			return Desired{Revision: 1, PFs: []DesiredPF{{PCIAddr: pf, NumVFs: 2, MTU: 1500, Up: true}}}, true, nil
		}
		return Desired{}, false, nil // no newer revision: the long-poll's wait ended
	}
	const resync = time.Hour
	l := &Loop{Host: "compute-0", Kernel: k, Server: f, Resync: resync, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
	var applied []Report
	f.applied = func(_ context.Context, r Report) error {
		f.mu.Lock()
		applied = append(applied, r)
		f.mu.Unlock()
		return nil
	}
	stop := runLoop(t, l)
	waitFor(t, f, "a converged pass after failed ones", func([]string) bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(applied) > 0 && applied[len(applied)-1].Converged && len(f.waits) > len(applied)
	})
	stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	// waits[i+1] is the long-poll after pass i.
	if f.waits[0] != resync {
		t.Errorf("first long-poll waited %v, want the resync %v", f.waits[0], resync)
	}
	unconverged := 0
	for i, r := range applied {
		if i+1 >= len(f.waits) {
			break // stopped after this report, before its next long-poll
		}
		w := f.waits[i+1]
		switch {
		case !r.Converged:
			unconverged++
			if w >= time.Second {
				t.Errorf("long-poll after unconverged pass %d waited %v, want a short retry", i+1, w)
			}
		case w != resync:
			t.Errorf("long-poll after converged pass %d waited %v, want the resync %v", i+1, w, resync)
		}
	}
	if unconverged == 0 {
		t.Errorf("no pass failed to converge (waits %v): the injected faults did not bite", f.waits)
	}
}
