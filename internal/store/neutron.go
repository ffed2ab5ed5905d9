package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"vfnet/internal/neutron"
)

// The /v2.0 objects (networks, subnets, ports, tags) live in the neutron_*
// tables of migration 0100. Their methods take the caller (neutron.Caller)
// because who may see and change an object is decided in the same
// transaction that reads and writes it: a member's list is filtered in SQL,
// and another project's object is a 404 from the store itself. Refusals are
// *neutron.Error values, with Neutron's types, statuses and messages.

// lostRace is a UNIQUE violation on a value the store chose itself (the
// lowest free address, a random MAC, the lowest free project VLAN): another
// server took it first. The whole transaction runs again and chooses anew.
type lostRace struct {
	what string
	err  error
}

func (e *lostRace) Error() string { return "lost a race for " + e.what + ": " + e.err.Error() }
func (e *lostRace) Unwrap() error { return e.err }

// maxRaceRounds bounds neutronWrite's rounds; each round is itself up to
// maxAttempts tries of run on serialization failures.
const maxRaceRounds = 20

// neutronWrite is write for the /v2.0 objects: it runs fn again when fn lost
// a race (lostRace), and when PostgreSQL's serialization failures outlast
// run's own retries, which happens when many servers allocateFixedIPs from one small
// pool at once.
func (s *Store) neutronWrite(ctx context.Context, fn func(*tx) error) error {
	for round := 1; ; round++ {
		err := s.write(ctx, fn)
		var lost *lostRace
		race := errors.As(err, &lost)
		if err == nil || round == maxRaceRounds || !race && !retryable(err) {
			if race {
				return fmt.Errorf("store: gave up after %d rounds: %w", round, err)
			}
			return err
		}
		s.log.DebugContext(ctx, "store: retrying after a lost race", "round", round, "err", err)
	}
}

// checkNeutronRevision applies If-Match: revision_number=N.
func checkNeutronRevision(ifMatch *int, current int) error {
	if ifMatch != nil && *ifMatch != current {
		return neutron.RevisionNumberConstraintFailed(*ifMatch, current)
	}
	return nil
}

// neutronMayCreate refuses creation to a reader-only caller, as Neutron's default
// policy does.
func neutronMayCreate(c neutron.Caller, r neutron.Resource) error {
	if c.Reader && !c.Admin {
		return neutron.PolicyNotAuthorized("create_" + r.Member())
	}
	return nil
}

// neutronVisibility returns the WHERE clause limiting a table of r to what c may
// see, and its arguments. Subnets of shared networks are visible to all, as
// their networks are. External networks (router:external) are visible to
// all too, as Neutron's get_network policy has it (rule:external), but not
// their subnets unless they are also shared.
func neutronVisibility(c neutron.Caller, r neutron.Resource) (string, []any) {
	if c.Admin {
		return "", nil
	}
	switch r {
	case neutron.Networks:
		return " WHERE (project_id = ? OR shared = ? OR external = ?)", []any{c.ProjectID, true, true}
	case neutron.Subnets:
		return " WHERE (project_id = ? OR network_id IN (SELECT id FROM neutron_networks WHERE shared = ?))", []any{c.ProjectID, true}
	}
	return " WHERE project_id = ?", []any{c.ProjectID}
}

// and appends a condition to a WHERE clause that may be empty.
func andWhere(where, cond string) string {
	if where == "" {
		return " WHERE " + cond
	}
	return where + " AND " + cond
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain strings, lists and maps decoded from JSON get here.
		return "null"
	}
	return string(b)
}

func fromJSONText(what, s string, v any) error {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("stored %s %q: %w", what, s, err)
	}
	return nil
}

func neutronTable(r neutron.Resource) string { return "neutron_" + string(r) }

// neutronHeader is what every check of a write needs of an object: its project,
// whether it is shared (a subnet is shared when its network is) or an
// external network (visible to all; its subnets are not), its revision.
type neutronHeader struct {
	project  string
	shared   bool
	external bool
	revision int
}

func readNeutronHeader(ctx context.Context, t *tx, r neutron.Resource, id string) (neutronHeader, error) {
	var h neutronHeader
	var q string
	switch r {
	case neutron.Networks:
		q = `SELECT project_id, shared, external, revision_number FROM neutron_networks WHERE id = ?`
	case neutron.Subnets:
		q = `SELECT s.project_id, n.shared, false, s.revision_number FROM neutron_subnets s
			JOIN neutron_networks n ON n.id = s.network_id WHERE s.id = ?`
	default:
		q = `SELECT project_id, false, false, revision_number FROM neutron_ports WHERE id = ?`
	}
	err := t.queryRow(ctx, q, id).Scan(&h.project, &h.shared, &h.external, &h.revision)
	if errors.Is(err, sql.ErrNoRows) {
		return h, neutron.ResourceNotFound(r, id)
	}
	if err != nil {
		return h, fmt.Errorf("read %s %s: %w", r.Member(), id, err)
	}
	return h, nil
}

// neutronChangeable reads object id of r and checks that c may change it (op:
// "update" or "delete") at revision ifMatch.
func neutronChangeable(ctx context.Context, t *tx, c neutron.Caller, op string, r neutron.Resource, id string, ifMatch *int) (neutronHeader, error) {
	h, err := readNeutronHeader(ctx, t, r, id)
	if err != nil {
		return h, err
	}
	if err := neutron.CanChange(c, op, r, h.project, h.shared, h.external, neutron.ResourceNotFound(r, id)); err != nil {
		return h, err
	}
	return h, checkNeutronRevision(ifMatch, h.revision)
}

func bumpNeutronRevision(ctx context.Context, t *tx, r neutron.Resource, id string) error {
	if _, err := t.exec(ctx, `UPDATE `+neutronTable(r)+` SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?`,
		nanos(t.now), id); err != nil {
		return fmt.Errorf("bump revision of %s %s: %w", r.Member(), id, err)
	}
	return nil
}

// neutronTagsOf reads the tags of the objects of r that where selects, by id.
func neutronTagsOf(ctx context.Context, t *tx, r neutron.Resource, where string, args ...any) (map[string][]string, error) {
	rows, err := t.query(ctx, `SELECT resource_id, tag FROM neutron_tags
		WHERE resource_id IN (SELECT id FROM `+neutronTable(r)+where+`) ORDER BY resource_id, tag`, args...)
	if err != nil {
		return nil, fmt.Errorf("read tags of %s: %w", r, err)
	}
	out := map[string][]string{}
	for rows.Next() {
		var id, tag string
		if err := rows.Scan(&id, &tag); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read tags of %s: %w", r, err)
		}
		out[id] = append(out[id], tag)
	}
	return out, closeRows(rows)
}

func insertNeutronTags(ctx context.Context, t *tx, id string, tags []string) error {
	for _, tag := range tags {
		if _, err := t.exec(ctx, `INSERT INTO neutron_tags (resource_id, tag) VALUES (?, ?)`, id, tag); err != nil && !isUnique(err) {
			return fmt.Errorf("tag %s with %q: %w", id, tag, err)
		}
	}
	return nil
}

func deleteNeutronTags(ctx context.Context, t *tx, id string) error {
	if _, err := t.exec(ctx, `DELETE FROM neutron_tags WHERE resource_id = ?`, id); err != nil {
		return fmt.Errorf("delete tags of %s: %w", id, err)
	}
	return nil
}

// ReplaceTags sets the tags of object id of r to tags (PUT .../tags) and
// returns them sorted.
func (s *Store) ReplaceTags(ctx context.Context, c neutron.Caller, r neutron.Resource, id string, tags []string, ifMatch *int) ([]string, error) {
	out := slices.Clone(tags)
	slices.Sort(out)
	out = slices.Compact(out)
	err := s.write(ctx, func(t *tx) error {
		if _, err := neutronChangeable(ctx, t, c, "update", r, id, ifMatch); err != nil {
			return err
		}
		if err := deleteNeutronTags(ctx, t, id); err != nil {
			return err
		}
		if err := insertNeutronTags(ctx, t, id, out); err != nil {
			return err
		}
		return bumpNeutronRevision(ctx, t, r, id)
	})
	return out, err
}

// AddTag adds one tag to object id of r (PUT .../tags/{tag}); adding a tag
// it has changes nothing.
func (s *Store) AddTag(ctx context.Context, c neutron.Caller, r neutron.Resource, id, tag string, ifMatch *int) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := neutronChangeable(ctx, t, c, "update", r, id, ifMatch); err != nil {
			return err
		}
		tags, err := neutronTagsOf(ctx, t, r, ` WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if slices.Contains(tags[id], tag) {
			return nil
		}
		if len(tags[id]) >= neutron.MaxTags {
			return neutron.BadResourceRequest("tags", fmt.Sprintf("The number of tags exceed the per-resource limit of %d", neutron.MaxTags))
		}
		if err := insertNeutronTags(ctx, t, id, []string{tag}); err != nil {
			return err
		}
		return bumpNeutronRevision(ctx, t, r, id)
	})
}

// RemoveTag removes one tag (DELETE .../tags/{tag}): 404 TagNotFound when
// the object does not have it.
func (s *Store) RemoveTag(ctx context.Context, c neutron.Caller, r neutron.Resource, id, tag string, ifMatch *int) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := neutronChangeable(ctx, t, c, "update", r, id, ifMatch); err != nil {
			return err
		}
		res, err := t.exec(ctx, `DELETE FROM neutron_tags WHERE resource_id = ? AND tag = ?`, id, tag)
		if err != nil {
			return fmt.Errorf("untag %s %s: %w", r.Member(), id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return neutron.TagNotFound(tag)
		}
		return bumpNeutronRevision(ctx, t, r, id)
	})
}

// RemoveTags removes every tag of object id of r (DELETE .../tags).
func (s *Store) RemoveTags(ctx context.Context, c neutron.Caller, r neutron.Resource, id string, ifMatch *int) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := neutronChangeable(ctx, t, c, "update", r, id, ifMatch); err != nil {
			return err
		}
		if err := deleteNeutronTags(ctx, t, id); err != nil {
			return err
		}
		return bumpNeutronRevision(ctx, t, r, id)
	})
}
