package inventory

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/kernel"
	"vfnet/internal/pciids"
)

func x710(numvfs int, vfDrivers ...string) kernel.PF {
	pf := kernel.PF{
		PCIAddr: "0000:3b:00.0", Vendor: 0x8086, Device: 0x1572, SubVendor: 0x8086, SubDevice: 0x0008,
		Class: 0x020000, Driver: "i40e", NUMANode: 0, LocalCPUList: "0-7",
		Ifname: "ens785f0", MAC: "3c:fd:fe:a0:b1:c2", MTU: 1500, Speed: 10000, Oper: "up",
		SRIOV: &kernel.SRIOV{TotalVFs: 64, NumVFs: numvfs, Offset: 16, Stride: 1, VFDevice: 0x154c, Autoprobe: true, VFs: []kernel.VF{}},
	}
	for i := range numvfs {
		addr, _ := kernel.VFAddress(pf.PCIAddr, 16, 1, i)
		pf.SRIOV.VFs = append(pf.SRIOV.VFs, kernel.VF{Index: i, PCIAddr: addr, Driver: vfDrivers[i]})
	}
	return pf
}

func TestBuild(t *testing.T) {
	names := pciids.Open(filepath.Join("..", "pciids", "testdata", "pci.ids"))
	info := &kernel.VFInfo{VF: 1, MAC: "fa:16:3e:00:00:01", VLAN: 100, SpoofChk: true, LinkState: kernel.LinkAuto}

	withInfo := x710(2, "iavf", "iavf")
	withInfo.SRIOV.VFs[0].Ifname = "ens785f0v0"
	withInfo.SRIOV.VFs[1].Info = info

	x710Port := Port{
		Name: "ens785f0", PCIAddr: "0000:3b:00.0",
		PVendor:  "Intel Corporation [8086]",
		PDevice:  "Intel Corporation Ethernet Controller X710 for 10GbE SFP+ [1572]",
		PSVendor: "Intel Corporation [8086]",
		PSDevice: "Intel Corporation Ethernet Converged Network Adapter X710-2 [0008]",
		Driver:   "i40e", NUMANode: 0, MAC: "3c:fd:fe:a0:b1:c2", MTU: 1500, Speed: 10000, Link: "up",
		SRIOVTotalVFs: ptr(64), SRIOVNumVFs: ptr(2),
		SRIOVVFsPCIAddress: []string{"0000:3b:02.0", "0000:3b:02.1"},
		SRIOVVFDriver:      ptr("iavf"), SRIOVVFPDeviceID: ptr("154c"), SRIOVDriversAutoprobe: ptr(true),
		VFs: []VF{
			{Index: 0, PCIAddr: "0000:3b:02.0", Driver: "iavf", Name: "ens785f0v0"},
			{Index: 1, PCIAddr: "0000:3b:02.1", Driver: "iavf", Settings: info},
		},
	}
	virtio := kernel.PF{PCIAddr: "0000:00:03.0", Vendor: 0x1af4, Device: 0x1000, SubVendor: 0x1af4, SubDevice: 0x0001,
		Driver: "virtio-pci", NUMANode: -1, Ifname: "eth0", MAC: "52:54:00:12:34:56", MTU: 1500, Speed: -1, Oper: "up"}
	virtioPort := Port{Name: "eth0", PCIAddr: "0000:00:03.0",
		PVendor: "Red Hat, Inc. [1af4]", PDevice: "Red Hat, Inc. Virtio network device [1000]",
		PSVendor: "Red Hat, Inc. [1af4]", PSDevice: "[0001]",
		Driver: "virtio-pci", NUMANode: -1, MAC: "52:54:00:12:34:56", MTU: 1500, Speed: -1, Link: "up",
		SRIOVVFsPCIAddress: []string{}, VFs: []VF{}}

	tests := []struct {
		name  string
		host  *kernel.Host
		names *pciids.DB
		want  Report
	}{
		{
			name:  "X710 with two iavf VFs and a virtio NIC",
			host:  &kernel.Host{PFs: []kernel.PF{withInfo, virtio}, NUMANodes: []kernel.NUMANode{{ID: 0, CPUList: "0-7"}}},
			names: names,
			want:  Report{Ports: []Port{x710Port, virtioPort}, NUMANodes: []kernel.NUMANode{{ID: 0, CPUList: "0-7"}}},
		},
		{
			name:  "no host",
			host:  nil,
			names: names,
			want:  Report{Ports: []Port{}, NUMANodes: []kernel.NUMANode{}},
		},
	}
	for _, tt := range tests {
		got := Build(tt.host, tt.names)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Build (-want +got):\n%s", tt.name, diff)
		}
	}

	// The report does not share VF settings with the host.
	r := Build(&kernel.Host{PFs: []kernel.PF{withInfo}}, names)
	r.Ports[0].VFs[1].Settings.VLAN = 7
	if info.VLAN != 100 {
		t.Errorf("changing the report changed the host's VF settings")
	}
}

func TestVFDriver(t *testing.T) {
	tests := []struct {
		name    string
		pf      kernel.PF
		want    *string
		wantIDs []string
	}{
		{"all iavf", x710(3, "iavf", "iavf", "iavf"), ptr("iavf"), []string{"0000:3b:02.0", "0000:3b:02.1", "0000:3b:02.2"}},
		{"all vfio-pci", x710(2, "vfio-pci", "vfio-pci"), ptr("vfio-pci"), []string{"0000:3b:02.0", "0000:3b:02.1"}},
		{"mixed while rebinding", x710(2, "iavf", "vfio-pci"), nil, []string{"0000:3b:02.0", "0000:3b:02.1"}},
		{"one unbound", x710(2, "vfio-pci", ""), nil, []string{"0000:3b:02.0", "0000:3b:02.1"}},
		{"all unbound", x710(2, "", ""), nil, []string{"0000:3b:02.0", "0000:3b:02.1"}},
		{"SR-IOV at 0 VFs", x710(0), nil, []string{}},
	}
	for _, tt := range tests {
		p := Build(&kernel.Host{PFs: []kernel.PF{tt.pf}}, nil).Ports[0]
		if !cmp.Equal(tt.want, p.SRIOVVFDriver) || !slices.Equal(tt.wantIDs, p.SRIOVVFsPCIAddress) {
			t.Errorf("%s: sriov_vf_driver %v, VFs %v; want %v, %v", tt.name, deref(p.SRIOVVFDriver), p.SRIOVVFsPCIAddress, deref(tt.want), tt.wantIDs)
		}
		if p.PDevice != "[1572]" || p.PVendor != "[8086]" {
			t.Errorf("%s: without pci.ids names are %q %q, want [8086] [1572]", tt.name, p.PVendor, p.PDevice)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestJSONFields pins the port object's field names: the control plane
// stores them as they are.
func TestJSONFields(t *testing.T) {
	for _, pf := range []kernel.PF{x710(1, "iavf"), {PCIAddr: "0000:00:03.0", NUMANode: -1}} {
		b, err := json.Marshal(Build(&kernel.Host{PFs: []kernel.PF{pf}}, nil))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Ports     []map[string]json.RawMessage `json:"ports"`
			NUMANodes json.RawMessage              `json:"numa_nodes"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range doc.Ports[0] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := []string{"driver", "link", "mac", "mtu", "name", "numa_node", "pciaddr", "pdevice", "psdevice", "psvendor", "pvendor",
			"speed", "sriov_drivers_autoprobe", "sriov_numvfs", "sriov_totalvfs", "sriov_vf_driver", "sriov_vf_pdevice_id",
			"sriov_vfs_pci_address", "vfs"}
		if diff := cmp.Diff(want, keys); diff != "" {
			t.Errorf("port JSON keys of %s (-want +got):\n%s", pf.PCIAddr, diff)
		}
		if pf.SRIOV == nil && string(doc.Ports[0]["sriov_totalvfs"]) != "null" {
			t.Errorf("sriov_totalvfs = %s without SR-IOV, want null", doc.Ports[0]["sriov_totalvfs"])
		}
		if string(doc.NUMANodes) != "[]" {
			t.Errorf("numa_nodes = %s, want []", doc.NUMANodes)
		}
	}
}
