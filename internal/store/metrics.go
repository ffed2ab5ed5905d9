package store

import (
	"context"
	"fmt"

	"vfnet/internal/model"
)

// HostStateCount is how many hosts are in one administrative and
// operational state.
type HostStateCount struct {
	Administrative model.AdminState
	Operational    model.OperState
	Hosts          int
}

// HostStates counts the hosts by state in one query: the server's /metrics
// reads it on every scrape.
func (s *Store) HostStates(ctx context.Context) ([]HostStateCount, error) {
	var out []HostStateCount
	err := s.read(ctx, func(t *tx) error {
		out = nil
		rows, err := t.query(ctx, `SELECT administrative, operational, COUNT(*) FROM hosts GROUP BY administrative, operational`)
		if err != nil {
			return fmt.Errorf("count hosts by state: %w", err)
		}
		for rows.Next() {
			var c HostStateCount
			if err := rows.Scan(&c.Administrative, &c.Operational, &c.Hosts); err != nil {
				rows.Close()
				return fmt.Errorf("count hosts by state: %w", err)
			}
			out = append(out, c)
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("count hosts by state: %w", err)
		}
		return nil
	})
	return out, err
}

type bindFailureKey struct{}

// WithBindFailure returns a context in which BindNeutronPort stores into
// *failure the scheduler's refusal when it records binding_failed: the port
// it returns says only that the binding failed, and the server's metrics
// count failures by reason.
func WithBindFailure(ctx context.Context, failure *error) context.Context {
	return context.WithValue(ctx, bindFailureKey{}, failure)
}

func noteBindFailure(ctx context.Context, err error) {
	if p, ok := ctx.Value(bindFailureKey{}).(*error); ok {
		*p = err
	}
}
