package storetest

import (
	"fmt"

	"vfnet/internal/inventory"
	"vfnet/internal/kernel"
)

// Inventory is a host's report: an Intel X710 with two ports (64 VFs each,
// numvfs VFs enabled on the first, bound to iavf) on NUMA node 0 and a
// virtio NIC without SR-IOV.
func Inventory(numvfs int) inventory.Report {
	x710 := func(fn int, name string, vfs int) inventory.Port {
		addrs := make([]string, vfs)
		for i := range addrs {
			addrs[i] = fmt.Sprintf("0000:3b:%02x.%d", 2+(fn*64+i)/8, (fn*64+i)%8)
		}
		return x710Port(name, fmt.Sprintf("0000:3b:00.%d", fn), 0, fmt.Sprintf("3c:fd:fe:00:00:0%d", fn), addrs)
	}
	return inventory.Report{
		Ports: []inventory.Port{
			x710(0, "enp59s0f0", numvfs),
			x710(1, "enp59s0f1", 0),
			{Name: "ens3", PCIAddr: "0000:00:03.0", PVendor: "Red Hat, Inc. [1af4]", PDevice: "Virtio network device [1000]",
				Driver: "virtio-pci", NUMANode: -1, MAC: "52:54:00:12:34:56", MTU: 1500, Speed: -1, Link: "up",
				SRIOVVFsPCIAddress: []string{}, VFs: []inventory.VF{}},
		},
		NUMANodes: []kernel.NUMANode{{ID: 0, CPUList: "0-7"}, {ID: 1, CPUList: "8-15"}},
	}
}

// x710Port is an Intel X710 port (64 VFs at most, i40e) at pciaddr on NUMA
// node node, with the VFs at vfs enabled and bound to iavf.
func x710Port(name, pciaddr string, node int, mac string, vfs []string) inventory.Port {
	p := inventory.Port{
		Name: name, PCIAddr: pciaddr,
		PVendor: "Intel Corporation [8086]", PDevice: "Ethernet Controller X710 for 10GbE SFP+ [1572]",
		PSVendor: "Intel Corporation [8086]", PSDevice: "Ethernet Converged Network Adapter X710-2 [0007]",
		Driver: "i40e", NUMANode: node, MAC: mac, MTU: 1500, Speed: 10000, Link: "up",
		SRIOVTotalVFs: ptr(64), SRIOVNumVFs: ptr(len(vfs)), SRIOVVFsPCIAddress: []string{},
		SRIOVVFPDeviceID: ptr("154c"), SRIOVDriversAutoprobe: ptr(true), VFs: []inventory.VF{},
	}
	for i, addr := range vfs {
		p.SRIOVVFsPCIAddress = append(p.SRIOVVFsPCIAddress, addr)
		p.VFs = append(p.VFs, inventory.VF{Index: i, PCIAddr: addr, Driver: "iavf"})
	}
	if len(vfs) > 0 {
		p.SRIOVVFDriver = ptr("iavf")
	}
	return p
}
