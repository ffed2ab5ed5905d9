package model

// AssignDataNetwork checks assignment a (its ID chosen by the caller) on
// host h and returns the interface as it must be stored afterwards: an
// interface of class none becomes data. cur.DataNetworks must hold the data
// network.
func AssignDataNetwork(h Host, cur HostConfig, a InterfaceDataNetwork) (Interface, error) {
	if err := RequireLocked(h); err != nil {
		return Interface{}, err
	}
	ifc, ok := cur.Interface(a.InterfaceID)
	if !ok {
		return Interface{}, notFound("interface "+a.InterfaceID, "Interface %s does not exist on host %s; list the host's interfaces and use one of their ids.", a.InterfaceID, h.Hostname)
	}
	obj := ifObj(h, ifc.Name)
	dn, ok := cur.DataNetwork(a.DataNetworkID)
	if !ok {
		return Interface{}, notFound(obj, "Data network %s does not exist; create it first, or list data networks and use one of their ids.", a.DataNetworkID)
	}
	for _, e := range cur.Assignments {
		if e.InterfaceID == a.InterfaceID && e.DataNetworkID == a.DataNetworkID {
			return Interface{}, conflict(obj, "Data network %s is already assigned to interface %s on host %s; nothing to do.", dn.Name, ifc.Name, h.Hostname)
		}
		if a.ID != "" && e.ID == a.ID {
			return Interface{}, conflict(obj, "Assignment id %s already exists; assign with a new id.", a.ID)
		}
	}
	if ifc.Class == IfClassNone {
		ifc.Class = IfClassData
	}
	if !carriesDataNetworks(ifc.Class) {
		return Interface{}, invalid(obj, "Interface %s is class %s; data networks can be assigned only to interfaces of class data, pci-sriov or pci-passthrough. Change its class first.", ifc.Name, ifc.Class)
	}
	if ifc.Class == IfClassPCIPassthrough {
		if cur := cur.Assigned(ifc.ID); len(cur) > 0 {
			return Interface{}, conflict(obj, "Interface %s is pci-passthrough and already serves data network %s: a passthrough PF serves one network at a time, so its switch port can be an access port on that network's VLAN. Remove %s first, or use class pci-sriov.", ifc.Name, cur[0].Name, cur[0].Name)
		}
	}
	if ifc.MTU < dn.MTU {
		return Interface{}, invalid(obj, "Interface %s: MTU %d is smaller than MTU %d of data network %s; raise the interface MTU to at least %d first.", ifc.Name, ifc.MTU, dn.MTU, dn.Name, dn.MTU)
	}
	next := cur.withInterface(ifc)
	next.Assignments = append(append([]InterfaceDataNetwork{}, cur.Assignments...), a)
	if err := CheckInterface(h, next, ifc); err != nil {
		return Interface{}, err
	}
	return derived(next, ifc.ID), nil
}

// RemoveDataNetwork checks that assignment id may be removed from host h.
// The interface keeps its class.
func RemoveDataNetwork(h Host, cur HostConfig, id string) error {
	if err := RequireLocked(h); err != nil {
		return err
	}
	for _, a := range cur.Assignments {
		if a.ID == id {
			return nil
		}
	}
	return notFound("interface-datanetwork "+id, "Data network assignment %s does not exist on host %s; list the host's interface data networks and use one of their ids.", id, h.Hostname)
}
