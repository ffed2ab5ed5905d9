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
		"next free host":      qNextFreeHost,
		"next free on node":   qNextFreeHostOnNode,
		"devices of host":     qDevicesOfHost,
		"claims of host":      qClaimsOfHost,
		"claim of port":       qClaimOfPort,
		// Every statement of the claim transaction (claim in claims.go).
		"claim's port":      qClaimPort,
		"publish claims":    qPublishClaims,
		"insert claim":      qInsertClaim,
		"mark claimed":      qMarkClaimed,
		"bind port":         qBindPort,
		"fixed IPs of port": qFixedIPsOfPort,
		// IPAM's (ipam.go): none may read a network's or a subnet's
		// allocations, or the cost of a create grows with them.
		"lowest free ranges":   qFreeRanges,
		"free range above":     qFreeRangeAbove,
		"free range to":        qFreeRangeTo,
		"delete free range":    qDeleteFree,
		"set free first":       qSetFreeFirst,
		"set free last":        qSetFreeLast,
		"subnets to range":     qUnrangedSubnets,
		"address in use":       qAddrInUse,
		"release port's addrs": qReleasePort,
		"allocate address":     qAllocate,
	}
	// A claim reads one host's devices in address order: from the primary
	// key, never sorted apart.
	noSort := map[string]bool{"devices of host": true, "claim's port": true, "lowest free ranges": true, "free range above": true}
	// The claim's hot queries must use their partial index of free devices
	// (a scan of every free device, or the planner's pick of another index,
	// is the 3,700/s to 41/s fall).
	wantIndex := map[string]string{
		"next free host":    "USING COVERING INDEX sched_devices_free ",
		"next free on node": "USING COVERING INDEX sched_devices_free_node ",
	}
	for name, q := range queries {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = "a"
		}
		rows, err := s.rdb.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
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
		if want, ok := wantIndex[name]; ok && !strings.Contains(strings.Join(plan, "\n")+" ", want) {
			t.Errorf("%s: plan %q does not use %q", name, plan, want)
		}
		if noSort[name] && strings.Contains(strings.Join(plan, "\n"), "TEMP B-TREE") {
			t.Errorf("%s sorts its rows apart: plan %q", name, plan)
		}
		for _, step := range plan {
			// "SCAN x" alone reads the whole table; "SCAN x USING INDEX"
			// walks an index in order, and SEARCH looks rows up.
			if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "USING") {
				t.Errorf("%s scans a whole table: plan %q\nquery: %s", name, plan, q)
			}
		}
	}
}
