package neutron

import (
	"fmt"
	"net"
	"net/netip"
)

// EUI64 is the address a host forms by SLAAC on prefix pfx from its MAC
// (RFC 4291 appendix A, the modified EUI-64 interface identifier: ff:fe in
// the middle of the MAC, the universal/local bit inverted), as Neutron's
// get_ipv6_addr_by_EUI64 computes it. The prefix must be IPv6 and leave the
// low 64 bits to the interface identifier.
func EUI64(pfx netip.Prefix, mac string) (netip.Addr, error) {
	if !pfx.Addr().Is6() || pfx.Addr().Is4In6() || pfx.Bits() < 0 || pfx.Bits() > 64 {
		return netip.Addr{}, InvalidInput("cannot form an EUI-64 address on %s: it needs an IPv6 prefix of /64 or shorter", pfx)
	}
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return netip.Addr{}, InvalidInput("cannot form an EUI-64 address from MAC %q: want 6 bytes like fa:16:3e:00:00:01", mac)
	}
	b := pfx.Masked().Addr().As16()
	b[8], b[9], b[10] = hw[0]^0x02, hw[1], hw[2]
	b[11], b[12] = 0xff, 0xfe
	b[13], b[14], b[15] = hw[3], hw[4], hw[5]
	return netip.AddrFrom16(b), nil
}

// isRouterInterfaceSNAT is neutron-lib's ROUTER_INTERFACE_OWNERS_SNAT: the
// router interfaces plus the centralized SNAT port. These ports get no
// automatic address and a subnet-only entry gives them a pool address even
// on an auto-address subnet.
func isRouterInterfaceSNAT(owner string) bool {
	return isRouterInterface(owner) || owner == "network:router_centralized_snat"
}

// autoAddress is port mac's address on auto-address subnet s.
func autoAddress(s Subnet, mac string) (netip.Addr, error) {
	pfx, err := netip.ParsePrefix(s.CIDR)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("EUI-64 address in subnet %s: stored cidr %q: %w", s.ID, s.CIDR, err)
	}
	a, err := EUI64(pfx, mac)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("EUI-64 address in subnet %s: %w", s.ID, err)
	}
	return a, nil
}

// AutoAddresses lists the EUI-64 address a port with this MAC and
// device_owner gets on each IPv6 SLAAC or DHCPv6-stateless subnet of
// subnets: one per such subnet, none for a router interface or SNAT port
// (Neutron's _get_auto_address_ips). The store looks these up before a
// plan so that PlanFixedIPs sees one already held.
func AutoAddresses(subnets []Subnet, mac, owner string) ([]FixedIP, error) {
	out := []FixedIP{}
	if isRouterInterfaceSNAT(owner) {
		return out, nil
	}
	for _, s := range subnets {
		if s.IPVersion != 6 || !IsAutoAddressSubnet(s) {
			continue
		}
		a, err := autoAddress(s, mac)
		if err != nil {
			return nil, err
		}
		out = append(out, FixedIP{SubnetID: s.ID, IPAddress: a.String()})
	}
	return out, nil
}

// KeepOnMACChange is what of a port's fixed_ips a MAC change keeps, as the
// request PlanFixedIPs re-plans with the new MAC: every entry but the
// EUI-64 addresses the old MAC formed, which the plan forms again from the
// new one (Neutron's update_port_with_ips). An entry names its subnet or an
// address in it.
func KeepOnMACChange(fixed []FixedIP, subnets []Subnet, oldMAC string) []FixedIP {
	out := make([]FixedIP, 0, len(fixed))
	for _, f := range fixed {
		a, err := netip.ParseAddr(f.IPAddress)
		drop := false
		for _, s := range subnets {
			if err != nil || s.IPVersion != 6 || !IsAutoAddressSubnet(s) {
				continue
			}
			if f.SubnetID != "" && f.SubnetID != s.ID {
				continue
			}
			if old, aerr := autoAddress(s, oldMAC); aerr == nil && old == a {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, f)
		}
	}
	return out
}
