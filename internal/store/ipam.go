package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"vfnet/internal/neutron"
)

// IPAM over kept free ranges (migration 0175). neutron.PlanFixedIPs gives
// a port the lowest free address of a subnet's pools; finding it by reading
// every address allocated on the network made a create cost grow with the
// network. The store instead keeps each subnet's free ranges
// (neutron.FreeRanges: pools without the gateway and the allocated
// addresses) in neutron_ip_free and changes them in the transaction that
// allocates or releases, so a create reads the lowest few ranges of each
// subnet and the addresses it names, whatever the number already in use.
// The UNIQUE (subnet_id, ip_address) of neutron_ip_allocations stays the
// authority: two servers that take the same range collide there or on the
// range's row (SERIALIZABLE), and the transaction runs again.

const (
	// qFreeRanges: a subnet's lowest free ranges.
	qFreeRanges = `SELECT first_key, last_key FROM neutron_ip_free WHERE subnet_id = ? ORDER BY last_key LIMIT ?`
	// qFreeRangeAbove: the lowest range that ends at or above an address
	// (it holds the address when it starts at or below it).
	qFreeRangeAbove = `SELECT first_key, last_key FROM neutron_ip_free WHERE subnet_id = ? AND last_key >= ?
		ORDER BY last_key LIMIT 1`
	// qFreeRangeTo: the range that ends at an address.
	qFreeRangeTo = `SELECT first_key FROM neutron_ip_free WHERE subnet_id = ? AND last_key = ?`
	// qUnrangedSubnets: a network's subnets whose ranges are not built yet.
	qUnrangedSubnets = `SELECT id FROM neutron_subnets WHERE network_id = ? AND free_ranges = FALSE`
	// qAddrInUse: the subnets of a network where an address is allocated.
	qAddrInUse = `SELECT subnet_id FROM neutron_ip_allocations
		WHERE ip_address = ? AND subnet_id IN (SELECT id FROM neutron_subnets WHERE network_id = ?)`
	// qReleasePort: a port's allocations, deleted, with what they held.
	qReleasePort = `DELETE FROM neutron_ip_allocations WHERE port_id = ? RETURNING subnet_id, ip_address`
	qAllocate    = `INSERT INTO neutron_ip_allocations (port_id, subnet_id, ip_address, position) VALUES (?, ?, ?, ?)`
	// The changes of a range, by its key (subnet, last address).
	qInsertFree   = `INSERT INTO neutron_ip_free (subnet_id, first_key, last_key) VALUES (?, ?, ?)`
	qDeleteFree   = `DELETE FROM neutron_ip_free WHERE subnet_id = ? AND last_key = ?`
	qSetFreeFirst = `UPDATE neutron_ip_free SET first_key = ? WHERE subnet_id = ? AND last_key = ?`
	qSetFreeLast  = `UPDATE neutron_ip_free SET last_key = ? WHERE subnet_id = ? AND last_key = ?`
)

// addrKey is an address as neutron_ip_free stores it: hex of its bytes,
// fixed width per family, so that text order is address order.
func addrKey(a netip.Addr) string { return hex.EncodeToString(a.AsSlice()) }

func keyAddr(k string) (netip.Addr, error) {
	b, err := hex.DecodeString(k)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("free range bound %q: %w", k, err)
	}
	a, ok := netip.AddrFromSlice(b)
	if !ok {
		return netip.Addr{}, fmt.Errorf("free range bound %q: %d bytes is not an address", k, len(b))
	}
	return a, nil
}

func scanRange(first, last string) (neutron.AddrRange, error) {
	f, err := keyAddr(first)
	if err != nil {
		return neutron.AddrRange{}, err
	}
	l, err := keyAddr(last)
	return neutron.AddrRange{First: f, Last: l}, err
}

// resetFreeRanges rebuilds subnet s's free ranges from its pools, gateway
// and allocations: at create, when its pools or gateway change, and for a
// subnet that predates migration 0175. It reads every allocation of the
// subnet, once.
func resetFreeRanges(ctx context.Context, t *tx, s neutron.Subnet) error {
	wrap := func(err error) error { return fmt.Errorf("free addresses of subnet %s: %w", s.ID, err) }
	if _, err := t.exec(ctx, `DELETE FROM neutron_ip_free WHERE subnet_id = ?`, s.ID); err != nil {
		return wrap(err)
	}
	rows, err := t.query(ctx, `SELECT ip_address FROM neutron_ip_allocations WHERE subnet_id = ?`, s.ID)
	if err != nil {
		return wrap(err)
	}
	var ips []string
	for rows.Next() {
		var ip string
		if err := rows.Scan(&ip); err != nil {
			rows.Close()
			return wrap(err)
		}
		ips = append(ips, ip)
	}
	if err := closeRows(rows); err != nil {
		return wrap(err)
	}
	used, err := neutron.NewAddrSet(ips...)
	if err != nil {
		return wrap(err)
	}
	free, err := neutron.FreeRanges(s, used)
	if err != nil {
		return wrap(err)
	}
	for _, r := range free {
		if _, err := t.exec(ctx, qInsertFree, s.ID, addrKey(r.First), addrKey(r.Last)); err != nil {
			return wrap(err)
		}
	}
	if _, err := t.exec(ctx, `UPDATE neutron_subnets SET free_ranges = TRUE WHERE id = ?`, s.ID); err != nil {
		return wrap(err)
	}
	return nil
}

// ensureFreeRanges builds the ranges of network net's subnets that have
// none yet.
func ensureFreeRanges(ctx context.Context, t *tx, net string, subnets []neutron.Subnet) error {
	rows, err := t.query(ctx, qUnrangedSubnets, net)
	if err != nil {
		return fmt.Errorf("free addresses of network %s: %w", net, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("free addresses of network %s: %w", net, err)
		}
		ids = append(ids, id)
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("free addresses of network %s: %w", net, err)
	}
	for _, id := range ids {
		i := slices.IndexFunc(subnets, func(s neutron.Subnet) bool { return s.ID == id })
		if i < 0 {
			return fmt.Errorf("free addresses of network %s: subnet %s is not among its subnets", net, id)
		}
		if err := resetFreeRanges(ctx, t, subnets[i]); err != nil {
			return err
		}
	}
	return nil
}

// lowestFree reads subnet id's lowest n free ranges.
func lowestFree(ctx context.Context, t *tx, id string, n int) ([]neutron.AddrRange, error) {
	rows, err := t.query(ctx, qFreeRanges, id, n)
	if err != nil {
		return nil, fmt.Errorf("free addresses of subnet %s: %w", id, err)
	}
	var out []neutron.AddrRange
	for rows.Next() {
		var first, last string
		if err := rows.Scan(&first, &last); err != nil {
			rows.Close()
			return nil, fmt.Errorf("free addresses of subnet %s: %w", id, err)
		}
		r, err := scanRange(first, last)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("free addresses of subnet %s: %w", id, err)
		}
		out = append(out, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("free addresses of subnet %s: %w", id, err)
	}
	return out, nil
}

// rangeAbove is subnet id's lowest free range that ends at or above a, if
// any.
func rangeAbove(ctx context.Context, t *tx, id string, a netip.Addr) (neutron.AddrRange, bool, error) {
	var first, last string
	err := t.queryRow(ctx, qFreeRangeAbove, id, addrKey(a)).Scan(&first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return neutron.AddrRange{}, false, nil
	}
	if err != nil {
		return neutron.AddrRange{}, false, fmt.Errorf("free addresses of subnet %s: %w", id, err)
	}
	r, err := scanRange(first, last)
	if err != nil {
		return r, false, fmt.Errorf("free addresses of subnet %s: %w", id, err)
	}
	return r, true, nil
}

// takeFree takes address a out of subnet id's free ranges, if it is in one
// (an address a user named outside the pools is not).
func takeFree(ctx context.Context, t *tx, id string, a netip.Addr) error {
	r, ok, err := rangeAbove(ctx, t, id, a)
	if err != nil || !ok || !r.Contains(a) {
		return err
	}
	left := r.Without(a)
	last := addrKey(r.Last)
	switch {
	case len(left) == 0:
		_, err = t.exec(ctx, qDeleteFree, id, last)
	case left[len(left)-1].Last == r.Last:
		// The range keeps its key: the lowest-first case moves first_key
		// only; taking from the middle adds the part below.
		_, err = t.exec(ctx, qSetFreeFirst, addrKey(left[len(left)-1].First), id, last)
		if err == nil && len(left) == 2 {
			_, err = t.exec(ctx, qInsertFree, id, addrKey(left[0].First), addrKey(left[0].Last))
		}
	default: // a was the range's last address
		_, err = t.exec(ctx, qSetFreeLast, addrKey(left[0].Last), id, last)
	}
	if err != nil {
		return fmt.Errorf("take %s from the free addresses of subnet %s: %w", a, id, err)
	}
	return nil
}

// giveFree puts address a, released, back into subnet s's free ranges when
// it came from them (neutron.Releasable), joining its neighbours.
func giveFree(ctx context.Context, t *tx, s neutron.Subnet, a netip.Addr) error {
	if !neutron.Releasable(s, a) {
		return nil
	}
	wrap := func(err error) error {
		return fmt.Errorf("release %s to the free addresses of subnet %s: %w", a, s.ID, err)
	}
	above, ok, err := rangeAbove(ctx, t, s.ID, a)
	if err != nil {
		return err
	}
	if ok && above.Contains(a) {
		return nil // free already
	}
	joinAbove := ok && above.First == a.Next()
	var belowFirst string
	if prev := a.Prev(); prev.IsValid() {
		err := t.queryRow(ctx, qFreeRangeTo, s.ID, addrKey(prev)).Scan(&belowFirst)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return wrap(err)
		}
		if err == nil {
			// The range below ends right under a: it grows up to a (or
			// joins the one above).
			if joinAbove {
				_, err = t.exec(ctx, qDeleteFree, s.ID, addrKey(prev))
				if err == nil {
					_, err = t.exec(ctx, qSetFreeFirst, belowFirst, s.ID, addrKey(above.Last))
				}
			} else {
				_, err = t.exec(ctx, qSetFreeLast, addrKey(a), s.ID, addrKey(prev))
			}
			if err != nil {
				return wrap(err)
			}
			return nil
		}
	}
	if joinAbove {
		_, err = t.exec(ctx, qSetFreeFirst, addrKey(a), s.ID, addrKey(above.Last))
	} else {
		_, err = t.exec(ctx, qInsertFree, s.ID, addrKey(a), addrKey(a))
	}
	if err != nil {
		return wrap(err)
	}
	return nil
}

// releaseAddresses deletes port id's allocations and gives each address
// back to its subnet's free ranges; subnets are the port's network's, their
// ranges built (ensureFreeRanges).
func releaseAddresses(ctx context.Context, t *tx, id string, subnets []neutron.Subnet) error {
	rows, err := t.query(ctx, qReleasePort, id)
	if err != nil {
		return fmt.Errorf("release addresses of port %s: %w", id, err)
	}
	type alloc struct{ subnet, ip string }
	var gone []alloc
	for rows.Next() {
		var a alloc
		if err := rows.Scan(&a.subnet, &a.ip); err != nil {
			rows.Close()
			return fmt.Errorf("release addresses of port %s: %w", id, err)
		}
		gone = append(gone, a)
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("release addresses of port %s: %w", id, err)
	}
	for _, g := range gone {
		i := slices.IndexFunc(subnets, func(s neutron.Subnet) bool { return s.ID == g.subnet })
		a, err := netip.ParseAddr(g.ip)
		if i < 0 || err != nil {
			return fmt.Errorf("release %s of port %s: subnet %s is not on the port's network, or the stored address is not one", g.ip, id, g.subnet)
		}
		if err := giveFree(ctx, t, subnets[i], a); err != nil {
			return err
		}
	}
	return nil
}

// inUse is, per subnet of network net, which of addrs (the addresses a
// request names and the port's EUI-64 addresses) are allocated there: what
// PlanFixedIPs must refuse.
func inUse(ctx context.Context, t *tx, net string, addrs []string) (map[string]neutron.AddrSet, error) {
	out := map[string]neutron.AddrSet{}
	for _, ip := range addrs {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			continue // not an address: PlanFixedIPs refuses it
		}
		rows, err := t.query(ctx, qAddrInUse, a.String(), net)
		if err != nil {
			return nil, fmt.Errorf("is %s in use on network %s: %w", a, net, err)
		}
		for rows.Next() {
			var sn string
			if err := rows.Scan(&sn); err != nil {
				rows.Close()
				return nil, fmt.Errorf("is %s in use on network %s: %w", a, net, err)
			}
			if out[sn] == nil {
				out[sn] = neutron.AddrSet{}
			}
			out[sn][a] = true
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("is %s in use on network %s: %w", a, net, err)
		}
	}
	return out, nil
}

// allocateFixedIPs plans port p's fixed IPs from req over the network's
// subnets and stores them, replacing the port's own (an update re-plans them
// with its own counted free). Each subnet is seen through its lowest free
// ranges (neutron.FreeView): enough for every address the request takes
// from a pool; the EUI-64 addresses of auto-address subnets come from the
// port's MAC and are looked up like named ones. An address the user named
// that turns out taken is a 409; one IPAM chose is a lost race, and the
// transaction runs again.
func allocateFixedIPs(ctx context.Context, t *tx, p *neutron.Port, req neutron.Field[[]neutron.FixedIP]) error {
	subnets, err := listNeutronSubnets(ctx, t, ` WHERE network_id = ?`, p.NetworkID)
	if err != nil {
		return err
	}
	if err := ensureFreeRanges(ctx, t, p.NetworkID, subnets); err != nil {
		return err
	}
	held := neutron.PlanPort{MAC: p.MACAddress, DeviceOwner: p.DeviceOwner, Held: p.FixedIPs}
	if err := releaseAddresses(ctx, t, p.ID, subnets); err != nil {
		return err
	}
	if req.Has() {
		// Named addresses first, so that a subnet-only entry never takes an
		// address a later entry names (an update re-sends the port's own).
		named := slices.Clone(req.V)
		slices.SortStableFunc(named, func(a, b neutron.FixedIP) int {
			return rankBool(a.IPAddress == "") - rankBool(b.IPAddress == "")
		})
		req = neutron.Val(named)
	}
	// A plan takes at most len(req.V) addresses of a subnet (one without
	// fixed_ips): the lowest len(req.V)+1 ranges always keep the lowest
	// address it has not taken.
	views := make([]neutron.Subnet, len(subnets))
	for i, s := range subnets {
		free, err := lowestFree(ctx, t, s.ID, len(req.V)+1)
		if err != nil {
			return err
		}
		views[i] = neutron.FreeView(s, free)
	}
	autos, err := neutron.AutoAddresses(subnets, p.MACAddress, p.DeviceOwner)
	if err != nil {
		return err
	}
	lookup := make([]string, 0, len(req.V)+len(autos))
	for _, f := range slices.Concat(req.V, autos) {
		lookup = append(lookup, f.IPAddress)
	}
	used, err := inUse(ctx, t, p.NetworkID, lookup)
	if err != nil {
		return err
	}
	ips, err := neutron.PlanFixedIPs(p.NetworkID, held, req, views, used)
	if err != nil {
		return err
	}
	requested := map[string]bool{}
	for _, f := range req.V {
		requested[f.IPAddress] = f.IPAddress != ""
	}
	for i, f := range ips {
		a, err := netip.ParseAddr(f.IPAddress)
		if err != nil {
			return fmt.Errorf("allocate %s to port %s: %w", f.IPAddress, p.ID, err)
		}
		if err := takeFree(ctx, t, f.SubnetID, a); err != nil {
			return err
		}
		_, err = t.exec(ctx, qAllocate, p.ID, f.SubnetID, f.IPAddress, i)
		switch {
		case isUnique(err) && requested[f.IPAddress]:
			return neutron.IpAddressAlreadyAllocated(f.IPAddress, f.SubnetID)
		case isUnique(err):
			return &lostRace{what: "address " + f.IPAddress + " in subnet " + f.SubnetID, err: err}
		case isForeignKey(err):
			return neutron.SubnetNotFound(f.SubnetID)
		case err != nil:
			return fmt.Errorf("allocate %s to port %s: %w", f.IPAddress, p.ID, err)
		}
	}
	p.FixedIPs = ips
	return nil
}

// replanForMAC re-plans port p's addresses after its MAC changed from
// oldMAC, as Neutron's update_port_with_ips: from the update's fixed_ips, or
// when it has none the port's own, without the EUI-64 addresses the old MAC
// formed (neutron.KeepOnMACChange), so that the plan forms them from the new
// one. A port with no address and no fixed_ips in the update keeps none.
func replanForMAC(ctx context.Context, t *tx, p *neutron.Port, oldMAC string, req neutron.Field[[]neutron.FixedIP]) error {
	fixed := p.FixedIPs
	switch {
	case req.Set && !req.Has():
		return allocateFixedIPs(ctx, t, p, req) // null: PlanFixedIPs says why not
	case req.Set:
		fixed = req.V
	case len(fixed) == 0:
		return nil
	}
	subnets, err := listNeutronSubnets(ctx, t, ` WHERE network_id = ?`, p.NetworkID)
	if err != nil {
		return err
	}
	return allocateFixedIPs(ctx, t, p, neutron.Val(neutron.KeepOnMACChange(fixed, subnets, oldMAC)))
}
