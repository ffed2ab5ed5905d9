package cli

import (
	"context"
	"log/slog"
	"net/http/httptrace"
	"testing"
	"time"

	"vfnet/internal/client"
)

// The server stops on its context (SIGINT, SIGTERM) without waiting out the
// agents' long-polls: they are answered, Run returns no error and the store
// closes.
func TestServerShutdownEndsLongPolls(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := StartServer(ctx, ServerConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	c := client.New(srv.URL, srv.AdminToken, nil)
	h, err := c.RegisterHost(ctx, "compute-0", "")
	if err != nil {
		t.Fatal(err)
	}
	const polls = 3
	sent, answered := make(chan struct{}, polls), make(chan error, polls)
	for range polls {
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { sent <- struct{}{} }}
		pctx := httptrace.WithClientTrace(context.Background(), trace)
		go func() {
			_, changed, err := c.Desired(pctx, "compute-0", h.DesiredRevision, time.Minute)
			if changed {
				t.Error("a long-poll answered a change; nothing changed")
			}
			answered <- err
		}()
	}
	for range polls {
		<-sent
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run with %d long-polls waiting: %v; want a graceful stop", polls, err)
	}
	for range polls {
		// 503, or the connection closed: the agent backs off and retries.
		if err := <-answered; err == nil {
			t.Error("a long-poll answered 304 (its wait ended); want it ended by the shutdown")
		}
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close after Run: %v", err)
	}
}
