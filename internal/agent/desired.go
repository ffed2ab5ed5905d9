// Package agent converges one host's SR-IOV hardware to the desired state the
// control plane publishes for it: level-triggered, it reads what the kernel
// holds, plans the fewest kernel writes that close the difference, applies
// them one at a time, and reads again, because the kernel never rolls back a
// write that failed part way (spec/kernel.md). A bound VF is never lowered
// or reset: that would pull the NIC from under a running VM.
//
// Plan is pure (desired state and observed host in, operations out) and
// Converge is the executor; neither knows how the desired state travels.
package agent

import "vfnet/internal/kernel"

// VFIO is the kernel driver a "vfio" VF (or a passed-through PF) is handed to.
const VFIO = "vfio-pci"

// Desired is everything one host's kernel should hold, as the control plane
// computes it from the host's interfaces and the ports bound on it.
//
// A PF absent from PFs is unmanaged: the agent sets it back to 0 VFs when it
// has VFs, unless a VF of it is listed in VFs (bound). A VF of a managed PF
// absent from VFs is free and is reset.
type Desired struct {
	Revision int64       `json:"revision"`
	PFs      []DesiredPF `json:"pfs"`
	VFs      []DesiredVF `json:"vfs"`
	// Unsupported is what earlier Reports of this host said its drivers
	// lack (Report.Unsupported), handed back so that a restarted agent
	// does not send them again: a converged host then costs no write.
	Unsupported []Unsupported `json:"unsupported,omitempty"`
}

// DesiredPF is one PF an interface (class pci-sriov or pci-passthrough)
// claims.
type DesiredPF struct {
	PCIAddr string `json:"pciaddr"`
	// Passthrough hands the whole PF to one VM: it must have 0 VFs, and it
	// is moved to vfio-pci while PortID names the port bound to it (back to
	// its own driver when PortID is empty).
	Passthrough bool   `json:"passthrough,omitempty"`
	PortID      string `json:"port_id,omitempty"`

	// NumVFs is the sriov_numvfs to hold (0 for passthrough).
	NumVFs int `json:"numvfs"`
	// VFDriver is the driver of every VF no pool covers: VFIO, or "" for the
	// NIC's own VF driver (iavf, ixgbevf, mlx5_core ...), which autoprobe
	// binds without the agent naming it.
	VFDriver string `json:"vf_driver"`
	// Pools give ranges of VFs (VF sub-interfaces) their own driver and
	// transmit limit.
	Pools []VFPool `json:"pools,omitempty"`
	// MTU of the PF netdev; 0 leaves it as it is.
	MTU int `json:"mtu,omitempty"`
	// Up is the PF netdev's administrative state (true for pci-sriov: VFs
	// pass no traffic through a PF that is down).
	Up bool `json:"up"`
}

// VFPool is VFs First..First+Count-1 of a PF.
type VFPool struct {
	First  int    `json:"first"`
	Count  int    `json:"count"`
	Driver string `json:"driver"` // as DesiredPF.VFDriver
	// MaxTxRate is each VF's transmit limit in Mbps; 0 is unlimited.
	MaxTxRate int `json:"max_tx_rate,omitempty"`
}

// DesiredVF is one VF bound to a port: what the VM behind it must get
// (ports-and-binding.md, "What the agent programs on a VF").
type DesiredVF struct {
	PF     string `json:"pf"`    // PCI address of the PF
	Index  int    `json:"index"` // VF number, as virtfnN
	PortID string `json:"port_id"`

	MAC       string           `json:"mac"`
	VLAN      int              `json:"vlan"` // 0: untagged (flat network)
	QoS       int              `json:"qos"`  // 802.1p priority of the VLAN tag
	SpoofChk  bool             `json:"spoofchk"`
	Trust     bool             `json:"trust"`
	LinkState kernel.LinkState `json:"link_state"` // auto when admin up, disable when down
}

// driverOf is the driver VF i of the PF should have, and its transmit limit.
func (d DesiredPF) driverOf(i int) (driver string, maxRate int) {
	for _, p := range d.Pools {
		if i >= p.First && i < p.First+p.Count {
			return p.Driver, p.MaxTxRate
		}
	}
	return d.VFDriver, 0
}

// driverWanted is the PF's own driver: vfio-pci while a port holds a
// passed-through PF, its own otherwise.
func (d DesiredPF) driverWanted() string {
	if d.Passthrough && d.PortID != "" {
		return VFIO
	}
	return ""
}
