package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A migration that lands after a higher-numbered one (written side by side)
// is still applied, once; a version the binary does not know is refused.
func TestMigrateByVersionSet(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 {
		t.Fatalf("need two migrations to test ordering, have %d", len(ms))
	}
	// Undo the second migration's record as if it had landed late; its
	// objects must be dropped too, so mark it applied again by re-running.
	second := ms[1]
	if _, err := s.wdb.ExecContext(ctx, "DELETE FROM schema_migrations WHERE version = ?", second.version); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Re-applying the same SQL fails (its tables exist): that proves Open
	// tried to apply exactly the missing version.
	if _, err := Open(ctx, path, Options{}); err == nil || !strings.Contains(err.Error(), second.name) {
		t.Fatalf("reopen with %s unrecorded: err = %v, want an error applying %s", second.name, err, second.name)
	}

	path2 := filepath.Join(t.TempDir(), "m2.db")
	s2, err := Open(ctx, path2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.wdb.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99999, '99999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if _, err := Open(ctx, path2, Options{}); err == nil || !strings.Contains(err.Error(), "run a newer vfnet") {
		t.Fatalf("reopen with an unknown migration: err = %v, want one that says to run a newer vfnet", err)
	}
}

// Reopening an up-to-date store applies nothing (re-applying would fail on
// existing tables) and succeeds.
func TestMigrateReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	for i := 0; i < 2; i++ {
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		s.Close()
	}
}
