package neutron

import (
	"fmt"
	"net/netip"
	"slices"
)

// AddrSet is the set of addresses already allocated in one subnet.
type AddrSet map[netip.Addr]bool

// NewAddrSet builds a set from stored address strings; unparsable entries
// are an error because they mean the store holds garbage.
func NewAddrSet(addrs ...string) (AddrSet, error) {
	s := make(AddrSet, len(addrs))
	for _, a := range addrs {
		p, err := netip.ParseAddr(a)
		if err != nil {
			return nil, fmt.Errorf("address set: %w", err)
		}
		s[p] = true
	}
	return s, nil
}

// NextIP returns the lowest address of s's allocation pools that is neither
// used nor the gateway. Lowest-first is what lets the store detect a lost
// race (its unique constraint fires) and retry with a fresh used set.
// Exhausted pools: 409 IpAddressGenerationFailure.
func NextIP(s Subnet, used AddrSet) (netip.Addr, error) {
	var gw netip.Addr
	if s.GatewayIP != nil {
		gw, _ = netip.ParseAddr(*s.GatewayIP)
	}
	for _, p := range s.AllocationPools {
		lo, err1 := netip.ParseAddr(p.Start)
		hi, err2 := netip.ParseAddr(p.End)
		if err1 != nil || err2 != nil {
			return netip.Addr{}, fmt.Errorf("allocate in subnet %s: pool %s: stored pool is not two addresses", s.ID, p)
		}
		// At most len(used)+1 steps per pool: every step past an unused
		// address returns.
		for a := lo; a.IsValid() && !hi.Less(a); a = a.Next() {
			if !used[a] && a != gw {
				return a, nil
			}
		}
	}
	return netip.Addr{}, IpAddressGenerationFailure(s.ID)
}

// CheckIP validates an address a user asked for in subnet s: inside the
// CIDR (not necessarily a pool, as in Neutron), not the network or v4
// broadcast address, not the gateway, not used.
func CheckIP(s Subnet, ip string, used AddrSet) (netip.Addr, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, InvalidInput("'%s' is not a valid IP address", ip)
	}
	pfx, err := netip.ParsePrefix(s.CIDR)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("check %s in subnet %s: stored cidr %q: %w", ip, s.ID, s.CIDR, err)
	}
	if !pfx.Contains(a) || a == pfx.Addr() || a.Is4() && a == lastAddr(pfx) {
		return netip.Addr{}, InvalidIpForSubnet(ip)
	}
	if s.GatewayIP != nil && *s.GatewayIP == a.String() {
		return netip.Addr{}, IpAddressAlreadyAllocated(a.String(), s.ID)
	}
	if used[a] {
		return netip.Addr{}, IpAddressAlreadyAllocated(a.String(), s.ID)
	}
	return a, nil
}

// PlanPort is what PlanFixedIPs needs of the port it plans for.
type PlanPort struct {
	MAC, DeviceOwner string
	// Held are the port's addresses before an update re-plans them; nil on
	// create.
	Held []FixedIP
}

// PlanFixedIPs resolves a port's fixed_ips on create (and on an update,
// which re-plans them): req is the request's fixed_ips field, subnets the
// network's subnets in creation order, used the allocated addresses per
// subnet id (the port's own not among them). As Neutron's
// _allocate_ips_for_port:
//   - absent fixed_ips: one address from the first IPv4 subnet with room
//     and one from the first IPv6 subnet with room that is not
//     auto-address; an explicit [] asks for none of those;
//   - entries name a subnet (next free address in it), an address (the
//     subnet that contains it) or both;
//   - in every case the port gets its EUI-64 address (prefix and MAC) on
//     every IPv6 SLAAC or DHCPv6-stateless subnet, except a router
//     interface or SNAT port. On such a subnet an entry may name only that
//     address (it is the same allocation, given once), a subnet-only entry
//     adds nothing; a router interface may name any address and a router
//     port's subnet-only entry takes the next free one. An address the port
//     holds already stays its own there (Neutron re-checks only what an
//     update adds): one given before vfnet formed EUI-64 addresses.
func PlanFixedIPs(networkID string, port PlanPort, req Field[[]FixedIP], subnets []Subnet, used map[string]AddrSet) ([]FixedIP, error) {
	mac, owner := port.MAC, port.DeviceOwner
	// Work on copies: the caller's sets stay as the store read them.
	local := map[string]AddrSet{}
	taken := func(id string) AddrSet {
		if local[id] == nil {
			local[id] = AddrSet{}
			for a := range used[id] {
				local[id][a] = true
			}
		}
		return local[id]
	}
	auto := func(s Subnet) bool { return s.IPVersion == 6 && IsAutoAddressSubnet(s) }
	// gotAuto: the auto-address subnets whose EUI-64 address an entry named.
	gotAuto := map[string]bool{}
	out := []FixedIP{}
	if req.Null {
		return nil, invalid("fixed_ips", "'None' is not a list")
	}
	if !req.Set {
		for _, v := range []int{4, 6} {
			tried, got := false, false
			for _, s := range subnets {
				if s.IPVersion != v || auto(s) {
					continue
				}
				tried = true
				a, err := NextIP(s, taken(s.ID))
				if err == nil {
					taken(s.ID)[a] = true
					out = append(out, FixedIP{SubnetID: s.ID, IPAddress: a.String()})
					got = true
					break
				}
			}
			if tried && !got {
				return nil, NoMoreAddresses(networkID)
			}
		}
	}
	byID := make(map[string]Subnet, len(subnets))
	for _, s := range subnets {
		byID[s.ID] = s
	}
	// named checks an address an entry gives for subnet s.
	named := func(s Subnet, ip string) (netip.Addr, error) {
		if auto(s) && !isRouterInterface(owner) {
			eui, err := autoAddress(s, mac)
			if err != nil {
				return netip.Addr{}, err
			}
			a, perr := netip.ParseAddr(ip)
			held := perr == nil && slices.ContainsFunc(port.Held, func(h FixedIP) bool {
				return h.SubnetID == s.ID && h.IPAddress == a.String()
			})
			if perr != nil || a != eui && !held {
				return netip.Addr{}, AllocationOnAutoAddressSubnet(ip, s.ID)
			}
			gotAuto[s.ID] = true
		}
		return CheckIP(s, ip, taken(s.ID))
	}
	for _, f := range req.V {
		switch {
		case f.SubnetID != "":
			s, ok := byID[f.SubnetID]
			if !ok {
				return nil, InvalidInput("Failed to create port on network %s, because fixed_ips included invalid subnet %s",
					networkID, f.SubnetID)
			}
			var a netip.Addr
			var err error
			switch {
			case f.IPAddress != "":
				a, err = named(s, f.IPAddress)
			case auto(s) && !isRouterInterfaceSNAT(owner):
				continue // the automatic address below is this entry's
			default:
				a, err = NextIP(s, taken(s.ID))
			}
			if err != nil {
				return nil, err
			}
			taken(s.ID)[a] = true
			out = append(out, FixedIP{SubnetID: s.ID, IPAddress: a.String()})
		case f.IPAddress != "":
			a, err := netip.ParseAddr(f.IPAddress)
			if err != nil || a.Zone() != "" {
				return nil, InvalidInput("'%s' is not a valid IP address", f.IPAddress)
			}
			var found *Subnet
			for i := range subnets {
				if p, err := netip.ParsePrefix(subnets[i].CIDR); err == nil && p.Contains(a) {
					found = &subnets[i]
					break
				}
			}
			if found == nil {
				return nil, InvalidIpForNetwork(f.IPAddress)
			}
			a, err = named(*found, f.IPAddress)
			if err != nil {
				return nil, err
			}
			taken(found.ID)[a] = true
			out = append(out, FixedIP{SubnetID: found.ID, IPAddress: a.String()})
		default:
			return nil, invalid("fixed_ips", "each entry needs a subnet_id, an ip_address or both")
		}
	}
	autos, err := AutoAddresses(subnets, mac, owner)
	if err != nil {
		return nil, err
	}
	for _, f := range autos {
		if gotAuto[f.SubnetID] {
			continue
		}
		a, err := CheckIP(byID[f.SubnetID], f.IPAddress, taken(f.SubnetID))
		if err != nil {
			return nil, err
		}
		taken(f.SubnetID)[a] = true
		out = append(out, f)
	}
	return out, nil
}

// AddrRange is an inclusive range of addresses of one family.
type AddrRange struct {
	First, Last netip.Addr
}

func (r AddrRange) String() string { return r.First.String() + "-" + r.Last.String() }

// Contains reports whether a is in r.
func (r AddrRange) Contains(a netip.Addr) bool { return !a.Less(r.First) && !r.Last.Less(a) }

// Without is what is left of r when a (inside r) is taken: none, one or two
// ranges, ascending.
func (r AddrRange) Without(a netip.Addr) []AddrRange {
	var out []AddrRange
	if r.First.Less(a) {
		out = append(out, AddrRange{r.First, a.Prev()})
	}
	if a.Less(r.Last) {
		out = append(out, AddrRange{a.Next(), r.Last})
	}
	return out
}

// FreeRanges is what IPAM may still give in subnet s: its allocation pools
// without the gateway and the used addresses, ascending, adjacent ranges
// merged. Its lowest address is NextIP(s, used). A store that keeps these
// ranges (taking an address out when it allocates it, putting it back with
// Releasable when it is released) finds the next address without reading
// the used ones: see FreeView.
func FreeRanges(s Subnet, used AddrSet) ([]AddrRange, error) {
	var gw netip.Addr
	if s.GatewayIP != nil {
		gw, _ = netip.ParseAddr(*s.GatewayIP)
	}
	pools := make([]AddrRange, 0, len(s.AllocationPools))
	for _, p := range s.AllocationPools {
		lo, err1 := netip.ParseAddr(p.Start)
		hi, err2 := netip.ParseAddr(p.End)
		if err1 != nil || err2 != nil || hi.Less(lo) {
			return nil, fmt.Errorf("free ranges of subnet %s: pool %s: stored pool is not two ordered addresses", s.ID, p)
		}
		pools = append(pools, AddrRange{lo, hi})
	}
	slices.SortFunc(pools, func(a, b AddrRange) int { return a.First.Compare(b.First) })
	taken := make([]netip.Addr, 0, len(used)+1)
	for a := range used {
		taken = append(taken, a)
	}
	if gw.IsValid() {
		taken = append(taken, gw)
	}
	slices.SortFunc(taken, netip.Addr.Compare)
	var out []AddrRange
	add := func(r AddrRange) {
		if n := len(out); n > 0 && out[n-1].Last.Next() == r.First {
			out[n-1].Last = r.Last
			return
		}
		out = append(out, r)
	}
	for _, p := range pools {
		lo := p.First
		i, _ := slices.BinarySearchFunc(taken, lo, netip.Addr.Compare)
		for ; i < len(taken) && !p.Last.Less(taken[i]); i++ {
			if lo.Less(taken[i]) {
				add(AddrRange{lo, taken[i].Prev()})
			}
			if lo = taken[i].Next(); !lo.IsValid() {
				break
			}
		}
		if lo.IsValid() && !p.Last.Less(lo) {
			add(AddrRange{lo, p.Last})
		}
	}
	return out, nil
}

// Releasable reports whether a released address of subnet s goes back to
// its free ranges: it is in an allocation pool and is not the gateway (an
// address a user named outside the pools never was in them).
func Releasable(s Subnet, a netip.Addr) bool {
	if s.GatewayIP != nil && *s.GatewayIP == a.String() {
		return false
	}
	for _, p := range s.AllocationPools {
		if inPool(a, p) {
			return true
		}
	}
	return false
}

// FreeView is subnet s as PlanFixedIPs needs to see it when free holds the
// lowest of its FreeRanges: the allocation pools replaced by those ranges.
// NextIP over the view with no used address is NextIP over s with every
// used address, as long as the view keeps a free address the plan has not
// taken: a plan that takes k addresses from s needs the lowest k+1 ranges
// (or all of them).
func FreeView(s Subnet, free []AddrRange) Subnet {
	v := s
	v.AllocationPools = make([]AllocationPool, len(free))
	for i, r := range free {
		v.AllocationPools[i] = AllocationPool{Start: r.First.String(), End: r.Last.String()}
	}
	return v
}
