package storetest

import (
	"fmt"

	"vfnet/internal/model"
	"vfnet/internal/store"
)

// Inventory is a host's report: an Intel X710 with two ports (64 VFs each,
// numvfs VFs enabled on the first, bound to iavf) on NUMA node 0 and a
// virtio NIC without SR-IOV.
func Inventory(numvfs int) store.Inventory {
	total := 64
	x710 := func(fn int, name string, vfs int) model.Port {
		p := model.Port{
			Name: name, PCIAddr: fmt.Sprintf("0000:3b:00.%d", fn),
			PVendor: "Intel Corporation [8086]", PDevice: "Ethernet Controller X710 for 10GbE SFP+ [1572]",
			PSVendor: "Intel Corporation [8086]", PSDevice: "Ethernet Converged Network Adapter X710-2 [0007]",
			Driver: "i40e", NUMANode: 0, MAC: fmt.Sprintf("3c:fd:fe:00:00:0%d", fn), MTU: 1500, Speed: 10000, Link: "up",
			SRIOVTotalVFs: &total, SRIOVNumVFs: vfs, SRIOVVFsPCIAddress: []string{},
			SRIOVVFPDeviceID: "154c", SRIOVDriversAutoprobe: true,
		}
		for i := range vfs {
			p.SRIOVVFsPCIAddress = append(p.SRIOVVFsPCIAddress, fmt.Sprintf("0000:3b:%02x.%d", 2+(fn*64+i)/8, (fn*64+i)%8))
		}
		if vfs > 0 {
			p.SRIOVVFDriver = "iavf"
		}
		return p
	}
	return store.Inventory{
		Ports: []model.Port{
			x710(0, "enp59s0f0", numvfs),
			x710(1, "enp59s0f1", 0),
			{Name: "ens3", PCIAddr: "0000:00:03.0", PVendor: "Red Hat, Inc. [1af4]", PDevice: "Virtio network device [1000]",
				Driver: "virtio-pci", NUMANode: -1, MAC: "52:54:00:12:34:56", MTU: 1500, Speed: -1, Link: "up",
				SRIOVVFsPCIAddress: []string{}},
		},
		NUMANodes: []model.NUMANode{{ID: 0, CPUList: "0-7"}, {ID: 1, CPUList: "8-15"}},
	}
}
