package store

import (
	"context"
	"fmt"

	"vfnet/internal/model"
	"vfnet/internal/switchport"
)

// SwitchPorts returns, for every pci-sriov and pci-passthrough ethernet
// interface of host ref, what its access switch port must carry
// (switchport.Report over the host's configuration and the devices bound
// on it now).
func (s *Store) SwitchPorts(ctx context.Context, ref string) ([]switchport.Row, error) {
	var out []switchport.Row
	err := s.read(ctx, func(t *tx) error {
		h, c, err := hostAndConfig(ctx, t, ref)
		if err != nil {
			return err
		}
		rows, err := t.query(ctx, `SELECT c.pciaddr, p.id, n.name, n.id, n.network_type, n.segmentation_id FROM vf_claims c
			JOIN neutron_ports p ON p.id = c.port_id JOIN neutron_networks n ON n.id = p.network_id
			WHERE c.host_id = ? AND c.state = ? ORDER BY c.pciaddr`, h.ID, ClaimBound)
		if err != nil {
			return fmt.Errorf("switch ports of host %s: %w", h.Hostname, err)
		}
		var bound []switchport.Bound
		for rows.Next() {
			var b switchport.Bound
			var name, id string
			if err := rows.Scan(&b.PCIAddr, &b.PortID, &name, &id, &b.NetworkType, &b.SegmentationID); err != nil {
				rows.Close()
				return fmt.Errorf("switch ports of host %s: %w", h.Hostname, err)
			}
			b.Network = name
			if name == "" {
				b.Network = id
			}
			bound = append(bound, b)
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("switch ports of host %s: %w", h.Hostname, err)
		}
		out, err = switchport.Report(c, bound)
		if err != nil {
			return &model.Error{Code: model.ErrConflict, Object: "host " + h.Hostname, Msg: err.Error(), Err: err}
		}
		return nil
	})
	return out, err
}
