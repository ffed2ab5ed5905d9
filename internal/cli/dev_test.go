package cli

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"vfnet/internal/agent"
)

func startDev(t *testing.T, hosts int, onPass func(string, agent.Report, error)) *Dev {
	t.Helper()
	d, err := StartDev(context.Background(), DevConfig{Listen: "127.0.0.1:0", Hosts: hosts, DataDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})), OnPass: onPass})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// settle waits for the goroutine count to come back to before.
func settle(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

// `vfnet dev` stops on SIGINT with its agents long-polling: Run returns no
// error, the agents have stopped and the store closes.
func TestDevStops(t *testing.T) {
	before := runtime.NumGoroutine()
	passed := make(chan string, 16)
	d := startDev(t, 2, func(host string, _ agent.Report, err error) {
		if err == nil {
			select {
			case passed <- host:
			default:
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	seen := map[string]bool{}
	for len(seen) < 2 {
		seen[<-passed] = true
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v; want a graceful stop", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	settle(t, before)
}

// A host that cannot be opened fails Run before any agent starts, so that
// none is left running on the store the caller closes.
func TestDevRunFailsBeforeAgentsStart(t *testing.T) {
	d := startDev(t, 3, nil)
	defer d.Close()
	if err := os.Remove(filepath.Join(d.HostDirs["compute-2"], "sim.json")); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	if err := d.Run(context.Background()); err == nil {
		t.Fatal("Run with a host's state gone: no error")
	}
	settle(t, before)
}
