package sched

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"vfnet/internal/model"
)

// The messages below answer "why can this port not be bound?" with the
// closest miss, so that the operator knows what to change: the host to
// unlock, the data network to assign, the NUMA node that has room.

func nouns(c model.IfClass) (one, many string) {
	if c == model.IfClassPCIPassthrough {
		return "pci-passthrough interface", "pci-passthrough interfaces"
	}
	return "VF", "VFs"
}

// what describes a port's need: "a VF on datanet-a".
func what(p portReq) string {
	one, _ := nouns(p.class)
	return "a " + one + " on " + p.PhysicalNetwork
}

// explainFleet says why no host at all can serve port p.
func (ix *Index) explainFleet(p portReq, node *int) error {
	one, many := nouns(p.class)
	dn := p.PhysicalNetwork
	if p.pool == nil || p.pool.devices == 0 {
		return refuse(ReasonNoDevice, p.ID, "no host has a free %s on %s: no host has a %s interface assigned to %s",
			one, dn, p.class, dn)
	}
	total := p.rank(rkey{rkTotal, 0})
	if total.len() == 0 {
		if p.pool.free == 0 {
			return refuse(ReasonNoDevice, p.ID, "no host has a free %s on %s: %s", one, dn, allClaimed(p.pool.devices, one, many))
		}
		var down []string
		for hid := range p.pool.hosts {
			h := ix.hosts[hid]
			if hp := h.pools[p.pool.key]; hp != nil && hp.free > 0 {
				down = append(down, h.name+" "+hostState(h))
			}
		}
		sort.Strings(down)
		if len(down) > 3 {
			down = append(down[:3], fmt.Sprintf("and %d more", len(down)-3))
		}
		return refuse(ReasonHostUnavailable, p.ID, "no host has a free %s on %s: the %d free %s are on hosts that are locked or disabled (%s)",
			one, dn, p.pool.free, many, strings.Join(down, ", "))
	}
	var top int32
	total.each(func(h int32) bool { top = h; return false })
	h := ix.hosts[top]
	hp := h.pools[p.pool.key]
	where := ""
	switch {
	case node == nil && p.policy == PolicyRequired:
		where = "with NUMA information"
	case node == nil && p.policy == PolicySocket:
		where = "on a known socket"
	case p.policy == PolicyRequired:
		where = fmt.Sprintf("on NUMA node %d", *node)
	case p.policy == PolicyLegacy:
		where = fmt.Sprintf("on NUMA node %d or without NUMA information", *node)
	case p.policy == PolicySocket:
		where = fmt.Sprintf("on the socket of NUMA node %d", *node)
	}
	return refuse(ReasonNUMA, p.ID, "NUMA policy %s: no host has a free %s on %s %s; the host with the most, %s, has: %s",
		p.policy, one, dn, where, h.name, summary(h, hp, p.policy == PolicySocket))
}

func allClaimed(n int, one, many string) string {
	if n == 1 {
		return "the only " + one + " is claimed"
	}
	return fmt.Sprintf("all %d %s are claimed", n, many)
}

func hostState(h *host) string {
	if h.admin != model.AdminUnlocked {
		return "locked"
	}
	return "disabled"
}

// summary lists a host's free devices of a pool by NUMA node.
func summary(h *host, hp *hostPool, sockets bool) string {
	var parts []string
	for _, n := range h.nodes {
		c := hp.counts[rkey{rkNode, n}]
		if c == 0 {
			continue
		}
		if s := h.socketOf(n); sockets && s >= 0 {
			parts = append(parts, fmt.Sprintf("node %d (socket %d) has %d", n, s, c))
		} else {
			parts = append(parts, fmt.Sprintf("node %d has %d", n, c))
		}
	}
	if c := hp.counts[rkey{rkNode, -1}]; c > 0 {
		parts = append(parts, fmt.Sprintf("%d without NUMA information", c))
	}
	if len(parts) == 0 {
		return "none free"
	}
	return strings.Join(parts, ", ")
}

// explainOnHost says why host name (h, nil when the index has no device of
// it) cannot serve port p on its own.
func (ix *Index) explainOnHost(name string, h *host, p portReq, node *int) error {
	one, many := nouns(p.class)
	dn := p.PhysicalNetwork
	if h == nil {
		return refuse(ReasonNoDevice, p.ID, "host %s has no %s interface assigned to %s", name, p.class, dn)
	}
	if !h.schedulable() {
		if h.admin != model.AdminUnlocked {
			return refuse(ReasonHostUnavailable, p.ID, "host %s is locked: unlock it (vfnet host-unlock %s) to bind ports on it", h.name, h.name)
		}
		return refuse(ReasonHostUnavailable, p.ID, "host %s is disabled: its agent is not running or has not applied the host's configuration yet; retry once vfnet host-list shows it enabled (vfnet event-list --host %s shows the agent's work)", h.name, h.name)
	}
	if p.fixed >= 0 {
		d := ix.devs[p.fixed]
		g := ix.groups[d.group]
		if node == nil {
			return refuse(ReasonNUMA, p.ID, "NUMA policy %s: pci_slot %s of %s has no NUMA information, which the policy needs: use numa_affinity_policy legacy or preferred",
				p.policy, d.addr, h.name)
		}
		return refuse(ReasonNUMA, p.ID, "NUMA policy %s: pci_slot %s is on NUMA node %d of %s, the instance on node %d",
			p.policy, d.addr, g.node, h.name, *node)
	}
	var hp *hostPool
	if p.pool != nil {
		hp = h.pools[p.pool.key]
	}
	if hp == nil {
		return refuse(ReasonNoDevice, p.ID, "host %s has no %s interface assigned to %s", h.name, p.class, dn)
	}
	if hp.free == 0 {
		return refuse(ReasonNoDevice, p.ID, "host %s has no free %s on %s: %s", h.name, one, dn, allClaimed(hp.devices, one, many))
	}
	if err := ix.linkStateMiss(h, hp, p); err != nil {
		return err
	}
	sum := summary(h, hp, p.policy == PolicySocket)
	if node == nil {
		switch p.policy {
		case PolicyRequired:
			return refuse(ReasonNUMA, p.ID, "NUMA policy required: host %s has no free %s on %s with NUMA information (%s)", h.name, one, dn, sum)
		case PolicySocket:
			return refuse(ReasonNUMA, p.ID, "NUMA policy socket: host %s has no free %s on %s on a known socket (%s)", h.name, one, dn, sum)
		}
	} else {
		n := *node
		switch p.policy {
		case PolicyRequired:
			return refuse(ReasonNUMA, p.ID, "NUMA policy required: node %d of %s has no free %s on %s (%s)", n, h.name, one, dn, sum)
		case PolicyLegacy:
			return refuse(ReasonNUMA, p.ID, "NUMA policy legacy: node %d of %s has no free %s on %s and none is without NUMA information (%s)", n, h.name, one, dn, sum)
		case PolicySocket:
			if s := h.socketOf(n); s >= 0 {
				return refuse(ReasonNUMA, p.ID, "NUMA policy socket: socket %d (of node %d) of %s has no free %s on %s (%s)", s, n, h.name, one, dn, sum)
			}
			return refuse(ReasonNUMA, p.ID, "NUMA policy socket: node %d of %s has no free %s on %s and the node's socket is unknown (%s)", n, h.name, one, dn, sum)
		}
	}
	// Unreachable with consistent input: a free device of the pool fits a
	// preferred or unpinned legacy port. Say what is known rather than fail.
	return refuse(ReasonNoDevice, p.ID, "host %s has no free %s on %s that fits NUMA policy %s (%s)", h.name, one, dn, p.policy, sum)
}

// explainTogether says why no one host serves every port although each
// fits somewhere: best is the closest miss.
func (ix *Index) explainTogether(ports []portReq, best miss, onHost bool) error {
	if best.host == nil || best.port < 0 {
		return refuse(ReasonTogether, "", "no single host can serve all %d ports", len(ports))
	}
	p := ports[best.port]
	if p.pool != nil {
		if hp := best.host.pools[p.pool.key]; hp != nil {
			if err := ix.linkStateMiss(best.host, hp, p); err != nil {
				return err
			}
		}
	}
	node := ""
	if best.node >= 0 {
		node = fmt.Sprintf(" with the instance on NUMA node %d", best.node)
	}
	if onHost {
		return refuse(ReasonTogether, p.ID, "host %s cannot serve the %d ports together%s: port %s (%s, NUMA policy %s) finds no free device left beside the others",
			best.host.name, len(ports), node, p.ID, what(p), p.policy)
	}
	return refuse(ReasonTogether, p.ID, "no single host can serve all %d ports: the closest, %s, serves %d%s; port %s (%s, NUMA policy %s) does not fit beside the others",
		len(ports), best.host.name, best.matched, node, p.ID, what(p), p.policy)
}

// checkSlot resolves a pci_slot a port asks for, refusing a device that can
// never serve it (claimed, wrong kind, other physical network).
func (ix *Index) checkSlot(p portReq, hostName string) (int32, error) {
	if hostName == "" {
		return -1, refuse(ReasonInvalid, p.ID, "port %s asks for pci_slot %s on no host: a PCI address names a device only together with its host (binding:host_id)",
			p.ID, p.PCISlot)
	}
	hid, known := ix.hostIdx[hostName]
	id, ok := ix.byAddr[addrKey{hid, p.PCISlot}]
	if !known || !ok {
		want := "the address of a VF of a pci-sriov interface"
		if p.class == model.IfClassPCIPassthrough {
			want = "the PF address of a pci-passthrough interface"
		}
		return -1, refuse(ReasonPCISlot, p.ID, "port %s asks for pci_slot %s, which is no device vfnet schedules on host %s: give %s as the host reports it",
			p.ID, p.PCISlot, hostName, want)
	}
	d := ix.devs[id]
	g := ix.groups[d.group]
	h := ix.hosts[g.host]
	if g.class != p.class {
		one, _ := nouns(p.class)
		return -1, refuse(ReasonPCISlot, p.ID, "port %s (vnic_type %s) asks for pci_slot %s of %s interface %s/%s: it needs %s",
			p.ID, p.VNICType, p.PCISlot, g.class, h.name, g.iface, "a "+one)
	}
	if !slices.Contains(g.dns, p.PhysicalNetwork) {
		return -1, refuse(ReasonPCISlot, p.ID, "port %s asks for pci_slot %s of %s/%s, which serves %s, not %s",
			p.ID, p.PCISlot, h.name, g.iface, strings.Join(g.dns, ", "), p.PhysicalNetwork)
	}
	if d.claimed {
		return -1, refuse(ReasonPCISlot, p.ID, "port %s asks for pci_slot %s of %s/%s, which is already claimed", p.ID, p.PCISlot, h.name, g.iface)
	}
	if p.refuses(g) {
		return -1, refuse(ReasonLinkState, p.ID, "port %s is admin_state_up false and asks for pci_slot %s of %s/%s, a VF of PF %s whose driver (%s) cannot disable a VF's link "+
			"(no VF link state), so the VF would pass traffic: give a VF of a NIC that supports VF link state, or set the port admin_state_up true",
			p.ID, p.PCISlot, h.name, g.iface, g.pf, g.noLink)
	}
	return id, nil
}

// linkStateMiss is the refusal of an administratively down port p on host
// h when h's free devices of p's pool would serve it but are all VFs whose
// PF driver cannot disable a VF's link; nil otherwise.
func (ix *Index) linkStateMiss(h *host, hp *hostPool, p portReq) error {
	if !p.AdminDown || p.class != model.IfClassPCISRIOV {
		return nil
	}
	var pfs, drivers []string
	for _, gid := range hp.groups {
		g := ix.groups[gid]
		if g.free == 0 {
			continue
		}
		if !p.refuses(g) {
			return nil
		}
		if !slices.Contains(pfs, g.pf) {
			pfs = append(pfs, g.pf)
		}
		if !slices.Contains(drivers, g.noLink) {
			drivers = append(drivers, g.noLink)
		}
	}
	if len(pfs) == 0 {
		return nil
	}
	return refuse(ReasonLinkState, p.ID, "port %s is admin_state_up false, but the free VFs on %s of host %s are on PF %s, whose driver (%s) cannot disable a VF's link "+
		"(no VF link state), so the VF would pass traffic: bind it where a NIC supports VF link state, or set the port admin_state_up true",
		p.ID, p.PhysicalNetwork, h.name, strings.Join(pfs, ", "), strings.Join(drivers, ", "))
}
