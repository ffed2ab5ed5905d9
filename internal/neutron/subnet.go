package neutron

import (
	"fmt"
	"net/netip"
)

// Limits Neutron applies to a subnet (its max_dns_nameservers and
// max_subnet_host_routes defaults).
const (
	MaxDNSNameservers = 5
	MaxHostRoutes     = 20
)

// PlanSubnet validates a subnet create request for a network that already
// has siblings, and returns the subnet's address plan: normalised CIDR,
// gateway (first host unless given or null), allocation pools (given, or
// the CIDR minus gateway, network and v4 broadcast), routes, nameservers and
// IPv6 modes. Identity, project and timestamps are the caller's.
func PlanSubnet(r SubnetRequest, siblings []Subnet) (Subnet, error) {
	if r.SubnetPoolID.Has() {
		return Subnet{}, InvalidInput("vfnet has no subnet pools (the subnet_allocation extension is not offered); " +
			"give the subnet's cidr (--subnet-range) instead of subnetpool_id")
	}
	if !r.CIDR.Has() {
		return Subnet{}, BadResourceRequest("subnets", "a subnetpool must be specified in the absence of a cidr")
	}
	pfx, err := parseCIDR(r.CIDR.V)
	if err != nil {
		return Subnet{}, err
	}
	version := 4
	if pfx.Addr().Is6() {
		version = 6
	}
	if r.IPVersion.V != version {
		return Subnet{}, InvalidInput("cidr %s is an IPv%d network but ip_version is %d", pfx, version, r.IPVersion.V)
	}
	if version == 4 && pfx.Bits() > 30 || version == 6 && pfx.Bits() > 126 {
		return Subnet{}, InvalidInput("cidr %s leaves no address to allocate; use a /30 or larger (IPv6: /126 or larger)", pfx)
	}
	for _, s := range siblings {
		o, err := netip.ParsePrefix(s.CIDR)
		if err == nil && o.Overlaps(pfx) {
			return Subnet{}, InvalidInput("Requested subnet with cidr: %s for network: %s overlaps with another subnet", pfx, r.NetworkID.V)
		}
	}
	s := Subnet{
		NetworkID:       r.NetworkID.V,
		Name:            r.Name.V,
		Description:     r.Description.V,
		IPVersion:       version,
		CIDR:            pfx.String(),
		EnableDHCP:      r.EnableDHCP.Or(true),
		HostRoutes:      []HostRoute{},
		DNSNameservers:  []string{},
		AllocationPools: []AllocationPool{},
	}
	if err := setIPv6Modes(&s, r); err != nil {
		return Subnet{}, err
	}
	if err := setGateway(&s, pfx, r.GatewayIP, true); err != nil {
		return Subnet{}, err
	}
	pools := r.AllocationPools
	if err := setPools(&s, pfx, pools); err != nil {
		return Subnet{}, err
	}
	if err := setDNS(&s, r.DNSNameservers); err != nil {
		return Subnet{}, err
	}
	if err := setRoutes(&s, r.HostRoutes); err != nil {
		return Subnet{}, err
	}
	return s, nil
}

// PlanSubnetUpdate applies an update to cur. ip_version, cidr, network and
// IPv6 modes are immutable (the decoder refuses them); a new gateway or pool
// list is checked against the CIDR again.
func PlanSubnetUpdate(cur Subnet, r SubnetRequest) (Subnet, error) {
	pfx, err := netip.ParsePrefix(cur.CIDR)
	if err != nil {
		return Subnet{}, fmt.Errorf("update subnet %s: stored cidr %q: %w", cur.ID, cur.CIDR, err)
	}
	s := cur
	s.Name = r.Name.Or(cur.Name)
	s.Description = r.Description.Or(cur.Description)
	s.EnableDHCP = r.EnableDHCP.Or(cur.EnableDHCP)
	if r.EnableDHCP.Has() && !r.EnableDHCP.V && (s.IPv6RAMode != nil || s.IPv6AddressMode != nil) {
		return Subnet{}, InvalidInput("Cannot disable enable_dhcp with ipv6 attributes set")
	}
	if r.GatewayIP.Set {
		if err := setGateway(&s, pfx, r.GatewayIP, false); err != nil {
			return Subnet{}, err
		}
	}
	if r.AllocationPools.Set {
		if err := setPools(&s, pfx, r.AllocationPools); err != nil {
			return Subnet{}, err
		}
	} else if r.GatewayIP.Set && s.GatewayIP != nil {
		gw := netip.MustParseAddr(*s.GatewayIP)
		for _, p := range s.AllocationPools {
			if inPool(gw, p) {
				return Subnet{}, GatewayConflictWithAllocationPools(gw.String(), p.String())
			}
		}
	}
	if r.DNSNameservers.Set {
		if err := setDNS(&s, r.DNSNameservers); err != nil {
			return Subnet{}, err
		}
	}
	if r.HostRoutes.Set {
		if err := setRoutes(&s, r.HostRoutes); err != nil {
			return Subnet{}, err
		}
	}
	return s, nil
}

func parseCIDR(c string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(c)
	if err != nil {
		a, aerr := netip.ParseAddr(c)
		if aerr == nil {
			return netip.Prefix{}, invalid("cidr", fmt.Sprintf("'%s' isn't a recommended IP address, '%s/%d' is recommended", c, a, a.BitLen()))
		}
		return netip.Prefix{}, invalid("cidr", fmt.Sprintf("'%s' is not a valid IP subnet", c))
	}
	if p.Addr().Zone() != "" || p.Addr().Is4In6() {
		return netip.Prefix{}, invalid("cidr", fmt.Sprintf("'%s' is not a valid IP subnet", c))
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, invalid("cidr", fmt.Sprintf("'%s' isn't a recommended IP address, '%s' is recommended", c, m))
	}
	return p, nil
}

func setIPv6Modes(s *Subnet, r SubnetRequest) error {
	ra, addr := r.IPv6RAMode, r.IPv6AddressMode
	if !ra.Has() && !addr.Has() {
		return nil
	}
	if s.IPVersion == 4 {
		return InvalidInput("ipv6_ra_mode and ipv6_address_mode are not valid when ip_version is 4")
	}
	if !s.EnableDHCP {
		return InvalidInput("Cannot disable enable_dhcp with ipv6 attributes set")
	}
	if ra.Has() && addr.Has() && ra.V != addr.V {
		return InvalidInput("ipv6_ra_mode set to '%s' with ipv6_address_mode set to '%s' is not valid. "+
			"If both attributes are set, they must be the same value", ra.V, addr.V)
	}
	pfx := netip.MustParsePrefix(s.CIDR)
	for _, m := range []Field[string]{ra, addr} {
		if m.Has() && (m.V == IPv6SLAAC || m.V == IPv6DHCPv6Stateless) && pfx.Bits() != 64 {
			return InvalidInput("Invalid CIDR %s for IPv6 address mode. OpenStack uses the EUI-64 address format, "+
				"which requires the prefix to be /64", s.CIDR)
		}
	}
	if ra.Has() {
		v := ra.V
		s.IPv6RAMode = &v
	}
	if addr.Has() {
		v := addr.V
		s.IPv6AddressMode = &v
	}
	return nil
}

// setGateway sets s.GatewayIP from the request: absent on create means the
// first host address, null means none.
func setGateway(s *Subnet, pfx netip.Prefix, gw Field[string], create bool) error {
	switch {
	case gw.Set && gw.Null:
		s.GatewayIP = nil
		return nil
	case !gw.Set:
		if create {
			g := pfx.Addr().Next().String()
			s.GatewayIP = &g
		}
		return nil
	}
	a, err := netip.ParseAddr(gw.V)
	if err != nil || a.Zone() != "" {
		return invalid("gateway_ip", fmt.Sprintf("'%s' is not a valid IP address", gw.V))
	}
	if a.Is4() != pfx.Addr().Is4() || !pfx.Contains(a) {
		return InvalidInput("Gateway IP %s is not within subnet %s", a, pfx)
	}
	if a == pfx.Addr() || a.Is4() && a == lastAddr(pfx) {
		return InvalidInput("Gateway is not valid on subnet")
	}
	g := a.String()
	s.GatewayIP = &g
	return nil
}

// setPools sets the allocation pools, given or generated, and checks them.
func setPools(s *Subnet, pfx netip.Prefix, given Field[[]AllocationPool]) error {
	var gw netip.Addr
	if s.GatewayIP != nil {
		gw = netip.MustParseAddr(*s.GatewayIP)
	}
	if !given.Has() {
		s.AllocationPools = DefaultPools(pfx, gw)
		return nil
	}
	first, last := pfx.Addr(), lastAddr(pfx)
	if pfx.Addr().Is4() {
		first, last = first.Next(), last.Prev()
	} else {
		first = first.Next()
	}
	type rng struct {
		lo, hi netip.Addr
		p      AllocationPool
	}
	var rs []rng
	for _, p := range given.V {
		lo, err1 := netip.ParseAddr(p.Start)
		hi, err2 := netip.ParseAddr(p.End)
		if err1 != nil || err2 != nil || lo.Is4() != pfx.Addr().Is4() || hi.Is4() != pfx.Addr().Is4() ||
			lo.Zone() != "" || hi.Zone() != "" || hi.Less(lo) {
			return InvalidAllocationPool(p.String())
		}
		if lo.Less(first) || last.Less(hi) {
			return OutOfBoundsAllocationPool(p.String(), pfx.String())
		}
		for _, o := range rs {
			if !(hi.Less(o.lo) || o.hi.Less(lo)) {
				return OverlappingAllocationPools(o.p.String(), p.String(), pfx.String())
			}
		}
		if gw.IsValid() && !gw.Less(lo) && !hi.Less(gw) {
			return GatewayConflictWithAllocationPools(gw.String(), p.String())
		}
		rs = append(rs, rng{lo, hi, AllocationPool{Start: lo.String(), End: hi.String()}})
	}
	s.AllocationPools = make([]AllocationPool, len(rs))
	for i, r := range rs {
		s.AllocationPools[i] = r.p
	}
	return nil
}

// DefaultPools is Neutron's default: every host address of pfx (without the
// network address, and the broadcast address on IPv4) minus the gateway.
func DefaultPools(pfx netip.Prefix, gw netip.Addr) []AllocationPool {
	first, last := pfx.Addr().Next(), lastAddr(pfx)
	if pfx.Addr().Is4() {
		last = last.Prev()
	}
	if last.Less(first) {
		return []AllocationPool{}
	}
	var out []AllocationPool
	add := func(lo, hi netip.Addr) {
		if !hi.Less(lo) {
			out = append(out, AllocationPool{Start: lo.String(), End: hi.String()})
		}
	}
	if gw.IsValid() && !gw.Less(first) && !last.Less(gw) {
		if gw != first {
			add(first, gw.Prev())
		}
		if gw != last {
			add(gw.Next(), last)
		}
	} else {
		add(first, last)
	}
	if out == nil {
		return []AllocationPool{}
	}
	return out
}

func setDNS(s *Subnet, dns Field[[]string]) error {
	if len(dns.V) > MaxDNSNameservers {
		return BadResourceRequest("subnets", fmt.Sprintf("The number of DNS nameservers exceeds the limit %d", MaxDNSNameservers))
	}
	out := make([]string, 0, len(dns.V))
	for _, d := range dns.V {
		a, err := netip.ParseAddr(d)
		if err != nil || a.Zone() != "" {
			return invalid("dns_nameservers", fmt.Sprintf("'%s' is not a valid nameserver. '%s' is not a valid IP address", d, d))
		}
		out = append(out, a.String())
	}
	s.DNSNameservers = out
	return nil
}

func setRoutes(s *Subnet, routes Field[[]HostRoute]) error {
	if len(routes.V) > MaxHostRoutes {
		return BadResourceRequest("subnets", fmt.Sprintf("The number of host routes exceeds the limit %d", MaxHostRoutes))
	}
	out := make([]HostRoute, 0, len(routes.V))
	for _, r := range routes.V {
		d, err := netip.ParsePrefix(r.Destination)
		if err != nil || d.Masked() != d {
			return invalid("host_routes", fmt.Sprintf("'%s' is not a valid IP subnet", r.Destination))
		}
		n, err := netip.ParseAddr(r.NextHop)
		if err != nil || n.Zone() != "" {
			return invalid("host_routes", fmt.Sprintf("'%s' is not a valid IP address", r.NextHop))
		}
		if d.Addr().Is4() != (s.IPVersion == 4) || n.Is4() != (s.IPVersion == 4) {
			return InvalidInput("host route %s via %s is not IPv%d like subnet %s", d, n, s.IPVersion, s.CIDR)
		}
		out = append(out, HostRoute{Destination: d.String(), NextHop: n.String()})
	}
	s.HostRoutes = out
	return nil
}

// lastAddr is the highest address of pfx.
func lastAddr(pfx netip.Prefix) netip.Addr {
	b := pfx.Addr().AsSlice()
	for i := range b {
		hostBits := pfx.Bits() - i*8
		switch {
		case hostBits <= 0:
			b[i] = 0xff
		case hostBits < 8:
			b[i] |= 0xff >> hostBits
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func inPool(a netip.Addr, p AllocationPool) bool {
	lo, err1 := netip.ParseAddr(p.Start)
	hi, err2 := netip.ParseAddr(p.End)
	return err1 == nil && err2 == nil && !a.Less(lo) && !hi.Less(a)
}

// isRouterInterface reports whether a port's device_owner is one of
// neutron-lib's ROUTER_INTERFACE_OWNERS. vfnet has no routers, but
// device_owner is free text, and Neutron keeps such a port's subnet.
func isRouterInterface(owner string) bool {
	switch owner {
	case "network:router_interface", "network:router_interface_distributed", "network:ha_router_replicated_interface":
		return true
	}
	return false
}

// IsAutoAddressSubnet reports whether s gives addresses by SLAAC or
// DHCPv6-stateless (either mode set to one of them, as Neutron's
// is_auto_address_subnet): the host forms its address from the prefix, so an
// allocation on s records an address rather than reserving one.
func IsAutoAddressSubnet(s Subnet) bool {
	auto := func(m *string) bool { return m != nil && (*m == IPv6SLAAC || *m == IPv6DHCPv6Stateless) }
	return auto(s.IPv6AddressMode) || auto(s.IPv6RAMode)
}

// CheckSubnetDelete decides whether subnet s may be deleted while ports
// hold addresses on it; owners are those ports' device_owner values, one per
// allocation. Neutron's rule: a router interface always keeps its subnet; on
// an auto-address subnet the other ports' addresses are dropped with the
// subnet (the store removes them from the ports' fixed_ips), on any other
// subnet an address in use keeps it (409 SubnetInUse).
func CheckSubnetDelete(s Subnet, owners []string) error {
	for _, o := range owners {
		if isRouterInterface(o) {
			return SubnetInUse(s.ID)
		}
	}
	if len(owners) > 0 && !IsAutoAddressSubnet(s) {
		return SubnetInUse(s.ID)
	}
	return nil
}
