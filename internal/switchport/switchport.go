// Package switchport says what the access switch port cabled to each of a
// host's pci-sriov and pci-passthrough interfaces must carry (issue 6,
// `vfnet host-if-vlans H`). A VF's VLAN is pushed by the NIC, so the
// switch must trunk every VLAN any VF of the PF may send; a PF handed to a
// VM whole sends untagged frames, so its switch port is an access port on
// the one network's VLAN. Pure: the caller passes the host's configuration
// and the ports bound on it.
package switchport

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"vfnet/internal/model"
)

// Bound is one claimed device of the host and the network of the port
// bound to it.
type Bound struct {
	PCIAddr     string // the VF (direct) or the PF (direct-physical)
	PortID      string
	Network     string // the network's name, or its id when unnamed
	NetworkType model.NetworkType
	// SegmentationID is the network's VLAN; 0 on a flat network.
	SegmentationID int
}

// Mode is how the switch port treats frames.
type Mode string

const (
	// ModeTrunk: tagged frames of every listed VLAN (and untagged ones on
	// the native VLAN when Untagged).
	ModeTrunk Mode = "trunk"
	// ModeAccess: untagged frames, which the switch puts on the one VLAN.
	ModeAccess Mode = "access"
)

// Row is one interface's switch port requirement, shaped for a table and
// for JSON.
type Row struct {
	Interface string        `json:"ifname"`
	Port      string        `json:"port"`
	PCIAddr   string        `json:"pciaddr"`
	Class     model.IfClass `json:"ifclass"`
	Mode      Mode          `json:"mode"`
	// VLANs lists the VLAN ids compressed into ranges ("10,20-29"); "" for
	// none.
	VLANs string `json:"vlans"`
	// Untagged says the port must also pass untagged frames (a flat
	// network): the trunk's native VLAN, or an access port's own VLAN
	// when VLANs is empty.
	Untagged bool   `json:"untagged"`
	Why      string `json:"why"`
}

// Header is the table header matching Row.Cells, lower case like the other
// host verbs' tables (host-if-list, host-port-list).
func Header() []string {
	return []string{"ifname", "port", "pci address", "mode", "vlans", "untagged", "why"}
}

// Cells is the row as table cells.
func (r Row) Cells() []string {
	vl := r.VLANs
	if vl == "" {
		vl = "-"
	}
	return []string{r.Interface, r.Port, r.PCIAddr, string(r.Mode), vl, strconv.FormatBool(r.Untagged), r.Why}
}

// Report lists, by interface name, what the switch port of each pci-sriov
// and pci-passthrough ethernet interface of the host must carry.
//
// A pci-sriov interface's port trunks the segmentation IDs of the networks
// bound to the VFs of the interface and of its VF sub-interfaces, plus the
// segment ranges of their vlan data networks (so that the next network
// created there works without a switch change); a flat data network or a
// bound flat network makes it pass untagged frames too. A pci-passthrough
// interface's port is an access port on the VLAN of the network of the port
// bound to its PF (untagged for flat); unbound, it carries nothing yet.
func Report(c model.HostConfig, bound []Bound) ([]Row, error) {
	owner := map[string]string{} // VF or PF address -> ethernet interface id
	for id, addrs := range c.VFAddresses() {
		ifc, _ := c.Interface(id)
		root, ok := rootInterface(c, ifc)
		if !ok {
			continue
		}
		for _, a := range addrs {
			owner[a] = root.ID
		}
	}
	var rows []Row
	byIf := map[string][]Bound{}
	for _, b := range bound {
		if b.SegmentationID < 0 || b.SegmentationID > model.MaxVLANID {
			return nil, fmt.Errorf("access switch report: port %s on %s: segmentation ID %d is outside 0-%d", b.PortID, b.PCIAddr, b.SegmentationID, model.MaxVLANID)
		}
		id, ok := owner[b.PCIAddr]
		if !ok {
			for _, i := range c.Interfaces {
				if p, found := c.Port(i.PortID); found && i.Class == model.IfClassPCIPassthrough && p.PCIAddr == b.PCIAddr {
					id, ok = i.ID, true
				}
			}
		}
		if !ok {
			return nil, fmt.Errorf("access switch report: port %s is bound to %s, which is no VF of a pci-sriov interface and no PF of a pci-passthrough interface of the host", b.PortID, b.PCIAddr)
		}
		byIf[id] = append(byIf[id], b)
	}
	for _, i := range c.Interfaces {
		if i.Type != model.IfTypeEthernet || (i.Class != model.IfClassPCISRIOV && i.Class != model.IfClassPCIPassthrough) {
			continue
		}
		p, ok := c.Port(i.PortID)
		if !ok {
			continue
		}
		row := Row{Interface: i.Name, Port: p.Name, PCIAddr: p.PCIAddr, Class: i.Class}
		var err error
		if i.Class == model.IfClassPCISRIOV {
			trunk(c, i, byIf[i.ID], &row)
		} else if err = access(c, i, byIf[i.ID], &row); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(a, b int) bool { return rows[a].Interface < rows[b].Interface })
	return rows, nil
}

// rootInterface is the ethernet interface under a vf sub-interface chain.
func rootInterface(c model.HostConfig, ifc model.Interface) (model.Interface, bool) {
	p, ok := c.RootPort(ifc)
	if !ok {
		return model.Interface{}, false
	}
	for _, i := range c.Interfaces {
		if i.Type == model.IfTypeEthernet && i.PortID == p.ID {
			return i, true
		}
	}
	return model.Interface{}, false
}

func trunk(c model.HostConfig, root model.Interface, bound []Bound, row *Row) {
	row.Mode = ModeTrunk
	var ids []int
	var why []string
	// the interface and its VF sub-interfaces share the wire
	var dns []model.DataNetwork
	for _, i := range c.Interfaces {
		if i.Class != model.IfClassPCISRIOV {
			continue
		}
		if r, ok := rootInterface(c, i); ok && r.ID == root.ID {
			for _, d := range c.Assigned(i.ID) {
				if !slices.ContainsFunc(dns, func(x model.DataNetwork) bool { return x.ID == d.ID }) {
					dns = append(dns, d)
				}
			}
		}
	}
	sort.Slice(dns, func(a, b int) bool { return dns[a].Name < dns[b].Name })
	sort.Slice(bound, func(a, b int) bool {
		if bound[a].SegmentationID != bound[b].SegmentationID {
			return bound[a].SegmentationID < bound[b].SegmentationID
		}
		return bound[a].Network < bound[b].Network
	})
	var nets []string
	for _, b := range bound {
		label := b.Network + " (flat, untagged)"
		if b.SegmentationID == 0 {
			row.Untagged = true
		} else {
			ids = append(ids, b.SegmentationID)
			label = fmt.Sprintf("%s (VLAN %d)", b.Network, b.SegmentationID)
		}
		if !slices.Contains(nets, label) {
			nets = append(nets, label)
		}
	}
	if len(nets) > 0 {
		why = append(why, "bound: "+strings.Join(nets, ", "))
	}
	for _, d := range dns {
		if d.NetworkType == model.NetworkTypeFlat {
			row.Untagged = true
			why = append(why, d.Name+" is flat: untagged")
			continue
		}
		var rs []int
		for _, r := range d.SegmentRanges {
			for v := r.Min; v <= r.Max; v++ {
				rs = append(rs, v)
			}
		}
		ids = append(ids, rs...)
		if len(rs) > 0 {
			why = append(why, fmt.Sprintf("%s segment ranges %s, for networks not created yet", d.Name, Compress(rs)))
		} else {
			why = append(why, d.Name+" has no segment range")
		}
	}
	row.VLANs = Compress(ids)
	if len(why) == 0 {
		why = append(why, "no data network assigned, nothing bound")
	}
	row.Why = strings.Join(why, "; ")
}

func access(c model.HostConfig, i model.Interface, bound []Bound, row *Row) error {
	row.Mode = ModeAccess
	switch len(bound) {
	case 0:
		var names []string
		for _, d := range c.Assigned(i.ID) {
			names = append(names, d.Name)
		}
		row.Why = "no direct-physical port bound: the access VLAN is the network of the port bound next"
		if len(names) > 0 {
			row.Why += " (on " + strings.Join(names, ", ") + ")"
		}
		return nil
	case 1:
		b := bound[0]
		if b.SegmentationID == 0 {
			row.Untagged = true
			row.Why = fmt.Sprintf("port %s bound: flat network %s, untagged", b.PortID, b.Network)
			return nil
		}
		row.VLANs = strconv.Itoa(b.SegmentationID)
		row.Why = fmt.Sprintf("port %s bound: network %s, VLAN %d", b.PortID, b.Network, b.SegmentationID)
		return nil
	}
	var ports []string
	for _, b := range bound {
		ports = append(ports, b.PortID)
	}
	return fmt.Errorf("access switch report: interface %s (PF %s) has %d ports bound (%s): a PF serves one port", i.Name, row.PCIAddr, len(bound), strings.Join(ports, ", "))
}

// Compress writes VLAN ids sorted, each once, runs as ranges: "10,20-29".
func Compress(ids []int) string {
	s := slices.Clone(ids)
	slices.Sort(s)
	s = slices.Compact(s)
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(s[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(s[j]))
		}
		i = j + 1
	}
	return b.String()
}
