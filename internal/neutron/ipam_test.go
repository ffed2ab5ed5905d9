package neutron

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
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
		got, err := PlanFixedIPs(netID, PlanPort{MAC: "fa:16:3e:00:00:01"}, tt.req, tt.subnets, tt.used)
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

func TestFreeRanges(t *testing.T) {
	gw := "192.0.2.1"
	tests := []struct {
		name  string
		pools []AllocationPool
		gw    *string
		used  []string
		want  string
	}{
		{"default pool, nothing used", []AllocationPool{{"192.0.2.2", "192.0.2.254"}}, &gw, nil, "[192.0.2.2-192.0.2.254]"},
		{"holes", []AllocationPool{{"192.0.2.2", "192.0.2.10"}}, &gw, []string{"192.0.2.2", "192.0.2.5", "192.0.2.6", "192.0.2.10"},
			"[192.0.2.3-192.0.2.4 192.0.2.7-192.0.2.9]"},
		{"gateway inside a pool is never free", []AllocationPool{{"192.0.2.1", "192.0.2.4"}}, &gw, nil, "[192.0.2.2-192.0.2.4]"},
		{"adjacent pools merge, out of order", []AllocationPool{{"192.0.2.20", "192.0.2.29"}, {"192.0.2.10", "192.0.2.19"}}, nil, nil,
			"[192.0.2.10-192.0.2.29]"},
		{"used outside the pools", []AllocationPool{{"192.0.2.10", "192.0.2.12"}}, nil, []string{"192.0.2.77"}, "[192.0.2.10-192.0.2.12]"},
		{"full", []AllocationPool{{"192.0.2.10", "192.0.2.11"}}, nil, []string{"192.0.2.10", "192.0.2.11"}, "[]"},
		{"IPv6 top of the space", []AllocationPool{{"2001:db8::fffe", "2001:db8::ffff"}}, nil, []string{"2001:db8::ffff"},
			"[2001:db8::fffe-2001:db8::fffe]"},
	}
	for _, tt := range tests {
		s := Subnet{ID: "s", AllocationPools: tt.pools, GatewayIP: tt.gw}
		got, err := FreeRanges(s, mustSet(t, tt.used...))
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("%s: FreeRanges(pools %v, used %v) = %v, %v; want %s", tt.name, tt.pools, tt.used, got, err, tt.want)
		}
	}
	if _, err := FreeRanges(Subnet{ID: "s", AllocationPools: []AllocationPool{{"192.0.2.9", "192.0.2.1"}}}, nil); err == nil {
		t.Error("FreeRanges of a reversed pool: no error")
	}
}

// TestFreeRangesAgreeWithNextIP: on random subnets, pools, gateways and
// used sets, FreeRanges holds exactly the addresses NextIP may give, its
// ranges are sorted and merged, NextIP over FreeView of its first range
// is NextIP over the subnet and every used address, and taking an address
// (Without) or releasing it (Releasable) keeps that so.
func TestFreeRangesAgreeWithNextIP(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	base := netip.MustParseAddr("10.0.0.0")
	at := func(i int) netip.Addr {
		a := base
		for range i {
			a = a.Next()
		}
		return a
	}
	for iter := range 2000 {
		s := Subnet{ID: "s", CIDR: "10.0.0.0/26", IPVersion: 4}
		lo := 1
		for lo < 60 && r.IntN(3) != 0 {
			hi := lo + r.IntN(10)
			if hi > 62 {
				hi = 62
			}
			s.AllocationPools = append(s.AllocationPools, AllocationPool{at(lo).String(), at(hi).String()})
			lo = hi + 1 + r.IntN(3)
		}
		if r.IntN(2) == 0 {
			g := at(1 + r.IntN(62)).String()
			s.GatewayIP = &g
		}
		used := AddrSet{}
		for i := 1; i < 63; i++ {
			if r.IntN(3) == 0 {
				used[at(i)] = true
			}
		}
		free, err := FreeRanges(s, used)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < 63; i++ {
			a := at(i)
			inFree := slices.ContainsFunc(free, func(x AddrRange) bool { return x.Contains(a) })
			want := !used[a] && Releasable(s, a)
			if inFree != want {
				t.Fatalf("iteration %d: %s in free ranges %v: %v, want %v (pools %v, gateway %v, used %v)", iter, a, free, inFree, want,
					s.AllocationPools, s.GatewayIP, used[a])
			}
		}
		for i := 1; i < len(free); i++ {
			if !free[i-1].Last.Next().Less(free[i].First) {
				t.Fatalf("iteration %d: ranges %v are not sorted and merged", iter, free)
			}
		}
		want, werr := NextIP(s, used)
		got, gerr := NextIP(FreeView(s, free[:min(1, len(free))]), nil)
		if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("iteration %d: NextIP over the free view = %v, %v; over the subnet %v, %v", iter, got, gerr, want, werr)
		}
		if len(free) > 0 {
			k := r.IntN(len(free))
			rg := free[k]
			a := rg.First
			for range r.IntN(4) {
				if a.Less(rg.Last) {
					a = a.Next()
				}
			}
			left := rg.Without(a)
			for x := rg.First; ; x = x.Next() {
				in := slices.ContainsFunc(left, func(y AddrRange) bool { return y.Contains(x) })
				if in == (x == a) {
					t.Fatalf("iteration %d: %v without %s = %v: wrong about %s", iter, rg, a, left, x)
				}
				if x == rg.Last {
					break
				}
			}
		}
	}
}
