package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/google/uuid"

	"vfnet/internal/model"
)

const hostColumns = `id, name, personality, administrative, operational, numa_nodes, last_report, revision, applied`

func scanHost(row interface{ Scan(...any) error }) (model.Host, error) {
	var h model.Host
	var numa string
	var last sql.NullInt64
	err := row.Scan(&h.ID, &h.Hostname, &h.Personality, &h.Administrative, &h.Operational, &numa, &last,
		&h.DesiredRevision, &h.AppliedRevision)
	if err != nil {
		return h, err
	}
	if last.Valid {
		h.LastReport = fromNanos(last.Int64)
	}
	if err := json.Unmarshal([]byte(numa), &h.NUMANodes); err != nil {
		return h, fmt.Errorf("host %s: numa_nodes: %w", h.Hostname, err)
	}
	return h, nil
}

const qHostByRef = `SELECT ` + hostColumns + ` FROM hosts WHERE id = ? OR name = ?`

// getHost finds a host by uuid or name.
func getHost(ctx context.Context, t *tx, ref string) (model.Host, error) {
	h, err := scanHost(t.queryRow(ctx, qHostByRef, ref, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return h, notFound("host "+ref, "Host %s not found: see vfnet host-list", ref)
	}
	if err != nil {
		return h, fmt.Errorf("read host %s: %w", ref, err)
	}
	markSilent(&h, t.now)
	return h, nil
}

// Host returns the host named ref (a name or a uuid).
func (s *Store) Host(ctx context.Context, ref string) (model.Host, error) {
	var h model.Host
	err := s.read(ctx, func(t *tx) (err error) {
		h, err = getHost(ctx, t, ref)
		return err
	})
	return h, err
}

// Hosts returns every host, by name.
func (s *Store) Hosts(ctx context.Context) ([]model.Host, error) {
	var hs []model.Host
	err := s.read(ctx, func(t *tx) error {
		rows, err := t.query(ctx, `SELECT `+hostColumns+` FROM hosts ORDER BY name`)
		if err != nil {
			return fmt.Errorf("list hosts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			h, err := scanHost(rows)
			if err != nil {
				return fmt.Errorf("list hosts: %w", err)
			}
			markSilent(&h, t.now)
			hs = append(hs, h)
		}
		return rows.Err()
	})
	return hs, err
}

// hostnameRE is RFC 1123's host name label syntax, dots allowed.
var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$`)

// RegisterHost creates the host name (locked, disabled, as a new host is
// in StarlingX) or returns it when it exists: agents register at every start.
func (s *Store) RegisterHost(ctx context.Context, name string, personality model.Personality) (model.Host, error) {
	if !hostnameRE.MatchString(name) || len(name) > 253 {
		return model.Host{}, invalid("host "+name, "Host name %q is not a valid host name: use letters, digits, '-' and '.'", name)
	}
	if personality == "" {
		personality = model.PersonalityWorker
	}
	if !personality.Valid() {
		return model.Host{}, invalid("host "+name, "Personality %q is not valid: use controller or worker", personality)
	}
	var h model.Host
	err := s.write(ctx, func(t *tx) error {
		var err error
		h, err = getHost(ctx, t, name)
		if model.CodeOf(err) != model.ErrNotFound {
			return err
		}
		h = model.Host{ID: uuid.NewString(), Hostname: name, Personality: personality,
			Administrative: model.AdminLocked, Operational: model.OperDisabled, NUMANodes: []model.NUMANode{}}
		_, err = t.exec(ctx, `INSERT INTO hosts (id, name, personality, administrative, operational, numa_nodes, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, '[]', ?, ?)`,
			h.ID, h.Hostname, h.Personality, h.Administrative, h.Operational, nanos(t.now), nanos(t.now))
		if err != nil {
			return fmt.Errorf("register host %s: %w", name, err)
		}
		return nil
	})
	return h, err
}

// Heartbeat records that the host's agent is alive.
func (s *Store) Heartbeat(ctx context.Context, ref string) (model.Host, error) {
	var h model.Host
	err := s.write(ctx, func(t *tx) error {
		var err error
		if h, err = getHost(ctx, t, ref); err != nil {
			return err
		}
		h.LastReport = t.now
		h.Operational = model.OperEnabled
		_, err = t.exec(ctx, `UPDATE hosts SET last_report = ?, last_heartbeat = ?, operational = ?, updated_at = ? WHERE id = ?`,
			nanos(t.now), nanos(t.now), h.Operational, nanos(t.now), h.ID)
		if err != nil {
			return fmt.Errorf("heartbeat of host %s: %w", h.Hostname, err)
		}
		return refreshOperational(ctx, t, h.ID, &h)
	})
	return h, err
}

// setAdmin changes the administrative state and, on unlock, publishes a new
// desired revision for the agent.
func setAdmin(ctx context.Context, t *tx, h *model.Host, state model.AdminState) error {
	h.Administrative = state
	bump := 0
	if state == model.AdminUnlocked {
		bump = 1
	}
	h.DesiredRevision += int64(bump)
	// Unlock publishes a new revision but not a new configuration: the agent
	// already applied this host's interfaces while it was locked (unlock is
	// refused until it has), so the host stays enabled and schedulable at
	// once instead of waiting for the agent to acknowledge a revision that
	// changes nothing on it.
	_, err := t.exec(ctx, `UPDATE hosts SET administrative = ?, revision = revision + ?, updated_at = ? WHERE id = ?`,
		state, bump, nanos(t.now), h.ID)
	if err != nil {
		return fmt.Errorf("set host %s %s: %w", h.Hostname, state, err)
	}
	return refreshOperational(ctx, t, h.ID, h)
}
