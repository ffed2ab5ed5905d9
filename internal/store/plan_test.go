package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestHotQueryPlans: the queries every API request and agent report runs
// use an index on SQLite, never a scan of the whole table (a scan grows with
// the number of hosts; architecture.md has a claim query that fell from
// 3,700/s to 41/s on a wrong plan).
func TestHotQueryPlans(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	queries := map[string]string{
		"authenticate":        qAuthenticate,
		"host by ref":         qHostByRef,
		"ports of host":       qPortsOfHost,
		"interfaces of host":  qInterfacesOfHost,
		"lowers of host":      qLowersOfHost,
		"assignments of host": qAssignmentsOfHost,
		"users of data net":   qDataNetworkUsers,
		"data network by ref": qDataNetworkByRef,
	}
	for name, q := range queries {
		rows, err := s.rdb.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, "a", "b")
		if err != nil {
			// Queries with one placeholder take one argument.
			rows, err = s.rdb.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, "a")
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		t.Logf("%s: %q", name, plan)
		for _, step := range plan {
			// "SCAN x" alone reads the whole table; "SCAN x USING INDEX"
			// walks an index in order, and SEARCH looks rows up.
			if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "USING") {
				t.Errorf("%s scans a whole table: plan %q\nquery: %s", name, plan, q)
			}
		}
	}
}
