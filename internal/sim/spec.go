package sim

import (
	"vfnet/internal/kernel"

	"fmt"
	"strconv"
	"strings"
)

// HostSpec describes a simulated host to create.
type HostSpec struct {
	Hostname string
	// NUMANodes is the number of NUMA nodes (0 is treated as 1).
	NUMANodes int
	// CoresPerNode is the number of cores of each node, each with two
	// hardware threads (default 8: node 0 is "0-7,16-23" on two nodes).
	CoresPerNode int
	NICs         []NICSpec
	// Models adds models to the built-in catalogue (looked up first), for
	// tests that need a behaviour no real model has.
	Models []Model
}

// NICSpec is one card: a model, how many of its ports to install, and where.
type NICSpec struct {
	Model string
	Ports int // 0 means 1
	// NUMANode is the card's node; -1 is unknown (numa_node reads -1).
	NUMANode int
	// Bus is the PCI bus of the card's functions; 0 picks the next free one
	// of the buses real two-socket servers use.
	Bus int
}

// ParseNIC parses the --nic syntax MODEL[:PORTS][@numaN], e.g. "x710:2@numa0".
// Without @numaN the node is unknown (-1).
func ParseNIC(s string) (NICSpec, error) {
	n := NICSpec{Ports: 1, NUMANode: -1}
	rest := s
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		node := rest[i+1:]
		rest = rest[:i]
		if !strings.HasPrefix(node, "numa") {
			return NICSpec{}, fmt.Errorf("NIC %q: %q is not numaN (write e.g. x710:2@numa0)", s, node)
		}
		v, err := strconv.Atoi(strings.TrimPrefix(node, "numa"))
		if err != nil || v < 0 {
			return NICSpec{}, fmt.Errorf("NIC %q: NUMA node %q is not a number >= 0 (write e.g. @numa1)", s, node)
		}
		n.NUMANode = v
	}
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		v, err := strconv.Atoi(rest[i+1:])
		if err != nil || v < 1 {
			return NICSpec{}, fmt.Errorf("NIC %q: port count %q is not a number >= 1 (write e.g. x710:2)", s, rest[i+1:])
		}
		n.Ports = v
		rest = rest[:i]
	}
	if rest == "" {
		return NICSpec{}, fmt.Errorf("NIC %q names no model (write MODEL[:PORTS][@numaN], e.g. x710:2@numa0)", s)
	}
	n.Model = rest
	return n, nil
}

// autoBuses are the buses of the first PCIe slot behind each root port on
// common two-socket servers; a NIC without a Bus gets the next free one.
var autoBuses = [...]int{0x3b, 0x5e, 0x86, 0xaf, 0xd8, 0x18}

// plannedPF is one function to install.
type plannedPF struct {
	Addr     string
	Model    Model
	Port     int
	NUMANode int
	Ifname   string
	MAC      string
	Netdev   int // index of the virtio parent device, when the model has one
}

// plan resolves models, assigns addresses and checks that no two functions,
// VFs included, can ever share an address.
func (spec HostSpec) plan() ([]plannedPF, error) {
	if spec.Hostname == "" {
		return nil, fmt.Errorf("host spec has no hostname")
	}
	nodes := spec.numaNodes()
	used := map[int]bool{}
	for _, n := range spec.NICs {
		if n.Bus != 0 {
			used[n.Bus] = true
		}
	}
	next := 0
	owner := map[string]string{} // address -> what sits there
	var pfs []plannedPF
	for i, n := range spec.NICs {
		m, err := LookupModel(n.Model, spec.Models...)
		if err != nil {
			return nil, err
		}
		if err := m.Validate(); err != nil {
			return nil, err
		}
		ports := n.Ports
		if ports == 0 {
			ports = 1
		}
		if ports > m.MaxPorts {
			return nil, fmt.Errorf("NIC %d (%s): %d ports, the model has at most %d", i, m.Name, ports, m.MaxPorts)
		}
		if n.NUMANode < -1 || n.NUMANode >= nodes {
			return nil, fmt.Errorf("NIC %d (%s): NUMA node %d, the host has nodes 0-%d", i, m.Name, n.NUMANode, nodes-1)
		}
		bus := n.Bus
		if bus == 0 {
			for next < len(autoBuses) && used[autoBuses[next]] {
				next++
			}
			if next == len(autoBuses) {
				return nil, fmt.Errorf("NIC %d (%s): no free bus left; give the NIC an explicit bus", i, m.Name)
			}
			bus = autoBuses[next]
			used[bus] = true
		}
		if bus < 1 || bus > 0xff {
			return nil, fmt.Errorf("NIC %d (%s): bus %#x out of range 0x01-0xff", i, m.Name, bus)
		}
		for p := 0; p < ports; p++ {
			addr := fmt.Sprintf("0000:%02x:00.%d", bus, p)
			what := fmt.Sprintf("%s port %d", m.Name, p)
			if o, ok := owner[addr]; ok {
				return nil, fmt.Errorf("%s at %s collides with %s", what, addr, o)
			}
			owner[addr] = what
			if s := m.SRIOV; s != nil {
				for v := 0; v < s.TotalVFs; v++ {
					va, err := kernel.VFAddress(addr, s.Offsets[p], s.Stride, v)
					if err != nil {
						return nil, fmt.Errorf("%s: %w", what, err)
					}
					if o, ok := owner[va]; ok {
						return nil, fmt.Errorf("%s VF %d at %s collides with %s", what, v, va, o)
					}
					owner[va] = fmt.Sprintf("%s VF %d", what, v)
				}
			}
			pf := plannedPF{Addr: addr, Model: m, Port: p, NUMANode: n.NUMANode}
			if m.Netdev {
				pf.Ifname = fmt.Sprintf("enp%ds0f%d", bus, p)
				if m.MaxPorts == 1 {
					pf.Ifname = fmt.Sprintf("enp%ds0", bus)
				}
				pf.MAC = macFor(m.MACPrefix, spec.Hostname, addr)
			}
			pfs = append(pfs, pf)
		}
	}
	return pfs, nil
}

func (spec HostSpec) numaNodes() int {
	if spec.NUMANodes < 1 {
		return 1
	}
	return spec.NUMANodes
}

func (spec HostSpec) coresPerNode() int {
	if spec.CoresPerNode < 1 {
		return 8
	}
	return spec.CoresPerNode
}

// cpulist is node's CPUs as the kernel prints them: cores first, then their
// hyperthread siblings ("0-7,16-23"); node -1 gets every CPU.
func (spec HostSpec) cpulist(node int) string {
	n, c := spec.numaNodes(), spec.coresPerNode()
	if node < 0 {
		return fmt.Sprintf("0-%d", 2*n*c-1)
	}
	return fmt.Sprintf("%d-%d,%d-%d", node*c, node*c+c-1, n*c+node*c, n*c+node*c+c-1)
}
