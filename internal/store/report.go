package store

import (
	"vfnet/internal/inventory"
	"vfnet/internal/model"
)

// fromReport turns the agent's inventory report into the ports and NUMA
// nodes the store keeps. A function without SR-IOV reports its SR-IOV
// fields as null: the store keeps 0 VFs and no VF driver for it.
func fromReport(r inventory.Report) reported {
	inv := reported{Ports: make([]model.Port, 0, len(r.Ports)), NUMANodes: make([]model.NUMANode, 0, len(r.NUMANodes))}
	for _, p := range r.Ports {
		inv.Ports = append(inv.Ports, model.Port{
			Name: p.Name, PCIAddr: p.PCIAddr, PVendor: p.PVendor, PDevice: p.PDevice, PSVendor: p.PSVendor,
			PSDevice: p.PSDevice, Driver: p.Driver, NUMANode: p.NUMANode, MAC: p.MAC, MTU: p.MTU, Speed: p.Speed,
			Link: p.Link, SRIOVTotalVFs: p.SRIOVTotalVFs, SRIOVNumVFs: deref(p.SRIOVNumVFs),
			SRIOVVFsPCIAddress: p.SRIOVVFsPCIAddress, SRIOVVFDriver: deref(p.SRIOVVFDriver),
			SRIOVVFPDeviceID: deref(p.SRIOVVFPDeviceID), SRIOVDriversAutoprobe: deref(p.SRIOVDriversAutoprobe),
		})
	}
	for _, n := range r.NUMANodes {
		inv.NUMANodes = append(inv.NUMANodes, model.NUMANode{ID: n.ID, CPUList: n.CPUList})
	}
	return inv
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
