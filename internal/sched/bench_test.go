package sched

import (
	"fmt"
	"testing"

	"vfnet/internal/model"
)

// synthetic is a fleet of n hosts with 64 VFs each on datanet-a: two PFs of
// 32 VFs, one per NUMA node (node 0 on socket 0, node 1 on socket 1).
func synthetic(n int) []Device {
	devs := make([]Device, 0, n*64)
	for h := range n {
		name := fmt.Sprintf("compute-%05d", h)
		for pf, bus := range []string{"3b", "af"} {
			for i := range 32 {
				devs = append(devs, Device{Host: name, HostAdmin: model.AdminUnlocked, HostOper: model.OperEnabled,
					Interface: fmt.Sprintf("sriov%d", pf), Class: model.IfClassPCISRIOV, DataNetworks: []string{"datanet-a"},
					PFAddr: "0000:" + bus + ":00.0", VFAddr: vfAddr(bus, i), VFIndex: i, NUMANode: pf, Socket: pf})
			}
		}
	}
	return devs
}

// BenchmarkPlace measures one bind's scheduling as the server would do it
// on a kept Index: Place, Claim what it chose, and Release the claim made
// `outstanding` binds earlier, so the fleet stays near full and every
// operation moves hosts in the rankings.
func BenchmarkPlace(b *testing.B) {
	reqs := map[string]Request{
		"direct":              {Ports: []Port{direct("p", "datanet-a", "")}},
		"required-node1":      {Ports: []Port{direct("p", "datanet-a", PolicyRequired)}, Node: node(1)},
		"instance-2ports":     {Ports: []Port{direct("p", "datanet-a", PolicyRequired), direct("q", "datanet-a", PolicyPreferred)}},
		"named-host-pci_slot": {Ports: []Port{slot(direct("p", "datanet-a", ""), "0000:3b:05.7")}, Host: "compute-00007"},
	}
	for _, hosts := range []int{1000, 10000} {
		devs := synthetic(hosts)
		for _, name := range []string{"direct", "required-node1", "instance-2ports", "named-host-pci_slot"} {
			req := reqs[name]
			b.Run(fmt.Sprintf("hosts=%d/%s", hosts, name), func(b *testing.B) {
				ix, err := NewIndex(devs, nil)
				if err != nil {
					b.Fatal(err)
				}
				// Most VFs claimed: 60 of 64 on every host.
				for _, d := range devs {
					if d.VFIndex < 30 {
						if err := ix.Claim(d.Host, d.Addr()); err != nil {
							b.Fatal(err)
						}
					}
				}
				const outstanding = 1024
				type claim struct{ host, addr string }
				ring := make([]claim, 0, outstanding)
				b.ReportAllocs()
				for b.Loop() {
					pl, err := ix.Place(req)
					if err != nil {
						b.Fatal(err)
					}
					for _, d := range pl.Devices {
						if err := ix.Claim(pl.Host, d.Addr()); err != nil {
							b.Fatal(err)
						}
						if len(ring) == outstanding || req.Host != "" {
							// a named pci_slot is released at once so it can be asked for again
							c := claim{pl.Host, d.Addr()}
							if req.Host == "" {
								c, ring = ring[0], ring[1:]
							}
							if err := ix.Release(c.host, c.addr); err != nil {
								b.Fatal(err)
							}
						}
						if req.Host == "" {
							ring = append(ring, claim{pl.Host, d.Addr()})
						}
					}
				}
			})
		}
	}
}

// BenchmarkNewIndex measures building the index from a snapshot, what a
// server does at start.
func BenchmarkNewIndex(b *testing.B) {
	for _, hosts := range []int{1000, 10000} {
		devs := synthetic(hosts)
		b.Run(fmt.Sprintf("hosts=%d", hosts), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NewIndex(devs, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlaceSnapshot is the index-free path: Place over one host's rows
// (what a store that hands sched only the named host's candidates pays).
func BenchmarkPlaceSnapshot(b *testing.B) {
	devs := synthetic(1)
	req := Request{Ports: []Port{direct("p", "datanet-a", PolicyRequired)}, Node: node(1), Host: "compute-00000"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Place(devs, nil, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlaceOnHost is the store's per-bind path: PlaceOnHost over the
// rows of the host the store found, against BenchmarkPlaceSnapshot's Place
// over the same rows.
func BenchmarkPlaceOnHost(b *testing.B) {
	devs := synthetic(1)
	req := Request{Ports: []Port{direct("p", "datanet-a", PolicyRequired)}, Node: node(1), Host: "compute-00000"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PlaceOnHost(devs, nil, req); err != nil {
			b.Fatal(err)
		}
	}
}
