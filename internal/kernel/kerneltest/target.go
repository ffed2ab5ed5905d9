// Package kerneltest is the conformance suite every kernel.Kernel must pass:
// the rules of spec/kernel.md and spec/real-kernel.md the agent relies on,
// each a named subtest, so that a run on the simulator (internal/sim) and a
// run on a real kernel (internal/kernel/linux inside the QEMU lab) can be
// compared case for case. docs/conformance.md lists the cases.
//
// The suite talks to the device only through kernel.Kernel; what it cannot
// see that way (a PF that Observe does not report, such as an NVMe
// controller) it infers from the kernel's answers, never from an
// implementation's internals.
package kerneltest

import (
	"context"
	"syscall"

	"vfnet/internal/kernel"
)

// Target is one device to test and what to expect of it.
type Target struct {
	Kernel kernel.Kernel
	// PF is the PF's PCI address; "" for a PF that is not a PCI function
	// (netdevsim), which turns off every PCI-core case.
	PF string
	// Ifname is the PF's netdev; "" when it has none (nvme), which turns off
	// the rtnetlink cases.
	Ifname string
	// Driver is the PF driver, bound when the suite starts.
	Driver string
	// Expect is the driver's behaviour; Drivers() has the known ones.
	Expect Behaviour
	// OverrideDriver is a loaded driver that claims no device by ID
	// (vfio-pci, pci-stub), for the driver_override cases; "" skips them.
	OverrideDriver string
	// NoSRIOVIfname is a netdev without SR-IOV (virtio-net, veth) for the
	// EOPNOTSUPP case; "" skips it.
	NoSRIOVIfname string
	// WriteNumVFs writes the PF's sriov_numvfs; nil means
	// Kernel.WriteNumVFs(ctx, PF, value). netdevsim's file is not under
	// bus/pci, so its target supplies this.
	WriteNumVFs func(ctx context.Context, value string) error
}

// Behaviour is what a PF driver (and the PCI core under it) does, as far as
// the suite checks it.
type Behaviour struct {
	// Observed: Observe lists the PF (it reports network functions only;
	// an NVMe PF is not one). Without it the suite infers state from errnos.
	Observed bool
	// TotalVFs is sriov_totalvfs with the driver bound; 0 reads it from
	// Observe (firmware decides it on real NICs).
	TotalVFs int
	// HardwareTotalVFs is sriov_totalvfs with no driver bound, when the
	// driver lowers it (igb: 8, then 7); 0 when the driver does not.
	HardwareTotalVFs int
	// AboveTotal is the errno for a count above TotalVFs: ERANGE from the
	// PCI core, ENOMEM from netdevsim's own sriov_numvfs.
	AboveTotal syscall.Errno
	// Offset and Stride place the VFs; needed when the PF is not Observed.
	Offset, Stride int
	// VFDriver binds new VFs when autoprobe is on; "" when none is loaded.
	VFDriver string
	// DisablesVFsOnUnbind: unbinding the PF driver disables its VFs (NIC
	// drivers); nvme leaves them enabled.
	DisablesVFsOnUnbind bool

	// VFOps: the PF driver implements ndo_set_vf_* (false for nvme).
	VFOps bool
	// LinkState: ndo_set_vf_link_state exists (igb lacks it: EOPNOTSUPP).
	LinkState bool
	// QinQ: VLAN protocol 802.1ad is accepted (else EPROTONOSUPPORT).
	QinQ bool
	// MinRate: a non-zero min_tx_rate is accepted (else EINVAL).
	MinRate bool
	// KeepsVFSettings: VF settings survive numvfs N -> 0 -> N.
	KeepsVFSettings bool
	// InitialSpoofChk is a new VF's spoof checking.
	InitialSpoofChk bool
	// RateNeedsLink: the driver refuses VF rates (EINVAL) while the PF's
	// link is down, and a sriov_numvfs change resets the PF, so its link
	// is down for about a second after one (igb, seen in the QEMU lab).
	// rtnetlink/rate-needs-link checks it; rtnetlink/rate waits for the link.
	RateNeedsLink bool
}

// Drivers returns the behaviour of the PF drivers vfnet knows, by PF driver
// name: those seen on a real 6.1 kernel in the QEMU lab (igb, nvme,
// netdevsim) and those of the simulator's other models.
func Drivers() map[string]Behaviour {
	return map[string]Behaviour{
		// QEMU's 82576 (spec/real-kernel.md, kernel-transcripts/igb.txt).
		"igb": {Observed: true, TotalVFs: 7, HardwareTotalVFs: 8, AboveTotal: syscall.ERANGE, Offset: 128, Stride: 2,
			VFDriver: "igbvf", DisablesVFsOnUnbind: true, VFOps: true, InitialSpoofChk: true, RateNeedsLink: true},
		// QEMU's NVMe controller with sriov_max_vfs=4 (kernel-transcripts/sriov.txt).
		"nvme": {TotalVFs: 4, AboveTotal: syscall.ERANGE, Offset: 1, Stride: 1, VFDriver: "nvme"},
		// netdevsim with max_vfs 4 (kernel-transcripts/netlink.txt): not PCI.
		"netdevsim": {TotalVFs: 4, AboveTotal: syscall.ENOMEM, VFOps: true, LinkState: true, QinQ: true,
			MinRate: true, KeepsVFSettings: true},
		// The simulator's other models (internal/sim): what their drivers do.
		"i40e": {Observed: true, AboveTotal: syscall.ERANGE, VFDriver: "iavf", DisablesVFsOnUnbind: true,
			VFOps: true, LinkState: true, InitialSpoofChk: true},
		"ice": {Observed: true, AboveTotal: syscall.ERANGE, VFDriver: "iavf", DisablesVFsOnUnbind: true,
			VFOps: true, LinkState: true, QinQ: true, MinRate: true, InitialSpoofChk: true},
		"ixgbe": {Observed: true, AboveTotal: syscall.ERANGE, VFDriver: "ixgbevf", DisablesVFsOnUnbind: true,
			VFOps: true, LinkState: true, InitialSpoofChk: true},
		"mlx5_core": {Observed: true, AboveTotal: syscall.ERANGE, VFDriver: "mlx5_core", DisablesVFsOnUnbind: true,
			VFOps: true, LinkState: true, MinRate: true},
	}
}
