package sched

import (
	"slices"
	"strings"

	"vfnet/internal/model"
)

// Place chooses one host for all the request's ports and one free device per
// port, or says why nothing fits (an *Error).
//
// Order of choice (docs/scheduling.md says why):
//  1. Hosts: spread. Among the hosts with a device that satisfies the
//     port's policy, the one with the most such free devices, then by name;
//     with a pinned NUMA node a host with a free device on that node comes
//     before one that only has a fallback (no NUMA information for legacy,
//     the same socket for socket, any node for preferred).
//  2. The instance's NUMA node, when not pinned: the host's node with the
//     most free devices for the request's ports, then the lowest id.
//  3. Devices on the host: the instance's node first, then the policy's
//     fallback; among equals the interface (PF) with the most free devices,
//     then the lowest PF address, then the lowest VF index.
//
// With several ports, hosts are visited in the order of the most
// constrained port and the first host (and node) that serves every port
// wins; ports are matched to devices so that a port never takes the only
// device another port could use.
func (ix *Index) Place(r Request) (Placement, error) {
	ports, err := ix.resolve(r)
	if err != nil {
		return Placement{}, err
	}
	if r.Host != "" {
		return ix.placeOn(r.Host, ports, r.Node)
	}

	// Each port's candidate hosts are the union of its rankings; a port with
	// none fails on its own, whatever the others.
	driver, least := -1, 0
	for i, p := range ports {
		n := 0
		for _, k := range rankKeys(p.policy, r.Node) {
			n += p.rank(k).len()
		}
		if n == 0 {
			return Placement{}, ix.explainFleet(p, r.Node)
		}
		if driver < 0 || n < least {
			driver, least = i, n
		}
	}
	var (
		out  Placement
		done bool
		best miss
	)
	keys := rankKeys(ports[driver].policy, r.Node)
	for ki, k := range keys {
		ports[driver].rank(k).each(func(hid int32) bool {
			for _, prev := range keys[:ki] {
				if ports[driver].rank(prev).count(hid) > 0 {
					return true // visited with an earlier ranking
				}
			}
			var m miss
			out, m, done = ix.tryHost(hid, ports, r.Node)
			if !done && (best.host == nil || m.matched > best.matched) {
				best = m
			}
			return !done
		})
		if done {
			return out, nil
		}
	}
	return Placement{}, ix.explainTogether(ports, best, false)
}

// Place is Index.Place over a snapshot: it builds the index and places one
// request. For one bind on a small snapshot (a host's rows) that is all one
// needs; a server that binds often keeps an Index.
func Place(devs []Device, nodes []HostNode, r Request) (Placement, error) {
	ix, err := NewIndex(devs, nodes)
	if err != nil {
		return Placement{}, err
	}
	return ix.Place(r)
}

// PlaceOnHost is Place over a snapshot of one host's rows, r.Host naming
// that host: what a store that found a candidate host itself pays per bind.
// It builds only the host's groups (no rankings, no address map) and runs
// the same matching, so it returns what Place returns; anything else (a
// refusal and its message, a pci_slot, rows of other hosts, rows Place
// would refuse) is Place's own answer.
func PlaceOnHost(devs []Device, nodes []HostNode, r Request) (Placement, error) {
	if r.Host == "" || len(devs) == 0 {
		return Place(devs, nodes, r)
	}
	for _, p := range r.Ports {
		if p.PCISlot != "" {
			return Place(devs, nodes, r)
		}
	}
	for i := range devs {
		if devs[i].Host != r.Host {
			return Place(devs, nodes, r)
		}
	}
	var buf [4]HostNode
	mine := buf[:0]
	for _, n := range nodes {
		if n.Host == r.Host {
			mine = append(mine, n)
		}
	}
	h, err := newHost(r.Host, devs, mine)
	if err != nil || !h.schedulable() {
		return Place(devs, nodes, r)
	}
	ix := &Index{hosts: []*host{h}, pools: map[poolKey]*pool{}, devs: make([]dev, 0, len(devs)), oneHost: true}
	ix.addDevices(0, devs)
	ports, err := ix.resolve(r)
	if err != nil {
		return Place(devs, nodes, r)
	}
	if out, _, ok := ix.tryHost(0, ports, r.Node); ok {
		return out, nil
	}
	return Place(devs, nodes, r)
}

// portReq is a port resolved against the index.
type portReq struct {
	Port
	class  model.IfClass
	policy Policy
	pool   *pool // nil when no device serves the physical network
	fixed  int32 // the pci_slot device, -1 when sched chooses
}

func (p portReq) rank(k rkey) *ranking {
	if p.pool == nil {
		return nil
	}
	return p.pool.ranks[k]
}

// rankKeys are the rankings whose hosts can serve a port, in the order a
// host is preferred: the pinned node itself first, then the policy's
// fallback.
func rankKeys(p Policy, node *int) []rkey {
	if node == nil {
		switch p {
		case PolicyRequired:
			return []rkey{{rkKnownNode, 0}}
		case PolicySocket:
			return []rkey{{rkKnownSocket, 0}}
		}
		return []rkey{{rkTotal, 0}}
	}
	n := *node
	switch p {
	case PolicyRequired:
		return []rkey{{rkNode, n}}
	case PolicyLegacy:
		return []rkey{{rkNode, n}, {rkNode, -1}}
	case PolicySocket:
		return []rkey{{rkNode, n}, {rkSocketOf, n}}
	}
	return []rkey{{rkNode, n}, {rkTotal, 0}}
}

func (ix *Index) resolve(r Request) ([]portReq, error) {
	if len(r.Ports) == 0 {
		return nil, refuse(ReasonInvalid, "", "nothing to place: the request has no port")
	}
	if r.Node != nil && *r.Node < 0 {
		return nil, refuse(ReasonInvalid, "", "NUMA node %d is not a node: give a node id (0, 1, ...) or none to let vfnet choose", *r.Node)
	}
	out := make([]portReq, len(r.Ports))
	slots := map[string]string{}
	for i, p := range r.Ports {
		class, ok := ClassFor(p.VNICType)
		if !ok {
			return nil, refuse(ReasonVNICType, p.ID,
				"port %s has vnic_type %s: vfnet binds only direct and direct-physical ports (SR-IOV VFs and PCI passthrough): recreate it with --vnic-type direct",
				p.ID, orNone(p.VNICType))
		}
		if p.PhysicalNetwork == "" {
			return nil, refuse(ReasonInvalid, p.ID, "port %s has no physical network: its network must be a flat or vlan provider network", p.ID)
		}
		pol, err := ResolvePolicy(string(p.Policy), "")
		if err != nil {
			e := err.(*Error)
			e.Port, e.Msg = p.ID, "port "+p.ID+": "+e.Msg
			return nil, e
		}
		out[i] = portReq{Port: p, class: class, policy: pol, pool: ix.pools[poolKey{p.PhysicalNetwork, class}], fixed: -1}
		if p.PCISlot == "" {
			continue
		}
		if other, dup := slots[p.PCISlot]; dup {
			return nil, refuse(ReasonInvalid, p.ID, "ports %s and %s both ask for pci_slot %s: one device serves one port", other, p.ID, p.PCISlot)
		}
		slots[p.PCISlot] = p.ID
		id, err := ix.checkSlot(out[i], r.Host)
		if err != nil {
			return nil, err
		}
		out[i].fixed = id
	}
	return out, nil
}

func (ix *Index) placeOn(name string, ports []portReq, node *int) (Placement, error) {
	hid, ok := ix.hostIdx[name]
	if !ok {
		return Placement{}, ix.explainOnHost(name, nil, ports[0], node)
	}
	h := ix.hosts[hid]
	if !h.schedulable() {
		return Placement{}, ix.explainOnHost(name, h, ports[0], node)
	}
	out, best, ok := ix.tryHost(hid, ports, node)
	if ok {
		return out, nil
	}
	// A port that does not fit even alone is the clearest reason.
	for i := range ports {
		if _, _, ok := ix.tryHost(hid, ports[i:i+1], node); !ok {
			return Placement{}, ix.explainOnHost(name, h, ports[i], node)
		}
	}
	return Placement{}, ix.explainTogether(ports, best, true)
}

// miss is how close a host came to serving a request.
type miss struct {
	host    *host
	node    int
	matched int
	port    int // the first port left without a device
}

// tryHost places every port on one host, choosing the instance's node
// unless it is pinned.
func (ix *Index) tryHost(hid int32, ports []portReq, node *int) (Placement, miss, bool) {
	h := ix.hosts[hid]
	best := miss{host: h, port: -1, matched: -1}
	if !h.schedulable() {
		return Placement{}, best, false
	}
	var buf [8]int
	for _, n := range ix.nodeOrder(h, ports, node, buf[:0]) {
		got, matched, first := ix.match(h, ports, n)
		if matched == len(ports) {
			out := Placement{Host: h.name, Node: n, Devices: make([]Device, len(ports))}
			for i, id := range got {
				out.Devices[i] = ix.device(id)
			}
			return out, best, true
		}
		if matched > best.matched {
			best = miss{host: h, node: n, matched: matched, port: first}
		}
	}
	return Placement{}, best, false
}

// nodeOrder is the NUMA nodes to try for the instance on h: the pinned one,
// or the host's nodes with the most free devices for the ports first; -1
// when the host reports no NUMA information.
func (ix *Index) nodeOrder(h *host, ports []portReq, node *int, buf []int) []int {
	if node != nil {
		return append(buf, *node)
	}
	if len(h.nodes) == 0 {
		return append(buf, -1)
	}
	buf = append(buf, h.nodes...)
	if len(buf) == 1 {
		return buf
	}
	var sbuf [8]int
	score := sbuf[:0]
	for _, n := range buf {
		s := 0
		for i, p := range ports {
			if p.pool == nil || slices.ContainsFunc(ports[:i], func(q portReq) bool { return q.pool == p.pool }) {
				continue
			}
			if hp := h.pools[p.pool.key]; hp != nil {
				s += hp.counts[rkey{rkNode, n}]
			}
		}
		score = append(score, s)
	}
	// insertion sort, stable: few nodes, no allocation
	for i := 1; i < len(buf); i++ {
		for j := i; j > 0 && score[j] > score[j-1]; j-- {
			buf[j], buf[j-1] = buf[j-1], buf[j]
			score[j], score[j-1] = score[j-1], score[j]
		}
	}
	return buf
}

// tier ranks a group of devices for a port whose instance is on node n
// (-1: the host has no NUMA information): 0 best, -1 not acceptable.
func tier(p Policy, h *host, n int, g *group) int {
	same := n >= 0 && g.node == n
	if same {
		return 0
	}
	switch p {
	case PolicyRequired:
		return -1
	case PolicyLegacy:
		if g.node < 0 {
			return 1
		}
		return -1
	case PolicySocket:
		if s := h.socketOf(n); s >= 0 && g.socket == s {
			return 1
		}
		return -1
	}
	if n < 0 && g.node < 0 {
		return 0
	}
	return 1
}

type cand struct {
	tier int
	g    *group
}

// match gives each port a distinct acceptable device of host h with the
// instance on node n, preferring better tiers. It is a bipartite matching
// (augmenting paths), so a port takes a contended device only when another
// is left for whoever else needs it. It returns the devices by port, how
// many ports got one, and the first port that did not.
func (ix *Index) match(h *host, ports []portReq, n int) ([]int32, int, int) {
	lists := make([][]int32, len(ports))
	for i, p := range ports {
		lists[i] = ix.candidates(h, p, n, len(ports))
	}
	m := matching{lists: lists, got: make([]int32, len(ports))}
	for i := range m.got {
		m.got[i] = -1
	}
	matched, first := 0, -1
	for i := range ports {
		m.seen = m.seen[:0]
		if m.augment(i) {
			matched++
		} else if first < 0 {
			first = i
		}
	}
	return m.got, matched, first
}

// matching is Kuhn's augmenting-path matching of ports to devices. An
// instance has a handful of ports, so slices searched linearly beat maps.
type matching struct {
	lists [][]int32
	got   []int32 // device by port, -1 none
	seen  []int32
}

func (m *matching) owner(d int32) int {
	return slices.Index(m.got, d)
}

func (m *matching) augment(i int) bool {
	// The best free device first: a port moves another only when nothing
	// it accepts is left, so earlier ports keep their better devices.
	for _, d := range m.lists[i] {
		if m.owner(d) < 0 {
			m.got[i] = d
			return true
		}
	}
	for _, d := range m.lists[i] {
		if slices.Contains(m.seen, d) {
			continue
		}
		m.seen = append(m.seen, d)
		if j := m.owner(d); j < 0 || m.augment(j) {
			m.got[i] = d
			return true
		}
	}
	return false
}

// candidates lists, best first, the free devices of h that can serve p with
// the instance on node n: at most `need` from each group, because the
// devices of a group are interchangeable and need ports can use no more.
func (ix *Index) candidates(h *host, p portReq, n, need int) []int32 {
	if p.fixed >= 0 {
		d := ix.devs[p.fixed]
		g := ix.groups[d.group]
		if d.claimed || p.refuses(g) || tier(p.policy, h, n, g) < 0 {
			return nil
		}
		return []int32{p.fixed}
	}
	if p.pool == nil {
		return nil
	}
	hp := h.pools[p.pool.key]
	if hp == nil || hp.free == 0 {
		return nil
	}
	var cbuf [8]cand
	cs := cbuf[:0]
	for _, gid := range hp.groups {
		g := ix.groups[gid]
		if g.free == 0 || p.refuses(g) {
			continue
		}
		if t := tier(p.policy, h, n, g); t >= 0 {
			cs = append(cs, cand{t, g})
		}
	}
	slices.SortFunc(cs, func(x, y cand) int {
		if x.tier != y.tier {
			return x.tier - y.tier
		}
		if x.g.free != y.g.free {
			return y.g.free - x.g.free
		}
		if x.g.pf != y.g.pf {
			return strings.Compare(x.g.pf, y.g.pf)
		}
		return strings.Compare(x.g.iface, y.g.iface)
	})
	var out []int32
	for _, c := range cs {
		k := 0
		for _, id := range c.g.devs {
			if k == need {
				break
			}
			if !ix.devs[id].claimed {
				out = append(out, id)
				k++
			}
		}
	}
	return out
}

// refuses reports whether group g cannot serve port p whatever its NUMA
// node: an administratively down port on a VF whose driver cannot disable
// the VF's link. A passed-through PF serves it: the VM drives its link.
func (p portReq) refuses(g *group) bool {
	return p.AdminDown && g.class == model.IfClassPCISRIOV && g.noLink != ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
