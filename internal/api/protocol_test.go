package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// longPoll starts one agent long-poll of compute-0 at its current revision
// on srv and returns the channel its status arrives on (0: no answer).
func longPoll(t *testing.T, ctx context.Context, f *fixture, url string) <-chan int {
	t.Helper()
	h, err := f.store.Host(context.Background(), "compute-0")
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/v1/hosts/compute-0/desired?after=%d&wait=60s", url, h.DesiredRevision), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(TokenHeader, f.tokens["agent"])
	out := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- 0
			return
		}
		resp.Body.Close()
		out <- resp.StatusCode
	}()
	return out
}

// waiters polls the hub until it holds n long-polls.
func waiters(t *testing.T, a *API, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.hub.mu.Lock()
		got := len(a.hub.waiters)
		a.hub.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hub holds %d long-polls after 10s; want %d", got, n)
		}
		runtime.Gosched()
	}
}

// A server shutting down does not wait out the agents' long-polls (up to
// MaxWait; http.Server.Shutdown does not cancel requests): Shutdown ends
// them with a 503 and refuses new ones the same way.
func TestLongPollEndsOnShutdown(t *testing.T) {
	f := newFixture(t)
	a := New(f.store, nil)
	srv := httptest.NewUnstartedServer(a)
	srv.Config.RegisterOnShutdown(a.Shutdown)
	srv.Start()
	t.Cleanup(srv.Close)

	polls := []<-chan int{longPoll(t, context.Background(), f, srv.URL), longPoll(t, context.Background(), f, srv.URL)}
	waiters(t, a, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with two long-polls waiting: %v; want them ended at once", err)
	}
	for i, p := range polls {
		if got := <-p; got != http.StatusServiceUnavailable {
			t.Errorf("long-poll %d answered %d during shutdown; want 503", i, got)
		}
	}
	// One that arrives on a connection still open is refused at once.
	h, err := f.store.Host(context.Background(), "compute-0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.hub.wait(context.Background(), f.store, h.ID, h.DesiredRevision, time.Minute); err != errShuttingDown {
		t.Errorf("a wait after shutdown returned %v; want errShuttingDown", err)
	}
}

// An agent that goes away ends its long-poll: the hub lets it go.
func TestLongPollEndsOnDisconnect(t *testing.T) {
	f := newFixture(t)
	a := New(f.store, nil)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	p := longPoll(t, ctx, f, srv.URL)
	waiters(t, a, 1)
	cancel()
	<-p
	waiters(t, a, 0)
}
