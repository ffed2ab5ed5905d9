package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// migrations are the schema's history, applied in the order of their
// numeric prefix. A released migration never changes: a new change is a new
// file.
//
//go:embed migrations/*.sql
var migrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", base)
		}
		b, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// migrate applies the migrations the database lacks, all in one
// transaction. On PostgreSQL an advisory lock makes servers that start
// together apply them once, in READ COMMITTED so that the statements after
// the lock see what the server that held it committed (a SERIALIZABLE
// snapshot would predate it); on SQLite the IMMEDIATE transaction does.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}
	return s.run(ctx, s.wdb, &sql.TxOptions{Isolation: sql.LevelReadCommitted}, func(t *tx) error {
		if s.dialect == postgresDialect {
			if _, err := t.exec(ctx, "SELECT pg_advisory_xact_lock(7355608001)"); err != nil {
				return fmt.Errorf("migrate store: lock: %w", err)
			}
		}
		if _, err := t.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    BIGINT PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("migrate store: %w", err)
		}
		// Applied by version, not by the highest one: migrations written side
		// by side can land in any order, and each must run exactly once.
		applied := map[int]bool{}
		rows, err := t.query(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return fmt.Errorf("migrate store: read versions: %w", err)
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return fmt.Errorf("migrate store: read versions: %w", err)
			}
			applied[v] = true
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("migrate store: read versions: %w", err)
		}
		known := map[int]bool{}
		for _, m := range ms {
			known[m.version] = true
		}
		for v := range applied {
			if !known[v] {
				return fmt.Errorf("migrate store: the database has schema migration %d, which this vfnet does not know: run a newer vfnet", v)
			}
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			if _, err := t.exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migrate store: apply %s: %w", m.name, err)
			}
			if _, err := t.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, nanos(t.now)); err != nil {
				return fmt.Errorf("migrate store: record %s: %w", m.name, err)
			}
			s.log.InfoContext(ctx, "store: applied migration", "migration", m.name, "dialect", s.dialect.String())
		}
		return nil
	})
}
