package model

import (
	"slices"
	"strings"
)

func dnObj(name string) string { return "datanetwork " + name }

// DataNetworkUsers is everything, across all hosts, that refers to one data
// network: interfaces assigned to it and project networks on it. The store
// gathers it in the transaction that calls a data network rule.
type DataNetworkUsers struct {
	Interfaces []InterfaceUse `json:"interfaces"`
	Networks   []NetworkUse   `json:"networks"`
}

// InterfaceUse is an interface assigned to a data network.
type InterfaceUse struct {
	Host      string `json:"host"` // hostname
	Interface string `json:"ifname"`
	MTU       int    `json:"imtu"`
}

// NetworkUse is a project network on a data network.
type NetworkUse struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	MTU  int    `json:"mtu"`
}

func (u DataNetworkUsers) empty() bool { return len(u.Interfaces) == 0 && len(u.Networks) == 0 }

func (u DataNetworkUsers) String() string {
	var parts []string
	for _, i := range u.Interfaces {
		parts = append(parts, "interface "+i.Host+"/"+i.Interface)
	}
	for _, n := range u.Networks {
		parts = append(parts, "network "+networkLabel(n))
	}
	return strings.Join(parts, ", ")
}

func networkLabel(n NetworkUse) string {
	if n.Name != "" {
		return n.Name + " (" + n.ID + ")"
	}
	return n.ID
}

// CreateDataNetwork checks a new data network against the existing ones and
// returns it with defaults applied (MTU 1500). The caller assigns in.ID.
func CreateDataNetwork(existing []DataNetwork, in DataNetwork) (DataNetwork, error) {
	dn := in
	dn.SegmentRanges = slices.Clone(in.SegmentRanges)
	if dn.MTU == 0 {
		dn.MTU = DefaultMTU
	}
	if err := checkDataNetworkName(dn.Name); err != nil {
		return DataNetwork{}, err
	}
	for _, e := range existing {
		if e.Name == dn.Name {
			return DataNetwork{}, conflict(dnObj(dn.Name), "Data network %s already exists; choose another name, or use the existing one.", dn.Name)
		}
		if dn.ID != "" && e.ID == dn.ID {
			return DataNetwork{}, conflict(dnObj(dn.Name), "Data network id %s already exists; create it with a new id.", dn.ID)
		}
	}
	if !dn.NetworkType.Valid() {
		return DataNetwork{}, invalid(dnObj(dn.Name), "Data network %s: network_type %q is not one of flat, vlan; choose one.", dn.Name, dn.NetworkType)
	}
	if err := checkDataNetworkValues(dn); err != nil {
		return DataNetwork{}, err
	}
	return dn, nil
}

// ModifyDataNetwork applies patch to cur. Only MTU, description and segment
// ranges change after creation. Raising the MTU above an assigned
// interface's, or lowering it below a project network's, is refused: the
// interface could not carry the frames, or the network would promise frames
// the data network does not carry.
func ModifyDataNetwork(cur DataNetwork, patch DataNetworkPatch, users DataNetworkUsers) (DataNetwork, error) {
	obj := dnObj(cur.Name)
	dn := cur
	dn.SegmentRanges = slices.Clone(cur.SegmentRanges)
	if patch.Name != nil && *patch.Name != cur.Name {
		return DataNetwork{}, invalid(obj, "Data network %s: the name cannot change after creation (networks and hosts refer to it); create a new data network named %s instead.", cur.Name, *patch.Name)
	}
	if patch.NetworkType != nil && *patch.NetworkType != cur.NetworkType {
		return DataNetwork{}, invalid(obj, "Data network %s: network_type cannot change after creation; create a new %s data network instead.", cur.Name, *patch.NetworkType)
	}
	if patch.MTU != nil {
		dn.MTU = *patch.MTU
	}
	if patch.Description != nil {
		dn.Description = *patch.Description
	}
	if patch.SegmentRanges != nil {
		dn.SegmentRanges = slices.Clone(*patch.SegmentRanges)
	}
	if err := checkDataNetworkValues(dn); err != nil {
		return DataNetwork{}, err
	}
	for _, i := range users.Interfaces {
		if i.MTU < dn.MTU {
			return DataNetwork{}, conflict(obj, "Data network %s: MTU %d is larger than MTU %d of assigned interface %s/%s; raise the interface's MTU first (lock its host), or keep the data network's MTU at most %d.", cur.Name, dn.MTU, i.MTU, i.Host, i.Interface, i.MTU)
		}
	}
	for _, n := range users.Networks {
		if n.MTU > dn.MTU {
			return DataNetwork{}, conflict(obj, "Data network %s: MTU %d is smaller than MTU %d of network %s on it; lower the network's MTU first, or keep the data network's MTU at least %d.", cur.Name, dn.MTU, n.MTU, networkLabel(n), n.MTU)
		}
	}
	return dn, nil
}

// DeleteDataNetwork refuses to delete a data network anything still uses.
func DeleteDataNetwork(dn DataNetwork, users DataNetworkUsers) error {
	if !users.empty() {
		return conflict(dnObj(dn.Name), "Data network %s is in use by %s; remove those assignments and delete those networks first.", dn.Name, users)
	}
	return nil
}

func checkDataNetworkName(name string) error {
	obj := dnObj(name)
	if name == "" {
		return invalid(obj, "A data network needs a name; use letters, digits, '_', '.' and '-'.")
	}
	if strings.EqualFold(name, "none") {
		return invalid(obj, "Data network name %q is reserved (it means no data network); choose another name.", name)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-'
		if !ok {
			return invalid(obj, "Data network name %q is invalid: it may hold only letters, digits, '_', '.' and '-' (^[A-Za-z0-9_.-]+$); choose another name.", name)
		}
	}
	return nil
}

func checkDataNetworkValues(dn DataNetwork) error {
	obj := dnObj(dn.Name)
	if dn.MTU < MinMTU || dn.MTU > MaxMTU {
		return invalid(obj, "Data network %s: MTU %d is out of range; use a value from %d to %d.", dn.Name, dn.MTU, MinMTU, MaxMTU)
	}
	if len(dn.SegmentRanges) == 0 {
		return nil
	}
	if dn.NetworkType != NetworkTypeVLAN {
		return invalid(obj, "Data network %s: segment ranges apply only to vlan data networks, not %s; remove them.", dn.Name, dn.NetworkType)
	}
	rs := slices.Clone(dn.SegmentRanges)
	for _, r := range rs {
		if r.Min < MinVLANID || r.Max > MaxVLANID || r.Min > r.Max {
			return invalid(obj, "Data network %s: segment range %d-%d is invalid; give min <= max within %d-%d.", dn.Name, r.Min, r.Max, MinVLANID, MaxVLANID)
		}
	}
	slices.SortFunc(rs, func(a, b SegmentRange) int { return a.Min - b.Min })
	for k := 1; k < len(rs); k++ {
		if rs[k].Min <= rs[k-1].Max {
			return invalid(obj, "Data network %s: segment ranges %d-%d and %d-%d overlap; merge them or make them disjoint.", dn.Name, rs[k-1].Min, rs[k-1].Max, rs[k].Min, rs[k].Max)
		}
	}
	return nil
}
