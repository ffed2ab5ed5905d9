// Package vmxml builds the libvirt domain XML a VM gets for a bound port:
// an <interface type='hostdev'> for a direct port (an SR-IOV VF, with the
// port's MAC and the network's VLAN, which libvirt programs on the VF when it
// attaches it) and a <hostdev> for a direct-physical port (the whole PF; the
// guest sees the PF's own MAC and the access switch port carries the VLAN).
// It is pure: the API and `vfnet instance show` call it with what the claim
// returned.
package vmxml

import (
	"encoding/xml"
	"fmt"
	"net"

	"libvirt.org/go/libvirtxml"

	"vfnet/internal/kernel"
	"vfnet/internal/neutron"
)

// NIC is one bound port as the VM definition needs it.
type NIC struct {
	// VNICType is the port's binding:vnic_type: direct or direct-physical.
	VNICType string
	// MAC is the port's MAC; used for direct only (a direct-physical guest
	// sees the PF's burned-in MAC, which the bind copied into the port).
	MAC string
	// PCIAddr is the claimed device: the VF (direct) or the PF
	// (direct-physical), as sysfs names it: 0000:3b:02.3.
	PCIAddr string
	// VLAN is the network's segmentation ID; 0 on a flat network, where the
	// VF sends untagged and no <vlan> element is written.
	VLAN int
}

// Device returns the NIC as libvirt domain devices: exactly one interface
// (direct) or one hostdev (direct-physical), ready to append to a
// libvirtxml.Domain's Devices.
func Device(n NIC) (libvirtxml.DomainDeviceList, error) {
	a, err := kernel.ParsePCIAddr(n.PCIAddr)
	if err != nil {
		return libvirtxml.DomainDeviceList{}, fmt.Errorf("libvirt XML for %s port: %w", n.VNICType, err)
	}
	src := &libvirtxml.DomainHostdevSubsysPCISource{Address: pciAddress(a)}
	switch n.VNICType {
	case neutron.VNICDirect:
		hw, err := net.ParseMAC(n.MAC)
		if err != nil || len(hw) != 6 {
			return libvirtxml.DomainDeviceList{}, fmt.Errorf("libvirt XML for VF %s: MAC %q is not a 6-byte Ethernet address", n.PCIAddr, n.MAC)
		}
		if n.VLAN < 0 || n.VLAN > 4094 {
			return libvirtxml.DomainDeviceList{}, fmt.Errorf("libvirt XML for VF %s: VLAN %d is outside 0-4094 (0 = flat, untagged)", n.PCIAddr, n.VLAN)
		}
		ifc := libvirtxml.DomainInterface{
			Managed: "yes",
			MAC:     &libvirtxml.DomainInterfaceMAC{Address: hw.String()},
			Source:  &libvirtxml.DomainInterfaceSource{Hostdev: &libvirtxml.DomainInterfaceSourceHostdev{PCI: src}},
		}
		if n.VLAN != 0 {
			ifc.VLan = &libvirtxml.DomainInterfaceVLan{Tags: []libvirtxml.DomainInterfaceVLanTag{{ID: uint(n.VLAN)}}}
		}
		return libvirtxml.DomainDeviceList{Interfaces: []libvirtxml.DomainInterface{ifc}}, nil
	case neutron.VNICDirectPhysical:
		hd := libvirtxml.DomainHostdev{
			Managed:   "yes",
			SubsysPCI: &libvirtxml.DomainHostdevSubsysPCI{Source: src},
		}
		return libvirtxml.DomainDeviceList{Hostdevs: []libvirtxml.DomainHostdev{hd}}, nil
	}
	return libvirtxml.DomainDeviceList{}, fmt.Errorf("libvirt XML for device %s: vnic_type %q has no libvirt device in vfnet; only direct and direct-physical ports are bound", n.PCIAddr, n.VNICType)
}

// Fragment returns the NIC's device element as indented XML, the form the
// API returns and `vfnet instance show` prints.
func Fragment(n NIC) (string, error) {
	d, err := Device(n)
	if err != nil {
		return "", err
	}
	var v any
	switch {
	case len(d.Interfaces) == 1:
		v = &d.Interfaces[0]
	default:
		v = &d.Hostdevs[0]
	}
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", fmt.Errorf("libvirt XML for device %s: %w", n.PCIAddr, err)
	}
	return string(b), nil
}

func pciAddress(a kernel.PCIAddr) *libvirtxml.DomainAddressPCI {
	u := func(v uint) *uint { return &v }
	return &libvirtxml.DomainAddressPCI{
		Domain:   u(uint(a.Domain)),
		Bus:      u(uint(a.Bus)),
		Slot:     u(uint(a.Slot)),
		Function: u(uint(a.Function)),
	}
}
