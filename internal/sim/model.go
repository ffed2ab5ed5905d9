package sim

import (
	"fmt"
	"sort"
	"strings"
)

// Model is a NIC (or other PCI function) the simulator can install, as data:
// everything that differs between real devices lives here, so that no code
// path of the simulator names a device.
type Model struct {
	Name        string `json:"name"`        // what --nic names: x710, igb, ...
	Description string `json:"description"` // as lspci would name it

	Vendor    uint16 `json:"vendor"`
	Device    uint16 `json:"device"`
	SubVendor uint16 `json:"subsystem_vendor"`
	SubDevice uint16 `json:"subsystem_device"`
	Class     uint32 `json:"class"`

	// PFDriver binds the function when the host is created.
	PFDriver string `json:"pf_driver"`
	// Netdev is true when the PF driver registers a network interface.
	Netdev bool `json:"netdev"`
	// NetdevParent names the intermediate device a netdev hangs under, as
	// virtio-net's does (<BDF>/virtio<N>/net/eth0); "" puts it at <BDF>/net.
	NetdevParent string `json:"netdev_parent,omitempty"`
	MACPrefix    string `json:"mac_prefix"` // OUI the simulated PF MACs start with
	Speed        int    `json:"speed"`      // Mbps with the link up
	MaxMTU       int    `json:"max_mtu"`
	// MaxPorts is how many functions (.0, .1, ...) one card has.
	MaxPorts int `json:"max_ports"`

	SRIOV *SRIOVModel `json:"sriov,omitempty"` // nil: no SR-IOV capability
}

// SRIOVModel is a model's SR-IOV capability and its drivers' behaviour.
type SRIOVModel struct {
	VFDevice uint16 `json:"vf_device"`
	VFDriver string `json:"vf_driver"`
	VFNetdev bool   `json:"vf_netdev"` // the VF driver registers a netdev
	// TotalVFs is the capability's TotalVFs, what sriov_totalvfs reads while
	// no driver is bound; DriverTotalVFs is what the PF driver lowers it to
	// (pci_sriov_set_totalvfs), 0 when it does not.
	TotalVFs       int `json:"totalvfs"`
	DriverTotalVFs int `json:"driver_totalvfs,omitempty"`
	// Offsets holds First VF Offset per function: firmware gives each port
	// its own so that the ports' VF ranges do not overlap.
	Offsets []int `json:"offsets"`
	Stride  int   `json:"stride"`
	// Configure is true when the PF driver implements .sriov_configure;
	// without it every sriov_numvfs change is ENOENT.
	Configure bool `json:"configure"`
	// KeepVFsOnUnbind: the PF driver's remove leaves SR-IOV enabled (nvme);
	// NIC drivers disable VFs when they unbind.
	KeepVFsOnUnbind bool `json:"keep_vfs_on_unbind,omitempty"`
	// KeepVFSettings: VF MAC/VLAN/... survive numvfs N -> 0 -> N.
	KeepVFSettings bool `json:"keep_vf_settings,omitempty"`
	// InitialSpoofChk is a new VF's spoof checking.
	InitialSpoofChk bool `json:"initial_spoofchk"`
	// Ops is what the PF driver's ndo_set_vf_* support; all false when the
	// PF has no netdev.
	Ops VFOps `json:"ops"`
}

// VFOps says which VF attributes a PF driver can set. A missing operation is
// EOPNOTSUPP; a supported one with a value the driver refuses is EINVAL or
// EPROTONOSUPPORT.
type VFOps struct {
	MAC      bool `json:"mac"`
	VLAN     bool `json:"vlan"`
	QinQ     bool `json:"qinq"`     // VLAN protocol 802.1ad; else EPROTONOSUPPORT
	Rate     bool `json:"rate"`     // max_tx_rate
	MinRate  bool `json:"min_rate"` // non-zero min_tx_rate; else EINVAL
	SpoofChk bool `json:"spoofchk"`
	Link     bool `json:"link_state"`
	Trust    bool `json:"trust"`
	// RateNeedsLink: the driver refuses any VF rate (EINVAL) while the PF's
	// link is down, administratively or not: igb_ndo_set_vf_bw checks the
	// link, as the QEMU lab saw on igb (docs/conformance.md).
	RateNeedsLink bool `json:"rate_needs_link,omitempty"`
}

// Models returns the built-in catalogue, a fresh copy each call.
func Models() []Model {
	nicOps := VFOps{MAC: true, VLAN: true, Rate: true, SpoofChk: true, Link: true, Trust: true}
	with := func(o VFOps, f func(*VFOps)) VFOps { f(&o); return o }
	return []Model{
		{
			Name: "x710", Description: "Intel Ethernet Controller X710 for 10GbE SFP+",
			Vendor: 0x8086, Device: 0x1572, SubVendor: 0x8086, SubDevice: 0x0007, Class: 0x020000,
			PFDriver: "i40e", Netdev: true, MACPrefix: "3c:fd:fe", Speed: 10000, MaxMTU: 9702, MaxPorts: 2,
			SRIOV: &SRIOVModel{
				VFDevice: 0x154c, VFDriver: "iavf", VFNetdev: true, TotalVFs: 64,
				// Port 1's VFs start after port 0's 64: rid 0x01 + 79 = rid 0x00 + 16 + 64.
				Offsets: []int{16, 79}, Stride: 1, Configure: true, InitialSpoofChk: true,
				Ops: nicOps, // i40e: 802.1ad EPROTONOSUPPORT, min_tx_rate EINVAL
			},
		},
		{
			Name: "e810", Description: "Intel Ethernet Controller E810-C for QSFP",
			Vendor: 0x8086, Device: 0x1592, SubVendor: 0x8086, SubDevice: 0x0002, Class: 0x020000,
			PFDriver: "ice", Netdev: true, MACPrefix: "b4:96:91", Speed: 100000, MaxMTU: 9702, MaxPorts: 2,
			SRIOV: &SRIOVModel{
				VFDevice: 0x1889, VFDriver: "iavf", VFNetdev: true, TotalVFs: 256,
				Offsets: []int{8, 263}, Stride: 1, Configure: true, InitialSpoofChk: true,
				Ops: with(nicOps, func(o *VFOps) { o.QinQ = true; o.MinRate = true }),
			},
		},
		{
			Name: "82599", Description: "Intel 82599ES 10-Gigabit SFI/SFP+ Network Connection",
			Vendor: 0x8086, Device: 0x10fb, SubVendor: 0x8086, SubDevice: 0x000c, Class: 0x020000,
			PFDriver: "ixgbe", Netdev: true, MACPrefix: "90:e2:ba", Speed: 10000, MaxMTU: 9710, MaxPorts: 2,
			SRIOV: &SRIOVModel{
				VFDevice: 0x10ed, VFDriver: "ixgbevf", VFNetdev: true, TotalVFs: 63,
				// Both ports use offset 128, stride 2: their VFs interleave.
				Offsets: []int{128, 128}, Stride: 2, Configure: true, InitialSpoofChk: true,
				Ops: nicOps,
			},
		},
		{
			Name: "cx5", Description: "Mellanox Technologies MT27800 Family [ConnectX-5]",
			Vendor: 0x15b3, Device: 0x1017, SubVendor: 0x15b3, SubDevice: 0x0007, Class: 0x020000,
			PFDriver: "mlx5_core", Netdev: true, MACPrefix: "b8:59:9f", Speed: 25000, MaxMTU: 9978, MaxPorts: 2,
			SRIOV: &SRIOVModel{
				VFDevice: 0x1018, VFDriver: "mlx5_core", VFNetdev: true, TotalVFs: 8,
				Offsets: []int{2, 9}, Stride: 1, Configure: true, InitialSpoofChk: false,
				Ops: with(nicOps, func(o *VFOps) { o.MinRate = true }),
			},
		},
		{
			// QEMU's -device igb: the transcripts in shared/testdata were taken on it
			// (its subsystem ids are QEMU's, Red Hat 1af4:1100, as the lab sees).
			Name: "igb", Description: "Intel 82576 Gigabit Network Connection",
			Vendor: 0x8086, Device: 0x10c9, SubVendor: 0x1af4, SubDevice: 0x1100, Class: 0x020000,
			PFDriver: "igb", Netdev: true, MACPrefix: "52:54:00", Speed: 1000, MaxMTU: 9216, MaxPorts: 2,
			SRIOV: &SRIOVModel{
				VFDevice: 0x10ca, VFDriver: "igbvf", VFNetdev: true, TotalVFs: 8, DriverTotalVFs: 7,
				Offsets: []int{128, 128}, Stride: 2, Configure: true, InitialSpoofChk: true,
				Ops: with(nicOps, func(o *VFOps) { o.Link = false; o.RateNeedsLink = true }),
			},
		},
		{
			// QEMU's -device nvme with sriov_max_vfs=4: a PF without a netdev
			// whose driver uses pci_sriov_configure_simple.
			Name: "nvme", Description: "Red Hat, Inc. QEMU NVM Express Controller",
			Vendor: 0x1b36, Device: 0x0010, SubVendor: 0x1af4, SubDevice: 0x1100, Class: 0x010802,
			PFDriver: "nvme", MaxPorts: 1,
			SRIOV: &SRIOVModel{
				VFDevice: 0x0010, VFDriver: "nvme", TotalVFs: 4,
				Offsets: []int{1}, Stride: 1, Configure: true, KeepVFsOnUnbind: true,
			},
		},
		{
			// A virtio-net function as QEMU/KVM guests have it: no SR-IOV, its
			// netdev under the virtio device.
			Name: "virtio", Description: "Red Hat, Inc. Virtio 1.0 network device",
			Vendor: 0x1af4, Device: 0x1041, SubVendor: 0x1af4, SubDevice: 0x1100, Class: 0x020000,
			PFDriver: "virtio-pci", Netdev: true, NetdevParent: "virtio", MACPrefix: "52:54:00",
			Speed: -1, MaxMTU: 65535, MaxPorts: 1,
		},
	}
}

// ModelNames lists the built-in models' names, sorted.
func ModelNames() []string {
	var names []string
	for _, m := range Models() {
		names = append(names, m.Name)
	}
	sort.Strings(names)
	return names
}

// LookupModel returns the model called name from extra, then from the
// built-in catalogue.
func LookupModel(name string, extra ...Model) (Model, error) {
	for _, m := range extra {
		if m.Name == name {
			return m, nil
		}
	}
	for _, m := range Models() {
		if m.Name == name {
			return m, nil
		}
	}
	known := ModelNames()
	for _, m := range extra {
		known = append(known, m.Name)
	}
	return Model{}, fmt.Errorf("unknown NIC model %q: known models are %s", name, strings.Join(known, ", "))
}

// Validate checks that a model's data is usable.
func (m Model) Validate() error {
	switch {
	case m.Name == "":
		return fmt.Errorf("model has no name")
	case m.PFDriver == "":
		return fmt.Errorf("model %s has no PF driver", m.Name)
	case m.MaxPorts < 1:
		return fmt.Errorf("model %s: max ports %d, want at least 1", m.Name, m.MaxPorts)
	}
	if s := m.SRIOV; s != nil {
		switch {
		case s.TotalVFs < 1 || s.TotalVFs > 0xffff:
			return fmt.Errorf("model %s: TotalVFs %d out of range 1-65535", m.Name, s.TotalVFs)
		case s.DriverTotalVFs < 0 || s.DriverTotalVFs > s.TotalVFs:
			return fmt.Errorf("model %s: driver TotalVFs %d above hardware %d", m.Name, s.DriverTotalVFs, s.TotalVFs)
		case len(s.Offsets) < m.MaxPorts:
			return fmt.Errorf("model %s: %d VF offsets for %d ports", m.Name, len(s.Offsets), m.MaxPorts)
		case s.Stride < 1:
			return fmt.Errorf("model %s: VF stride %d, want at least 1", m.Name, s.Stride)
		case s.VFDriver == "":
			return fmt.Errorf("model %s has no VF driver", m.Name)
		}
	}
	return nil
}
