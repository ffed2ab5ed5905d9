package sim

import (
	"fmt"
	"io"
	"strings"

	"vfnet/internal/kernel"
)

// WriteText prints a host PF by PF, each VF as `ip link show` prints it plus
// its PCI address and driver: the form `vfnet sim show` prints and tests
// compare.
func WriteText(w io.Writer, hostname string, h *kernel.Host) error {
	var b strings.Builder
	fmt.Fprintf(&b, "host %s\n", hostname)
	for _, n := range h.NUMANodes {
		fmt.Fprintf(&b, "numa node%d cpus %s\n", n.ID, n.CPUList)
	}
	for _, pf := range h.PFs {
		drv := pf.Driver
		if drv == "" {
			drv = "(none)"
		}
		fmt.Fprintf(&b, "pf %s [%04x:%04x] driver %s numa %d", pf.PCIAddr, pf.Vendor, pf.Device, drv, pf.NUMANode)
		if pf.DriverOverride != "" {
			fmt.Fprintf(&b, " override %s", pf.DriverOverride)
		}
		b.WriteString("\n")
		if pf.Ifname != "" {
			fmt.Fprintf(&b, "    %s: mtu %d state %s speed %d\n        link/ether %s brd ff:ff:ff:ff:ff:ff\n",
				pf.Ifname, pf.MTU, strings.ToUpper(pf.Oper), pf.Speed, pf.MAC)
		}
		s := pf.SRIOV
		if s == nil {
			b.WriteString("    sriov: none\n")
			continue
		}
		auto := "off"
		if s.Autoprobe {
			auto = "on"
		}
		fmt.Fprintf(&b, "    sriov: numvfs %d totalvfs %d offset %d stride %d vf_device %04x autoprobe %s\n",
			s.NumVFs, s.TotalVFs, s.Offset, s.Stride, s.VFDevice, auto)
		for _, vf := range s.VFs {
			fmt.Fprintf(&b, "    vf %d     ", vf.Index)
			if i := vf.Info; i != nil {
				b.WriteString(ipLinkVF(*i))
			} else {
				b.WriteString("(no rtnetlink view)")
			}
			drv := vf.Driver
			if drv == "" {
				drv = "(none)"
			}
			fmt.Fprintf(&b, "\n        pci %s driver %s", vf.PCIAddr, drv)
			if vf.DriverOverride != "" {
				fmt.Fprintf(&b, " override %s", vf.DriverOverride)
			}
			if vf.Ifname != "" {
				fmt.Fprintf(&b, " netdev %s", vf.Ifname)
			}
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ipLinkVF is iproute2's line for one IFLA_VF_INFO.
func ipLinkVF(i kernel.VFInfo) string {
	parts := []string{fmt.Sprintf("link/ether %s brd ff:ff:ff:ff:ff:ff", i.MAC)}
	if i.VLAN != 0 {
		parts = append(parts, fmt.Sprintf("vlan %d", i.VLAN))
		if i.QoS != 0 {
			parts = append(parts, fmt.Sprintf("qos %d", i.QoS))
		}
		if i.Proto == kernel.Proto8021AD {
			parts = append(parts, "vlan protocol 802.1ad")
		}
	}
	if i.MaxTxRate != 0 {
		parts = append(parts, fmt.Sprintf("tx rate %d (Mbps)", i.MaxTxRate), fmt.Sprintf("max_tx_rate %dMbps", i.MaxTxRate))
	}
	if i.MinTxRate != 0 {
		parts = append(parts, fmt.Sprintf("min_tx_rate %dMbps", i.MinTxRate))
	}
	parts = append(parts, "spoof checking "+onOff(i.SpoofChk), "link-state "+i.LinkState.String(), "trust "+onOff(i.Trust))
	return strings.Join(parts, ", ")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
