package neutron

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustSet(t *testing.T, a ...string) AddrSet {
	t.Helper()
	s, err := NewAddrSet(a...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNextIPAndCheckIP(t *testing.T) {
	s := Subnet{ID: "s1", CIDR: "192.0.2.0/29", IPVersion: 4, GatewayIP: ptr("192.0.2.1"),
		AllocationPools: []AllocationPool{{"192.0.2.1", "192.0.2.3"}, {"192.0.2.5", "192.0.2.6"}}}
	next := []struct {
		used    AddrSet
		want    string
		wantErr error
	}{
		{mustSet(t), "192.0.2.2", nil},                           // gateway inside a pool is skipped
		{mustSet(t, "192.0.2.2", "192.0.2.3"), "192.0.2.5", nil}, // next pool
		{mustSet(t, "192.0.2.2", "192.0.2.3", "192.0.2.5", "192.0.2.6"), "", TypeIpAddressGenerationFailure},
	}
	for _, tt := range next {
		got, err := NextIP(s, tt.used)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && (err != nil || got.String() != tt.want) {
			t.Errorf("NextIP(used %v) = %v, %v; want %s, %v", tt.used, got, err, tt.want, tt.wantErr)
		}
	}
	check := []struct {
		ip      string
		wantErr error
	}{
		{"192.0.2.4", nil}, // outside the pools, inside the CIDR: allowed
		{"192.0.2.3", TypeIpAddressAlreadyAllocated},
		{"192.0.2.1", TypeIpAddressAlreadyAllocated}, // the gateway
		{"192.0.2.0", TypeInvalidIpForSubnet},
		{"192.0.2.7", TypeInvalidIpForSubnet},
		{"192.0.3.1", TypeInvalidIpForSubnet},
		{"nope", TypeInvalidInput},
	}
	for _, tt := range check {
		_, err := CheckIP(s, tt.ip, mustSet(t, "192.0.2.3"))
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("CheckIP(%s) = %v, want %v", tt.ip, err, tt.wantErr)
		}
	}
	_, err := CheckIP(s, "192.0.2.3", mustSet(t, "192.0.2.3"))
	var e *Error
	if !errors.As(err, &e) || e.Message != "IP address 192.0.2.3 already allocated in subnet s1" || e.Status != 409 {
		t.Errorf("CheckIP taken: got %v", err)
	}
}

func TestNextIPv6(t *testing.T) {
	s := Subnet{ID: "s6", CIDR: "2001:db8::/64", IPVersion: 6, GatewayIP: ptr("2001:db8::1"),
		AllocationPools: DefaultPools(netip.MustParsePrefix("2001:db8::/64"), netip.MustParseAddr("2001:db8::1"))}
	got, err := NextIP(s, mustSet(t, "2001:db8::2"))
	if err != nil || got.String() != "2001:db8::3" {
		t.Errorf("NextIP v6 = %v, %v; want 2001:db8::3", got, err)
	}
}

func TestPlanFixedIPs(t *testing.T) {
	v4 := Subnet{ID: "s4", CIDR: "192.0.2.0/24", IPVersion: 4, GatewayIP: ptr("192.0.2.1"),
		AllocationPools: []AllocationPool{{"192.0.2.2", "192.0.2.3"}}}
	v4b := Subnet{ID: "s4b", CIDR: "198.51.100.0/24", IPVersion: 4, AllocationPools: []AllocationPool{{"198.51.100.10", "198.51.100.10"}}}
	v6 := Subnet{ID: "s6", CIDR: "2001:db8::/64", IPVersion: 6, AllocationPools: []AllocationPool{{"2001:db8::10", "2001:db8::20"}}}
	subnets := []Subnet{v4, v4b, v6}
	tests := []struct {
		name    string
		req     Field[[]FixedIP]
		subnets []Subnet
		used    map[string]AddrSet
		want    []FixedIP
		wantErr error
	}{
		{"no subnets", Field[[]FixedIP]{}, nil, nil, []FixedIP{}, nil},
		{"default one per family", Field[[]FixedIP]{}, subnets, nil,
			[]FixedIP{{"s4", "192.0.2.2"}, {"s6", "2001:db8::10"}}, nil},
		{"default skips full subnet", Field[[]FixedIP]{}, subnets[:2], map[string]AddrSet{"s4": mustSet(t, "192.0.2.2", "192.0.2.3")},
			[]FixedIP{{"s4b", "198.51.100.10"}}, nil},
		{"default all full", Field[[]FixedIP]{}, subnets[:1], map[string]AddrSet{"s4": mustSet(t, "192.0.2.2", "192.0.2.3")},
			nil, TypeIpAddressGenerationFailure},
		{"explicit empty", Val([]FixedIP{}), subnets, nil, []FixedIP{}, nil},
		{"subnet only", Val([]FixedIP{{SubnetID: "s4b"}}), subnets, nil, []FixedIP{{"s4b", "198.51.100.10"}}, nil},
		{"subnet exhausted", Val([]FixedIP{{SubnetID: "s4b"}}), subnets, map[string]AddrSet{"s4b": mustSet(t, "198.51.100.10")}, nil, TypeIpAddressGenerationFailure},
		{"two from one subnet", Val([]FixedIP{{SubnetID: "s4"}, {SubnetID: "s4"}}), subnets, nil,
			[]FixedIP{{"s4", "192.0.2.2"}, {"s4", "192.0.2.3"}}, nil},
		{"address only", Val([]FixedIP{{IPAddress: "192.0.2.77"}}), subnets, nil, []FixedIP{{"s4", "192.0.2.77"}}, nil},
		{"address twice", Val([]FixedIP{{IPAddress: "192.0.2.77"}, {SubnetID: "s4", IPAddress: "192.0.2.77"}}), subnets, nil, nil, TypeIpAddressAlreadyAllocated},
		{"address on no subnet", Val([]FixedIP{{IPAddress: "203.0.113.5"}}), subnets, nil, nil, TypeInvalidIpForNetwork},
		{"address not in named subnet", Val([]FixedIP{{SubnetID: "s4b", IPAddress: "192.0.2.5"}}), subnets, nil, nil, TypeInvalidIpForSubnet},
		{"unknown subnet", Val([]FixedIP{{SubnetID: "other"}}), subnets, nil, nil, TypeInvalidInput},
		{"empty entry", Val([]FixedIP{{}}), subnets, nil, nil, TypeHTTPBadRequest},
	}
	for _, tt := range tests {
		before := map[string]int{}
		for k, v := range tt.used {
			before[k] = len(v)
		}
		got, err := PlanFixedIPs(netID, tt.req, tt.subnets, tt.used)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		for k, v := range tt.used {
			if len(v) != before[k] {
				t.Errorf("%s: caller's used set for %s changed", tt.name, k)
			}
		}
	}
}
