// Package model holds the control plane's domain types for host interface
// configuration (hosts, host ports, interfaces, data networks and their
// assignments) and every rule of spec/host-config.md as plain functions over
// plain values: no I/O, no clocks, no package state. The store calls a rule
// inside its transaction with the host's current objects (a HostConfig) and
// persists what the rule returns; the API maps the rule's error class to an
// HTTP status in one place.
//
// JSON names follow StarlingX's sysinv API (ifname, iftype, ifclass, imtu,
// uses, used_by, sriov_numvfs ...) so that operators who know the `system`
// CLI recognise every field.
package model

import "time"

// Personality is a host's role.
type Personality string

const (
	PersonalityController Personality = "controller"
	PersonalityWorker     Personality = "worker"
)

// Valid reports whether p is a known personality.
func (p Personality) Valid() bool {
	return p == PersonalityController || p == PersonalityWorker
}

// AdminState is a host's administrative state; interfaces and data network
// assignments change only while it is locked.
type AdminState string

const (
	AdminLocked   AdminState = "locked"
	AdminUnlocked AdminState = "unlocked"
)

// Valid reports whether s is a known administrative state.
func (s AdminState) Valid() bool { return s == AdminLocked || s == AdminUnlocked }

// OperState says whether a host's agent is alive and has converged to the
// host's desired revision.
type OperState string

const (
	OperEnabled  OperState = "enabled"
	OperDisabled OperState = "disabled"
)

// Valid reports whether s is a known operational state.
func (s OperState) Valid() bool { return s == OperEnabled || s == OperDisabled }

// IfType is an interface's type.
type IfType string

const (
	IfTypeEthernet IfType = "ethernet"
	IfTypeAE       IfType = "ae"
	IfTypeVLAN     IfType = "vlan"
	IfTypeVF       IfType = "vf"
)

// Valid reports whether t is a known interface type.
func (t IfType) Valid() bool {
	switch t {
	case IfTypeEthernet, IfTypeAE, IfTypeVLAN, IfTypeVF:
		return true
	}
	return false
}

// IfClass is an interface's class: what the interface is used for.
type IfClass string

const (
	IfClassNone           IfClass = "none"
	IfClassPlatform       IfClass = "platform"
	IfClassData           IfClass = "data"
	IfClassPCISRIOV       IfClass = "pci-sriov"
	IfClassPCIPassthrough IfClass = "pci-passthrough"
)

// Valid reports whether c is a known interface class.
func (c IfClass) Valid() bool {
	switch c {
	case IfClassNone, IfClassPlatform, IfClassData, IfClassPCISRIOV, IfClassPCIPassthrough:
		return true
	}
	return false
}

// VFDriver is the driver an interface's VFs are bound to. The empty value
// means "none": VFs keep whatever the kernel probes (the NIC's VF driver).
type VFDriver string

const (
	VFDriverNone      VFDriver = ""
	VFDriverNetdevice VFDriver = "netdevice" // the NIC's own VF driver: iavf, ixgbevf, mlx5_core ...
	VFDriverVFIO      VFDriver = "vfio"      // vfio-pci, for DPDK or device assignment
)

// Valid reports whether d is a known VF driver, "" included.
func (d VFDriver) Valid() bool {
	return d == VFDriverNone || d == VFDriverNetdevice || d == VFDriverVFIO
}

// AEMode is an aggregated-ethernet interface's bonding mode, as StarlingX
// names them.
type AEMode string

const (
	AEModeActiveStandby AEMode = "active_standby"
	AEModeBalanced      AEMode = "balanced"
	AEMode8023ad        AEMode = "802.3ad"
)

// Valid reports whether m is a known AE mode.
func (m AEMode) Valid() bool {
	switch m {
	case AEModeActiveStandby, AEModeBalanced, AEMode8023ad:
		return true
	}
	return false
}

// NetworkType is a data network's type.
type NetworkType string

const (
	NetworkTypeFlat NetworkType = "flat"
	NetworkTypeVLAN NetworkType = "vlan"
)

// Valid reports whether t is a known data network type.
func (t NetworkType) Valid() bool { return t == NetworkTypeFlat || t == NetworkTypeVLAN }

// Limits of spec/host-config.md.
const (
	MinMTU     = 576
	MaxMTU     = 9216
	DefaultMTU = 1500
	MinVLANID  = 1
	MaxVLANID  = 4094
	// MaxTxRatePercent is the share of a port's link speed the VF rate
	// limits of one parent interface may add up to.
	MaxTxRatePercent = 90
)

// NUMANode is one NUMA node of a host and its CPUs.
type NUMANode struct {
	ID      int    `json:"id"`
	CPUList string `json:"cpulist"` // as the kernel prints it: "0-7,16-23"
}

// Host is a server running a vfnet agent.
type Host struct {
	ID             string      `json:"id"` // uuid
	Hostname       string      `json:"hostname"`
	Personality    Personality `json:"personality"`
	Administrative AdminState  `json:"administrative"`
	Operational    OperState   `json:"operational"`
	// LastReport is when the agent last reported; zero if it never did.
	LastReport time.Time  `json:"last_report,omitzero"`
	NUMANodes  []NUMANode `json:"numa_nodes"`
	// DesiredRevision increases each time the host's desired state changes
	// (unlock, a claim, a release); the agent long-polls on it.
	DesiredRevision int64 `json:"desired_revision"`
	// AppliedRevision is the last desired revision the agent reported as
	// applied.
	AppliedRevision int64 `json:"applied_revision"`
}

// Port is a physical NIC port (a PCI function that is not a VF) as the agent
// reports it. Operators cannot create or edit one. JSON names match the
// agent's inventory report.
type Port struct {
	ID       string `json:"id"` // uuid
	HostID   string `json:"host_id"`
	Name     string `json:"name"`    // netdev name: enp59s0f0
	PCIAddr  string `json:"pciaddr"` // 0000:3b:00.0
	PVendor  string `json:"pvendor"` // "Intel Corporation [8086]"
	PDevice  string `json:"pdevice"` // "Ethernet Controller X710 for 10GbE SFP+ [1572]"
	PSVendor string `json:"psvendor"`
	PSDevice string `json:"psdevice"`
	Driver   string `json:"driver"`
	NUMANode int    `json:"numa_node"` // -1 when unknown
	MAC      string `json:"mac"`
	MTU      int    `json:"mtu"`
	Speed    int    `json:"speed"` // Mbps; -1 or 0 when unknown
	Link     string `json:"link"`  // operstate: up, down, unknown
	// SRIOVTotalVFs is nil when the NIC has no SR-IOV capability.
	SRIOVTotalVFs *int `json:"sriov_totalvfs"`
	// SRIOVNumVFs is the number of VFs the host actually has now.
	SRIOVNumVFs int `json:"sriov_numvfs"`
	// SRIOVVFsPCIAddress lists the VFs' PCI addresses in virtfn order.
	SRIOVVFsPCIAddress []string `json:"sriov_vfs_pci_address"`
	// SRIOVVFDriver is the kernel driver bound to the VFs ("" when unbound
	// or mixed: see VFDriverMatches).
	SRIOVVFDriver         string `json:"sriov_vf_driver"`
	SRIOVVFPDeviceID      string `json:"sriov_vf_pdevice_id"` // "154c"
	SRIOVDriversAutoprobe bool   `json:"sriov_drivers_autoprobe"`
	// InterfaceID is the ethernet interface using this port; "" if none.
	// Computed by the store from the interfaces.
	InterfaceID string `json:"interface_id,omitempty"`
}

// Interface is an operator-configured network interface of a host.
type Interface struct {
	ID     string  `json:"id"` // uuid
	HostID string  `json:"host_id"`
	Name   string  `json:"ifname"` // unique per host
	Type   IfType  `json:"iftype"`
	Class  IfClass `json:"ifclass"`
	// PortID is the port an ethernet interface uses; "" for other types.
	PortID string `json:"port_id,omitempty"`
	// Uses names the lower interfaces: the members of an ae, the one lower
	// interface of a vlan or vf. Empty for ethernet.
	Uses []string `json:"uses"`
	// UsedBy names the interfaces whose Uses contains this one. Computed.
	UsedBy []string `json:"used_by"`
	MTU    int      `json:"imtu"`
	// SRIOVNumVFs is the configured number of VFs: the PF's total for a
	// pci-sriov ethernet interface, the pool size for a vf interface.
	SRIOVNumVFs   int      `json:"sriov_numvfs"`
	SRIOVVFDriver VFDriver `json:"sriov_vf_driver"`
	// MaxTxRate is a per-VF transmit limit in Mbps, vf interfaces only; 0 is
	// no limit.
	MaxTxRate int    `json:"max_tx_rate"`
	AEMode    AEMode `json:"aemode,omitempty"`
	VLANID    int    `json:"vlan_id,omitempty"`
	// SRIOVVFsPCIAddress is the VF PCI addresses this interface owns, from
	// the port's report. Computed by HostConfig.VFAddresses.
	SRIOVVFsPCIAddress []string `json:"sriov_vfs_pci_address"`
	// DataNetworks names the assigned data networks. Computed.
	DataNetworks []string `json:"datanetworks"`
}

// SegmentRange is an inclusive range of VLAN ids of a vlan data network.
type SegmentRange struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// DataNetwork is a physical network ("physnet") that interfaces attach to.
type DataNetwork struct {
	ID            string         `json:"id"` // uuid
	Name          string         `json:"name"`
	NetworkType   NetworkType    `json:"network_type"`
	MTU           int            `json:"mtu"`
	Description   string         `json:"description"`
	SegmentRanges []SegmentRange `json:"segment_ranges"`
}

// InterfaceDataNetwork attaches an interface to a data network.
type InterfaceDataNetwork struct {
	ID            string `json:"id"` // uuid
	InterfaceID   string `json:"interface_id"`
	DataNetworkID string `json:"datanetwork_id"`
}

// HostConfig is one host's configuration as the store holds it: the input of
// every per-host rule. DataNetworks holds every data network the host's
// assignments refer to (all data networks is fine).
type HostConfig struct {
	Ports        []Port                 `json:"ports"`
	Interfaces   []Interface            `json:"interfaces"`
	DataNetworks []DataNetwork          `json:"datanetworks"`
	Assignments  []InterfaceDataNetwork `json:"interface_datanetworks"`
}

// InterfacePatch is a change to an interface; nil fields are left as they
// are. Type, host and port never change after creation.
type InterfacePatch struct {
	Name          *string   `json:"ifname,omitempty"`
	Class         *IfClass  `json:"ifclass,omitempty"`
	Uses          *[]string `json:"uses,omitempty"`
	MTU           *int      `json:"imtu,omitempty"`
	SRIOVNumVFs   *int      `json:"sriov_numvfs,omitempty"`
	SRIOVVFDriver *VFDriver `json:"sriov_vf_driver,omitempty"`
	MaxTxRate     *int      `json:"max_tx_rate,omitempty"`
	AEMode        *AEMode   `json:"aemode,omitempty"`
	VLANID        *int      `json:"vlan_id,omitempty"`
}

// DataNetworkPatch is a change to a data network; nil fields are left as
// they are. Name and NetworkType are here so that an attempt to change them
// is refused with a clear error rather than silently ignored.
type DataNetworkPatch struct {
	Name          *string         `json:"name,omitempty"`
	NetworkType   *NetworkType    `json:"network_type,omitempty"`
	MTU           *int            `json:"mtu,omitempty"`
	Description   *string         `json:"description,omitempty"`
	SegmentRanges *[]SegmentRange `json:"segment_ranges,omitempty"`
}
