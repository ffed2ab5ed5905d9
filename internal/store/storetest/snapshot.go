package storetest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/model"
	"vfnet/internal/store"
)

// Snapshot is everything a store holds, read through its API, for tests that
// check a refused request changed nothing.
type Snapshot struct {
	Hosts        []model.Host
	Configs      map[string]model.HostConfig
	DataNetworks []model.DataNetwork
	Tokens       []store.Token
}

// Take reads a Snapshot of s.
func Take(t testing.TB, s *store.Store) Snapshot {
	t.Helper()
	ctx := context.Background()
	var snap Snapshot
	var err error
	if snap.Hosts, err = s.Hosts(ctx); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	snap.Configs = map[string]model.HostConfig{}
	for _, h := range snap.Hosts {
		if _, snap.Configs[h.Hostname], err = s.Config(ctx, h.ID); err != nil {
			t.Fatalf("snapshot: %v", err)
		}
	}
	if snap.DataNetworks, err = s.DataNetworks(ctx); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if snap.Tokens, err = s.Tokens(ctx); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return snap
}

// Unchanged fails the test when s no longer holds before.
func Unchanged(t testing.TB, s *store.Store, before Snapshot, what string) {
	t.Helper()
	if d := cmp.Diff(before, Take(t, s)); d != "" {
		t.Errorf("%s changed the store (-before +after):\n%s", what, d)
	}
}

// JSON renders v for failure messages.
func JSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
