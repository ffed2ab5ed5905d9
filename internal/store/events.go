package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"vfnet/internal/model"
)

// EventKind says what an event is about.
type EventKind string

const (
	// EventDrift: the host differed from a revision its agent had already
	// applied (an out-of-band `ip link`, a reboot); the agent put it back.
	EventDrift EventKind = "drift"
	// EventError: the kernel rejected a write, or the agent refused part of
	// the desired state.
	EventError EventKind = "error"
	// EventReset: free VFs were reset (MAC, VLAN, spoof check, trust, link).
	EventReset EventKind = "reset"
	// EventInfo: a revision applied, a capability a driver lacks.
	EventInfo EventKind = "info"
)

// Valid reports whether k is a known kind.
func (k EventKind) Valid() bool {
	switch k {
	case EventDrift, EventError, EventReset, EventInfo:
		return true
	}
	return false
}

// Event is one thing that happened on a host, for operators.
type Event struct {
	ID      string    `json:"id"`
	At      time.Time `json:"time"`
	Host    string    `json:"host"` // name
	Kind    EventKind `json:"kind"`
	Object  string    `json:"object"` // "PF 0000:3b:00.0 VF 3", "host"
	Message string    `json:"message"`
}

// EventFilter selects events; zero values select everything.
type EventFilter struct {
	Host  string    // name or uuid
	Kind  EventKind // one kind
	Since time.Time // at or after
	// Limit keeps the newest Limit events (default and maximum 1000).
	Limit int
}

// MaxEvents bounds one listing.
const MaxEvents = 1000

// addEvents records evs on host h at the transaction's time, in order.
func addEvents(ctx context.Context, t *tx, h model.Host, evs []Event) error {
	for i, e := range evs {
		if _, err := t.exec(ctx, `INSERT INTO events (id, host_id, at, seq, type, object, message) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			uuid.NewString(), h.ID, nanos(t.now), i, string(e.Kind), e.Object, e.Message); err != nil {
			return fmt.Errorf("record event of host %s: %w", h.Hostname, err)
		}
	}
	return nil
}

// Events lists events, oldest first, at most the newest f.Limit.
func (s *Store) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, invalid("event kind "+string(f.Kind), "Event kind %q is not one of drift, error, reset, info", f.Kind)
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxEvents {
		limit = MaxEvents
	}
	var out []Event
	err := s.read(ctx, func(t *tx) error {
		q := `SELECT e.id, e.at, COALESCE(h.name, ''), e.type, e.object, e.message FROM events e
			LEFT JOIN hosts h ON h.id = e.host_id WHERE 1 = 1`
		var args []any
		if f.Host != "" {
			h, err := getHost(ctx, t, f.Host)
			if err != nil {
				return err
			}
			q += ` AND e.host_id = ?`
			args = append(args, h.ID)
		}
		if f.Kind != "" {
			q += ` AND e.type = ?`
			args = append(args, string(f.Kind))
		}
		if !f.Since.IsZero() {
			q += ` AND e.at >= ?`
			args = append(args, nanos(f.Since))
		}
		q += fmt.Sprintf(` ORDER BY e.at DESC, e.seq DESC LIMIT %d`, limit)
		rows, err := t.query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("list events: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e Event
			var at int64
			var kind string
			if err := rows.Scan(&e.ID, &at, &e.Host, &kind, &e.Object, &e.Message); err != nil {
				return fmt.Errorf("list events: %w", err)
			}
			e.At, e.Kind = fromNanos(at), EventKind(kind)
			out = append(out, e)
		}
		return rows.Err()
	})
	// Newest were selected; operators read them oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// AddEvent records one event on host ref (the server's own: a host
// silenced, an unlock forced).
func (s *Store) AddEvent(ctx context.Context, ref string, kind EventKind, object, message string) error {
	if !kind.Valid() {
		return invalid("event kind "+string(kind), "Event kind %q is not one of drift, error, reset, info", kind)
	}
	return s.write(ctx, func(t *tx) error {
		h, err := getHost(ctx, t, ref)
		if err != nil {
			return err
		}
		return addEvents(ctx, t, h, []Event{{Kind: kind, Object: object, Message: message}})
	})
}
