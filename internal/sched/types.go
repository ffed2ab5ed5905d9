// Package sched chooses, for the ports of an instance (or one port bound as
// Nova binds it), one host and one device per port from a snapshot of the
// fleet's SR-IOV devices: a free VF of a pci-sriov interface for a direct
// port, the PF of a free pci-passthrough interface for a direct-physical
// port, on an unlocked, enabled host whose interface serves the port's
// physical network, under the port's NUMA affinity policy. It is pure: no
// I/O, no clock. The store claims what it returns in one transaction and a
// UNIQUE constraint makes a second claim of the same device fail; sched only
// decides. docs/scheduling.md explains the policies, the order of choice and
// the failure messages.
package sched

import (
	"errors"
	"fmt"

	"vfnet/internal/model"
	"vfnet/internal/neutron"
)

// Device is one schedulable device as the store hands it over: a VF of a
// pci-sriov interface, or the PF of a pci-passthrough interface, with its
// host's state. Rows of one host must agree on the host's state.
type Device struct {
	Host      string           `json:"host"`
	HostAdmin model.AdminState `json:"host_administrative"`
	HostOper  model.OperState  `json:"host_operational"`
	// Interface is the ifname of the interface that owns the device: the
	// pci-sriov ethernet interface or its vf sub-interface, or the
	// pci-passthrough interface.
	Interface    string        `json:"ifname"`
	Class        model.IfClass `json:"ifclass"` // pci-sriov or pci-passthrough
	DataNetworks []string      `json:"datanetworks"`
	PFAddr       string        `json:"pf_pciaddr"`
	// VFAddr and VFIndex name the VF; VFAddr is "" for pci-passthrough.
	VFAddr  string `json:"vf_pciaddr,omitempty"`
	VFIndex int    `json:"vf_index"`
	// NUMANode is the PF's NUMA node, -1 when the platform reports none.
	NUMANode int `json:"numa_node"`
	// Socket is the CPU socket of NUMANode, -1 when unknown.
	Socket  int  `json:"socket"`
	Claimed bool `json:"claimed"`
	// NoLinkState names the PF's driver when, as the host's agent
	// reported, it cannot set a VF's link state (igb has no
	// ndo_set_vf_link_state); "" when it can or nothing is known yet.
	NoLinkState string `json:"no_vf_link_state,omitempty"`
}

// Addr is the device's PCI address as binding:profile.pci_slot names it:
// the VF, or the PF of a pci-passthrough interface.
func (d Device) Addr() string {
	if d.VFAddr != "" {
		return d.VFAddr
	}
	return d.PFAddr
}

// HostNode tells the socket of one NUMA node of a host. It is optional input:
// devices already tell the nodes they sit on; HostNode adds the nodes that
// have no device (an instance pinned there can still take a device on the
// same socket under the socket policy).
type HostNode struct {
	Host   string `json:"host"`
	Node   int    `json:"node"`
	Socket int    `json:"socket"`
}

// Policy is a NUMA affinity policy: Neutron's numa_affinity_policy values.
type Policy string

const (
	// PolicyRequired: the device's NUMA node is the instance's.
	PolicyRequired Policy = neutron.NUMARequired
	// PolicyLegacy: the instance's node, or a device with no NUMA node.
	PolicyLegacy Policy = neutron.NUMALegacy
	// PolicySocket: a device on the socket of the instance's node.
	PolicySocket Policy = neutron.NUMASocket
	// PolicyPreferred: any device, the instance's node first.
	PolicyPreferred Policy = neutron.NUMAPreferred
)

// ResolvePolicy is the policy a port is scheduled with: the port's
// numa_affinity_policy, else the instance's, else legacy (Nova's default).
func ResolvePolicy(port, instance string) (Policy, error) {
	for _, s := range []string{port, instance} {
		if s == "" {
			continue
		}
		switch p := Policy(s); p {
		case PolicyRequired, PolicyLegacy, PolicySocket, PolicyPreferred:
			return p, nil
		}
		return "", &Error{Reason: ReasonInvalid, Msg: fmt.Sprintf(
			"NUMA affinity policy %q is unknown: use required, preferred, legacy or socket", s)}
	}
	return PolicyLegacy, nil
}

// Port is one port to place.
type Port struct {
	ID              string `json:"id"`
	VNICType        string `json:"vnic_type"`
	PhysicalNetwork string `json:"physical_network"`
	// Policy is ResolvePolicy's answer; "" is legacy.
	Policy Policy `json:"numa_affinity_policy"`
	// PCISlot is binding:profile.pci_slot when Nova names the exact device
	// (Request.Host must name its host: addresses repeat across hosts); ""
	// lets sched choose.
	PCISlot string `json:"pci_slot,omitempty"`
	// AdminDown: the port's admin_state_up is false, so its VF's link must
	// be disabled; a VF whose PF driver lacks VF link state (NoLinkState)
	// would pass traffic anyway and does not serve it.
	AdminDown bool `json:"admin_state_down,omitempty"`
}

// Request asks for one host serving every port, and one device per port.
type Request struct {
	Ports []Port `json:"ports"`
	// Host restricts the choice to one host (binding:host_id, or
	// `instance create --host`); "" chooses one.
	Host string `json:"host,omitempty"`
	// Node is the instance's NUMA node when it is pinned; nil lets sched
	// choose it with the host.
	Node *int `json:"numa_node,omitempty"`
}

// Placement is the answer: the host, the instance's NUMA node (given or
// chosen; -1 when the host reports no NUMA information), and Devices[i] for
// Ports[i].
type Placement struct {
	Host    string   `json:"host"`
	Node    int      `json:"numa_node"`
	Devices []Device `json:"devices"`
}

// Reason classifies why nothing fits; test it with errors.Is.
type Reason string

func (r Reason) Error() string { return string(r) }

const (
	// ReasonInvalid: the request is malformed (no ports, an unknown policy,
	// no physical network, one pci_slot for two ports).
	ReasonInvalid Reason = "invalid_request"
	// ReasonVNICType: the port is neither direct nor direct-physical.
	ReasonVNICType Reason = "vnic_type_not_bindable"
	// ReasonNoDevice: no device of the kind on the physical network is free
	// (or none exists) where the request may go.
	ReasonNoDevice Reason = "no_free_device"
	// ReasonHostUnavailable: the host is locked or disabled.
	ReasonHostUnavailable Reason = "host_unavailable"
	// ReasonNUMA: free devices exist but none satisfies the NUMA policy.
	ReasonNUMA Reason = "numa_policy"
	// ReasonPCISlot: the pci_slot asked for cannot serve the port.
	ReasonPCISlot Reason = "pci_slot"
	// ReasonLinkState: the port is administratively down and the free
	// devices that would serve it are VFs of NICs whose driver cannot
	// disable a VF's link.
	ReasonLinkState Reason = "vf_link_state_unsupported"
	// ReasonTogether: every port fits somewhere, but no one host (and NUMA
	// node) serves all of them at once.
	ReasonTogether Reason = "no_single_host"
)

// Error is a scheduling refusal. Msg is complete, for the operator (the 409
// body, or the log of a binding_failed). It unwraps to its Reason and to a
// model error class (invalid for ReasonInvalid, conflict otherwise), so the
// API maps it to a status like any other rule's error.
type Error struct {
	Reason Reason
	Port   string // the port that does not fit, when one does not
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap exposes the reason and the error class to errors.Is.
func (e *Error) Unwrap() []error {
	if e.Reason == ReasonInvalid {
		return []error{e.Reason, model.ErrInvalid}
	}
	return []error{e.Reason, model.ErrConflict}
}

func refuse(r Reason, port, format string, args ...any) error {
	return &Error{Reason: r, Port: port, Msg: fmt.Sprintf(format, args...)}
}

// ReasonOf returns the reason of a scheduling error, "" if err is not one.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
