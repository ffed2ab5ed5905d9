package model

import (
	"fmt"
	"strings"
)

func hostObj(h Host) string { return "host " + h.Hostname }

// RequireLocked is the rule in front of every interface and data network
// assignment change: a host's interfaces change only while it runs nothing
// through them.
func RequireLocked(h Host) error {
	if h.Administrative != AdminLocked {
		return conflict(hostObj(h), "Host %s must be locked. Lock it (vfnet host-lock %s), make the change, then unlock it (vfnet host-unlock %s).", h.Hostname, h.Hostname, h.Hostname)
	}
	return nil
}

// CheckLock decides whether host h may be locked. instances names the
// instances with ports bound on h: locking would tear down their VFs, so
// they must go first.
func CheckLock(h Host, instances []string) error {
	if h.Administrative == AdminLocked {
		return conflict(hostObj(h), "Host %s is already locked; nothing to do.", h.Hostname)
	}
	if len(instances) > 0 {
		if len(instances) == 1 {
			return conflict(hostObj(h), "Host %s cannot be locked: instance %s has ports bound on it; migrate it to another host first (vfnet instance migrate %s, a cold migration) or delete it.", h.Hostname, instances[0], instances[0])
		}
		return conflict(hostObj(h), "Host %s cannot be locked: instances %s have ports bound on it; migrate them to another host first (vfnet instance migrate NAME, a cold migration) or delete them.", h.Hostname, strings.Join(instances, ", "))
	}
	return nil
}

// CheckUnlock decides whether host h may be unlocked with configuration c.
//
// Two kinds of checks run. The configuration must be valid: every interface
// passes CheckInterface against the ports as last reported (a NIC may have
// been replaced while the host was locked). Then the agent must have
// reported the configuration applied: for each pci-sriov interface its port
// reports sriov_numvfs equal to the configured count and, when all the VFs
// ask for one driver, that driver; for each pci-passthrough interface its
// port reports 0 VFs.
//
// force overrides the second kind only: it is for an agent that cannot
// report (down, or a NIC that misreports) when the operator knows better, and
// the host then converges after unlock. It never lets an invalid
// configuration through, because the agent would be asked to apply what the
// hardware cannot do.
func CheckUnlock(h Host, c HostConfig, force bool) error {
	if h.Administrative == AdminUnlocked {
		return conflict(hostObj(h), "Host %s is already unlocked; nothing to do.", h.Hostname)
	}
	for _, i := range c.Interfaces {
		if err := CheckInterface(h, c, i); err != nil {
			return &Error{Code: ErrConflict, Object: hostObj(h),
				Msg: fmt.Sprintf("Host %s cannot be unlocked until its interface configuration is fixed", h.Hostname), Err: err}
		}
	}
	if force {
		return nil
	}
	for _, i := range c.Interfaces {
		if i.Type != IfTypeEthernet {
			continue
		}
		p, ok := c.Port(i.PortID)
		if !ok {
			continue // CheckInterface has refused this already
		}
		switch i.Class {
		case IfClassPCISRIOV:
			if p.SRIOVNumVFs != i.SRIOVNumVFs {
				return conflict(hostObj(h), "Expecting sriov_numvfs=%d on %s (interface %s), the host reports %d; wait for the agent and retry, or, if the agent cannot report, unlock with vfnet host-unlock --force %s.", i.SRIOVNumVFs, p.Name, i.Name, p.SRIOVNumVFs, h.Hostname)
			}
			if want, ok := c.expectedVFDriver(i); ok && !VFDriverMatches(want, p.SRIOVVFDriver) {
				got := p.SRIOVVFDriver
				if got == "" {
					got = "no driver"
				}
				return conflict(hostObj(h), "Expecting the VFs of %s (interface %s) bound to %s, the host reports %s; wait for the agent and retry, or, if the agent cannot report, unlock with vfnet host-unlock --force %s.", p.Name, i.Name, want.describe(), got, h.Hostname)
			}
		case IfClassPCIPassthrough:
			if p.SRIOVNumVFs != 0 {
				return conflict(hostObj(h), "Expecting sriov_numvfs=0 on %s (pci-passthrough interface %s), the host reports %d; wait for the agent and retry, or, if the agent cannot report, unlock with vfnet host-unlock --force %s.", p.Name, i.Name, p.SRIOVNumVFs, h.Hostname)
			}
		}
	}
	return nil
}

// expectedVFDriver returns the driver every VF of the pci-sriov ethernet
// interface root should have. A port reports one VF driver, so a PF whose
// VFs are split between drivers (a vf sub-interface with vfio under a
// netdevice parent) or left to the kernel (none) has no single expectation:
// ok is false and only the VF count is checked.
func (c HostConfig) expectedVFDriver(root Interface) (VFDriver, bool) {
	var want VFDriver
	first := true
	var walk func(i Interface, depth int) bool
	walk = func(i Interface, depth int) bool {
		if c.ownedVFs(i) > 0 {
			if i.SRIOVVFDriver == VFDriverNone || (!first && i.SRIOVVFDriver != want) {
				return false
			}
			want, first = i.SRIOVVFDriver, false
		}
		if depth == 0 {
			return true
		}
		for _, k := range c.vfChildren(i.Name) {
			if !walk(k, depth-1) {
				return false
			}
		}
		return true
	}
	if !walk(root, len(c.Interfaces)) || first {
		return VFDriverNone, false
	}
	return want, true
}

// VFDriverMatches reports whether a VF bound to the kernel driver reported
// satisfies the configured driver want. netdevice is the NIC's own VF driver
// (iavf, ixgbevf, igbvf, mlx5_core ...), so any bound driver that makes a
// netdev matches, not one of the user-space I/O drivers. none matches
// anything.
func VFDriverMatches(want VFDriver, reported string) bool {
	switch want {
	case VFDriverNone:
		return true
	case VFDriverVFIO:
		return reported == "vfio-pci"
	case VFDriverNetdevice:
		switch reported {
		case "", "vfio-pci", "pci-stub", "uio_pci_generic", "igb_uio":
			return false
		}
		return true
	}
	return false
}

// KernelDriver is the driver_override the agent writes for d: vfio-pci for
// vfio, and "" (clear it, let the NIC's VF driver probe) otherwise.
func (d VFDriver) KernelDriver() string {
	if d == VFDriverVFIO {
		return "vfio-pci"
	}
	return ""
}

func (d VFDriver) describe() string {
	switch d {
	case VFDriverVFIO:
		return "vfio-pci (sriov_vf_driver vfio)"
	case VFDriverNetdevice:
		return "the NIC's VF driver (sriov_vf_driver netdevice)"
	}
	return "any driver"
}
