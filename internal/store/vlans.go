package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"vfnet/internal/model"
)

// SwitchPort is what the access switch port cabled to one host interface
// must carry (ports-and-binding.md, "The access switch"): a pci-sriov
// interface's port trunks the VLANs of the networks bound to its VFs and
// the ranges of its data networks; a pci-passthrough interface's port is an
// access port on the VLAN of the one network bound to it.
type SwitchPort struct {
	Interface string        `json:"ifname"`
	Class     model.IfClass `json:"ifclass"`
	Port      string        `json:"port"` // the NIC port's netdev name
	PCIAddr   string        `json:"pciaddr"`
	Mode      string        `json:"mode"` // trunk | access
	// DataNetworks are the data networks of the interface and of its VF
	// sub-interfaces.
	DataNetworks []string `json:"datanetworks"`
	// Bound are the segmentation IDs of the networks whose ports hold a
	// device of the interface now (0: a flat network, untagged).
	Bound []int `json:"bound_vlans"`
	// Ranges are the data networks' VLAN ranges, trunked to be ready.
	Ranges []model.SegmentRange `json:"ranges"`
	// VLANs is what the switch port carries, compact ("10,100-199"); for
	// an access port the one VLAN, "" when nothing is bound.
	VLANs string `json:"vlans"`
	// Untagged: the port also carries untagged frames (a flat network).
	Untagged bool `json:"untagged"`
}

// SwitchPorts returns, for every pci-sriov and pci-passthrough ethernet
// interface of host ref, what its access switch port must carry.
func (s *Store) SwitchPorts(ctx context.Context, ref string) ([]SwitchPort, error) {
	var out []SwitchPort
	err := s.read(ctx, func(t *tx) error {
		h, c, err := hostAndConfig(ctx, t, ref)
		if err != nil {
			return err
		}
		// The segmentation IDs bound on each PF.
		rows, err := t.query(ctx, `SELECT c.pf_pciaddr, n.segmentation_id FROM vf_claims c
			JOIN neutron_ports p ON p.id = c.port_id JOIN neutron_networks n ON n.id = p.network_id
			WHERE c.host_id = ? AND c.state = ?`, h.ID, ClaimBound)
		if err != nil {
			return fmt.Errorf("switch ports of host %s: %w", h.Hostname, err)
		}
		bound := map[string][]int{}
		for rows.Next() {
			var pf string
			var seg int
			if err := rows.Scan(&pf, &seg); err != nil {
				rows.Close()
				return fmt.Errorf("switch ports of host %s: %w", h.Hostname, err)
			}
			if !slices.Contains(bound[pf], seg) {
				bound[pf] = append(bound[pf], seg)
			}
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("switch ports of host %s: %w", h.Hostname, err)
		}
		for _, i := range c.Interfaces {
			if i.Type != model.IfTypeEthernet || (i.Class != model.IfClassPCISRIOV && i.Class != model.IfClassPCIPassthrough) {
				continue
			}
			port, ok := c.Port(i.PortID)
			if !ok {
				continue
			}
			sp := SwitchPort{Interface: i.Name, Class: i.Class, Port: port.Name, PCIAddr: port.PCIAddr, Mode: "trunk",
				DataNetworks: []string{}, Bound: []int{}, Ranges: []model.SegmentRange{}}
			// The interface and its VF sub-interfaces share the port.
			ifs := []model.Interface{i}
			for _, o := range c.Interfaces {
				if o.Type == model.IfTypeVF {
					if rp, ok := c.RootPort(o); ok && rp.ID == port.ID {
						ifs = append(ifs, o)
					}
				}
			}
			for _, o := range ifs {
				for _, dn := range c.Assigned(o.ID) {
					if slices.Contains(sp.DataNetworks, dn.Name) {
						continue
					}
					sp.DataNetworks = append(sp.DataNetworks, dn.Name)
					if dn.NetworkType == model.NetworkTypeFlat {
						sp.Untagged = true
					}
					if i.Class == model.IfClassPCISRIOV {
						sp.Ranges = append(sp.Ranges, dn.SegmentRanges...)
					}
				}
			}
			sort.Strings(sp.DataNetworks)
			sp.Bound = append(sp.Bound, bound[port.PCIAddr]...)
			sort.Ints(sp.Bound)
			if i.Class == model.IfClassPCIPassthrough {
				sp.Mode = "access"
				sp.Untagged = false
				if len(sp.Bound) > 0 {
					if sp.Bound[0] == 0 {
						sp.Untagged = true
					} else {
						sp.VLANs = strconv.Itoa(sp.Bound[0])
					}
				}
				out = append(out, sp)
				continue
			}
			var vlans []model.SegmentRange
			for _, v := range sp.Bound {
				if v == 0 {
					sp.Untagged = true
					continue
				}
				vlans = append(vlans, model.SegmentRange{Min: v, Max: v})
			}
			sp.VLANs = compactRanges(append(vlans, sp.Ranges...))
			out = append(out, sp)
		}
		return nil
	})
	return out, err
}

// compactRanges merges VLAN ranges into "10,100-199".
func compactRanges(rs []model.SegmentRange) string {
	sort.Slice(rs, func(a, b int) bool { return rs[a].Min < rs[b].Min })
	var merged []model.SegmentRange
	for _, r := range rs {
		if n := len(merged); n > 0 && r.Min <= merged[n-1].Max+1 {
			merged[n-1].Max = max(merged[n-1].Max, r.Max)
			continue
		}
		merged = append(merged, r)
	}
	var parts []string
	for _, r := range merged {
		if r.Min == r.Max {
			parts = append(parts, strconv.Itoa(r.Min))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", r.Min, r.Max))
		}
	}
	return strings.Join(parts, ",")
}
