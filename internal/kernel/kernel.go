// Package kernel is the boundary between vfnet and a host's SR-IOV hardware.
//
// Everything above this package (discovery reports, the agent, vfnet dev) talks
// to a Kernel. Two implementations exist: the Linux one (sysfs writes and
// rtnetlink, internal/kernel/linux) and the simulated one (internal/sim), which
// must behave like Linux case for case, error numbers included. The rules both
// follow are those of spec/kernel.md and spec/real-kernel.md:
//
//   - sriov_numvfs is parsed as an unsigned 16-bit number (base 0, one trailing
//     newline; a zero-length write succeeds and does nothing); then a value above
//     sriov_totalvfs is ERANGE; the current value is a no-op success; no PF
//     driver (or one without SR-IOV support) is ENOENT; 0 removes the VFs;
//     non-zero to another non-zero is EBUSY.
//   - VFs i = 0..n-1 sit at rid(PF) + offset + stride*i; each has a physfn link,
//     the PF has virtfnN links.
//   - sriov_drivers_autoprobe=0 keeps new VFs unbound unless driver_override is
//     set; an explicit bind is then ENODEV.
//   - VF attributes are applied in the kernel's order (MAC, VLAN, rate,
//     spoof check, link state, trust); the first error stops the message and what
//     was applied before it stays applied: callers re-read, never assume.
//
// Nothing here persists: a kernel starts every PF at 0 VFs.
package kernel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
)

// Kernel reads a host's SR-IOV hardware and changes it, one kernel operation
// per call, so that callers (the agent, the conformance suite) can count, order
// and retry each write exactly as they would on Linux.
type Kernel interface {
	// Observe reads every network PCI function of the host, its SR-IOV state,
	// its VFs with their drivers and rtnetlink settings, and the NUMA nodes.
	Observe(ctx context.Context) (*Host, error)

	// WriteNumVFs writes value, as given, to the PF's sriov_numvfs file:
	// "8\n" as echo sends it. The kernel's parse rules apply.
	WriteNumVFs(ctx context.Context, pf string, value string) error
	// SetAutoprobe writes the PF's sriov_drivers_autoprobe.
	SetAutoprobe(ctx context.Context, pf string, on bool) error
	// SetDriverOverride writes a device's driver_override; "" clears it.
	SetDriverOverride(ctx context.Context, dev string, driver string) error
	// Unbind writes dev to /sys/bus/pci/drivers/<driver>/unbind (ENODEV when
	// dev is not bound to that driver).
	Unbind(ctx context.Context, dev string, driver string) error
	// Bind writes dev to /sys/bus/pci/drivers/<driver>/bind.
	Bind(ctx context.Context, dev string, driver string) error
	// Probe writes dev to /sys/bus/pci/drivers_probe.
	Probe(ctx context.Context, dev string) error

	// SetLink sets a netdev's MTU (when mtu > 0) and brings it up or down.
	SetLink(ctx context.Context, ifname string, up bool, mtu int) error
	// SetVF sends one RTM_SETLINK for VF vf of the PF netdev ifname carrying
	// the attributes set in c, applied in the kernel's order (see VFChange).
	SetVF(ctx context.Context, ifname string, vf int, c VFChange) error
	// VFs reads every VF's rtnetlink settings and stats from the PF netdev.
	VFs(ctx context.Context, ifname string) ([]VFInfo, error)
}

// Host is what a host's kernel holds: its NIC functions and NUMA nodes.
type Host struct {
	PFs       []PF       `json:"pfs"`
	NUMANodes []NUMANode `json:"numa_nodes"`
}

// NUMANode is one node of /sys/devices/system/node.
type NUMANode struct {
	ID      int    `json:"id"`
	CPUList string `json:"cpulist"` // as the kernel prints it: "0-7,16-23"
}

// PF is a network PCI function that is not a VF. The name is historical: a
// function without SR-IOV (SRIOV nil) is reported the same way.
type PF struct {
	PCIAddr        string `json:"pciaddr"` // 0000:3b:00.0
	Vendor         uint16 `json:"vendor"`
	Device         uint16 `json:"device"`
	SubVendor      uint16 `json:"subsystem_vendor"`
	SubDevice      uint16 `json:"subsystem_device"`
	Class          uint32 `json:"class"`
	Driver         string `json:"driver"` // "" when unbound
	DriverOverride string `json:"driver_override"`
	NUMANode       int    `json:"numa_node"` // -1 when unknown
	LocalCPUList   string `json:"local_cpulist"`

	// Netdev facts; zero when no netdev driver is bound.
	Ifname string `json:"ifname"`
	MAC    string `json:"mac"`
	MTU    int    `json:"mtu"`
	Speed  int    `json:"speed"`     // Mbps; -1 when unknown (link down, virtual NIC)
	Oper   string `json:"operstate"` // operstate: up, down, unknown ...
	// AdminUp is IFF_UP of net/<ifname>/flags: what SetLink sets. A port
	// without a cable is admin up with operstate down.
	AdminUp bool `json:"admin_up"`

	SRIOV *SRIOV `json:"sriov"` // nil: the function has no SR-IOV capability
}

// SRIOV is a PF's SR-IOV capability and state.
type SRIOV struct {
	TotalVFs  int    `json:"totalvfs"`
	NumVFs    int    `json:"numvfs"`
	Offset    int    `json:"offset"`
	Stride    int    `json:"stride"`
	VFDevice  uint16 `json:"vf_device"`
	Autoprobe bool   `json:"drivers_autoprobe"`
	VFs       []VF   `json:"vfs"` // in virtfn order
}

// VF is one Virtual Function of a PF.
type VF struct {
	Index          int    `json:"index"`
	PCIAddr        string `json:"pciaddr"`
	Driver         string `json:"driver"`
	DriverOverride string `json:"driver_override"`
	Ifname         string `json:"ifname"` // "" unless a netdev driver is bound
	// Info is the PF's rtnetlink view of this VF; nil when the PF has no
	// netdev to ask (nvme) or its driver does not report VFs.
	Info *VFInfo `json:"info,omitempty"`
}

// LinkState is IFLA_VF_LINK_STATE.
type LinkState uint32

const (
	LinkAuto    LinkState = 0
	LinkEnable  LinkState = 1
	LinkDisable LinkState = 2
)

func (s LinkState) String() string {
	switch s {
	case LinkAuto:
		return "auto"
	case LinkEnable:
		return "enable"
	case LinkDisable:
		return "disable"
	}
	return fmt.Sprintf("linkstate(%d)", uint32(s))
}

// VLAN protocols of IFLA_VF_VLAN_LIST.
const (
	Proto8021Q  = 0x8100
	Proto8021AD = 0x88a8
)

// VFInfo is one IFLA_VF_INFO as RTM_GETLINK returns it.
type VFInfo struct {
	VF        int       `json:"vf"`
	MAC       string    `json:"mac"` // lowercase, colon-separated
	VLAN      int       `json:"vlan"`
	QoS       int       `json:"qos"`
	Proto     int       `json:"vlan_proto"` // 0 when the driver does not report it
	SpoofChk  bool      `json:"spoofchk"`
	Trust     bool      `json:"trust"`
	LinkState LinkState `json:"link_state"`
	MinTxRate int       `json:"min_tx_rate"` // Mbps
	MaxTxRate int       `json:"max_tx_rate"` // Mbps
	Stats     VFStats   `json:"stats"`
}

// VFStats is IFLA_VF_STATS.
type VFStats struct {
	RxPackets uint64 `json:"rx_packets"`
	TxPackets uint64 `json:"tx_packets"`
	RxBytes   uint64 `json:"rx_bytes"`
	TxBytes   uint64 `json:"tx_bytes"`
	Broadcast uint64 `json:"broadcast"`
	Multicast uint64 `json:"multicast"`
	RxDropped uint64 `json:"rx_dropped"`
	TxDropped uint64 `json:"tx_dropped"`
}

// VLAN is IFLA_VF_VLAN (Proto 0 or 802.1Q) or IFLA_VF_VLAN_LIST (802.1ad).
type VLAN struct {
	ID    int
	QoS   int
	Proto int // 0 means 802.1Q
}

// Rate is IFLA_VF_RATE in Mbps; 0 is unlimited.
type Rate struct {
	Min, Max int
}

// VFChange is the set of attributes of one RTM_SETLINK for one VF. A nil
// field is not sent. The kernel applies them in field order and stops at the
// first error, keeping what it applied before.
type VFChange struct {
	MAC       *string
	VLAN      *VLAN
	Rate      *Rate
	SpoofChk  *bool
	LinkState *LinkState
	Trust     *bool
}

// Validate checks the ranges the kernel core does not: it truncates VLAN to
// 16 bits and QoS to 8 bits before the driver sees them, so VLAN 65537 would
// silently become VLAN 1. Both kernels call it before sending anything.
func (c VFChange) Validate() error {
	if c.MAC != nil {
		hw, err := net.ParseMAC(*c.MAC)
		if err != nil || len(hw) != 6 {
			return fmt.Errorf("MAC %q is not a 48-bit Ethernet address: %w", *c.MAC, syscall.EINVAL)
		}
		if hw[0]&1 == 1 {
			return fmt.Errorf("MAC %s is multicast; a VF needs a unicast address (or 00:00:00:00:00:00 to clear): %w", hw, syscall.EINVAL)
		}
	}
	if v := c.VLAN; v != nil {
		if v.ID < 0 || v.ID > 4095 {
			return fmt.Errorf("VLAN %d is out of range 0-4095: %w", v.ID, syscall.EINVAL)
		}
		if v.QoS < 0 || v.QoS > 7 {
			return fmt.Errorf("QoS %d is out of range 0-7: %w", v.QoS, syscall.EINVAL)
		}
		if v.Proto != 0 && v.Proto != Proto8021Q && v.Proto != Proto8021AD {
			return fmt.Errorf("VLAN protocol %#x is neither 802.1Q nor 802.1ad: %w", v.Proto, syscall.EINVAL)
		}
	}
	if r := c.Rate; r != nil {
		if r.Min < 0 || r.Max < 0 {
			return fmt.Errorf("tx rate min %d max %d: rates are non-negative Mbps: %w", r.Min, r.Max, syscall.EINVAL)
		}
		if r.Max != 0 && r.Max < r.Min {
			return fmt.Errorf("max_tx_rate %d is below min_tx_rate %d: %w", r.Max, r.Min, syscall.EINVAL)
		}
	}
	if c.LinkState != nil && *c.LinkState > LinkDisable {
		return fmt.Errorf("VF link state %d is none of auto, enable, disable: %w", *c.LinkState, syscall.EINVAL)
	}
	return nil
}

// Error is a failed kernel operation: what was done, to which device, and the
// kernel's answer (usually a syscall.Errno, so errors.Is(err, syscall.EBUSY)
// works through every layer above).
type Error struct {
	// Op names the operation so that "<Device> does not support <Op>" reads
	// well: "write sriov_numvfs", "VF 3 VLAN", "SR-IOV VF configuration".
	Op     string
	Device string // PCI address or netdev name
	Err    error
}

func (e *Error) Error() string {
	if errors.Is(e.Err, syscall.EOPNOTSUPP) {
		// The driver lacks the operation: say that, not just "not supported".
		return fmt.Sprintf("%s does not support %s (%v)", e.Device, e.Op, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Device, e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
