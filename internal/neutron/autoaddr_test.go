package neutron

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEUI64(t *testing.T) {
	tests := []struct {
		pfx, mac string
		want     string
		wantErr  error
	}{
		{"2001:db8::/64", "fa:16:3e:00:00:01", "2001:db8::f816:3eff:fe00:1", nil},
		// oslo.utils' own vector.
		{"fe80::/64", "00:16:3e:33:44:55", "fe80::216:3eff:fe33:4455", nil},
		// The universal/local bit is inverted, not set.
		{"2001:db8::/64", "02:00:00:00:00:01", "2001:db8::ff:fe00:1", nil},
		{"2001:db8:1:2::/64", "FA:16:3E:AB:CD:EF", "2001:db8:1:2:f816:3eff:feab:cdef", nil},
		{"2001:db8:1:2::99/64", "fa:16:3e:00:00:01", "2001:db8:1:2:f816:3eff:fe00:1", nil}, // host bits ignored
		{"2001:db8::/48", "fa:16:3e:00:00:01", "2001:db8::f816:3eff:fe00:1", nil},
		{"2001:db8::/80", "fa:16:3e:00:00:01", "", TypeInvalidInput},
		{"192.0.2.0/24", "fa:16:3e:00:00:01", "", TypeInvalidInput},
		{"2001:db8::/64", "fa:16:3e:00:00", "", TypeInvalidInput},
		{"2001:db8::/64", "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01", "", TypeInvalidInput},
	}
	for _, tt := range tests {
		got, err := EUI64(netip.MustParsePrefix(tt.pfx), tt.mac)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && (err != nil || got.String() != tt.want) {
			t.Errorf("EUI64(%s, %s) = %v, %v; want %s, %v", tt.pfx, tt.mac, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestPlanFixedIPsAutoAddress(t *testing.T) {
	slaac, stateless, stateful := IPv6SLAAC, IPv6DHCPv6Stateless, IPv6DHCPv6Stateful
	v4 := Subnet{ID: "s4", CIDR: "192.0.2.0/24", IPVersion: 4, AllocationPools: []AllocationPool{{"192.0.2.2", "192.0.2.3"}}}
	pools6 := func(p string) []AllocationPool {
		return DefaultPools(netip.MustParsePrefix(p), netip.MustParseAddr(netip.MustParsePrefix(p).Addr().Next().String()))
	}
	sa := Subnet{ID: "sa", CIDR: "2001:db8:a::/64", IPVersion: 6, IPv6AddressMode: &slaac, IPv6RAMode: &slaac,
		GatewayIP: ptr("2001:db8:a::1"), AllocationPools: pools6("2001:db8:a::/64")}
	sb := Subnet{ID: "sb", CIDR: "2001:db8:b::/64", IPVersion: 6, IPv6AddressMode: &stateless,
		GatewayIP: ptr("2001:db8:b::1"), AllocationPools: pools6("2001:db8:b::/64")}
	sRA := Subnet{ID: "sr", CIDR: "2001:db8:c::/64", IPVersion: 6, IPv6RAMode: &slaac, AllocationPools: pools6("2001:db8:c::/64")}
	sf := Subnet{ID: "sf", CIDR: "2001:db8:f::/64", IPVersion: 6, IPv6AddressMode: &stateful,
		AllocationPools: []AllocationPool{{"2001:db8:f::10", "2001:db8:f::20"}}}
	all := []Subnet{v4, sa, sb, sf}
	const mac = "fa:16:3e:00:00:01"
	euiA, euiB, euiR := "2001:db8:a:0:f816:3eff:fe00:1", "2001:db8:b:0:f816:3eff:fe00:1", "2001:db8:c:0:f816:3eff:fe00:1"
	tests := []struct {
		name    string
		owner   string
		req     Field[[]FixedIP]
		subnets []Subnet
		used    map[string]AddrSet
		want    []FixedIP
		wantErr error
	}{
		{"default: v4, stateful v6, every auto subnet", "", Field[[]FixedIP]{}, all, nil,
			[]FixedIP{{"s4", "192.0.2.2"}, {"sf", "2001:db8:f::10"}, {"sa", euiA}, {"sb", euiB}}, nil},
		{"ra_mode alone makes a subnet auto-address", "", Field[[]FixedIP]{}, []Subnet{sRA}, nil, []FixedIP{{"sr", euiR}}, nil},
		{"only auto subnets: no stateful v6 needed", "", Field[[]FixedIP]{}, []Subnet{v4, sa}, nil,
			[]FixedIP{{"s4", "192.0.2.2"}, {"sa", euiA}}, nil},
		{"explicit empty still gets the automatic addresses", "compute:nova", Val([]FixedIP{}), all, nil,
			[]FixedIP{{"sa", euiA}, {"sb", euiB}}, nil},
		{"subnet-only entry on an auto subnet is its automatic address", "", Val([]FixedIP{{SubnetID: "sa"}}), all, nil,
			[]FixedIP{{"sa", euiA}, {"sb", euiB}}, nil},
		{"naming the EUI-64 address gives it once", "", Val([]FixedIP{{SubnetID: "sa", IPAddress: euiA}, {SubnetID: "s4"}}), all, nil,
			[]FixedIP{{"sa", euiA}, {"s4", "192.0.2.2"}, {"sb", euiB}}, nil},
		{"address alone finds its auto subnet", "", Val([]FixedIP{{IPAddress: "2001:db8:b:0:f816:3eff:fe00:1"}}), all, nil,
			[]FixedIP{{"sb", euiB}, {"sa", euiA}}, nil},
		{"other address on an auto subnet refused", "", Val([]FixedIP{{SubnetID: "sa", IPAddress: "2001:db8:a::5"}}), all, nil,
			nil, TypeAllocationOnAutoAddressSubnet},
		{"other address alone on an auto subnet refused", "", Val([]FixedIP{{IPAddress: "2001:db8:b::5"}}), all, nil,
			nil, TypeAllocationOnAutoAddressSubnet},
		{"EUI-64 address held by another port", "", Field[[]FixedIP]{}, []Subnet{sa}, map[string]AddrSet{"sa": mustSet(t, euiA)},
			nil, TypeIpAddressAlreadyAllocated},
		{"router interface: no automatic address, any address may be named", "network:router_interface",
			Val([]FixedIP{{SubnetID: "sa", IPAddress: "2001:db8:a::5"}}), all, nil, []FixedIP{{"sa", "2001:db8:a::5"}}, nil},
		{"router interface, subnet only: next pool address", "network:router_interface", Val([]FixedIP{{SubnetID: "sa"}}), all, nil,
			[]FixedIP{{"sa", "2001:db8:a::2"}}, nil},
		{"SNAT port: no automatic address", "network:router_centralized_snat", Field[[]FixedIP]{}, all, nil,
			[]FixedIP{{"s4", "192.0.2.2"}, {"sf", "2001:db8:f::10"}}, nil},
		{"SNAT port may not name another address on an auto subnet", "network:router_centralized_snat",
			Val([]FixedIP{{SubnetID: "sa", IPAddress: "2001:db8:a::5"}}), all, nil, nil, TypeAllocationOnAutoAddressSubnet},
	}
	for _, tt := range tests {
		got, err := PlanFixedIPs(netID, PlanPort{MAC: mac, DeviceOwner: tt.owner}, tt.req, tt.subnets, tt.used)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestPlanFixedIPsHeldAddress: a pool address a port got on an
// auto-address subnet before vfnet formed EUI-64 addresses stays its own
// when an update names it again, and stands for the automatic one there.
func TestPlanFixedIPsHeldAddress(t *testing.T) {
	slaac := IPv6SLAAC
	sa := Subnet{ID: "sa", CIDR: "2001:db8:a::/64", IPVersion: 6, IPv6AddressMode: &slaac,
		AllocationPools: []AllocationPool{{"2001:db8:a::2", "2001:db8:a::ffff"}}}
	held := []FixedIP{{"sa", "2001:db8:a::2"}}
	tests := []struct {
		name    string
		held    []FixedIP
		req     []FixedIP
		want    []FixedIP
		wantErr error
	}{
		{"held address named again", held, []FixedIP{{"sa", "2001:db8:a::2"}}, []FixedIP{{"sa", "2001:db8:a::2"}}, nil},
		{"held address by address alone", held, []FixedIP{{IPAddress: "2001:db8:a::2"}}, []FixedIP{{"sa", "2001:db8:a::2"}}, nil},
		{"held address not named: the EUI-64 one", held, []FixedIP{}, []FixedIP{{"sa", "2001:db8:a:0:f816:3eff:fe00:1"}}, nil},
		{"another pool address", held, []FixedIP{{"sa", "2001:db8:a::3"}}, nil, TypeAllocationOnAutoAddressSubnet},
		{"not held", nil, []FixedIP{{"sa", "2001:db8:a::2"}}, nil, TypeAllocationOnAutoAddressSubnet},
	}
	for _, tt := range tests {
		got, err := PlanFixedIPs(netID, PlanPort{MAC: "fa:16:3e:00:00:01", Held: tt.held}, Val(tt.req), []Subnet{sa}, nil)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestKeepOnMACChange(t *testing.T) {
	slaac := IPv6SLAAC
	sa := Subnet{ID: "sa", CIDR: "2001:db8:a::/64", IPVersion: 6, IPv6AddressMode: &slaac}
	sf := Subnet{ID: "sf", CIDR: "2001:db8:f::/64", IPVersion: 6}
	v4 := Subnet{ID: "s4", CIDR: "192.0.2.0/24", IPVersion: 4}
	subnets := []Subnet{v4, sa, sf}
	const old = "fa:16:3e:00:00:01"
	tests := []struct {
		name  string
		fixed []FixedIP
		want  []FixedIP
	}{
		{"the old EUI-64 address goes, the rest stays",
			[]FixedIP{{"s4", "192.0.2.2"}, {"sa", "2001:db8:a:0:f816:3eff:fe00:1"}, {"sf", "2001:db8:f::10"}},
			[]FixedIP{{"s4", "192.0.2.2"}, {"sf", "2001:db8:f::10"}}},
		{"address alone", []FixedIP{{IPAddress: "2001:db8:a:0:f816:3eff:fe00:1"}}, []FixedIP{}},
		{"another address on the auto subnet (a router's) stays",
			[]FixedIP{{"sa", "2001:db8:a::5"}}, []FixedIP{{"sa", "2001:db8:a::5"}}},
		{"an EUI-64-looking address on a stateful subnet stays",
			[]FixedIP{{"sf", "2001:db8:f:0:f816:3eff:fe00:1"}}, []FixedIP{{"sf", "2001:db8:f:0:f816:3eff:fe00:1"}}},
		{"subnet-only entries stay", []FixedIP{{SubnetID: "sa"}}, []FixedIP{{SubnetID: "sa"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, KeepOnMACChange(tt.fixed, subnets, old)); diff != "" {
			t.Errorf("%s: KeepOnMACChange(%v) (-want +got):\n%s", tt.name, tt.fixed, diff)
		}
	}
}
