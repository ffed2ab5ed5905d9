package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"vfnet/internal/agent"
	"vfnet/internal/neutron"
)

// checkLinkStateSupported refuses admin_state_up true -> false on a port
// bound to a VF whose PF's driver, as the host's agent last reported, lacks
// VF link state (igb): the agent cannot disable that VF's link, so the port
// would be DOWN in the API while its VF still passes traffic.
// docs/real-kernel-workflow.md tells why this answer and not another.
func checkLinkStateSupported(ctx context.Context, t *tx, cur, p neutron.Port) error {
	if !cur.AdminStateUp || p.AdminStateUp {
		return nil
	}
	var hostID, pf string
	var vf int
	err := t.queryRow(ctx, `SELECT host_id, pf_pciaddr, vf_index FROM vf_claims WHERE port_id = ? AND state = ?`,
		p.ID, ClaimBound).Scan(&hostID, &pf, &vf)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update port %s: read its claim: %w", p.ID, err)
	}
	if vf < 0 {
		return nil // a passed-through PF: the VM drives its link
	}
	var raw string
	err = t.queryRow(ctx, `SELECT unsupported FROM host_applied WHERE host_id = ?`, hostID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update port %s: read its host's applied report: %w", p.ID, err)
	}
	var us []agent.Unsupported
	if err := json.Unmarshal([]byte(raw), &us); err != nil {
		return fmt.Errorf("update port %s: its host's applied report: unsupported: %w", p.ID, err)
	}
	for _, u := range us {
		if u.PF == pf && u.Attr == agent.AttrLinkState {
			return neutron.VFLinkStateUnsupported(p.ID, pf, vf, u.Driver)
		}
	}
	return nil
}
