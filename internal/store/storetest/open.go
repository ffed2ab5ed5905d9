// Package storetest is the suite every store backend passes, and the helpers
// that open a store for a test: SQLite in a temporary file, or a private
// schema of the PostgreSQL server named by $VFNET_TEST_POSTGRES
// (scripts/postgres.sh starts one; scripts/test.sh exports the variable).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"vfnet/internal/store"
)

// Clock is a test clock that moves only when told to.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at a fixed instant.
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// DSN returns the address of a fresh, empty database for one test.
type DSN func(t testing.TB) string

// SQLiteURL returns the DSN of a SQLite store in a fresh temporary directory.
func SQLiteURL(t testing.TB) string {
	return filepath.Join(t.TempDir(), "vfnet.db")
}

// OpenSQLite opens a store in a SQLite file of its own.
func OpenSQLite(t testing.TB, opts store.Options) *store.Store {
	return Open(t, SQLiteURL(t), opts)
}

// PostgresURL returns the URL of a fresh, private schema on the server of
// $VFNET_TEST_POSTGRES, dropped when the test ends. Without the variable the
// test fails: the PostgreSQL half of the suite is never silently skipped.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("VFNET_TEST_POSTGRES")
	if base == "" {
		t.Fatal("VFNET_TEST_POSTGRES is not set: the store tests need a PostgreSQL server; run scripts/test.sh, or export VFNET_TEST_POSTGRES=$(scripts/postgres.sh)")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", base, err)
	}
	defer admin.Close()
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s on %s: %v (is the server of scripts/postgres.sh running?)", schema, base, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("VFNET_TEST_POSTGRES=%q: %v", base, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres opens a store in a private schema of the test PostgreSQL
// server.
func OpenPostgres(t testing.TB, opts store.Options) *store.Store {
	return Open(t, PostgresURL(t), opts)
}

// Open opens the store at dsn, closed when the test ends.
func Open(t testing.TB, dsn string, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
