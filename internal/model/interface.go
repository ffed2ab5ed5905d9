package model

import (
	"slices"
	"strings"
)

// maxIfNameLen is Linux's IFNAMSIZ less the terminating NUL: interface names
// may become netdev names on the host.
const maxIfNameLen = 15

func ifObj(h Host, name string) string { return "interface " + h.Hostname + "/" + name }

// CreateInterface checks a new interface against the host's current
// configuration and returns it as it must be stored: host id set, defaults
// applied (class none, or pci-sriov for a vf; MTU 1500, or the lower
// interface's MTU for a vlan or vf; aemode active_standby) and computed
// fields filled in. The caller assigns in.ID. Nothing is returned on error.
func CreateInterface(h Host, cur HostConfig, in Interface) (Interface, error) {
	if err := RequireLocked(h); err != nil {
		return Interface{}, err
	}
	ifc := in
	ifc.HostID = h.ID
	ifc.UsedBy, ifc.DataNetworks, ifc.SRIOVVFsPCIAddress = nil, nil, nil
	ifc.Uses = slices.Clone(in.Uses)
	if ifc.ID == "" {
		return Interface{}, &Error{Code: ErrInternal, Object: ifObj(h, ifc.Name),
			Msg: "creating interface " + ifc.Name + ": the caller must assign an id"}
	}
	if _, ok := cur.Interface(ifc.ID); ok {
		return Interface{}, conflict(ifObj(h, ifc.Name), "Interface id %s already exists on host %s; create it with a new id.", ifc.ID, h.Hostname)
	}
	if ifc.Class == "" {
		ifc.Class = IfClassNone
		if ifc.Type == IfTypeVF {
			ifc.Class = IfClassPCISRIOV
		}
	}
	if ifc.MTU == 0 {
		ifc.MTU = DefaultMTU
		if (ifc.Type == IfTypeVLAN || ifc.Type == IfTypeVF) && len(ifc.Uses) == 1 {
			if lower, ok := cur.InterfaceByName(ifc.Uses[0]); ok && lower.MTU >= MinMTU {
				ifc.MTU = lower.MTU
			}
		}
	}
	if ifc.Type == IfTypeAE && ifc.AEMode == "" {
		ifc.AEMode = AEModeActiveStandby
	}
	next := cur.withInterface(ifc)
	if err := checkAround(h, next, ifc); err != nil {
		return Interface{}, err
	}
	return derived(next, ifc.ID), nil
}

// ModifyInterface applies patch to the interface id and returns it as it
// must be stored, with computed fields filled in. Leaving class pci-sriov
// resets sriov_numvfs to 0 and sriov_vf_driver to none (refused while VF
// sub-interfaces use it). A rename is returned as the interface's new name;
// the store keeps uses/used_by by id, so nothing else changes.
func ModifyInterface(h Host, cur HostConfig, id string, patch InterfacePatch) (Interface, error) {
	if err := RequireLocked(h); err != nil {
		return Interface{}, err
	}
	old, ok := cur.Interface(id)
	if !ok {
		return Interface{}, notFound("interface "+id, "Interface %s does not exist on host %s; list the host's interfaces and use one of their ids.", id, h.Hostname)
	}
	obj := ifObj(h, old.Name)
	ifc := old
	ifc.Uses = slices.Clone(old.Uses)
	if patch.Name != nil {
		ifc.Name = *patch.Name
	}
	if patch.Class != nil {
		ifc.Class = *patch.Class
	}
	if patch.Uses != nil {
		if ifc.Type != IfTypeAE {
			if !slices.Equal(*patch.Uses, old.Uses) {
				return Interface{}, invalid(obj, "Interface %s: the lower interface of a %s interface cannot change; delete it and create a new one on %s.", old.Name, old.Type, strings.Join(*patch.Uses, ", "))
			}
		}
		ifc.Uses = slices.Clone(*patch.Uses)
	}
	if patch.MTU != nil {
		ifc.MTU = *patch.MTU
	}
	if patch.SRIOVNumVFs != nil {
		ifc.SRIOVNumVFs = *patch.SRIOVNumVFs
	}
	if patch.SRIOVVFDriver != nil {
		ifc.SRIOVVFDriver = *patch.SRIOVVFDriver
	}
	if patch.MaxTxRate != nil {
		ifc.MaxTxRate = *patch.MaxTxRate
	}
	if patch.AEMode != nil {
		ifc.AEMode = *patch.AEMode
	}
	if patch.VLANID != nil {
		ifc.VLANID = *patch.VLANID
	}
	if old.Class == IfClassPCISRIOV && ifc.Class != IfClassPCISRIOV {
		if vfs := cur.vfChildren(old.Name); len(vfs) > 0 {
			return Interface{}, conflict(obj, "Interface %s cannot leave class pci-sriov: VF interfaces %s use its VFs; delete them first.", old.Name, names(vfs))
		}
		if patch.SRIOVNumVFs == nil {
			ifc.SRIOVNumVFs = 0
		}
		if patch.SRIOVVFDriver == nil {
			ifc.SRIOVVFDriver = VFDriverNone
		}
	}
	next := cur.withInterface(ifc)
	if err := checkAround(h, next, ifc); err != nil {
		return Interface{}, err
	}
	return derived(next, ifc.ID), nil
}

// DeleteInterface checks that the interface id may be deleted. The store
// deletes its data network assignments with it: they belong to the
// interface, and the host is locked, so no port is bound through them.
func DeleteInterface(h Host, cur HostConfig, id string) error {
	if err := RequireLocked(h); err != nil {
		return err
	}
	ifc, ok := cur.Interface(id)
	if !ok {
		return notFound("interface "+id, "Interface %s does not exist on host %s; list the host's interfaces and use one of their ids.", id, h.Hostname)
	}
	if up := cur.Uppers(ifc.Name); len(up) > 0 {
		return conflict(ifObj(h, ifc.Name), "Interface %s is used by %s; delete them first.", ifc.Name, names(up))
	}
	return nil
}

func derived(c HostConfig, id string) Interface {
	i, _ := c.Derive().Interface(id)
	return i
}

// checkAround checks ifc and then the interfaces directly related to it, in
// a configuration that already holds ifc: a change to one interface can break
// a rule that another interface's checks express (an upper's MTU, a lower's
// VF budget).
func checkAround(h Host, c HostConfig, ifc Interface) error {
	if err := CheckInterface(h, c, ifc); err != nil {
		return err
	}
	for _, name := range ifc.Uses {
		if l, ok := c.InterfaceByName(name); ok {
			if err := CheckInterface(h, c, l); err != nil {
				return err
			}
		}
	}
	for _, u := range c.Uppers(ifc.Name) {
		if err := CheckInterface(h, c, u); err != nil {
			return err
		}
	}
	return nil
}

// CheckInterface checks every host-config.md rule about one interface within
// c, which holds it. Relations are checked from both sides (an interface's
// MTU against its lower's and its uppers'), so checking the changed
// interface and its neighbours is enough.
func CheckInterface(h Host, c HostConfig, ifc Interface) error {
	obj := ifObj(h, ifc.Name)
	n := ifc.Name
	if err := checkIfName(h, c, ifc); err != nil {
		return err
	}
	if !ifc.Type.Valid() {
		return invalid(obj, "Interface %s: iftype %q is not one of ethernet, ae, vlan, vf; choose one.", n, ifc.Type)
	}
	if !ifc.Class.Valid() {
		return invalid(obj, "Interface %s: ifclass %q is not one of none, platform, data, pci-sriov, pci-passthrough; choose one.", n, ifc.Class)
	}
	if ifc.MTU < MinMTU || ifc.MTU > MaxMTU {
		return invalid(obj, "Interface %s: MTU %d is out of range; use a value from %d to %d.", n, ifc.MTU, MinMTU, MaxMTU)
	}
	if !ifc.SRIOVVFDriver.Valid() {
		return invalid(obj, "Interface %s: sriov_vf_driver %q is not valid; use netdevice (the NIC's own VF driver: iavf, ixgbevf, mlx5_core ...) or vfio (vfio-pci).", n, ifc.SRIOVVFDriver)
	}
	if ifc.Type == IfTypeAE {
		if !ifc.AEMode.Valid() {
			return invalid(obj, "Interface %s: aemode %q is not one of active_standby, balanced, 802.3ad; choose one.", n, ifc.AEMode)
		}
	} else if ifc.AEMode != "" {
		return invalid(obj, "Interface %s: aemode applies only to ae interfaces; leave it unset.", n)
	}
	if ifc.Type == IfTypeVLAN {
		if ifc.VLANID < MinVLANID || ifc.VLANID > MaxVLANID {
			return invalid(obj, "Interface %s: vlan_id %d is out of range; use %d to %d.", n, ifc.VLANID, MinVLANID, MaxVLANID)
		}
	} else if ifc.VLANID != 0 {
		return invalid(obj, "Interface %s: vlan_id applies only to vlan interfaces; leave it unset.", n)
	}
	if err := checkClassType(h, ifc); err != nil {
		return err
	}
	if ifc.MaxTxRate < 0 {
		return invalid(obj, "Interface %s: max_tx_rate %d is negative; give a rate in Mbps, or 0 for no limit.", n, ifc.MaxTxRate)
	}
	if ifc.MaxTxRate > 0 && ifc.Type != IfTypeVF {
		return invalid(obj, "Interface %s: max_tx_rate applies only to vf interfaces, not %s; create a vf sub-interface to rate-limit VFs, or leave it 0.", n, ifc.Type)
	}
	if err := checkStructure(h, c, ifc); err != nil {
		return err
	}
	if err := checkSRIOV(h, c, ifc); err != nil {
		return err
	}
	return checkAssigned(h, c, ifc)
}

func checkIfName(h Host, c HostConfig, ifc Interface) error {
	n := ifc.Name
	obj := ifObj(h, n)
	if n == "" {
		return invalid(obj, "An interface on host %s has no name; give an ifname of 1 to %d characters.", h.Hostname, maxIfNameLen)
	}
	if len(n) > maxIfNameLen || n == "." || n == ".." || strings.ContainsAny(n, "/: \t\n") {
		return invalid(obj, "Interface name %q on host %s is invalid; use 1 to %d characters without spaces, '/' or ':' (it becomes a Linux interface name).", n, h.Hostname, maxIfNameLen)
	}
	for _, o := range c.Interfaces {
		if o.Name == n && o.ID != ifc.ID {
			return conflict(obj, "Interface name %s is already used on host %s; choose another ifname.", n, h.Hostname)
		}
	}
	return nil
}

func lagError(obj, name string) error {
	return invalid(obj, "Interface %s: SR-IOV and PCI passthrough interfaces do not support link aggregation (LAG); keep pci-sriov and pci-passthrough interfaces out of ae interfaces, and give an ae class data or platform.", name)
}

// checkClassType: which classes each type may have, and which fields apply
// to which class.
func checkClassType(h Host, ifc Interface) error {
	obj := ifObj(h, ifc.Name)
	n := ifc.Name
	pci := ifc.Class == IfClassPCISRIOV || ifc.Class == IfClassPCIPassthrough
	switch {
	case pci && ifc.Type == IfTypeAE:
		return lagError(obj, n)
	case pci && ifc.Type == IfTypeVLAN:
		return invalid(obj, "Interface %s: class %s is valid only on ethernet and vf interfaces, not on a vlan; configure it on the ethernet interface of the port.", n, ifc.Class)
	case ifc.Type == IfTypeVF && ifc.Class != IfClassPCISRIOV:
		return invalid(obj, "Interface %s: a vf interface is a pool of SR-IOV VFs, so its class must be pci-sriov, not %s.", n, ifc.Class)
	}
	if ifc.Class == IfClassPCIPassthrough && ifc.SRIOVNumVFs != 0 {
		return invalid(obj, "Interface %s: pci-passthrough hands the whole PF to one VM, so sriov_numvfs must be 0; leave it unset, or use class pci-sriov to share the port through VFs.", n)
	}
	if ifc.Class != IfClassPCISRIOV {
		if ifc.SRIOVNumVFs != 0 {
			return invalid(obj, "Interface %s: sriov_numvfs applies only to class pci-sriov, not %s; leave it unset or set ifclass pci-sriov.", n, ifc.Class)
		}
		if ifc.SRIOVVFDriver != VFDriverNone {
			return invalid(obj, "Interface %s: sriov_vf_driver applies only to class pci-sriov, not %s; leave it unset or set ifclass pci-sriov.", n, ifc.Class)
		}
	}
	return nil
}

// checkStructure: ports and lower interfaces, both directions.
func checkStructure(h Host, c HostConfig, ifc Interface) error {
	obj := ifObj(h, ifc.Name)
	n := ifc.Name
	if ifc.Type != IfTypeEthernet && ifc.PortID != "" {
		return invalid(obj, "Interface %s: only ethernet interfaces use a port directly; name the lower interface(s) in uses instead.", n)
	}
	var lowers []Interface
	for _, l := range ifc.Uses {
		li, ok := c.InterfaceByName(l)
		if !ok {
			return notFound(obj, "Interface %s: lower interface %s does not exist on host %s; create it first.", n, l, h.Hostname)
		}
		if li.ID == ifc.ID {
			return invalid(obj, "Interface %s cannot use itself; name another interface in uses.", n)
		}
		lowers = append(lowers, li)
	}
	switch ifc.Type {
	case IfTypeEthernet:
		if len(ifc.Uses) > 0 {
			return invalid(obj, "Interface %s: an ethernet interface uses a port, not other interfaces; remove uses.", n)
		}
		if ifc.PortID == "" {
			return invalid(obj, "Interface %s: an ethernet interface uses exactly one port; give the port.", n)
		}
		p, ok := c.Port(ifc.PortID)
		if !ok {
			return notFound(obj, "Interface %s: port %s is not a port of host %s; list the host's ports and pick one.", n, ifc.PortID, h.Hostname)
		}
		for _, o := range c.Interfaces {
			if o.ID != ifc.ID && o.Type == IfTypeEthernet && o.PortID == ifc.PortID {
				return conflict(obj, "Interface %s: port %s already belongs to interface %s; a port belongs to at most one interface, so modify or delete %s instead.", n, p.Name, o.Name, o.Name)
			}
		}
	case IfTypeAE:
		if len(lowers) == 0 {
			return invalid(obj, "Interface %s: an ae interface needs at least one member interface; name the members in uses.", n)
		}
		for _, m := range lowers {
			if m.Type != IfTypeEthernet {
				return invalid(obj, "Interface %s: ae member %s is a %s interface; only ethernet interfaces can be aggregated.", n, m.Name, m.Type)
			}
			if m.Class == IfClassPCISRIOV || m.Class == IfClassPCIPassthrough {
				return lagError(obj, m.Name)
			}
		}
	case IfTypeVLAN, IfTypeVF:
		if len(lowers) != 1 {
			return invalid(obj, "Interface %s: a %s interface uses exactly one lower interface; name one in uses.", n, ifc.Type)
		}
		l := lowers[0]
		if ifc.Type == IfTypeVLAN {
			if l.Type == IfTypeVF || l.Type == IfTypeVLAN {
				return invalid(obj, "Interface %s: a vlan interface cannot be on %s interface %s; put it on an ethernet or ae interface.", n, l.Type, l.Name)
			}
			for _, s := range c.Uppers(l.Name) {
				if s.ID != ifc.ID && s.Type == IfTypeVLAN && s.VLANID == ifc.VLANID {
					return conflict(obj, "Interface %s: vlan %d on %s already exists as interface %s; use another vlan_id or that interface.", n, ifc.VLANID, l.Name, s.Name)
				}
			}
		} else if (l.Type != IfTypeEthernet && l.Type != IfTypeVF) || l.Class != IfClassPCISRIOV {
			return invalid(obj, "Interface %s: the lower interface of a vf interface must be a pci-sriov ethernet or vf interface, but %s is a %s %s interface; set %s to class pci-sriov first.", n, l.Name, l.Class, l.Type, l.Name)
		}
		if ifc.MTU > l.MTU {
			return invalid(obj, "Interface %s: MTU %d is larger than MTU %d of its lower interface %s; lower it, or raise %s's MTU first.", n, ifc.MTU, l.MTU, l.Name, l.Name)
		}
	}
	// Lower interfaces of this one that an ae also uses: one role per
	// interface.
	for _, l := range lowers {
		for _, o := range c.Uppers(l.Name) {
			if o.ID == ifc.ID {
				continue
			}
			if o.Type == IfTypeAE || ifc.Type == IfTypeAE {
				return conflict(obj, "Interface %s: %s is already used by %s, and an ae member cannot be used by any other interface; remove it from %s first.", n, l.Name, o.Name, o.Name)
			}
		}
	}
	uppers := c.Uppers(n)
	if ifc.Class == IfClassPCIPassthrough && len(uppers) > 0 {
		return conflict(obj, "Interface %s: pci-passthrough hands the whole PF to one VM, so no interface may use it, but %s do; delete them first.", n, names(uppers))
	}
	for _, u := range uppers {
		if u.Type == IfTypeAE && (ifc.Class == IfClassPCISRIOV || ifc.Class == IfClassPCIPassthrough) {
			return lagError(obj, n)
		}
		if (u.Type == IfTypeVLAN || u.Type == IfTypeVF) && u.MTU > ifc.MTU {
			return invalid(obj, "Interface %s: MTU %d is smaller than MTU %d of %s, which uses it; lower %s's MTU first.", n, ifc.MTU, u.MTU, u.Name, u.Name)
		}
	}
	return nil
}

// checkSRIOV: VF counts against the port and between a pci-sriov interface
// and its VF sub-interfaces; transmit rates against the link.
func checkSRIOV(h Host, c HostConfig, ifc Interface) error {
	if ifc.Class != IfClassPCISRIOV {
		return nil
	}
	obj := ifObj(h, ifc.Name)
	n := ifc.Name
	port, hasPort := c.RootPort(ifc)
	if ifc.Type == IfTypeEthernet && hasPort && (port.SRIOVTotalVFs == nil || *port.SRIOVTotalVFs <= 0) {
		return invalid(obj, "SR-IOV can't be configured on this interface: port %s of interface %s has no SR-IOV capability; use class pci-passthrough, or a port that supports SR-IOV.", port.Name, n)
	}
	if ifc.SRIOVNumVFs <= 0 {
		return invalid(obj, "Value for number of SR-IOV VFs must be > 0: interface %s has sriov_numvfs %d; set it to the number of VFs wanted.", n, ifc.SRIOVNumVFs)
	}
	if ifc.Type == IfTypeEthernet && hasPort && ifc.SRIOVNumVFs > *port.SRIOVTotalVFs {
		t := *port.SRIOVTotalVFs
		return invalid(obj, "The interface supports a maximum of %d VFs: interface %s asks for %d on port %s; set sriov_numvfs to at most %d.", t, n, ifc.SRIOVNumVFs, port.Name, t)
	}
	if kids := c.vfChildren(n); len(kids) > 0 {
		taken := 0
		for _, k := range kids {
			taken += max(k.SRIOVNumVFs, 0)
		}
		if taken > ifc.SRIOVNumVFs-1 {
			return invalid(obj, "Interface %s has %d VFs and must keep at least 1, but its VF interfaces %s take %d; lower their sriov_numvfs, or raise sriov_numvfs of %s.", n, ifc.SRIOVNumVFs, names(kids), taken, n)
		}
	}
	if ifc.Type == IfTypeVF && hasPort {
		total := c.txRateTotal(port)
		if total > 0 && port.Speed <= 0 {
			return invalid(obj, "Interface %s: max_tx_rate needs the link speed of port %s, which is unknown (link %s); bring the link up and retry, or set max_tx_rate to 0.", n, port.Name, port.Link)
		}
		if total*100 > port.Speed*MaxTxRatePercent {
			return invalid(obj, "Interface %s: the VF interfaces of port %s would transmit up to %d Mbps (max_tx_rate x VFs), more than %d%% of its %d Mbps link (%d Mbps); lower max_tx_rate or sriov_numvfs.", n, port.Name, total, MaxTxRatePercent, port.Speed, port.Speed*MaxTxRatePercent/100)
		}
	}
	return nil
}

// checkAssigned: what the assigned data networks require of the interface.
func checkAssigned(h Host, c HostConfig, ifc Interface) error {
	obj := ifObj(h, ifc.Name)
	dns := c.Assigned(ifc.ID)
	if len(dns) == 0 {
		return nil
	}
	dnNames := make([]string, len(dns))
	for k, d := range dns {
		dnNames[k] = d.Name
	}
	if !carriesDataNetworks(ifc.Class) {
		return conflict(obj, "Interface %s has data networks %s assigned, which class %s cannot carry; remove them first.", ifc.Name, strings.Join(dnNames, ", "), ifc.Class)
	}
	if ifc.Class == IfClassPCIPassthrough && len(dns) > 1 {
		return conflict(obj, "Interface %s: a pci-passthrough interface serves one data network at a time (its switch port is an access port on that network's VLAN), but %s are assigned; remove all but one first.", ifc.Name, strings.Join(dnNames, ", "))
	}
	for _, d := range dns {
		if ifc.MTU < d.MTU {
			return invalid(obj, "Interface %s: MTU %d is smaller than MTU %d of assigned data network %s; set the interface MTU to at least %d.", ifc.Name, ifc.MTU, d.MTU, d.Name, d.MTU)
		}
	}
	return nil
}

func carriesDataNetworks(c IfClass) bool {
	return c == IfClassData || c == IfClassPCISRIOV || c == IfClassPCIPassthrough
}
