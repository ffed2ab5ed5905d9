package model

import "sort"

// DesiredPF is what the agent applies to one PF that an interface claims.
type DesiredPF struct {
	Interface string  `json:"ifname"`
	Port      string  `json:"port"`    // netdev name
	PCIAddr   string  `json:"pciaddr"` // the PF
	Class     IfClass `json:"ifclass"` // pci-sriov or pci-passthrough
	// NumVFs is sriov_numvfs to write: 0 for pci-passthrough.
	NumVFs int `json:"sriov_numvfs"`
	MTU    int `json:"mtu"`
	// Pools splits the VFs: the pci-sriov interface's own pool first, then
	// its VF sub-interfaces in the order they take VFs. Empty for
	// pci-passthrough.
	Pools []DesiredVFPool `json:"pools"`
}

// DesiredVFPool is one interface's share of a PF's VFs.
type DesiredVFPool struct {
	Interface string   `json:"ifname"`
	NumVFs    int      `json:"sriov_numvfs"` // VFs this interface keeps for itself
	Driver    VFDriver `json:"sriov_vf_driver"`
	MTU       int      `json:"mtu"`
	MaxTxRate int      `json:"max_tx_rate"` // Mbps per VF, 0 for no limit
	// VFs are the pool's VF addresses from the port's last report; fewer
	// than NumVFs until the agent has created the VFs (then SplitVFs on
	// the observed list gives them).
	VFs          []string `json:"vfs"`
	DataNetworks []string `json:"datanetworks"`
}

// DesiredPFs lists, sorted by PCI address, every PF that a pci-sriov or
// pci-passthrough ethernet interface claims, with what the agent must apply.
// PFs absent from the list need no VFs (the agent sets them back to 0 unless
// a VF is bound).
func (c HostConfig) DesiredPFs() []DesiredPF {
	vfs := c.VFAddresses()
	var out []DesiredPF
	for _, i := range c.Interfaces {
		if i.Type != IfTypeEthernet || (i.Class != IfClassPCISRIOV && i.Class != IfClassPCIPassthrough) {
			continue
		}
		p, ok := c.Port(i.PortID)
		if !ok {
			continue
		}
		d := DesiredPF{Interface: i.Name, Port: p.Name, PCIAddr: p.PCIAddr, Class: i.Class, MTU: i.MTU, Pools: []DesiredVFPool{}}
		if i.Class == IfClassPCISRIOV {
			d.NumVFs = i.SRIOVNumVFs
			d.Pools = c.pools(i, vfs, len(c.Interfaces))
		}
		out = append(out, d)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].PCIAddr < out[b].PCIAddr })
	return out
}

func (c HostConfig) pools(i Interface, vfs map[string][]string, depth int) []DesiredVFPool {
	dns := []string{}
	for _, d := range c.Assigned(i.ID) {
		dns = append(dns, d.Name)
	}
	addrs := vfs[i.ID]
	if addrs == nil {
		addrs = []string{}
	}
	out := []DesiredVFPool{{
		Interface: i.Name, NumVFs: c.ownedVFs(i), Driver: i.SRIOVVFDriver, MTU: i.MTU,
		MaxTxRate: i.MaxTxRate, VFs: addrs, DataNetworks: dns,
	}}
	if depth == 0 {
		return out
	}
	for _, k := range c.vfChildren(i.Name) {
		out = append(out, c.pools(k, vfs, depth-1)...)
	}
	return out
}
