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
		p := inventory.Port{
			Name: name, PCIAddr: fmt.Sprintf("0000:3b:00.%d", fn),
			PVendor: "Intel Corporation [8086]", PDevice: "Ethernet Controller X710 for 10GbE SFP+ [1572]",
			PSVendor: "Intel Corporation [8086]", PSDevice: "Ethernet Converged Network Adapter X710-2 [0007]",
			Driver: "i40e", NUMANode: 0, MAC: fmt.Sprintf("3c:fd:fe:00:00:0%d", fn), MTU: 1500, Speed: 10000, Link: "up",
			SRIOVTotalVFs: ptr(64), SRIOVNumVFs: ptr(vfs), SRIOVVFsPCIAddress: []string{},
			SRIOVVFPDeviceID: ptr("154c"), SRIOVDriversAutoprobe: ptr(true), VFs: []inventory.VF{},
		}
		for i := range vfs {
			addr := fmt.Sprintf("0000:3b:%02x.%d", 2+(fn*64+i)/8, (fn*64+i)%8)
			p.SRIOVVFsPCIAddress = append(p.SRIOVVFsPCIAddress, addr)
			p.VFs = append(p.VFs, inventory.VF{Index: i, PCIAddr: addr, Driver: "iavf"})
		}
		if vfs > 0 {
			p.SRIOVVFDriver = ptr("iavf")
		}
		return p
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
