package model

import (
	"slices"
	"sort"
	"strings"
)

// Interface returns the interface with id.
func (c HostConfig) Interface(id string) (Interface, bool) {
	for _, i := range c.Interfaces {
		if i.ID == id {
			return i, true
		}
	}
	return Interface{}, false
}

// InterfaceByName returns the interface named name.
func (c HostConfig) InterfaceByName(name string) (Interface, bool) {
	for _, i := range c.Interfaces {
		if i.Name == name {
			return i, true
		}
	}
	return Interface{}, false
}

// Port returns the port with id.
func (c HostConfig) Port(id string) (Port, bool) {
	for _, p := range c.Ports {
		if p.ID == id {
			return p, true
		}
	}
	return Port{}, false
}

// DataNetwork returns the data network with id.
func (c HostConfig) DataNetwork(id string) (DataNetwork, bool) {
	for _, d := range c.DataNetworks {
		if d.ID == id {
			return d, true
		}
	}
	return DataNetwork{}, false
}

// Uppers returns the interfaces that use the interface named name, sorted by
// name: the order in which VF sub-interfaces take their VFs.
func (c HostConfig) Uppers(name string) []Interface {
	var out []Interface
	for _, i := range c.Interfaces {
		if slices.Contains(i.Uses, name) {
			out = append(out, i)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// vfChildren returns the VF sub-interfaces of the interface named name.
func (c HostConfig) vfChildren(name string) []Interface {
	var out []Interface
	for _, u := range c.Uppers(name) {
		if u.Type == IfTypeVF {
			out = append(out, u)
		}
	}
	return out
}

// Assigned returns the data networks assigned to the interface with id,
// sorted by name.
func (c HostConfig) Assigned(ifID string) []DataNetwork {
	var out []DataNetwork
	for _, a := range c.Assignments {
		if a.InterfaceID != ifID {
			continue
		}
		if d, ok := c.DataNetwork(a.DataNetworkID); ok {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// RootPort follows an interface's lower interfaces (vlan, vf) down to the
// ethernet interface and returns its port. An ae has several ports and no
// root port.
func (c HostConfig) RootPort(ifc Interface) (Port, bool) {
	for range len(c.Interfaces) + 1 { // bounded: a cycle must not loop forever
		switch ifc.Type {
		case IfTypeEthernet:
			return c.Port(ifc.PortID)
		case IfTypeVLAN, IfTypeVF:
			if len(ifc.Uses) != 1 {
				return Port{}, false
			}
			lower, ok := c.InterfaceByName(ifc.Uses[0])
			if !ok {
				return Port{}, false
			}
			ifc = lower
		default:
			return Port{}, false
		}
	}
	return Port{}, false
}

// withInterface returns a copy of c in which ifc replaces the interface with
// the same ID (or is added). When ifc renames an interface, the Uses of its
// upper interfaces follow, as they would in a store that keeps the relation
// by id.
func (c HostConfig) withInterface(ifc Interface) HostConfig {
	out := c
	out.Interfaces = make([]Interface, 0, len(c.Interfaces)+1)
	oldName := ""
	replaced := false
	for _, i := range c.Interfaces {
		if i.ID == ifc.ID {
			oldName = i.Name
			out.Interfaces = append(out.Interfaces, ifc)
			replaced = true
			continue
		}
		out.Interfaces = append(out.Interfaces, i)
	}
	if !replaced {
		out.Interfaces = append(out.Interfaces, ifc)
	}
	if oldName != "" && oldName != ifc.Name {
		for k, i := range out.Interfaces {
			if slices.Contains(i.Uses, oldName) {
				uses := slices.Clone(i.Uses)
				for j := range uses {
					if uses[j] == oldName {
						uses[j] = ifc.Name
					}
				}
				out.Interfaces[k].Uses = uses
			}
		}
	}
	return out
}

// Derive returns a copy of c with every computed field filled in: each
// interface's used_by, datanetworks and VF addresses, and each port's
// interface id. The API shows interfaces and ports through it.
func (c HostConfig) Derive() HostConfig {
	out := c
	vfs := c.VFAddresses()
	out.Interfaces = make([]Interface, len(c.Interfaces))
	for k, i := range c.Interfaces {
		i.UsedBy = []string{}
		for _, u := range c.Uppers(i.Name) {
			i.UsedBy = append(i.UsedBy, u.Name)
		}
		i.DataNetworks = []string{}
		for _, d := range c.Assigned(i.ID) {
			i.DataNetworks = append(i.DataNetworks, d.Name)
		}
		i.SRIOVVFsPCIAddress = vfs[i.ID]
		if i.SRIOVVFsPCIAddress == nil {
			i.SRIOVVFsPCIAddress = []string{}
		}
		if i.Uses == nil {
			i.Uses = []string{}
		}
		out.Interfaces[k] = i
	}
	out.Ports = make([]Port, len(c.Ports))
	for k, p := range c.Ports {
		p.InterfaceID = ""
		for _, i := range c.Interfaces {
			if i.Type == IfTypeEthernet && i.PortID == p.ID {
				p.InterfaceID = i.ID
			}
		}
		out.Ports[k] = p
	}
	return out
}

func names(ifs []Interface) string {
	n := make([]string, len(ifs))
	for k, i := range ifs {
		n[k] = i.Name
	}
	return strings.Join(n, ", ")
}
