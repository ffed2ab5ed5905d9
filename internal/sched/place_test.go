package sched

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/model"
)

// base: compute-0 has 4 VFs on node 0 (PF 3b) and 2 on node 1 (PF af) for
// datanet-a; compute-1 has 2 VFs for datanet-a and datanet-b on node 0 and a
// pci-passthrough PF for datanet-b.
var base = fleet{}.
	sriov("compute-0", "sriov0", "3b", 0, 0, 4, "datanet-a").
	sriov("compute-0", "sriov1", "af", 1, 1, 2, "datanet-a").
	sriov("compute-1", "sriov0", "3b", 0, 0, 2, "datanet-a", "datanet-b").
	passthrough("compute-1", "pt0", "5e", 0, 0, "datanet-b")

// quad: one host, four NUMA nodes on two sockets (0,1 on socket 0; 2,3 on
// socket 1); VFs on nodes 0, 1 and 3, node 2 has none.
var quad = fleet{}.
	sriov("compute-q", "sriov0", "18", 0, 0, 2, "datanet-a").
	sriov("compute-q", "sriov1", "3b", 1, 0, 2, "datanet-a").
	sriov("compute-q", "sriov2", "d8", 3, 1, 2, "datanet-a")

var quadNodes = []HostNode{{"compute-q", 2, 1}}

func TestPlace(t *testing.T) {
	tests := []struct {
		name     string
		devs     fleet
		nodes    []HostNode
		req      Request
		wantHost string
		wantNode int
		want     []string // device addresses, by port
		err      error    // expected reason (errors.Is)
		msg      string   // exact message when err is set
	}{
		// Host and device order: spread.
		{name: "most free host, most free PF, lowest VF",
			devs: base, req: Request{Ports: []Port{direct("p1", "datanet-a", "")}},
			wantHost: "compute-0", wantNode: 0, want: []string{"0000:3b:02.0"}},
		{name: "spread to the host with more free",
			devs: base.claim("0000:3b:02.0", "0000:3b:02.1", "0000:3b:02.2", "0000:3b:02.3"),
			req:  Request{Ports: []Port{direct("p1", "datanet-a", "")}},
			// compute-0 keeps 2 (node 1), compute-1 has 2: a tie, broken by name
			wantHost: "compute-0", wantNode: 1, want: []string{"0000:af:02.0"}},
		{name: "equal hosts: by name",
			devs: fleet{}.sriov("b", "s", "3b", 0, 0, 2, "d").sriov("a", "s", "3b", 0, 0, 2, "d"),
			req:  Request{Ports: []Port{direct("p1", "d", "")}}, wantHost: "a", wantNode: 0, want: []string{"0000:3b:02.0"}},
		{name: "spread over PFs on the host",
			devs: fleet{}.sriov("h", "s0", "3b", 0, 0, 4, "d").sriov("h", "s1", "3c", 0, 0, 4, "d").claim("0000:3b:02.0"),
			req:  Request{Ports: []Port{direct("p1", "d", PolicyRequired)}, Node: node(0)}, wantHost: "h", wantNode: 0, want: []string{"0000:3c:02.0"}},
		{name: "skips claimed VFs",
			devs: base.claim("0000:3b:02.0"), req: Request{Ports: []Port{direct("p1", "datanet-a", ""), direct("p2", "datanet-a", "")}, Host: "compute-0", Node: node(0)},
			wantHost: "compute-0", wantNode: 0, want: []string{"0000:3b:02.1", "0000:3b:02.2"}},

		// NUMA: required.
		{name: "required, pinned node 1",
			devs: base, req: Request{Ports: []Port{direct("p1", "datanet-a", PolicyRequired)}, Node: node(1)},
			wantHost: "compute-0", wantNode: 1, want: []string{"0000:af:02.0"}},
		{name: "required, pinned node 1, full",
			devs: base.claim("af"), req: Request{Ports: []Port{direct("p1", "datanet-a", PolicyRequired)}, Node: node(1)},
			err: ReasonNUMA,
			msg: "NUMA policy required: no host has a free VF on datanet-a on NUMA node 1; the host with the most, compute-0, has: node 0 has 4"},
		{name: "required, pinned node 1, full, on a named host",
			devs: base.claim("af", "0000:3b:02.0"), req: Request{Ports: []Port{direct("p1", "datanet-a", PolicyRequired)}, Node: node(1), Host: "compute-0"},
			err: ReasonNUMA,
			msg: "NUMA policy required: node 1 of compute-0 has no free VF on datanet-a (node 0 has 3)"},
		{name: "required, not pinned: the node with most free becomes the instance's",
			devs: base.claim("0000:3b:02.0", "0000:3b:02.1", "0000:3b:02.2"), req: Request{Ports: []Port{direct("p1", "datanet-a", PolicyRequired)}, Host: "compute-0"},
			wantHost: "compute-0", wantNode: 1, want: []string{"0000:af:02.0"}},
		{name: "required, not pinned, no NUMA information anywhere",
			devs: fleet{}.sriov("h", "s", "3b", -1, -1, 2, "d"), req: Request{Ports: []Port{direct("p1", "d", PolicyRequired)}},
			err: ReasonNUMA,
			msg: "NUMA policy required: no host has a free VF on d with NUMA information; the host with the most, h, has: 2 without NUMA information"},
		{name: "required, not pinned, no NUMA information, named host",
			devs: fleet{}.sriov("h", "s", "3b", -1, -1, 2, "d"), req: Request{Ports: []Port{direct("p1", "d", PolicyRequired)}, Host: "h"},
			err: ReasonNUMA,
			msg: "NUMA policy required: host h has no free VF on d with NUMA information (2 without NUMA information)"},

		// NUMA: legacy.
		{name: "legacy is the default and takes the same node",
			devs: base, req: Request{Ports: []Port{direct("p1", "datanet-a", "")}, Node: node(1)},
			wantHost: "compute-0", wantNode: 1, want: []string{"0000:af:02.0"}},
		{name: "legacy falls back to a device without NUMA information",
			devs: fleet{}.sriov("h", "s0", "3b", 0, 0, 2, "d").sriov("h", "s1", "5e", -1, -1, 1, "d"),
			req:  Request{Ports: []Port{direct("p1", "d", PolicyLegacy)}, Node: node(1)}, wantHost: "h", wantNode: 1, want: []string{"0000:5e:02.0"}},
		{name: "legacy prefers a host with the same node over one without NUMA information",
			devs: fleet{}.sriov("a", "s", "3b", -1, -1, 8, "d").sriov("b", "s", "3b", 1, 1, 1, "d"),
			req:  Request{Ports: []Port{direct("p1", "d", PolicyLegacy)}, Node: node(1)}, wantHost: "b", wantNode: 1, want: []string{"0000:3b:02.0"}},
		{name: "legacy refuses another node",
			devs: base.claim("af"), req: Request{Ports: []Port{direct("p1", "datanet-a", PolicyLegacy)}, Node: node(1), Host: "compute-0"},
			err: ReasonNUMA,
			msg: "NUMA policy legacy: node 1 of compute-0 has no free VF on datanet-a and none is without NUMA information (node 0 has 4)"},
		{name: "legacy refuses another node, fleet",
			devs: base.claim("af"), req: Request{Ports: []Port{direct("p1", "datanet-a", PolicyLegacy)}, Node: node(1)},
			err: ReasonNUMA,
			msg: "NUMA policy legacy: no host has a free VF on datanet-a on NUMA node 1 or without NUMA information; the host with the most, compute-0, has: node 0 has 4"},
		{name: "legacy on a host without NUMA information: node -1",
			devs: fleet{}.sriov("h", "s", "3b", -1, -1, 2, "d"), req: Request{Ports: []Port{direct("p1", "d", "")}},
			wantHost: "h", wantNode: -1, want: []string{"0000:3b:02.0"}},

		// NUMA: socket.
		{name: "socket takes the same node first",
			devs: quad, nodes: quadNodes, req: Request{Ports: []Port{direct("p1", "datanet-a", PolicySocket)}, Node: node(1)},
			wantHost: "compute-q", wantNode: 1, want: []string{"0000:3b:02.0"}},
		{name: "socket takes another node of the same socket",
			devs: quad.claim("3b"), nodes: quadNodes, req: Request{Ports: []Port{direct("p1", "datanet-a", PolicySocket)}, Node: node(1)},
			wantHost: "compute-q", wantNode: 1, want: []string{"0000:18:02.0"}},
		{name: "socket: a node without devices knows its socket from HostNode",
			devs: quad, nodes: quadNodes, req: Request{Ports: []Port{direct("p1", "datanet-a", PolicySocket)}, Node: node(2)},
			wantHost: "compute-q", wantNode: 2, want: []string{"0000:d8:02.0"}},
		{name: "socket refuses the other socket",
			devs: quad.claim("d8"), nodes: quadNodes, req: Request{Ports: []Port{direct("p1", "datanet-a", PolicySocket)}, Node: node(2), Host: "compute-q"},
			err: ReasonNUMA,
			msg: "NUMA policy socket: socket 1 (of node 2) of compute-q has no free VF on datanet-a (node 0 (socket 0) has 2, node 1 (socket 0) has 2)"},
		{name: "socket refuses the other socket, fleet",
			devs: quad.claim("d8"), nodes: quadNodes, req: Request{Ports: []Port{direct("p1", "datanet-a", PolicySocket)}, Node: node(3)},
			err: ReasonNUMA,
			msg: "NUMA policy socket: no host has a free VF on datanet-a on the socket of NUMA node 3; the host with the most, compute-q, has: node 0 (socket 0) has 2, node 1 (socket 0) has 2"},
		{name: "socket of an unknown node",
			devs: quad.claim("d8"), req: Request{Ports: []Port{direct("p1", "datanet-a", PolicySocket)}, Node: node(2), Host: "compute-q"},
			err: ReasonNUMA,
			msg: "NUMA policy socket: node 2 of compute-q has no free VF on datanet-a and the node's socket is unknown (node 0 (socket 0) has 2, node 1 (socket 0) has 2)"},
		{name: "socket, not pinned, devices without NUMA information",
			devs: fleet{}.sriov("h", "s", "3b", -1, -1, 2, "d"), req: Request{Ports: []Port{direct("p1", "d", PolicySocket)}, Host: "h"},
			err: ReasonNUMA, msg: "NUMA policy socket: host h has no free VF on d on a known socket (2 without NUMA information)"},

		// NUMA: preferred.
		{name: "preferred takes the same node",
			devs: base, req: Request{Ports: []Port{direct("p1", "datanet-a", PolicyPreferred)}, Node: node(1)},
			wantHost: "compute-0", wantNode: 1, want: []string{"0000:af:02.0"}},
		{name: "preferred takes any node when its own is full",
			devs: base.claim("af"), req: Request{Ports: []Port{direct("p1", "datanet-a", PolicyPreferred)}, Node: node(1)},
			wantHost: "compute-0", wantNode: 1, want: []string{"0000:3b:02.0"}},
		{name: "preferred prefers a host with the node free over one with more VFs",
			devs:     base.claim("af").sriov("compute-2", "s", "3b", 1, 1, 1, "datanet-a"),
			req:      Request{Ports: []Port{direct("p1", "datanet-a", PolicyPreferred)}, Node: node(1)},
			wantHost: "compute-2", wantNode: 1, want: []string{"0000:3b:02.0"}},

		// Hosts.
		{name: "locked and disabled hosts are skipped",
			devs: base.state("compute-0", model.AdminLocked, model.OperEnabled),
			req:  Request{Ports: []Port{direct("p1", "datanet-a", "")}}, wantHost: "compute-1", wantNode: 0, want: []string{"0000:3b:02.0"}},
		{name: "named host is locked",
			devs: base.state("compute-1", model.AdminLocked, model.OperEnabled), req: Request{Ports: []Port{direct("p1", "datanet-a", "")}, Host: "compute-1"},
			err: ReasonHostUnavailable, msg: "host compute-1 is locked: unlock it (vfnet host-unlock compute-1) to bind ports on it"},
		{name: "named host is disabled",
			devs: base.state("compute-1", model.AdminUnlocked, model.OperDisabled), req: Request{Ports: []Port{direct("p1", "datanet-a", "")}, Host: "compute-1"},
			err: ReasonHostUnavailable, msg: "host compute-1 is disabled: its agent is not running or has not applied the host's configuration yet; retry once vfnet host-list shows it enabled (vfnet event-list --host compute-1 shows the agent's work)"},
		{name: "free VFs only on unavailable hosts",
			devs: base.claim("af").state("compute-0", model.AdminLocked, model.OperDisabled).state("compute-1", model.AdminUnlocked, model.OperDisabled),
			req:  Request{Ports: []Port{direct("p1", "datanet-a", "")}},
			err:  ReasonHostUnavailable,
			msg:  "no host has a free VF on datanet-a: the 6 free VFs are on hosts that are locked or disabled (compute-0 locked, compute-1 disabled)"},
		{name: "named host unknown",
			devs: base, req: Request{Ports: []Port{direct("p1", "datanet-a", "")}, Host: "compute-9"},
			err: ReasonNoDevice, msg: "host compute-9 has no pci-sriov interface assigned to datanet-a"},
		{name: "named host without the data network",
			devs: base, req: Request{Ports: []Port{direct("p1", "datanet-b", "")}, Host: "compute-0"},
			err: ReasonNoDevice, msg: "host compute-0 has no pci-sriov interface assigned to datanet-b"},
		{name: "named host full",
			devs: base.claim("3b"), req: Request{Ports: []Port{direct("p1", "datanet-b", "")}, Host: "compute-1"},
			err: ReasonNoDevice, msg: "host compute-1 has no free VF on datanet-b: all 2 VFs are claimed"},

		// The fleet is full or has nothing for the network.
		{name: "all claimed",
			devs: base.claim("3b", "af"), req: Request{Ports: []Port{direct("p1", "datanet-a", "")}},
			err: ReasonNoDevice, msg: "no host has a free VF on datanet-a: all 8 VFs are claimed"},
		{name: "no interface on the network",
			devs: base, req: Request{Ports: []Port{direct("p1", "datanet-x", "")}},
			err: ReasonNoDevice, msg: "no host has a free VF on datanet-x: no host has a pci-sriov interface assigned to datanet-x"},

		// vnic types.
		{name: "normal port",
			devs: base, req: Request{Ports: []Port{{ID: "p1", VNICType: "normal", PhysicalNetwork: "datanet-a"}}},
			err: ReasonVNICType,
			msg: "port p1 has vnic_type normal: vfnet binds only direct and direct-physical ports (SR-IOV VFs and PCI passthrough): recreate it with --vnic-type direct"},
		{name: "direct-physical takes a pci-passthrough PF",
			devs: base, req: Request{Ports: []Port{physical("p1", "datanet-b", "")}},
			wantHost: "compute-1", wantNode: 0, want: []string{"0000:5e:00.0"}},
		{name: "direct-physical: PF claimed",
			devs: base.claim("0000:5e:00.0"), req: Request{Ports: []Port{physical("p1", "datanet-b", "")}},
			err: ReasonNoDevice, msg: "no host has a free pci-passthrough interface on datanet-b: the only pci-passthrough interface is claimed"},
		{name: "direct-physical: no passthrough interface on the network",
			devs: base, req: Request{Ports: []Port{physical("p1", "datanet-a", "")}},
			err: ReasonNoDevice, msg: "no host has a free pci-passthrough interface on datanet-a: no host has a pci-passthrough interface assigned to datanet-a"},

		// pci_slot, as Nova's binding:profile names it.
		{name: "pci_slot is taken as given",
			devs: base, req: Request{Ports: []Port{slot(direct("p1", "datanet-a", ""), "0000:af:02.1")}, Host: "compute-0"},
			wantHost: "compute-0", wantNode: 1, want: []string{"0000:af:02.1"}},
		{name: "pci_slot of a passthrough PF",
			devs: base, req: Request{Ports: []Port{slot(physical("p1", "datanet-b", ""), "0000:5e:00.0")}, Host: "compute-1"},
			wantHost: "compute-1", wantNode: 0, want: []string{"0000:5e:00.0"}},
		{name: "pci_slot claimed",
			devs: base.claim("0000:af:02.1"), req: Request{Ports: []Port{slot(direct("p1", "datanet-a", ""), "0000:af:02.1")}, Host: "compute-0"},
			err: ReasonPCISlot, msg: "port p1 asks for pci_slot 0000:af:02.1 of compute-0/sriov1, which is already claimed"},
		{name: "pci_slot unknown",
			devs: base, req: Request{Ports: []Port{slot(direct("p1", "datanet-a", ""), "0000:af:07.0")}, Host: "compute-0"},
			err: ReasonPCISlot, msg: "port p1 asks for pci_slot 0000:af:07.0, which is no device vfnet schedules on host compute-0: give the address of a VF of a pci-sriov interface as the host reports it"},
		{name: "pci_slot on another network",
			devs: base, req: Request{Ports: []Port{slot(direct("p1", "datanet-b", ""), "0000:af:02.1")}, Host: "compute-0"},
			err: ReasonPCISlot, msg: "port p1 asks for pci_slot 0000:af:02.1 of compute-0/sriov1, which serves datanet-a, not datanet-b"},
		{name: "pci_slot of the wrong kind",
			devs: base, req: Request{Ports: []Port{slot(direct("p1", "datanet-b", ""), "0000:5e:00.0")}, Host: "compute-1"},
			err: ReasonPCISlot, msg: "port p1 (vnic_type direct) asks for pci_slot 0000:5e:00.0 of pci-passthrough interface compute-1/pt0: it needs a VF"},
		{name: "pci_slot against the NUMA policy",
			devs: base, req: Request{Ports: []Port{slot(direct("p1", "datanet-a", PolicyRequired), "0000:af:02.1")}, Host: "compute-0", Node: node(0)},
			err: ReasonNUMA, msg: "NUMA policy required: pci_slot 0000:af:02.1 is on NUMA node 1 of compute-0, the instance on node 0"},
		{name: "pci_slot without a host",
			devs: base, req: Request{Ports: []Port{slot(direct("p1", "datanet-a", ""), "0000:af:02.1")}},
			err: ReasonInvalid, msg: "port p1 asks for pci_slot 0000:af:02.1 on no host: a PCI address names a device only together with its host (binding:host_id)"},
		{name: "one pci_slot for two ports",
			devs: base, req: Request{Ports: []Port{slot(direct("p1", "datanet-a", ""), "0000:af:02.1"), slot(direct("p2", "datanet-a", ""), "0000:af:02.1")}, Host: "compute-0"},
			err: ReasonInvalid, msg: "ports p1 and p2 both ask for pci_slot 0000:af:02.1: one device serves one port"},

		// An administratively down port and NICs without VF link state.
		{name: "admin down port skips the VFs of a driver without link state",
			devs: base.noLink("compute-0", "3b", "igb"), req: Request{Ports: []Port{down(direct("p1", "datanet-a", ""))}},
			wantHost: "compute-0", wantNode: 1, want: []string{"0000:af:02.0"}},
		{name: "admin up port takes them",
			devs: base.noLink("compute-0", "3b", "igb"), req: Request{Ports: []Port{direct("p1", "datanet-a", "")}},
			wantHost: "compute-0", wantNode: 0, want: []string{"0000:3b:02.0"}},
		{name: "admin down port goes to another host",
			devs: base.noLink("compute-0", "3b", "igb").claim("af"), req: Request{Ports: []Port{down(direct("p1", "datanet-a", ""))}},
			wantHost: "compute-1", wantNode: 0, want: []string{"0000:3b:02.0"}},
		{name: "admin down port on a passed-through PF of such a driver",
			devs: base.noLink("compute-1", "5e", "igb"), req: Request{Ports: []Port{down(physical("p1", "datanet-b", ""))}},
			wantHost: "compute-1", wantNode: 0, want: []string{"0000:5e:00.0"}},
		{name: "admin down port beside an up one: the up one takes the igb VF",
			devs:     fleet{}.sriov("h", "s0", "3b", 0, 0, 1, "d").sriov("h", "s1", "3c", 0, 0, 1, "d").noLink("h", "3b", "igb"),
			req:      Request{Ports: []Port{down(direct("p1", "d", "")), direct("p2", "d", "")}},
			wantHost: "h", wantNode: 0, want: []string{"0000:3c:02.0", "0000:3b:02.0"}},
		{name: "admin down port on a named host with only such VFs",
			devs: base.noLink("compute-1", "3b", "igb"), req: Request{Ports: []Port{down(direct("p1", "datanet-a", ""))}, Host: "compute-1"},
			err: ReasonLinkState, msg: "port p1 is admin_state_up false, but the free VFs on datanet-a of host compute-1 are on PF 0000:3b:00.0, whose driver (igb) cannot disable a VF's link " +
				"(no VF link state), so the VF would pass traffic: bind it where a NIC supports VF link state, or set the port admin_state_up true"},
		{name: "admin down port and no such VF in the fleet",
			devs: fleet{}.sriov("h", "s0", "3b", 0, 0, 2, "d").noLink("h", "3b", "igb"), req: Request{Ports: []Port{down(direct("p1", "d", ""))}},
			err: ReasonLinkState, msg: "port p1 is admin_state_up false, but the free VFs on d of host h are on PF 0000:3b:00.0, whose driver (igb) cannot disable a VF's link " +
				"(no VF link state), so the VF would pass traffic: bind it where a NIC supports VF link state, or set the port admin_state_up true"},
		{name: "admin down port asks for a pci_slot of such a driver",
			devs: base.noLink("compute-0", "af", "igb"), req: Request{Ports: []Port{slot(down(direct("p1", "datanet-a", "")), "0000:af:02.1")}, Host: "compute-0"},
			err: ReasonLinkState, msg: "port p1 is admin_state_up false and asks for pci_slot 0000:af:02.1 of compute-0/sriov1, a VF of PF 0000:af:00.0 whose driver (igb) cannot disable a VF's link " +
				"(no VF link state), so the VF would pass traffic: give a VF of a NIC that supports VF link state, or set the port admin_state_up true"},

		// Malformed requests.
		{name: "no port", devs: base, req: Request{}, err: ReasonInvalid, msg: "nothing to place: the request has no port"},
		{name: "unknown policy", devs: base, req: Request{Ports: []Port{direct("p1", "datanet-a", "strict")}},
			err: ReasonInvalid, msg: `port p1: NUMA affinity policy "strict" is unknown: use required, preferred, legacy or socket`},
		{name: "negative node", devs: base, req: Request{Ports: []Port{direct("p1", "datanet-a", "")}, Node: node(-1)},
			err: ReasonInvalid, msg: "NUMA node -1 is not a node: give a node id (0, 1, ...) or none to let vfnet choose"},
		{name: "no physical network", devs: base, req: Request{Ports: []Port{direct("p1", "", "")}},
			err: ReasonInvalid, msg: "port p1 has no physical network: its network must be a flat or vlan provider network"},

		// Instances: all ports on one host.
		{name: "one host serves both networks",
			devs: base, req: Request{Ports: []Port{direct("p1", "datanet-a", ""), direct("p2", "datanet-b", "")}},
			wantHost: "compute-1", wantNode: 0, want: []string{"0000:3b:02.0", "0000:3b:02.1"}},
		{name: "VF and PF for one instance",
			devs: base, req: Request{Ports: []Port{direct("p1", "datanet-b", ""), physical("p2", "datanet-b", "")}},
			wantHost: "compute-1", wantNode: 0, want: []string{"0000:3b:02.0", "0000:5e:00.0"}},
		{name: "required ports share the node chosen for the instance",
			devs:     fleet{}.sriov("a", "s0", "3b", 0, 0, 1, "d").sriov("a", "s1", "af", 1, 1, 1, "d").sriov("b", "s1", "af", 1, 1, 2, "d"),
			req:      Request{Ports: []Port{direct("p1", "d", PolicyRequired), direct("p2", "d", PolicyRequired)}},
			wantHost: "b", wantNode: 1, want: []string{"0000:af:02.0", "0000:af:02.1"}},
		{name: "a preferred port leaves the node's only VF to a required one",
			devs:     fleet{}.sriov("h", "s0", "3b", 0, 0, 1, "d").sriov("h", "s1", "af", 1, 1, 1, "d"),
			req:      Request{Ports: []Port{direct("p1", "d", PolicyPreferred), direct("p2", "d", PolicyRequired)}, Node: node(0)},
			wantHost: "h", wantNode: 0, want: []string{"0000:af:02.0", "0000:3b:02.0"}},
		{name: "a VF serving two networks goes to the port that has no other",
			devs:     fleet{}.sriov("h", "s0", "3b", 0, 0, 1, "a", "b").sriov("h", "s1", "af", 0, 0, 1, "a"),
			req:      Request{Ports: []Port{direct("p1", "a", ""), direct("p2", "b", "")}},
			wantHost: "h", wantNode: 0, want: []string{"0000:af:02.0", "0000:3b:02.0"}},
		{name: "no single host",
			devs: fleet{}.sriov("h1", "s", "3b", 0, 0, 3, "a").sriov("h2", "s", "3b", 0, 0, 1, "b"),
			req:  Request{Ports: []Port{direct("p1", "a", ""), direct("p2", "b", "")}},
			err:  ReasonTogether,
			msg:  "no single host can serve all 2 ports: the closest, h1, serves 1 with the instance on NUMA node 0; port p2 (a VF on b, NUMA policy legacy) does not fit beside the others"},
		{name: "named host cannot hold every port",
			devs: base.claim("0000:3b:02.1"), req: Request{Ports: []Port{direct("p1", "datanet-b", ""), direct("p2", "datanet-a", "")}, Host: "compute-1"},
			err: ReasonTogether,
			msg: "host compute-1 cannot serve the 2 ports together with the instance on NUMA node 0: port p2 (a VF on datanet-a, NUMA policy legacy) finds no free device left beside the others"},
		{name: "one port of an instance fits nowhere",
			devs: base, req: Request{Ports: []Port{direct("p1", "datanet-a", ""), direct("p2", "datanet-x", "")}},
			err: ReasonNoDevice, msg: "no host has a free VF on datanet-x: no host has a pci-sriov interface assigned to datanet-x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Place(tt.devs, tt.nodes, tt.req)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Place(%+v) = %+v, %v; want error %v", tt.req, got, err, tt.err)
				}
				if err.Error() != tt.msg {
					t.Errorf("Place(%+v) error:\n got %q\nwant %q", tt.req, err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Place(%+v): %v", tt.req, err)
			}
			var addrs []string
			for _, d := range got.Devices {
				addrs = append(addrs, d.Addr())
			}
			if got.Host != tt.wantHost || got.Node != tt.wantNode || !cmp.Equal(addrs, tt.want) {
				t.Errorf("Place(%+v) = host %s node %d %v; want host %s node %d %v",
					tt.req, got.Host, got.Node, addrs, tt.wantHost, tt.wantNode, tt.want)
			}
		})
	}
}

// TestErrorClass checks the classes the API maps to HTTP statuses.
func TestErrorClass(t *testing.T) {
	_, err := Place(base, nil, Request{Ports: []Port{direct("p1", "datanet-x", "")}})
	if !errors.Is(err, model.ErrConflict) || model.CodeOf(err) != model.ErrConflict {
		t.Errorf("no device: %v is not a conflict (CodeOf = %s)", err, model.CodeOf(err))
	}
	if ReasonOf(err) != ReasonNoDevice {
		t.Errorf("ReasonOf(%v) = %q, want %q", err, ReasonOf(err), ReasonNoDevice)
	}
	_, err = Place(base, nil, Request{})
	if !errors.Is(err, model.ErrInvalid) || model.CodeOf(err) != model.ErrInvalid {
		t.Errorf("no port: %v is not invalid (CodeOf = %s)", err, model.CodeOf(err))
	}
}

func TestResolvePolicy(t *testing.T) {
	tests := []struct {
		port, instance string
		want           Policy
		err            error
	}{
		{"", "", PolicyLegacy, nil},
		{"required", "", PolicyRequired, nil},
		{"", "socket", PolicySocket, nil},
		{"preferred", "required", PolicyPreferred, nil},
		{"", "bogus", "", ReasonInvalid},
	}
	for _, tt := range tests {
		got, err := ResolvePolicy(tt.port, tt.instance)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ResolvePolicy(%q, %q) = %q, %v; want %q, %v", tt.port, tt.instance, got, err, tt.want, tt.err)
		}
	}
}
