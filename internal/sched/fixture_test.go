package sched

import (
	"fmt"
	"strings"

	"vfnet/internal/model"
)

// fleet declares test devices in a few lines: one call per interface.
type fleet []Device

// sriov adds n VFs of the pci-sriov interface iface on PF pf (a bus number
// such as "3b": the PF is 0000:3b:00.0, VF i is 0000:3b:02.i) of host h.
func (f fleet) sriov(h, iface, bus string, node, socket, n int, dns ...string) fleet {
	for i := range n {
		f = append(f, Device{Host: h, HostAdmin: model.AdminUnlocked, HostOper: model.OperEnabled,
			Interface: iface, Class: model.IfClassPCISRIOV, DataNetworks: dns,
			PFAddr: "0000:" + bus + ":00.0", VFAddr: vfAddr(bus, i), VFIndex: i,
			NUMANode: node, Socket: socket})
	}
	return f
}

func vfAddr(bus string, i int) string { return fmt.Sprintf("0000:%s:%02x.%d", bus, 2+i/8, i%8) }

// passthrough adds the PF 0000:<bus>:00.0 of a pci-passthrough interface.
func (f fleet) passthrough(h, iface, bus string, node, socket int, dns ...string) fleet {
	return append(f, Device{Host: h, HostAdmin: model.AdminUnlocked, HostOper: model.OperEnabled,
		Interface: iface, Class: model.IfClassPCIPassthrough, DataNetworks: dns,
		PFAddr: "0000:" + bus + ":00.0", NUMANode: node, Socket: socket})
}

// claim marks the given addresses claimed ("3b" alone: every device whose
// address has that bus).
func (f fleet) claim(addrs ...string) fleet {
	out := append(fleet{}, f...)
	for i := range out {
		for _, a := range addrs {
			if out[i].Addr() == a || (len(a) == 2 && strings.HasPrefix(out[i].Addr(), "0000:"+a+":")) {
				out[i].Claimed = true
			}
		}
	}
	return out
}

// state sets a host's states on all its rows.
func (f fleet) state(h string, admin model.AdminState, oper model.OperState) fleet {
	out := append(fleet{}, f...)
	for i := range out {
		if out[i].Host == h {
			out[i].HostAdmin, out[i].HostOper = admin, oper
		}
	}
	return out
}

// noLink marks the devices of PF 0000:<bus>:00.0 of host h as on a driver
// that lacks VF link state.
func (f fleet) noLink(h, bus, driver string) fleet {
	out := append(fleet{}, f...)
	for i := range out {
		if out[i].Host == h && out[i].PFAddr == "0000:"+bus+":00.0" {
			out[i].NoLinkState = driver
		}
	}
	return out
}

// down is port p administratively down.
func down(p Port) Port { p.AdminDown = true; return p }

func node(n int) *int { return &n }

func direct(id, dn string, p Policy) Port {
	return Port{ID: id, VNICType: "direct", PhysicalNetwork: dn, Policy: p}
}

func physical(id, dn string, p Policy) Port {
	return Port{ID: id, VNICType: "direct-physical", PhysicalNetwork: dn, Policy: p}
}

func slot(p Port, addr string) Port { p.PCISlot = addr; return p }
