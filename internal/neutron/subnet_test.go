package neutron

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func subnetReq(cidr string, v int) SubnetRequest {
	return SubnetRequest{NetworkID: Val(netID), CIDR: Val(cidr), IPVersion: Val(v)}
}

func TestPlanSubnet(t *testing.T) {
	with := func(r SubnetRequest, f func(*SubnetRequest)) SubnetRequest { f(&r); return r }
	siblings := []Subnet{{ID: "s0", CIDR: "198.51.100.0/24", IPVersion: 4}}
	tests := []struct {
		name      string
		req       SubnetRequest
		wantGW    *string
		wantPools []AllocationPool
		wantErr   error
	}{
		{"v4 defaults", subnetReq("192.0.2.0/24", 4), ptr("192.0.2.1"), []AllocationPool{{"192.0.2.2", "192.0.2.254"}}, nil},
		{"v4 gateway in middle", with(subnetReq("192.0.2.0/29", 4), func(r *SubnetRequest) { r.GatewayIP = Val("192.0.2.3") }),
			ptr("192.0.2.3"), []AllocationPool{{"192.0.2.1", "192.0.2.2"}, {"192.0.2.4", "192.0.2.6"}}, nil},
		{"v4 gateway last host", with(subnetReq("192.0.2.0/29", 4), func(r *SubnetRequest) { r.GatewayIP = Val("192.0.2.6") }),
			ptr("192.0.2.6"), []AllocationPool{{"192.0.2.1", "192.0.2.5"}}, nil},
		{"v4 no gateway", with(subnetReq("192.0.2.0/30", 4), func(r *SubnetRequest) { r.GatewayIP = Null[string]() }),
			nil, []AllocationPool{{"192.0.2.1", "192.0.2.2"}}, nil},
		{"v6 defaults keep last address", subnetReq("2001:db8::/126", 6), ptr("2001:db8::1"), []AllocationPool{{"2001:db8::2", "2001:db8::3"}}, nil},
		{"given pools", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) {
			r.AllocationPools = Val([]AllocationPool{{"192.0.2.10", "192.0.2.20"}, {"192.0.2.30", "192.0.2.30"}})
		}), ptr("192.0.2.1"), []AllocationPool{{"192.0.2.10", "192.0.2.20"}, {"192.0.2.30", "192.0.2.30"}}, nil},
		{"pool overlaps", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) {
			r.AllocationPools = Val([]AllocationPool{{"192.0.2.10", "192.0.2.20"}, {"192.0.2.20", "192.0.2.30"}})
		}), nil, nil, TypeOverlappingAllocationPools},
		{"pool out of cidr", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) {
			r.AllocationPools = Val([]AllocationPool{{"192.0.2.10", "192.0.3.20"}})
		}), nil, nil, TypeOutOfBoundsAllocationPool},
		{"pool includes broadcast", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) {
			r.AllocationPools = Val([]AllocationPool{{"192.0.2.10", "192.0.2.255"}})
		}), nil, nil, TypeOutOfBoundsAllocationPool},
		{"pool reversed", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) {
			r.AllocationPools = Val([]AllocationPool{{"192.0.2.20", "192.0.2.10"}})
		}), nil, nil, TypeInvalidAllocationPool},
		{"pool wrong family", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) {
			r.AllocationPools = Val([]AllocationPool{{"2001:db8::1", "2001:db8::2"}})
		}), nil, nil, TypeInvalidAllocationPool},
		{"gateway in pool", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) {
			r.AllocationPools = Val([]AllocationPool{{"192.0.2.1", "192.0.2.20"}})
		}), nil, nil, TypeGatewayConflictWithAllocPools},
		{"gateway outside", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) { r.GatewayIP = Val("10.0.0.1") }), nil, nil, TypeInvalidInput},
		{"gateway is broadcast", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) { r.GatewayIP = Val("192.0.2.255") }), nil, nil, TypeInvalidInput},
		{"gateway garbage", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) { r.GatewayIP = Val("gw") }), nil, nil, TypeHTTPBadRequest},
		{"version mismatch", subnetReq("192.0.2.0/24", 6), nil, nil, TypeInvalidInput},
		{"host bits", subnetReq("192.0.2.5/24", 4), nil, nil, TypeHTTPBadRequest},
		{"not a cidr", subnetReq("banana", 4), nil, nil, TypeHTTPBadRequest},
		{"too small", subnetReq("192.0.2.0/31", 4), nil, nil, TypeInvalidInput},
		{"overlaps sibling", subnetReq("198.51.100.128/25", 4), nil, nil, TypeInvalidInput},
		{"no cidr", SubnetRequest{NetworkID: Val(netID), IPVersion: Val(4)}, nil, nil, TypeBadRequest},
		{"subnetpool", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) { r.SubnetPoolID = Val("pool") }), nil, nil, TypeInvalidInput},
		{"too many dns", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) {
			r.DNSNameservers = Val([]string{"1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5", "1.1.1.6"})
		}), nil, nil, TypeBadRequest},
		{"bad dns", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) { r.DNSNameservers = Val([]string{"dns.example"}) }), nil, nil, TypeHTTPBadRequest},
		{"bad route", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) {
			r.HostRoutes = Val([]HostRoute{{"10.0.0.1/8", "192.0.2.1"}})
		}), nil, nil, TypeHTTPBadRequest},
		{"route wrong family", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) {
			r.HostRoutes = Val([]HostRoute{{"2001:db8::/64", "192.0.2.1"}})
		}), nil, nil, TypeInvalidInput},
		{"ipv6 mode on v4", with(subnetReq("192.0.2.0/24", 4), func(r *SubnetRequest) { r.IPv6AddressMode = Val("slaac") }), nil, nil, TypeInvalidInput},
		{"slaac needs /64", with(subnetReq("2001:db8::/80", 6), func(r *SubnetRequest) { r.IPv6AddressMode = Val("slaac") }), nil, nil, TypeInvalidInput},
		{"modes differ", with(subnetReq("2001:db8::/64", 6), func(r *SubnetRequest) {
			r.IPv6AddressMode = Val("slaac")
			r.IPv6RAMode = Val("dhcpv6-stateful")
		}), nil, nil, TypeInvalidInput},
		{"modes without dhcp", with(subnetReq("2001:db8::/64", 6), func(r *SubnetRequest) {
			r.IPv6AddressMode = Val("slaac")
			r.EnableDHCP = Val(false)
		}), nil, nil, TypeInvalidInput},
	}
	for _, tt := range tests {
		got, err := PlanSubnet(tt.req, siblings)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("%s: PlanSubnet: err %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if !cmp.Equal(got.GatewayIP, tt.wantGW) || !cmp.Equal(got.AllocationPools, tt.wantPools) {
			t.Errorf("%s: got gateway %v pools %v, want %v %v", tt.name, got.GatewayIP, got.AllocationPools, tt.wantGW, tt.wantPools)
		}
	}
}

func TestPlanSubnetKeepsModesAndDHCP(t *testing.T) {
	r := subnetReq("2001:db8:1::/64", 6)
	r.IPv6AddressMode = Val("slaac")
	r.IPv6RAMode = Val("slaac")
	got, err := PlanSubnet(r, nil)
	if err != nil {
		t.Fatalf("PlanSubnet: %v", err)
	}
	if !got.EnableDHCP || got.IPv6AddressMode == nil || *got.IPv6AddressMode != "slaac" || *got.IPv6RAMode != "slaac" {
		t.Errorf("got %+v, want enable_dhcp and slaac modes", got)
	}
}

func TestPlanSubnetUpdate(t *testing.T) {
	cur, err := PlanSubnet(subnetReq("192.0.2.0/24", 4), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		req       SubnetRequest
		wantGW    *string
		wantPools []AllocationPool
		wantErr   error
	}{
		{"remove gateway", SubnetRequest{GatewayIP: Null[string]()}, nil, cur.AllocationPools, nil},
		{"gateway into pool", SubnetRequest{GatewayIP: Val("192.0.2.9")}, nil, nil, TypeGatewayConflictWithAllocPools},
		{"gateway and pools", SubnetRequest{GatewayIP: Val("192.0.2.254"), AllocationPools: Val([]AllocationPool{{"192.0.2.1", "192.0.2.100"}})},
			ptr("192.0.2.254"), []AllocationPool{{"192.0.2.1", "192.0.2.100"}}, nil},
	}
	for _, tt := range tests {
		got, err := PlanSubnetUpdate(cur, tt.req)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if err == nil && (!cmp.Equal(got.GatewayIP, tt.wantGW) || !cmp.Equal(got.AllocationPools, tt.wantPools)) {
			t.Errorf("%s: got %v %v, want %v %v", tt.name, got.GatewayIP, got.AllocationPools, tt.wantGW, tt.wantPools)
		}
	}
}

func TestLastAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.0/24": "192.0.2.255", "10.0.0.0/8": "10.255.255.255", "192.0.2.4/30": "192.0.2.7",
		"2001:db8::/64": "2001:db8::ffff:ffff:ffff:ffff", "0.0.0.0/0": "255.255.255.255",
	} {
		if got := lastAddr(netip.MustParsePrefix(in)).String(); got != want {
			t.Errorf("lastAddr(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestCheckSubnetDelete(t *testing.T) {
	v6 := func(ra, addr *string) Subnet {
		return Subnet{ID: "s6", IPVersion: 6, CIDR: "2001:db8::/64", IPv6RAMode: ra, IPv6AddressMode: addr}
	}
	v4 := Subnet{ID: "s4", IPVersion: 4, CIDR: "192.0.2.0/24"}
	tests := []struct {
		name    string
		subnet  Subnet
		owners  []string
		wantErr error
	}{
		{"v4 unused", v4, nil, nil},
		{"v4 with a port", v4, []string{"compute:nova"}, TypeSubnetInUse},
		{"v6 no modes with a port", v6(nil, nil), []string{""}, TypeSubnetInUse},
		{"stateful with a port", v6(ptr(IPv6DHCPv6Stateful), ptr(IPv6DHCPv6Stateful)), []string{""}, TypeSubnetInUse},
		{"slaac with ports", v6(ptr(IPv6SLAAC), ptr(IPv6SLAAC)), []string{"", "compute:nova"}, nil},
		{"stateless with a port", v6(ptr(IPv6DHCPv6Stateless), ptr(IPv6DHCPv6Stateless)), []string{"compute:nova"}, nil},
		{"address mode slaac alone", v6(nil, ptr(IPv6SLAAC)), []string{""}, nil},
		{"ra mode stateless alone", v6(ptr(IPv6DHCPv6Stateless), nil), []string{""}, nil},
		{"ra stateful, address slaac", v6(ptr(IPv6DHCPv6Stateful), ptr(IPv6SLAAC)), []string{""}, nil},
		{"slaac with a router interface", v6(ptr(IPv6SLAAC), ptr(IPv6SLAAC)), []string{"", "network:router_interface"}, TypeSubnetInUse},
		{"slaac with a DVR interface", v6(ptr(IPv6SLAAC), ptr(IPv6SLAAC)), []string{"network:router_interface_distributed"}, TypeSubnetInUse},
		{"slaac with an HA interface", v6(ptr(IPv6SLAAC), ptr(IPv6SLAAC)), []string{"network:ha_router_replicated_interface"}, TypeSubnetInUse},
		{"slaac with a gateway port", v6(ptr(IPv6SLAAC), ptr(IPv6SLAAC)), []string{"network:router_gateway"}, nil},
	}
	for _, tt := range tests {
		err := CheckSubnetDelete(tt.subnet, tt.owners)
		if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: CheckSubnetDelete(%+v, %q) = %v, want %v", tt.name, tt.subnet, tt.owners, err, tt.wantErr)
		}
	}
}
