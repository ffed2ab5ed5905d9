package model

// SplitVFs hands out the VF addresses of the pci-sriov interface parentID
// among it and its VF sub-interfaces. addrs is the parent's VF list in
// virtfn order: what the port reports (VFAddresses), or what the agent has
// just observed. Only the first sriov_numvfs of addrs belong to a pci-sriov
// ethernet interface; the rest are VFs nobody asked for.
//
// Sub-interfaces, sorted by name, take their sriov_numvfs from the END of
// the parent's list, one after the other towards the front; the parent keeps
// the front. A sub-interface that is itself a parent splits what it got the
// same way. When the list is shorter than configured (the agent has not
// applied yet), the last sub-interfaces get fewer addresses, never someone
// else's.
func SplitVFs(c HostConfig, parentID string, addrs []string) map[string][]string {
	out := map[string][]string{}
	parent, ok := c.Interface(parentID)
	if !ok {
		return out
	}
	if parent.Type == IfTypeEthernet && len(addrs) > parent.SRIOVNumVFs {
		addrs = addrs[:parent.SRIOVNumVFs]
	}
	c.split(parent, addrs, out, len(c.Interfaces))
	return out
}

func (c HostConfig) split(parent Interface, addrs []string, out map[string][]string, depth int) {
	rest := addrs
	if depth > 0 {
		for _, child := range c.vfChildren(parent.Name) {
			n := min(max(child.SRIOVNumVFs, 0), len(rest))
			mine := rest[len(rest)-n:]
			rest = rest[:len(rest)-n]
			c.split(child, mine, out, depth-1)
		}
	}
	out[parent.ID] = append([]string{}, rest...)
}

// VFAddresses computes, from the ports' reports, the VF PCI addresses each
// pci-sriov interface (ethernet or vf) of the host owns, by interface id.
func (c HostConfig) VFAddresses() map[string][]string {
	out := map[string][]string{}
	for _, i := range c.Interfaces {
		if i.Type != IfTypeEthernet || i.Class != IfClassPCISRIOV {
			continue
		}
		p, ok := c.Port(i.PortID)
		if !ok {
			continue
		}
		for id, a := range SplitVFs(c, i.ID, p.SRIOVVFsPCIAddress) {
			out[id] = a
		}
	}
	return out
}

// ownedVFs is the number of VFs an interface keeps for itself: its
// sriov_numvfs less what its VF sub-interfaces take.
func (c HostConfig) ownedVFs(i Interface) int {
	n := i.SRIOVNumVFs
	for _, ch := range c.vfChildren(i.Name) {
		n -= max(ch.SRIOVNumVFs, 0)
	}
	return max(n, 0)
}

// txRateTotal sums max_tx_rate x owned VFs over the vf interfaces whose
// root port is p: every VF of the PF shares its link.
func (c HostConfig) txRateTotal(p Port) int {
	total := 0
	for _, i := range c.Interfaces {
		if i.Type != IfTypeVF || i.MaxTxRate <= 0 {
			continue
		}
		if rp, ok := c.RootPort(i); ok && rp.ID == p.ID {
			total += i.MaxTxRate * c.ownedVFs(i)
		}
	}
	return total
}
