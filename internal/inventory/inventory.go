// Package inventory turns what a host's kernel holds into the report the
// control plane stores (spec/host-config.md, "port"): one port per network
// PF with names from pci.ids, its VFs beneath it, and the NUMA nodes. VFs
// are never ports of their own.
package inventory

import (
	"fmt"

	"vfnet/internal/kernel"
	"vfnet/internal/pciids"
)

// Report is a host's inventory.
type Report struct {
	Ports     []Port            `json:"ports"`
	NUMANodes []kernel.NUMANode `json:"numa_nodes"`
}

// Port is a physical NIC port as the StarlingX host-port model shows it.
// The sriov_* fields are null when the port has no SR-IOV capability.
type Port struct {
	Name     string `json:"name"` // netdev; "" when no netdev driver is bound
	PCIAddr  string `json:"pciaddr"`
	PVendor  string `json:"pvendor"`  // "Intel Corporation [8086]"
	PDevice  string `json:"pdevice"`  // "Intel Corporation Ethernet Controller X710 for 10GbE SFP+ [1572]"
	PSVendor string `json:"psvendor"` // subsystem vendor
	PSDevice string `json:"psdevice"` // subsystem device (the board)
	Driver   string `json:"driver"`
	NUMANode int    `json:"numa_node"` // -1 when unknown
	MAC      string `json:"mac"`
	MTU      int    `json:"mtu"`
	Speed    int    `json:"speed"` // Mbps, -1 when unknown
	Link     string `json:"link"`  // operstate

	SRIOVTotalVFs *int `json:"sriov_totalvfs"`
	SRIOVNumVFs   *int `json:"sriov_numvfs"`
	// SRIOVVFsPCIAddress lists the VFs in virtfn order; empty without VFs.
	SRIOVVFsPCIAddress []string `json:"sriov_vfs_pci_address"`
	// SRIOVVFDriver is the driver every VF is bound to; null when there are
	// no VFs, when some VF is unbound or when the VFs' drivers differ (the
	// agent is then in the middle of rebinding; the VFs list says which).
	SRIOVVFDriver         *string `json:"sriov_vf_driver"`
	SRIOVVFPDeviceID      *string `json:"sriov_vf_pdevice_id"` // "154c"
	SRIOVDriversAutoprobe *bool   `json:"sriov_drivers_autoprobe"`

	VFs []VF `json:"vfs"` // empty without VFs
}

// VF is one VF of a port.
type VF struct {
	Index          int    `json:"index"`
	PCIAddr        string `json:"pciaddr"`
	Driver         string `json:"driver"`
	DriverOverride string `json:"driver_override"`
	Name           string `json:"name"` // netdev, "" unless a netdev driver is bound
	// Settings are the PF's rtnetlink view of the VF (MAC, VLAN, rates,
	// spoof check, trust, link state); null when the kernel did not say.
	Settings *kernel.VFInfo `json:"settings"`
}

// Build makes the report of host h, naming ids with names (nil: ids only).
func Build(h *kernel.Host, names *pciids.DB) Report {
	r := Report{Ports: []Port{}, NUMANodes: []kernel.NUMANode{}}
	if h == nil {
		return r
	}
	r.NUMANodes = append(r.NUMANodes, h.NUMANodes...)
	for _, pf := range h.PFs {
		r.Ports = append(r.Ports, port(pf, names))
	}
	return r
}

func port(pf kernel.PF, names *pciids.DB) Port {
	p := Port{
		Name:               pf.Ifname,
		PCIAddr:            pf.PCIAddr,
		PVendor:            names.Vendor(pf.Vendor),
		PDevice:            names.Device(pf.Vendor, pf.Device),
		PSVendor:           names.Vendor(pf.SubVendor),
		PSDevice:           names.Subsystem(pf.Vendor, pf.Device, pf.SubVendor, pf.SubDevice),
		Driver:             pf.Driver,
		NUMANode:           pf.NUMANode,
		MAC:                pf.MAC,
		MTU:                pf.MTU,
		Speed:              pf.Speed,
		Link:               pf.Oper,
		SRIOVVFsPCIAddress: []string{},
		VFs:                []VF{},
	}
	s := pf.SRIOV
	if s == nil {
		return p
	}
	p.SRIOVTotalVFs = ptr(s.TotalVFs)
	p.SRIOVNumVFs = ptr(s.NumVFs)
	p.SRIOVVFPDeviceID = ptr(fmt.Sprintf("%04x", s.VFDevice))
	p.SRIOVDriversAutoprobe = ptr(s.Autoprobe)
	for _, vf := range s.VFs {
		p.SRIOVVFsPCIAddress = append(p.SRIOVVFsPCIAddress, vf.PCIAddr)
		p.VFs = append(p.VFs, VF{
			Index:          vf.Index,
			PCIAddr:        vf.PCIAddr,
			Driver:         vf.Driver,
			DriverOverride: vf.DriverOverride,
			Name:           vf.Ifname,
			Settings:       copyInfo(vf.Info),
		})
	}
	p.SRIOVVFDriver = commonDriver(s.VFs)
	return p
}

// commonDriver is the driver all VFs share, nil if none or mixed.
func commonDriver(vfs []kernel.VF) *string {
	if len(vfs) == 0 || vfs[0].Driver == "" {
		return nil
	}
	for _, vf := range vfs[1:] {
		if vf.Driver != vfs[0].Driver {
			return nil
		}
	}
	return ptr(vfs[0].Driver)
}

// copyInfo keeps the report from sharing memory with the host it came from.
func copyInfo(i *kernel.VFInfo) *kernel.VFInfo {
	if i == nil {
		return nil
	}
	return ptr(*i)
}

func ptr[T any](v T) *T { return &v }
