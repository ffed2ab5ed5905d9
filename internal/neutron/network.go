package neutron

import (
	"fmt"
	"sort"
	"strings"
)

// VLAN IDs a network may use: 0 and 4095 are reserved by 802.1Q.
const (
	MinVLAN = 1
	MaxVLAN = 4094
)

// VLANRange is an inclusive range of VLAN IDs.
type VLANRange struct{ Min, Max int }

func (r VLANRange) String() string { return fmt.Sprintf("%d-%d", r.Min, r.Max) }

// DataNetwork is the part of a vfnet data network (a physical network in
// Neutron's words) the network rules need, passed in by the caller.
type DataNetwork struct {
	Name   string
	Type   string // flat or vlan
	MTU    int
	Ranges []VLANRange // segment ranges project networks are allocated from
}

// Segment is one network's place on a physical network: what the store
// passes as the set of segments in use.
type Segment struct {
	NetworkType     string
	PhysicalNetwork string
	SegmentationID  int // 0 for flat
}

// NetworkPlan is the provider placement and MTU of a new network.
type NetworkPlan struct {
	NetworkType     string
	PhysicalNetwork string
	SegmentationID  *int
	MTU             int
}

// PlanNetwork decides where a new network goes: the admin's provider
// attributes checked against the data networks and the segments in use, or,
// with none given, a free VLAN from the segment ranges of the vlan data
// networks (by name order). Policy (who may set provider attributes) is
// AuthorizeAttributes' job and runs first.
func PlanNetwork(r NetworkRequest, datanets []DataNetwork, inUse []Segment) (NetworkPlan, error) {
	dns := append([]DataNetwork(nil), datanets...)
	sort.Slice(dns, func(i, j int) bool { return dns[i].Name < dns[j].Name })
	find := func(name string) (DataNetwork, bool) {
		for _, d := range dns {
			if d.Name == name {
				return d, true
			}
		}
		return DataNetwork{}, false
	}
	var plan NetworkPlan
	provider := r.NetworkType.Set || r.PhysicalNetwork.Set || r.SegmentationID.Has()
	switch {
	case !provider:
		p, err := allocateProjectVLAN(dns, inUse)
		if err != nil {
			return NetworkPlan{}, err
		}
		plan = p
	case !r.NetworkType.Has() || r.NetworkType.V == "":
		return NetworkPlan{}, InvalidInput("network_type required")
	case r.NetworkType.V == NetworkTypeFlat:
		if r.SegmentationID.Has() {
			return NetworkPlan{}, InvalidInput("provider:segmentation_id prohibited for flat provider network")
		}
		if !r.PhysicalNetwork.Has() || r.PhysicalNetwork.V == "" {
			return NetworkPlan{}, InvalidInput("physical_network required for flat provider network")
		}
		d, ok := find(r.PhysicalNetwork.V)
		if !ok || d.Type != NetworkTypeFlat {
			return NetworkPlan{}, InvalidInput("physical_network '%s' unknown for flat provider network%s",
				r.PhysicalNetwork.V, dataNetHint(d, ok, NetworkTypeFlat, dns))
		}
		for _, s := range inUse {
			if s.NetworkType == NetworkTypeFlat && s.PhysicalNetwork == d.Name {
				return NetworkPlan{}, FlatNetworkInUse(d.Name)
			}
		}
		plan = NetworkPlan{NetworkType: NetworkTypeFlat, PhysicalNetwork: d.Name, MTU: d.MTU}
	case r.NetworkType.V == NetworkTypeVLAN:
		if !r.PhysicalNetwork.Has() || r.PhysicalNetwork.V == "" {
			if r.SegmentationID.Has() {
				return NetworkPlan{}, InvalidInput("segmentation_id requires physical_network for VLAN provider network")
			}
			p, err := allocateProjectVLAN(dns, inUse)
			if err != nil {
				return NetworkPlan{}, err
			}
			plan = p
			break
		}
		d, ok := find(r.PhysicalNetwork.V)
		if !ok || d.Type != NetworkTypeVLAN {
			return NetworkPlan{}, InvalidInput("physical_network '%s' unknown for VLAN provider network%s",
				r.PhysicalNetwork.V, dataNetHint(d, ok, NetworkTypeVLAN, dns))
		}
		if !r.SegmentationID.Has() {
			p, err := allocateProjectVLAN([]DataNetwork{d}, inUse)
			if err != nil {
				return NetworkPlan{}, err
			}
			plan = p
			break
		}
		vlan := r.SegmentationID.V
		if vlan < MinVLAN || vlan > MaxVLAN {
			return NetworkPlan{}, InvalidInput("segmentation_id out of range (%d through %d)", MinVLAN, MaxVLAN)
		}
		if vlanUsed(inUse, d.Name, vlan) {
			return NetworkPlan{}, VlanIdInUse(vlan, d.Name)
		}
		plan = NetworkPlan{NetworkType: NetworkTypeVLAN, PhysicalNetwork: d.Name, SegmentationID: &vlan, MTU: d.MTU}
	default:
		return NetworkPlan{}, InvalidInput("network_type value '%s' not supported. vfnet networks are flat or vlan, "+
			"the types an SR-IOV NIC's switch can carry", r.NetworkType.V)
	}
	mtu, err := networkMTU(r.MTU, plan.MTU, plan.PhysicalNetwork)
	if err != nil {
		return NetworkPlan{}, err
	}
	plan.MTU = mtu
	return plan, nil
}

// dataNetHint says why a physical network name was refused.
func dataNetHint(d DataNetwork, found bool, want string, all []DataNetwork) string {
	if found {
		return fmt.Sprintf(" (data network %s is of type %s, not %s)", d.Name, d.Type, want)
	}
	var names []string
	for _, x := range all {
		if x.Type == want {
			names = append(names, x.Name)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf(" (there is no %s data network)", want)
	}
	return fmt.Sprintf(" (%s data networks: %s)", want, strings.Join(names, ", "))
}

// networkMTU applies the MTU rule: default to the data network's MTU, never
// above it. A VF cannot carry frames its PF's data network does not.
func networkMTU(req Field[int], max int, physnet string) (int, error) {
	if !req.Has() || req.V == 0 {
		return max, nil
	}
	if max > 0 && req.V > max {
		return 0, InvalidInput("Requested MTU is too big, maximum is %d (the MTU of data network %s)", max, physnet)
	}
	if req.V < 68 {
		return 0, InvalidInput("Requested MTU %d is too small, minimum is 68", req.V)
	}
	return req.V, nil
}

func vlanUsed(inUse []Segment, physnet string, vlan int) bool {
	for _, s := range inUse {
		if s.NetworkType == NetworkTypeVLAN && s.PhysicalNetwork == physnet && s.SegmentationID == vlan {
			return true
		}
	}
	return false
}

// allocateProjectVLAN picks the lowest free VLAN of the first vlan data
// network (in the given order) whose segment ranges have one. Lowest-first
// keeps allocation deterministic, which the store relies on when it retries
// after losing a race on its unique (physical network, VLAN) constraint.
func allocateProjectVLAN(dns []DataNetwork, inUse []Segment) (NetworkPlan, error) {
	var full []string
	for _, d := range dns {
		if d.Type != NetworkTypeVLAN || len(d.Ranges) == 0 {
			continue
		}
		if vlan, ok := FreeVLAN(d, inUse); ok {
			return NetworkPlan{NetworkType: NetworkTypeVLAN, PhysicalNetwork: d.Name, SegmentationID: &vlan, MTU: d.MTU}, nil
		}
		var rs []string
		for _, r := range d.Ranges {
			rs = append(rs, r.String())
		}
		full = append(full, fmt.Sprintf("%s (%s)", d.Name, strings.Join(rs, ", ")))
	}
	if len(full) == 0 {
		return NetworkPlan{}, NoNetworkAvailable("No vlan data network has segment ranges for project networks; " +
			"an admin must add a range to a data network or create the network with --provider-network-type and --provider-segment.")
	}
	return NetworkPlan{}, NoNetworkAvailable(fmt.Sprintf("Every VLAN in the segment ranges of %s is in use; "+
		"an admin must widen a range or delete unused networks.", strings.Join(full, ", ")))
}

// FreeVLAN returns the lowest VLAN of d's segment ranges not in use on d.
func FreeVLAN(d DataNetwork, inUse []Segment) (int, bool) {
	used := make(map[int]bool)
	for _, s := range inUse {
		if s.NetworkType == NetworkTypeVLAN && s.PhysicalNetwork == d.Name {
			used[s.SegmentationID] = true
		}
	}
	rs := append([]VLANRange(nil), d.Ranges...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Min < rs[j].Min })
	for _, r := range rs {
		for v := max(r.Min, MinVLAN); v <= min(r.Max, MaxVLAN); v++ {
			if !used[v] {
				return v, true
			}
		}
	}
	return 0, false
}

// PlanNetworkUpdate checks an update's provider and MTU changes against the
// current network. As in Neutron's ML2, only a VLAN network's segmentation
// ID may change, and only while no port on it is bound (the VFs carry the
// VLAN); inUse must not include the network's own segment.
func PlanNetworkUpdate(cur Network, r NetworkRequest, dn DataNetwork, inUse []Segment, boundPorts int) (NetworkPlan, error) {
	plan := NetworkPlan{NetworkType: cur.NetworkType, PhysicalNetwork: cur.PhysicalNetwork, SegmentationID: cur.SegmentationID, MTU: cur.MTU}
	if r.NetworkType.Set && r.NetworkType.V != cur.NetworkType ||
		r.PhysicalNetwork.Set && r.PhysicalNetwork.V != cur.PhysicalNetwork {
		if cur.NetworkType != NetworkTypeVLAN {
			return NetworkPlan{}, InvalidInput("Only VLAN type networks can be updated")
		}
		return NetworkPlan{}, InvalidInput("Only provider:segmentation_id field can be updated in VLAN type networks")
	}
	if r.SegmentationID.Set {
		curID := 0
		if cur.SegmentationID != nil {
			curID = *cur.SegmentationID
		}
		if !r.SegmentationID.Has() || r.SegmentationID.V != curID {
			if cur.NetworkType != NetworkTypeVLAN {
				return NetworkPlan{}, InvalidInput("Only VLAN type networks can be updated")
			}
			if !r.SegmentationID.Has() {
				return NetworkPlan{}, InvalidInput("provider:segmentation_id of a VLAN network cannot be null")
			}
			vlan := r.SegmentationID.V
			if vlan < MinVLAN || vlan > MaxVLAN {
				return NetworkPlan{}, InvalidInput("segmentation_id out of range (%d through %d)", MinVLAN, MaxVLAN)
			}
			if boundPorts > 0 {
				e := NetworkInUse(cur.ID)
				e.Message = fmt.Sprintf("Unable to complete operation on network %s. "+
					"%d bound port(s) carry VLAN %d on their VFs; unbind them before changing provider:segmentation_id.",
					cur.ID, boundPorts, curID)
				return NetworkPlan{}, e
			}
			if vlanUsed(inUse, cur.PhysicalNetwork, vlan) {
				return NetworkPlan{}, VlanIdInUse(vlan, cur.PhysicalNetwork)
			}
			plan.SegmentationID = &vlan
		}
	}
	if r.MTU.Set {
		mtu, err := networkMTU(r.MTU, dn.MTU, dn.Name)
		if err != nil {
			return NetworkPlan{}, err
		}
		plan.MTU = mtu
	}
	return plan, nil
}
