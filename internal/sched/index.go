package sched

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"vfnet/internal/model"
	"vfnet/internal/neutron"
)

// Index is the fleet's schedulable devices, arranged so that choosing a
// host costs O(log hosts) plus the work on the chosen host's devices,
// whatever the size of the fleet: per (physical network, interface class)
// pool it keeps, for each kind of count a request can ask for (free devices
// in all, on NUMA node n, without NUMA information, on the socket of node
// n ...), a ranking of the hosts by that count. Claim, Release, SetHost and
// ReplaceHost keep it current in O(log hosts) per device.
//
// An Index is not safe for concurrent use. The store keeps none: its claim
// transaction finds candidate hosts from its own partial indexes of free
// devices and runs PlaceOnHost over one host's rows at a time.
type Index struct {
	hosts   []*host
	hostIdx map[string]int32
	groups  []*group
	devs    []dev
	byAddr  map[addrKey]int32
	pools   map[poolKey]*pool
	// oneHost marks PlaceOnHost's throw-away index of one host: no
	// rankings, no address map, only what tryHost reads.
	oneHost bool
}

// addrKey names a device: PCI addresses repeat from host to host.
type addrKey struct {
	host int32
	addr string
}

// poolKey names the devices that can serve one kind of port on one
// physical network: VFs (pci-sriov) for direct, PFs (pci-passthrough) for
// direct-physical.
type poolKey struct {
	physnet string
	class   model.IfClass
}

// rkind is a kind of count a ranking orders hosts by.
type rkind uint8

const (
	rkTotal       rkind = iota // every free device
	rkNode                     // on NUMA node n (-1: without NUMA information)
	rkKnownNode                // on any known NUMA node
	rkSocketOf                 // on the socket of the host's NUMA node n
	rkKnownSocket              // on any known socket
)

type rkey struct {
	kind rkind
	node int
}

// dev is one device; what it shares with the VFs of the same interface and
// PF lives in its group, which keeps the index small at fleet scale.
type dev struct {
	addr    string // VF address, or the PF's for pci-passthrough
	vfIndex int32
	group   int32
	claimed bool
}

// group is the devices of one interface on one PF. They are interchangeable
// for every request (same host, data networks, NUMA node, socket), so the
// matching of an instance's ports needs at most one per port from each.
type group struct {
	host   int32
	iface  string
	pf     string
	class  model.IfClass
	node   int
	socket int
	dns    []string
	// noLink is the PF driver that lacks VF link state (Device.NoLinkState).
	noLink string
	pools  []*pool
	keys   []rkey // the rankings a free device of this group counts in
	devs   []int32
	free   int
}

type host struct {
	name    string
	admin   model.AdminState
	oper    model.OperState
	sockets map[int]int // NUMA node -> socket
	nodes   []int       // known NUMA nodes, ascending
	groups  []int32
	pools   map[poolKey]*hostPool
}

func (h *host) schedulable() bool {
	return h.admin == model.AdminUnlocked && h.oper == model.OperEnabled
}

func (h *host) socketOf(node int) int {
	if s, ok := h.sockets[node]; ok && node >= 0 {
		return s
	}
	return -1
}

// hostPool is one host's share of a pool.
type hostPool struct {
	groups  []int32
	devices int
	free    int
	counts  map[rkey]int
}

type pool struct {
	key     poolKey
	devices int // on every host, schedulable or not
	free    int
	hosts   map[int32]bool
	ranks   map[rkey]*ranking // schedulable hosts only
}

// NewIndex builds the index from a snapshot: every device of the fleet (or
// of the physical networks of interest), and optionally the sockets of NUMA
// nodes that have no device. It refuses inconsistent input, naming the row.
func NewIndex(devs []Device, nodes []HostNode) (*Index, error) {
	// sized up front: growing maps of hundreds of thousands of devices is
	// most of the cost of a build
	ix := &Index{hostIdx: map[string]int32{}, byAddr: make(map[addrKey]int32, len(devs)), pools: map[poolKey]*pool{},
		devs: make([]dev, 0, len(devs))}
	byHost := map[string][]Device{}
	var names []string
	for _, d := range devs {
		if _, ok := byHost[d.Host]; !ok {
			names = append(names, d.Host)
		}
		byHost[d.Host] = append(byHost[d.Host], d)
	}
	nodesBy := map[string][]HostNode{}
	for _, n := range nodes {
		if _, ok := byHost[n.Host]; !ok {
			continue // a host without devices is never chosen
		}
		nodesBy[n.Host] = append(nodesBy[n.Host], n)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := ix.ReplaceHost(name, byHost[name], nodesBy[name]); err != nil {
			return nil, err
		}
	}
	return ix, nil
}

// ReplaceHost sets everything the index holds about one host from the
// store's current rows: after a configuration change, a new host, or a
// claim that lost to another server. An empty devs removes the host.
func (ix *Index) ReplaceHost(name string, devs []Device, nodes []HostNode) error {
	h, err := newHost(name, devs, nodes)
	if err != nil {
		return err
	}
	id, ok := ix.hostIdx[name]
	if ok {
		ix.dropHost(id)
		ix.hosts[id] = h
	} else {
		id = int32(len(ix.hosts))
		ix.hosts = append(ix.hosts, h)
		ix.hostIdx[name] = id
	}
	ix.addDevices(id, devs)
	return nil
}

// newHost checks one host's rows and derives its NUMA topology.
func newHost(name string, devs []Device, nodes []HostNode) (*host, error) {
	h := &host{name: name, sockets: map[int]int{}, pools: map[poolKey]*hostPool{}}
	bad := func(d Device, format string, args ...any) error {
		return fmt.Errorf("schedule index: device %s of host %s: %s", d.Addr(), name, fmt.Sprintf(format, args...))
	}
	setSocket := func(node, socket int) error {
		if node < 0 || socket < 0 {
			return nil
		}
		if s, ok := h.sockets[node]; ok && s != socket {
			return fmt.Errorf("schedule index: host %s: NUMA node %d is on socket %d and on socket %d", name, node, s, socket)
		}
		h.sockets[node] = socket
		return nil
	}
	// The first row that repeats an earlier row's address, found by sorting
	// positions rather than with a map of every address: this runs per bind
	// (PlaceOnHost).
	dup := -1
	if len(devs) > 1 {
		order := make([]int32, len(devs))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortStableFunc(order, func(a, b int32) int { return strings.Compare(devs[a].Addr(), devs[b].Addr()) })
		for k := 1; k < len(order); k++ {
			if devs[order[k]].Addr() == devs[order[k-1]].Addr() && (dup < 0 || int(order[k]) < dup) {
				dup = int(order[k])
			}
		}
	}
	lastNode, lastSocket := -1, -1
	for i, d := range devs {
		if d.Host != name {
			return nil, bad(d, "the row names host %q", d.Host)
		}
		if i == 0 {
			h.admin, h.oper = d.HostAdmin, d.HostOper
		} else if d.HostAdmin != h.admin || d.HostOper != h.oper {
			return nil, bad(d, "host state %s/%s disagrees with %s/%s of its other rows", d.HostAdmin, d.HostOper, h.admin, h.oper)
		}
		switch d.Class {
		case model.IfClassPCISRIOV:
			if d.VFAddr == "" {
				return nil, bad(d, "a pci-sriov device must name its VF")
			}
		case model.IfClassPCIPassthrough:
			if d.VFAddr != "" {
				return nil, bad(d, "a pci-passthrough device is its PF, it has no VF")
			}
		default:
			return nil, bad(d, "interface class %q is neither pci-sriov nor pci-passthrough", d.Class)
		}
		if d.PFAddr == "" {
			return nil, bad(d, "no PF address")
		}
		if i == dup {
			return nil, bad(d, "listed twice")
		}
		if d.NUMANode == lastNode && d.Socket == lastSocket {
			continue // the previous row said the same
		}
		lastNode, lastSocket = d.NUMANode, d.Socket
		if d.NUMANode >= 0 && !slices.Contains(h.nodes, d.NUMANode) {
			h.nodes = append(h.nodes, d.NUMANode)
		}
		if err := setSocket(d.NUMANode, d.Socket); err != nil {
			return nil, err
		}
	}
	for _, n := range nodes {
		if n.Node >= 0 && !slices.Contains(h.nodes, n.Node) {
			h.nodes = append(h.nodes, n.Node)
		}
		if err := setSocket(n.Node, n.Socket); err != nil {
			return nil, err
		}
	}
	slices.Sort(h.nodes)
	return h, nil
}

func (ix *Index) addDevices(hid int32, devs []Device) {
	h := ix.hosts[hid]
	// Sorted positions rather than a sorted copy of the rows: a Device is
	// large, and PlaceOnHost builds this per bind.
	order := make([]int32, len(devs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		x, y := &devs[a], &devs[b]
		if c := strings.Compare(x.PFAddr, y.PFAddr); c != 0 {
			return c
		}
		if c := strings.Compare(x.Interface, y.Interface); c != 0 {
			return c
		}
		return cmp.Compare(x.VFIndex, y.VFIndex)
	})
	for _, i := range order {
		d := &devs[i]
		// The order keeps a group's devices together: a new (interface, PF)
		// is a new group.
		gid := int32(len(ix.groups)) - 1
		if len(h.groups) == 0 || ix.groups[gid].iface != d.Interface || ix.groups[gid].pf != d.PFAddr {
			node, socket := d.NUMANode, d.Socket
			if node < 0 {
				// the socket of an unknown node is unknown too: a device
				// counts for the socket policy only through its node
				node, socket = -1, -1
			}
			gid = int32(len(ix.groups))
			ix.groups = append(ix.groups, &group{host: hid, iface: d.Interface, pf: d.PFAddr, class: d.Class,
				node: node, socket: socket, dns: slices.Clone(d.DataNetworks), noLink: d.NoLinkState})
			h.groups = append(h.groups, gid)
		}
		g := ix.groups[gid]
		id := int32(len(ix.devs))
		ix.devs = append(ix.devs, dev{addr: d.Addr(), vfIndex: int32(d.VFIndex), group: gid, claimed: d.Claimed})
		if ix.byAddr != nil {
			ix.byAddr[addrKey{hid, d.Addr()}] = id
		}
		g.devs = append(g.devs, id)
		if !d.Claimed {
			g.free++
		}
	}
	for _, gid := range h.groups {
		g := ix.groups[gid]
		g.keys = append(g.keys, rkey{rkTotal, 0}, rkey{rkNode, g.node})
		if g.node >= 0 {
			g.keys = append(g.keys, rkey{rkKnownNode, 0})
		}
		if g.socket >= 0 {
			g.keys = append(g.keys, rkey{rkKnownSocket, 0})
			for _, n := range h.nodes {
				if h.socketOf(n) == g.socket {
					g.keys = append(g.keys, rkey{rkSocketOf, n})
				}
			}
		}
		for _, dn := range g.dns {
			pk := poolKey{dn, g.class}
			p := ix.pools[pk]
			if p == nil {
				p = &pool{key: pk}
				if !ix.oneHost {
					p.hosts, p.ranks = map[int32]bool{}, map[rkey]*ranking{}
				}
				ix.pools[pk] = p
			}
			if slices.Contains(g.pools, p) {
				continue // a data network listed twice
			}
			g.pools = append(g.pools, p)
			hp := h.pools[pk]
			if hp == nil {
				hp = &hostPool{counts: map[rkey]int{}}
				h.pools[pk] = hp
				if p.hosts != nil {
					p.hosts[hid] = true
				}
			}
			hp.groups = append(hp.groups, gid)
			hp.devices += len(g.devs)
			hp.free += g.free
			p.devices += len(g.devs)
			p.free += g.free
			for _, k := range g.keys {
				hp.counts[k] += g.free
			}
		}
	}
	if !ix.oneHost {
		ix.rerank(hid)
	}
}

// rerank puts the host's counts into its pools' rankings, or takes the host
// out of them when it is not schedulable.
func (ix *Index) rerank(hid int32) {
	h := ix.hosts[hid]
	for pk, hp := range h.pools {
		p := ix.pools[pk]
		for k, n := range hp.counts {
			if !h.schedulable() {
				n = 0
			}
			r := p.ranks[k]
			if r == nil {
				if n <= 0 {
					continue
				}
				r = newRanking()
				p.ranks[k] = r
			}
			r.set(hid, n)
		}
	}
}

func (ix *Index) dropHost(hid int32) {
	h := ix.hosts[hid]
	for pk, hp := range h.pools {
		p := ix.pools[pk]
		for k := range hp.counts {
			if r := p.ranks[k]; r != nil {
				r.set(hid, 0)
			}
		}
		p.devices -= hp.devices
		p.free -= hp.free
		delete(p.hosts, hid)
	}
	for _, gid := range h.groups {
		g := ix.groups[gid]
		for _, id := range g.devs {
			delete(ix.byAddr, addrKey{hid, ix.devs[id].addr})
		}
		// The slots stay (ids are positions); a rebuild reclaims them.
		g.devs, g.pools, g.free = nil, nil, 0
	}
	h.groups, h.pools = nil, map[poolKey]*hostPool{}
}

// SetHost records a host's new administrative and operational state: a
// locked or disabled host keeps its devices but leaves every ranking.
func (ix *Index) SetHost(name string, admin model.AdminState, oper model.OperState) error {
	hid, ok := ix.hostIdx[name]
	if !ok {
		return fmt.Errorf("schedule index: set state of host %s: the index has no device of it", name)
	}
	h := ix.hosts[hid]
	h.admin, h.oper = admin, oper
	ix.rerank(hid)
	return nil
}

// Claim marks device addr (Device.Addr) of a host claimed after the store's
// claim transaction committed (or after it lost to another server: the
// device is taken either way).
func (ix *Index) Claim(host, addr string) error { return ix.mark(host, addr, true) }

// Release marks a device free after the store released and reset it.
func (ix *Index) Release(host, addr string) error { return ix.mark(host, addr, false) }

func (ix *Index) mark(hostName, addr string, claimed bool) error {
	hid, ok := ix.hostIdx[hostName]
	id, found := ix.byAddr[addrKey{hid, addr}]
	if !ok || !found {
		return fmt.Errorf("schedule index: device %s of host %s: not in the index", addr, hostName)
	}
	d := &ix.devs[id]
	if d.claimed == claimed {
		state := "free"
		if claimed {
			state = "claimed"
		}
		return fmt.Errorf("schedule index: device %s of host %s: already %s", addr, hostName, state)
	}
	d.claimed = claimed
	delta := 1
	if claimed {
		delta = -1
	}
	g := ix.groups[d.group]
	g.free += delta
	h := ix.hosts[g.host]
	for _, p := range g.pools {
		hp := h.pools[p.key]
		hp.free += delta
		p.free += delta
		for _, k := range g.keys {
			hp.counts[k] += delta
			if !h.schedulable() {
				continue
			}
			r := p.ranks[k]
			if r == nil {
				r = newRanking()
				p.ranks[k] = r
			}
			r.set(g.host, hp.counts[k])
		}
	}
	return nil
}

// device is the public view of one indexed device.
func (ix *Index) device(id int32) Device {
	d := ix.devs[id]
	g := ix.groups[d.group]
	h := ix.hosts[g.host]
	out := Device{Host: h.name, HostAdmin: h.admin, HostOper: h.oper, Interface: g.iface, Class: g.class,
		DataNetworks: slices.Clone(g.dns), PFAddr: g.pf, VFIndex: int(d.vfIndex), NUMANode: g.node,
		Socket: g.socket, Claimed: d.claimed, NoLinkState: g.noLink}
	if g.class == model.IfClassPCISRIOV {
		out.VFAddr = d.addr
	}
	return out
}

// ClassFor is the interface class whose devices serve a vnic_type; false
// for a vnic_type vfnet does not bind.
func ClassFor(vnic string) (model.IfClass, bool) {
	switch vnic {
	case neutron.VNICDirect:
		return model.IfClassPCISRIOV, true
	case neutron.VNICDirectPhysical:
		return model.IfClassPCIPassthrough, true
	}
	return "", false
}
