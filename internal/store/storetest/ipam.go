package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"slices"
	"testing"

	"vfnet/internal/neutron"
	"vfnet/internal/store"
)

// testIPAMModel drives the store's IPAM with random creates (IPAM's choice,
// a named address in or outside the pools), deletes, fixed_ips updates and
// pool changes on a small subnet, and checks every address it gives against
// the pure rule over every address in use (neutron.NextIP, neutron.CheckIP):
// the store's kept free ranges must give exactly what reading every
// allocation would, the lowest free address of the pools, never the
// gateway, never twice, released ones again, and IpAddressGenerationFailure
// (409) when the pools are full.
func testIPAMModel(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	n := createNet(t, s, admin, `{"provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}`)
	sn := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":4,"cidr":"10.1.0.0/27","gateway_ip":"10.1.0.9",
		"allocation_pools":[{"start":"10.1.0.2","end":"10.1.0.8"},{"start":"10.1.0.12","end":"10.1.0.20"}]}`)
	r := rand.New(rand.NewPCG(11, 5))
	held := map[string][]string{} // port -> its addresses
	used := func(except string) neutron.AddrSet {
		set := neutron.AddrSet{}
		for id, ips := range held {
			if id == except {
				continue
			}
			for _, ip := range ips {
				set[netip.MustParseAddr(ip)] = true
			}
		}
		return set
	}
	var ports []string
	for step := range 300 {
		what := fmt.Sprintf("step %d", step)
		switch op := r.IntN(12); {
		case op < 4: // IPAM chooses
			want, werr := neutron.NextIP(sn, used(""))
			ps, err := s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create, `{"network_id":"`+n.ID+`"}`)})
			if werr != nil {
				wantType(t, what+": create on full pools", err, neutron.TypeIpAddressGenerationFailure, http.StatusConflict)
				continue
			}
			if err != nil || len(ps[0].FixedIPs) != 1 || ps[0].FixedIPs[0].IPAddress != want.String() {
				t.Fatalf("%s: create: got %+v, %v; want %s (in use %v)", what, ps, err, want, used(""))
			}
			held[ps[0].ID], ports = []string{want.String()}, append(ports, ps[0].ID)
		case op < 6: // a named address, in the pools or not
			a := netip.AddrFrom4([4]byte{10, 1, 0, byte(1 + r.IntN(30))})
			_, werr := neutron.CheckIP(sn, a.String(), used(""))
			ps, err := s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create,
				`{"network_id":"`+n.ID+`","fixed_ips":[{"ip_address":"`+a.String()+`"}]}`)})
			if fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Fatalf("%s: create with %s: got %v, want %v", what, a, err, werr)
			}
			if err == nil {
				held[ps[0].ID], ports = []string{a.String()}, append(ports, ps[0].ID)
			}
		case op < 7: // a named address and one IPAM chooses beside it
			a := netip.AddrFrom4([4]byte{10, 1, 0, byte(2 + r.IntN(19))})
			if low, err := neutron.NextIP(sn, used("")); err == nil && r.IntN(2) == 0 {
				a = low // the plan's own named address takes the lowest range
			}
			u := used("")
			_, werr := neutron.CheckIP(sn, a.String(), u)
			var want netip.Addr
			if werr == nil {
				u[a] = true
				want, werr = neutron.NextIP(sn, u)
			}
			ps, err := s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create,
				`{"network_id":"`+n.ID+`","fixed_ips":[{"subnet_id":"`+sn.ID+`"},{"ip_address":"`+a.String()+`"}]}`)})
			if fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Fatalf("%s: create with %s and one more: got %v, want %v", what, a, err, werr)
			}
			if err != nil {
				continue
			}
			got := []string{ps[0].FixedIPs[0].IPAddress, ps[0].FixedIPs[1].IPAddress}
			if !slices.Equal(got, []string{a.String(), want.String()}) {
				t.Fatalf("%s: create with %s and one more: got %v, want [%s %s]", what, a, got, a, want)
			}
			held[ps[0].ID], ports = got, append(ports, ps[0].ID)
		case op < 9 && len(ports) > 0: // delete
			i := r.IntN(len(ports))
			wantType(t, what+": delete", s.DeleteNeutronPort(ctx, admin, ports[i], nil), "", 0)
			delete(held, ports[i])
			ports = slices.Delete(ports, i, i+1)
		case op < 10 && len(ports) > 0: // re-plan a port's address: its own counts as free
			id := ports[r.IntN(len(ports))]
			want, werr := neutron.NextIP(sn, used(id))
			u, _, err := s.UpdateNeutronPort(ctx, admin, id, portReq(t, neutron.Update, `{"fixed_ips":[{"subnet_id":"`+sn.ID+`"}]}`), nil)
			if werr != nil {
				wantType(t, what+": update on full pools", err, neutron.TypeIpAddressGenerationFailure, http.StatusConflict)
				continue
			}
			if err != nil || len(u.FixedIPs) != 1 || u.FixedIPs[0].IPAddress != want.String() {
				t.Fatalf("%s: update %s: got %v, %v; want %s", what, id, u.FixedIPs, err, want)
			}
			held[id] = []string{want.String()}
		default: // move the second pool: what IPAM may give changes
			end := 14 + r.IntN(12)
			body := fmt.Sprintf(`{"allocation_pools":[{"start":"10.1.0.2","end":"10.1.0.8"},{"start":"10.1.0.12","end":"10.1.0.%d"}]}`, end)
			rs, err := neutron.DecodeSubnets([]byte(`{"subnet":`+body+`}`), neutron.Update)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.UpdateSubnet(ctx, admin, sn.ID, rs[0], nil)
			wantType(t, what+": update pools", err, "", 0)
			sn = got
		}
	}
	// Fill what is left, then one more is refused.
	for {
		want, werr := neutron.NextIP(sn, used(""))
		ps, err := s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create,
			`{"network_id":"`+n.ID+`","fixed_ips":[{"subnet_id":"`+sn.ID+`"}]}`)})
		if werr != nil {
			wantType(t, "allocate from full pools", err, neutron.TypeIpAddressGenerationFailure, http.StatusConflict)
			break
		}
		if err != nil || ps[0].FixedIPs[0].IPAddress != want.String() {
			t.Fatalf("fill: got %+v, %v; want %s", ps, err, want)
		}
		held[ps[0].ID] = []string{want.String()}
	}
}
