package storetest

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"testing"

	"vfnet/internal/neutron"
	"vfnet/internal/store"
)

// eui64 is the EUI-64 address of mac on subnet s.
func eui64(t *testing.T, s neutron.Subnet, mac string) string {
	t.Helper()
	a, err := neutron.EUI64(netip.MustParsePrefix(s.CIDR), mac)
	if err != nil {
		t.Fatalf("EUI-64 of %s on %s: %v", mac, s.CIDR, err)
	}
	return a.String()
}

// testEUI64Addresses: a port gets its EUI-64 address on every SLAAC and
// DHCPv6-stateless subnet of its network besides the usual IPv4 and
// stateful IPv6 ones; an address named there must be that one; the
// addresses still count under UNIQUE(subnet, address); a MAC change, by
// update or by a binding that takes a PF's MAC, forms them again.
func testEUI64Addresses(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	n := createNet(t, s, admin, `{"provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}`)
	v4 := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":4,"cidr":"192.0.2.0/24"}`)
	slaac := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":6,"cidr":"2001:db8:a::/64","ipv6_address_mode":"slaac","ipv6_ra_mode":"slaac"}`)
	stateful := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":6,"cidr":"2001:db8:f::/64","ipv6_address_mode":"dhcpv6-stateful"}`)
	stateless := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":6,"cidr":"2001:db8:b::/64","ipv6_address_mode":"dhcpv6-stateless"}`)
	want := func(what string, p neutron.Port, ips ...neutron.FixedIP) {
		t.Helper()
		if fmt.Sprint(p.FixedIPs) != fmt.Sprint(ips) {
			t.Fatalf("%s: port %s fixed_ips %v, want %v", what, p.MACAddress, p.FixedIPs, ips)
		}
	}
	on := func(s neutron.Subnet, ip string) neutron.FixedIP {
		return neutron.FixedIP{SubnetID: s.ID, IPAddress: ip}
	}

	p := createPort(t, s, admin, `{"network_id":"`+n.ID+`","mac_address":"fa:16:3e:00:00:01"}`)
	want("default", p, on(v4, "192.0.2.2"), on(stateful, "2001:db8:f::2"),
		on(slaac, "2001:db8:a:0:f816:3eff:fe00:1"), on(stateless, "2001:db8:b:0:f816:3eff:fe00:1"))

	_, err := s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create,
		`{"network_id":"`+n.ID+`","fixed_ips":[{"subnet_id":"`+slaac.ID+`","ip_address":"2001:db8:a::5"}]}`)})
	wantType(t, "another address on a SLAAC subnet", err, neutron.TypeAllocationOnAutoAddressSubnet, http.StatusBadRequest)
	_, err = s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create,
		`{"network_id":"`+n.ID+`","fixed_ips":[{"ip_address":"2001:db8:b::5"}]}`)})
	wantType(t, "another address on a stateless subnet", err, neutron.TypeAllocationOnAutoAddressSubnet, http.StatusBadRequest)

	q := createPort(t, s, admin, `{"network_id":"`+n.ID+`","mac_address":"fa:16:3e:00:00:02",
		"fixed_ips":[{"ip_address":"2001:db8:a:0:f816:3eff:fe00:2"}]}`)
	want("naming its own EUI-64 address", q, on(slaac, "2001:db8:a:0:f816:3eff:fe00:2"), on(stateless, "2001:db8:b:0:f816:3eff:fe00:2"))
	e := createPort(t, s, admin, `{"network_id":"`+n.ID+`","mac_address":"fa:16:3e:00:00:0e","fixed_ips":[]}`)
	want("fixed_ips []", e, on(slaac, "2001:db8:a:0:f816:3eff:fe00:e"), on(stateless, "2001:db8:b:0:f816:3eff:fe00:e"))

	// A router interface may hold any address, another port's EUI-64 one
	// too: that port cannot be created then.
	r := createPort(t, s, admin, `{"network_id":"`+n.ID+`","device_owner":"network:router_interface",
		"fixed_ips":[{"ip_address":"2001:db8:a:0:f816:3eff:fe00:3"}]}`)
	want("router interface", r, on(slaac, "2001:db8:a:0:f816:3eff:fe00:3"))
	_, err = s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create,
		`{"network_id":"`+n.ID+`","mac_address":"fa:16:3e:00:00:03"}`)})
	wantType(t, "EUI-64 address held by a router interface", err, neutron.TypeIpAddressAlreadyAllocated, http.StatusConflict)

	// An update of fixed_ips keeps the automatic addresses.
	u, _, err := s.UpdateNeutronPort(ctx, admin, p.ID, portReq(t, neutron.Update, `{"fixed_ips":[{"subnet_id":"`+v4.ID+`"}]}`), nil)
	wantType(t, "update fixed_ips", err, "", 0)
	want("fixed_ips updated", u, on(v4, "192.0.2.2"), on(slaac, "2001:db8:a:0:f816:3eff:fe00:1"), on(stateless, "2001:db8:b:0:f816:3eff:fe00:1"))

	// A new MAC on the unbound port forms the addresses again and frees the
	// old ones.
	u, _, err = s.UpdateNeutronPort(ctx, admin, p.ID, portReq(t, neutron.Update, `{"mac_address":"fa:16:3e:00:00:11"}`), nil)
	wantType(t, "MAC change", err, "", 0)
	want("new MAC", u, on(v4, "192.0.2.2"), on(slaac, "2001:db8:a:0:f816:3eff:fe00:11"), on(stateless, "2001:db8:b:0:f816:3eff:fe00:11"))
	got, err := s.NeutronPort(ctx, admin, p.ID)
	wantType(t, "show port", err, "", 0)
	want("new MAC, read back", got, u.FixedIPs...)
	old := createPort(t, s, admin, `{"network_id":"`+n.ID+`","mac_address":"fa:16:3e:00:00:01","fixed_ips":[]}`)
	want("the old MAC again", old, on(slaac, "2001:db8:a:0:f816:3eff:fe00:1"), on(stateless, "2001:db8:b:0:f816:3eff:fe00:1"))

	// A PCI passthrough binding gives the port the PF's MAC, and with it
	// new EUI-64 addresses.
	b, err := s.SetNeutronPortBinding(ctx, q.ID, neutron.BindDirectPhysical("compute-0",
		neutron.PF{PCISlot: "0000:3b:00.0", PhysicalNetwork: "datanet-a", MACAddress: "3c:fd:fe:00:00:01"}, 10))
	wantType(t, "bind to a PF", err, "", 0)
	want("PF binding", b, on(slaac, "2001:db8:a:0:3efd:feff:fe00:1"), on(stateless, "2001:db8:b:0:3efd:feff:fe00:1"))
	got, err = s.NeutronPort(ctx, admin, q.ID)
	wantType(t, "show bound port", err, "", 0)
	want("PF binding, read back", got, b.FixedIPs...)

	for _, id := range []string{p.ID, q.ID, e.ID, r.ID, old.ID} {
		wantType(t, "delete port", s.DeleteNeutronPort(ctx, admin, id, nil), "", 0)
	}
	wantType(t, "delete network", s.DeleteNetwork(ctx, admin, n.ID, nil), "", 0)
}
