package sched

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/model"
)

func TestNewIndexRefuses(t *testing.T) {
	ok := fleet{}.sriov("h", "s", "3b", 0, 0, 2, "d")
	tests := []struct {
		name  string
		devs  fleet
		nodes []HostNode
		want  string
	}{
		{"address twice", append(ok, ok[0]), nil, "device 0000:3b:02.0 of host h: listed twice"},
		{"states disagree", append(ok, fleet{}.sriov("h", "s", "3c", 0, 0, 1, "d").state("h", model.AdminLocked, model.OperEnabled)...), nil,
			"device 0000:3c:02.0 of host h: host state locked/enabled disagrees with unlocked/enabled of its other rows"},
		{"sriov without VF", fleet{{Host: "h", Class: model.IfClassPCISRIOV, PFAddr: "0000:3b:00.0"}}, nil,
			"device 0000:3b:00.0 of host h: a pci-sriov device must name its VF"},
		{"passthrough with VF", fleet{{Host: "h", Class: model.IfClassPCIPassthrough, PFAddr: "0000:3b:00.0", VFAddr: "0000:3b:02.0"}}, nil,
			"device 0000:3b:02.0 of host h: a pci-passthrough device is its PF, it has no VF"},
		{"data class", fleet{{Host: "h", Class: model.IfClassData, PFAddr: "0000:3b:00.0"}}, nil,
			`device 0000:3b:00.0 of host h: interface class "data" is neither pci-sriov nor pci-passthrough`},
		{"node on two sockets", append(ok, fleet{}.sriov("h", "s", "3c", 0, 1, 1, "d")...), nil,
			"host h: NUMA node 0 is on socket 0 and on socket 1"},
		{"topology disagrees", ok, []HostNode{{"h", 0, 3}}, "host h: NUMA node 0 is on socket 0 and on socket 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewIndex(tt.devs, tt.nodes)
			if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
				t.Errorf("NewIndex: error %v, want one ending %q", err, tt.want)
			}
		})
	}
}

func TestClaimRelease(t *testing.T) {
	ix, err := NewIndex(base, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Ports: []Port{direct("p1", "datanet-a", PolicyRequired)}, Node: node(1)}
	for _, want := range []string{"0000:af:02.0", "0000:af:02.1"} {
		got, err := ix.Place(req)
		if err != nil || got.Devices[0].Addr() != want {
			t.Fatalf("Place = %+v, %v; want %s", got, err, want)
		}
		if err := ix.Claim(got.Host, want); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ix.Place(req); !errors.Is(err, ReasonNUMA) {
		t.Fatalf("Place with node 1 full: %v, want %v", err, ReasonNUMA)
	}
	if err := ix.Claim("compute-0", "0000:af:02.1"); err == nil || !strings.Contains(err.Error(), "already claimed") {
		t.Errorf("second Claim: %v, want already claimed", err)
	}
	if err := ix.Release("compute-0", "0000:af:02.1"); err != nil {
		t.Fatal(err)
	}
	if err := ix.Release("compute-0", "0000:af:02.1"); err == nil || !strings.Contains(err.Error(), "already free") {
		t.Errorf("second Release: %v, want already free", err)
	}
	if err := ix.Claim("compute-7", "0000:af:02.1"); err == nil || !strings.Contains(err.Error(), "not in the index") {
		t.Errorf("Claim on an unknown host: %v, want not in the index", err)
	}
	if got, err := ix.Place(req); err != nil || got.Devices[0].Addr() != "0000:af:02.1" {
		t.Errorf("Place after Release = %+v, %v; want 0000:af:02.1", got, err)
	}
	if err := ix.SetHost("compute-0", model.AdminLocked, model.OperEnabled); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Place(req); !errors.Is(err, ReasonNUMA) {
		t.Errorf("Place with compute-0 locked: %v, want %v (compute-1 has no node 1)", err, ReasonNUMA)
	}
	if err := ix.SetHost("compute-9", model.AdminLocked, model.OperEnabled); err == nil {
		t.Error("SetHost of an unknown host succeeded")
	}
}

// randomFleet makes a fleet of up to 12 hosts with mixed interfaces,
// NUMA layouts (some hosts without NUMA information), networks, claims and
// host states.
func randomFleet(r *rand.Rand) (fleet, []HostNode) {
	var f fleet
	var nodes []HostNode
	dns := []string{"a", "b", "c"}
	for h := range 1 + r.IntN(12) {
		name := fmt.Sprintf("h%02d", h)
		numa := r.IntN(4) != 0
		for i := range 1 + r.IntN(3) {
			n, s := -1, -1
			if numa {
				n = r.IntN(4)
				s = n / 2
			}
			var mine []string
			for _, dn := range dns {
				if r.IntN(2) == 0 {
					mine = append(mine, dn)
				}
			}
			bus := fmt.Sprintf("%02x", 0x10+i)
			if r.IntN(4) == 0 {
				f = f.passthrough(name, fmt.Sprintf("pt%d", i), bus, n, s, mine...)
			} else {
				f = f.sriov(name, fmt.Sprintf("sriov%d", i), bus, n, s, 1+r.IntN(4), mine...)
			}
		}
		if numa {
			for n := range 4 {
				if r.IntN(2) == 0 {
					nodes = append(nodes, HostNode{name, n, n / 2})
				}
			}
		}
	}
	for i := range f {
		f[i].Claimed = r.IntN(3) == 0
	}
	for _, h := range []string{"h01", "h03"} {
		switch r.IntN(3) {
		case 0:
			f = f.state(h, model.AdminLocked, model.OperEnabled)
		case 1:
			f = f.state(h, model.AdminUnlocked, model.OperDisabled)
		}
	}
	return f, nodes
}

func randomRequest(r *rand.Rand, f fleet) Request {
	policies := []Policy{PolicyRequired, PolicyLegacy, PolicySocket, PolicyPreferred, ""}
	var req Request
	for i := range 1 + r.IntN(3) {
		p := Port{ID: fmt.Sprintf("p%d", i), VNICType: "direct", PhysicalNetwork: []string{"a", "b", "c"}[r.IntN(3)],
			Policy: policies[r.IntN(len(policies))]}
		if r.IntN(5) == 0 {
			p.VNICType = "direct-physical"
		}
		req.Ports = append(req.Ports, p)
	}
	if r.IntN(2) == 0 {
		req.Node = node(r.IntN(4))
	}
	if r.IntN(4) == 0 && len(f) > 0 {
		req.Host = f[r.IntN(len(f))].Host
	}
	return req
}

// acceptable is the spec's NUMA rule, written independently of sched's
// tiers: required = same node; legacy = same node or none; socket = same
// socket; preferred = any.
func acceptable(p Policy, instNode, instSocket int, d Device) bool {
	switch p {
	case PolicyRequired:
		return instNode >= 0 && d.NUMANode == instNode
	case PolicySocket:
		return instNode >= 0 && d.NUMANode >= 0 && (d.NUMANode == instNode || (instSocket >= 0 && d.Socket == instSocket))
	case PolicyPreferred:
		return true
	}
	return (instNode >= 0 && d.NUMANode == instNode) || d.NUMANode < 0
}

// bruteForce says whether some host and node can serve every port, trying
// every assignment.
func bruteForce(f fleet, nodes []HostNode, req Request) bool {
	hosts := map[string]bool{}
	for _, d := range f {
		hosts[d.Host] = true
	}
	for h := range hosts {
		if req.Host != "" && h != req.Host {
			continue
		}
		sockets := map[int]int{}
		var free []Device
		for _, d := range f {
			if d.Host != h {
				continue
			}
			if d.NUMANode >= 0 {
				sockets[d.NUMANode] = d.Socket
			}
			if !d.Claimed && d.HostAdmin == model.AdminUnlocked && d.HostOper == model.OperEnabled {
				free = append(free, d)
			}
		}
		for _, n := range nodes {
			if n.Host == h {
				sockets[n.Node] = n.Socket
			}
		}
		cands := []int{-1}
		if req.Node != nil {
			cands = []int{*req.Node}
		} else if len(sockets) > 0 {
			cands = nil
			for n := range sockets {
				cands = append(cands, n)
			}
		}
		for _, n := range cands {
			s, ok := sockets[n]
			if !ok {
				s = -1
			}
			if assign(req.Ports, 0, free, map[int]bool{}, n, s) {
				return true
			}
		}
	}
	return false
}

func assign(ports []Port, i int, free []Device, used map[int]bool, n, s int) bool {
	if i == len(ports) {
		return true
	}
	p := ports[i]
	class, _ := ClassFor(p.VNICType)
	pol, _ := ResolvePolicy(string(p.Policy), "")
	for k, d := range free {
		if used[k] || d.Class != class || !slices.Contains(d.DataNetworks, p.PhysicalNetwork) || !acceptable(pol, n, s, d) {
			continue
		}
		used[k] = true
		if assign(ports, i+1, free, used, n, s) {
			return true
		}
		used[k] = false
	}
	return false
}

// TestPlaceProperties checks on random fleets that every placement obeys
// the rules, and that Place fails only when no assignment exists.
func TestPlaceProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 1))
	for iter := range 3000 {
		f, nodes := randomFleet(r)
		req := randomRequest(r, f)
		got, err := Place(f, nodes, req)
		possible := bruteForce(f, nodes, req)
		if err != nil {
			if possible {
				t.Fatalf("iteration %d: Place(%+v) failed (%v), but an assignment exists in\n%+v", iter, req, err, f)
			}
			if ReasonOf(err) == "" || ReasonOf(err) == ReasonInvalid {
				t.Fatalf("iteration %d: Place(%+v): unexpected error %v", iter, req, err)
			}
			continue
		}
		if !possible {
			t.Fatalf("iteration %d: Place(%+v) = %+v, but brute force finds no assignment", iter, req, got)
		}
		if req.Host != "" && got.Host != req.Host {
			t.Fatalf("iteration %d: placed on %s, asked for %s", iter, got.Host, req.Host)
		}
		if req.Node != nil && got.Node != *req.Node {
			t.Fatalf("iteration %d: instance node %d, pinned %d", iter, got.Node, *req.Node)
		}
		sock := -1
		for _, d := range f {
			if d.Host == got.Host && d.NUMANode == got.Node && got.Node >= 0 {
				sock = d.Socket
			}
		}
		for _, n := range nodes {
			if n.Host == got.Host && n.Node == got.Node {
				sock = n.Socket
			}
		}
		seen := map[string]bool{}
		for i, d := range got.Devices {
			p := req.Ports[i]
			class, _ := ClassFor(p.VNICType)
			pol, _ := ResolvePolicy(string(p.Policy), "")
			in := slices.ContainsFunc(f, func(x Device) bool { return cmp.Equal(x, d) })
			if !in || d.Claimed || d.Host != got.Host || d.Class != class || !slices.Contains(d.DataNetworks, p.PhysicalNetwork) ||
				!acceptable(pol, got.Node, sock, d) || seen[d.Addr()] || d.HostAdmin != model.AdminUnlocked || d.HostOper != model.OperEnabled {
				t.Fatalf("iteration %d: port %+v got %+v (instance node %d, socket %d), which breaks a rule", iter, p, d, got.Node, sock)
			}
			seen[d.Addr()] = true
		}
	}
}

// TestIndexIncremental applies random claims, releases, host state changes
// and host replacements to one Index and checks that it places every
// request exactly as an index rebuilt from the same rows does.
func TestIndexIncremental(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 2))
	for round := range 40 {
		f, nodes := randomFleet(r)
		ix, err := NewIndex(f, nodes)
		if err != nil {
			t.Fatal(err)
		}
		for step := range 60 {
			i := r.IntN(len(f))
			switch op := r.IntN(4); op {
			case 0, 1:
				if f[i].Claimed {
					err = ix.Release(f[i].Host, f[i].Addr())
				} else {
					err = ix.Claim(f[i].Host, f[i].Addr())
				}
				f[i].Claimed = !f[i].Claimed
			case 2:
				admin := []model.AdminState{model.AdminLocked, model.AdminUnlocked}[r.IntN(2)]
				oper := []model.OperState{model.OperEnabled, model.OperDisabled}[r.IntN(2)]
				f = f.state(f[i].Host, admin, oper)
				err = ix.SetHost(f[i].Host, admin, oper)
			case 3:
				// the host loses one interface's devices and gains a new one
				h := f[i].Host
				var rows fleet
				for _, d := range f {
					if d.Host == h && d.PFAddr != f[i].PFAddr {
						rows = append(rows, d)
					}
				}
				rows = rows.sriov(h, "new", fmt.Sprintf("%02x", 0x80+step), r.IntN(2), 0, 1+r.IntN(3), "a", "b")
				rows = rows.state(h, f[i].HostAdmin, f[i].HostOper)
				f = append(slices.DeleteFunc(f, func(d Device) bool { return d.Host == h }), rows...)
				var hn []HostNode
				for _, n := range nodes {
					if n.Host == h {
						hn = append(hn, n)
					}
				}
				err = ix.ReplaceHost(h, rows, hn)
			}
			if err != nil {
				t.Fatalf("round %d step %d: %v", round, step, err)
			}
			fresh, err := NewIndex(f, nodes)
			if err != nil {
				t.Fatalf("round %d step %d: rebuild: %v", round, step, err)
			}
			for range 5 {
				req := randomRequest(r, f)
				got, gerr := ix.Place(req)
				want, werr := fresh.Place(req)
				if !cmp.Equal(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
					t.Fatalf("round %d step %d: Place(%+v):\nincremental %+v, %v\nrebuilt     %+v, %v", round, step, req, got, gerr, want, werr)
				}
			}
		}
	}
}

// TestPlaceOnHostMatchesIndex: the one-host path chooses what Place over the
// same rows chooses, and what an index of the whole fleet chooses for the
// named host, refusals and their messages included, on random hosts and
// requests (claims, NUMA layouts, locked and disabled hosts, pci_slot).
func TestPlaceOnHostMatchesIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 3))
	placed := 0
	for iter := range 3000 {
		f, nodes := randomFleet(r)
		host := f[r.IntN(len(f))].Host
		var rows fleet
		for _, d := range f {
			if d.Host == host {
				rows = append(rows, d)
			}
		}
		req := randomRequest(r, f)
		req.Host = host
		if r.IntN(6) == 0 {
			req.Ports[0].PCISlot = rows[r.IntN(len(rows))].Addr()
		}
		got, gerr := PlaceOnHost(rows, nodes, req)
		want, werr := Place(rows, nodes, req)
		if !cmp.Equal(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("iteration %d: on %s's rows, request %+v:\nPlaceOnHost %+v, %v\nPlace       %+v, %v", iter, host, req, got, gerr, want, werr)
		}
		fleetWide, ferr := Place(f, nodes, req)
		if !cmp.Equal(got, fleetWide) || fmt.Sprint(gerr) != fmt.Sprint(ferr) {
			t.Fatalf("iteration %d: request %+v:\nPlaceOnHost over %s's rows %+v, %v\nPlace over the fleet      %+v, %v", iter, req, host, got, gerr, fleetWide, ferr)
		}
		if gerr == nil {
			placed++
		}
	}
	// Both outcomes must be common, or the comparison proves little.
	if placed < 250 || placed > 2750 {
		t.Fatalf("%d of 3000 random requests placed: the random cases do not exercise both placements and refusals", placed)
	}
}
