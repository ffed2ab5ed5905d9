// Package store keeps vfnet's control-plane state in SQL: SQLite (embedded,
// pure Go) by default, PostgreSQL when several servers share one database.
//
// One schema serves both, written in the SQL they have in common; the only
// dialect difference the queries see is the placeholder syntax, which rebind
// handles. Every exported method is one transaction, so a change that a rule
// rejects leaves nothing behind. On PostgreSQL, writes run SERIALIZABLE and
// are retried on serialization failures, which is what makes several servers
// on one database safe; on SQLite one connection writes at a time.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Options configure a Store.
type Options struct {
	// Now is the clock; tests pass a fixed or stepped one. Default time.Now.
	Now func() time.Time
	// Logger receives retries and migrations. Default: discard.
	Logger *slog.Logger
}

// Store is the control plane's state. It is safe for concurrent use.
type Store struct {
	dialect dialect
	// rdb serves read transactions and wdb write ones. They are the same pool
	// on PostgreSQL; on SQLite wdb has a single connection that begins
	// IMMEDIATE, so writers queue in Go instead of failing with SQLITE_BUSY,
	// while readers keep reading the WAL concurrently.
	rdb, wdb *sql.DB
	now      func() time.Time
	log      *slog.Logger
	// prepared holds the hot write statements prepared once on SQLite's
	// write connection (hotStatements); set at Open, read-only after.
	prepared map[string]*sql.Stmt
	// On SQLite, wrote wakes the checkpointer after a write commits, and
	// stopCheckpoints and checkpointsDone end it at Close.
	wrote           chan struct{}
	stopCheckpoints context.CancelFunc
	checkpointsDone chan struct{}
}

// checkpointPause is the least time between two background checkpoints:
// the WAL pages of the writes in between are copied in one go.
const checkpointPause = 100 * time.Millisecond

// writerCheckpointPages is the WAL size (pages of 4 KiB) at which SQLite's
// writer checkpoints by itself, a backstop for a checkpointer that falls
// behind; 1,000 is SQLite's default.
const writerCheckpointPages = 16000

type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

func (d dialect) String() string {
	if d == postgresDialect {
		return "postgres"
	}
	return "sqlite"
}

// Open opens the store at dsn and applies the migrations it lacks. dsn is a
// postgres:// (or postgresql://) URL, or a SQLite file: a path, "file:path" or
// "sqlite:path".
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	s := &Store{now: opts.Now, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s.dialect = postgresDialect
		s.rdb, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", redact(dsn), err)
		}
		s.rdb.SetMaxOpenConns(16)
		s.rdb.SetMaxIdleConns(4)
		s.wdb = s.rdb
	default:
		s.dialect = sqliteDialect
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" {
			return nil, fmt.Errorf("open store: empty SQLite path in %q", dsn)
		}
		if s.rdb, err = openSQLite(path, "deferred", 8); err != nil {
			return nil, err
		}
		if s.wdb, err = openSQLite(path, "immediate", 1, fmt.Sprintf("wal_autocheckpoint(%d)", writerCheckpointPages)); err != nil {
			s.rdb.Close()
			return nil, err
		}
	}
	if err := s.wdb.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", redact(dsn), err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.dialect == sqliteDialect {
		if err := s.prepare(ctx); err != nil {
			s.Close()
			return nil, err
		}
		s.startCheckpoints()
	}
	return s, nil
}

// startCheckpoints runs SQLite's WAL checkpoints on a goroutine of their
// own instead of in the transaction whose commit crosses SQLite's
// threshold: a checkpoint copies the WAL into the database file and syncs
// it, several milliseconds, and it was the tail of the claim latency
// (docs/performance.md, "Claims"). With synchronous=NORMAL a commit does not
// sync; only checkpoints do, and now none of them in a request. A PASSIVE
// checkpoint waits for no reader or writer.
func (s *Store) startCheckpoints() {
	ctx, cancel := context.WithCancel(context.Background())
	s.wrote, s.stopCheckpoints, s.checkpointsDone = make(chan struct{}, 1), cancel, make(chan struct{})
	go func() {
		defer close(s.checkpointsDone)
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.wrote:
			}
			if _, _, err := s.checkpoint(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "store: WAL checkpoint", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(checkpointPause):
			}
		}
	}()
}

// checkpoint copies what it can of SQLite's WAL into the database file
// (PRAGMA wal_checkpoint(PASSIVE)) on a read connection, and returns the
// WAL's frames and how many of them are in the database file now.
func (s *Store) checkpoint(ctx context.Context) (frames, copied int, err error) {
	var busy int
	if err := s.rdb.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return 0, 0, fmt.Errorf("checkpoint the WAL: %w", err)
	}
	return frames, copied, nil
}

// prepare prepares the hot statements on SQLite's write connection. The
// pure-Go SQLite parses and plans every statement it is handed, and that
// was a quarter of a claim's CPU; a prepared statement is parsed once per
// connection (database/sql re-prepares it on a new connection by itself).
// It runs before any transaction: the write pool has one connection, which
// a transaction holds. PostgreSQL needs none of it: pgx caches prepared
// statements per connection.
func (s *Store) prepare(ctx context.Context) error {
	qs := hotStatements()
	s.prepared = make(map[string]*sql.Stmt, len(qs))
	for _, q := range qs {
		st, err := s.wdb.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("open store: prepare %q: %w", q, err)
		}
		s.prepared[q] = st
	}
	return nil
}

func openSQLite(path, txlock string, conns int, pragmas ...string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	q := url.Values{}
	for _, p := range append([]string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"}, pragmas...) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", txlock)
	db, err := sql.Open("sqlite", "file:"+abs+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// redact drops a password from a URL before it reaches a log or an error.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Dialect names the database behind the store: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.String() }

// Close closes the database handles.
func (s *Store) Close() error {
	if s.stopCheckpoints != nil {
		s.stopCheckpoints()
		<-s.checkpointsDone
	}
	var errs []error
	for _, st := range s.prepared {
		errs = append(errs, st.Close())
	}
	if s.wdb != nil && s.wdb != s.rdb {
		errs = append(errs, s.wdb.Close())
	}
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	return errors.Join(errs...)
}

// tx is one transaction with the statement time fixed at its start, so every
// row it writes carries the same timestamp.
type tx struct {
	tx      *sql.Tx
	dialect dialect
	now     time.Time
	// prepared is the Store's prepared statements when this transaction
	// runs on the connection they were prepared for; nil otherwise.
	prepared map[string]*sql.Stmt
}

func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st, ok := t.prepared[q]; ok {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, t.dialect.rebind(q), args...)
}

func (t *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st, ok := t.prepared[q]; ok {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, t.dialect.rebind(q), args...)
}

func (t *tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st, ok := t.prepared[q]; ok {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, t.dialect.rebind(q), args...)
}

// rebind turns the ? placeholders the queries are written with into
// PostgreSQL's $n. No query of this package has a ? inside a literal.
func (d dialect) rebind(q string) string {
	if d != postgresDialect || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// read runs fn in a read-only transaction.
func (s *Store) read(ctx context.Context, fn func(*tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == postgresDialect {
		// One consistent snapshot for the whole read.
		opts.Isolation = sql.LevelRepeatableRead
	}
	return s.run(ctx, s.rdb, opts, fn)
}

// write runs fn in a read-write transaction, SERIALIZABLE on PostgreSQL.
func (s *Store) write(ctx context.Context, fn func(*tx) error) error {
	opts := &sql.TxOptions{}
	if s.dialect == postgresDialect {
		opts.Isolation = sql.LevelSerializable
	}
	return s.run(ctx, s.wdb, opts, fn)
}

// maxAttempts bounds the retries of a transaction that PostgreSQL aborted
// for a serialization failure or a deadlock; each retry runs fn afresh.
const maxAttempts = 10

func (s *Store) run(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn func(*tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.once(ctx, db, opts, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		s.log.DebugContext(ctx, "store: retrying transaction", "attempt", attempt, "err", err)
		// Jittered backoff so that the transactions that collided do not
		// collide again in lockstep.
		d := time.Duration(attempt) * time.Duration(1+rand.IntN(4)) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
}

func (s *Store) once(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn func(*tx) error) error {
	sqltx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t := &tx{tx: sqltx, dialect: s.dialect, now: s.now().UTC()}
	if db == s.wdb && db != s.rdb {
		t.prepared = s.prepared
	}
	if err := fn(t); err != nil {
		sqltx.Rollback()
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if db == s.wdb && s.wrote != nil {
		select {
		case s.wrote <- struct{}{}:
		default: // the checkpointer is awake already
		}
	}
	return nil
}

// retryable reports whether PostgreSQL aborted the transaction only because
// of a concurrent one: serialization_failure or deadlock_detected.
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isForeignKey reports whether err is a FOREIGN KEY violation.
func isForeignKey(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// nanos and fromNanos store times as Unix nanoseconds in a BIGINT: the one
// time representation both databases compare and sort the same way.
func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNullNanos(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}
