package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"

	"vfnet/internal/neutron"
)

const nsubnetColumns = `id, project_id, network_id, name, description, ip_version, cidr, gateway_ip, host_routes,
	dns_nameservers, enable_dhcp, ipv6_ra_mode, ipv6_address_mode, revision_number, created_at, updated_at`

func scanNeutronSubnet(row interface{ Scan(...any) error }) (neutron.Subnet, error) {
	var s neutron.Subnet
	var gw, ra, addr sql.NullString
	var routes, dns string
	var created, updated int64
	err := row.Scan(&s.ID, &s.ProjectID, &s.NetworkID, &s.Name, &s.Description, &s.IPVersion, &s.CIDR, &gw, &routes,
		&dns, &s.EnableDHCP, &ra, &addr, &s.RevisionNumber, &created, &updated)
	if err != nil {
		return s, err
	}
	s.GatewayIP, s.IPv6RAMode, s.IPv6AddressMode = nullStringPtr(gw), nullStringPtr(ra), nullStringPtr(addr)
	if err := fromJSONText("host_routes", routes, &s.HostRoutes); err != nil {
		return s, err
	}
	if err := fromJSONText("dns_nameservers", dns, &s.DNSNameservers); err != nil {
		return s, err
	}
	s.CreatedAt, s.UpdatedAt = neutron.Timestamp{Time: fromNanos(created)}, neutron.Timestamp{Time: fromNanos(updated)}
	return s, nil
}

func nullStringPtr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}

func nullStringOf(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

// listNeutronSubnets reads the subnets where selects, with pools and tags, in
// creation order.
func listNeutronSubnets(ctx context.Context, t *tx, where string, args ...any) ([]neutron.Subnet, error) {
	rows, err := t.query(ctx, `SELECT `+nsubnetColumns+` FROM neutron_subnets`+where+` ORDER BY seq, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list subnets: %w", err)
	}
	var out []neutron.Subnet
	for rows.Next() {
		s, err := scanNeutronSubnet(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list subnets: %w", err)
		}
		out = append(out, s)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list subnets: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	tags, err := neutronTagsOf(ctx, t, neutron.Subnets, where, args...)
	if err != nil {
		return nil, err
	}
	rows, err = t.query(ctx, `SELECT subnet_id, first_ip, last_ip FROM neutron_allocation_pools
		WHERE subnet_id IN (SELECT id FROM neutron_subnets`+where+`) ORDER BY subnet_id, position`, args...)
	if err != nil {
		return nil, fmt.Errorf("list allocation pools: %w", err)
	}
	pools := map[string][]neutron.AllocationPool{}
	for rows.Next() {
		var id string
		var p neutron.AllocationPool
		if err := rows.Scan(&id, &p.Start, &p.End); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list allocation pools: %w", err)
		}
		pools[id] = append(pools[id], p)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list allocation pools: %w", err)
	}
	for i := range out {
		out[i].Tags, out[i].AllocationPools = tags[out[i].ID], pools[out[i].ID]
	}
	return out, nil
}

func getNeutronSubnet(ctx context.Context, t *tx, c neutron.Caller, id string) (neutron.Subnet, error) {
	where, args := neutronVisibility(c, neutron.Subnets)
	ss, err := listNeutronSubnets(ctx, t, andWhere(where, "id = ?"), append(args, id)...)
	if err != nil {
		return neutron.Subnet{}, err
	}
	if len(ss) == 0 {
		return neutron.Subnet{}, neutron.SubnetNotFound(id)
	}
	return ss[0], nil
}

func insertAllocationPools(ctx context.Context, t *tx, s neutron.Subnet) error {
	for i, p := range s.AllocationPools {
		if _, err := t.exec(ctx, `INSERT INTO neutron_allocation_pools (subnet_id, position, first_ip, last_ip) VALUES (?, ?, ?, ?)`,
			s.ID, i, p.Start, p.End); err != nil {
			return fmt.Errorf("store allocation pool %s of subnet %s: %w", p, s.ID, err)
		}
	}
	return nil
}

// Subnets returns the subnets c may see: its project's and those of shared
// networks.
func (s *Store) Subnets(ctx context.Context, c neutron.Caller) ([]neutron.Subnet, error) {
	var out []neutron.Subnet
	err := s.read(ctx, func(t *tx) (err error) {
		where, args := neutronVisibility(c, neutron.Subnets)
		out, err = listNeutronSubnets(ctx, t, where, args...)
		return err
	})
	return out, err
}

// Subnet returns subnet id if c may see it.
func (s *Store) Subnet(ctx context.Context, c neutron.Caller, id string) (neutron.Subnet, error) {
	var out neutron.Subnet
	err := s.read(ctx, func(t *tx) (err error) {
		out, err = getNeutronSubnet(ctx, t, c, id)
		return err
	})
	return out, err
}

// CreateSubnets creates subnets, all or none. A subnet overlapping another
// of its network (bulk siblings included) is refused.
func (s *Store) CreateSubnets(ctx context.Context, c neutron.Caller, reqs []neutron.SubnetRequest) ([]neutron.Subnet, error) {
	var out []neutron.Subnet
	err := s.write(ctx, func(t *tx) error {
		out = out[:0]
		if err := neutronMayCreate(c, neutron.Subnets); err != nil {
			return err
		}
		var seq int64
		if err := t.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM neutron_subnets`).Scan(&seq); err != nil {
			return fmt.Errorf("create subnet: %w", err)
		}
		for _, r := range reqs {
			seq++
			sn, err := createNeutronSubnet(ctx, t, c, r, seq)
			if err != nil {
				return err
			}
			out = append(out, sn)
		}
		return nil
	})
	return out, err
}

func createNeutronSubnet(ctx context.Context, t *tx, c neutron.Caller, r neutron.SubnetRequest, seq int64) (neutron.Subnet, error) {
	net, err := getNeutronNetwork(ctx, t, c, r.NetworkID.V)
	if err != nil {
		return neutron.Subnet{}, err
	}
	// Neutron's create_subnet policy: admin or the network's owner; a
	// shared network of another project is visible but not extensible.
	if !c.Admin && net.ProjectID != c.ProjectID {
		return neutron.Subnet{}, neutron.PolicyNotAuthorized("create_subnet")
	}
	if err := neutron.AuthorizeAttributes(c, neutron.Create, neutron.Subnets, r.Present(), true); err != nil {
		return neutron.Subnet{}, err
	}
	project, err := neutron.OwnerProject(c, r.ProjectID)
	if err != nil {
		return neutron.Subnet{}, err
	}
	siblings, err := listNeutronSubnets(ctx, t, ` WHERE network_id = ?`, net.ID)
	if err != nil {
		return neutron.Subnet{}, err
	}
	sn, err := neutron.PlanSubnet(r, siblings)
	if err != nil {
		return neutron.Subnet{}, err
	}
	ts := neutron.Timestamp{Time: t.now}
	sn.ID, sn.ProjectID, sn.RevisionNumber, sn.CreatedAt, sn.UpdatedAt, sn.Tags = uuid.NewString(), project, 1, ts, ts, []string{}
	if _, err := t.exec(ctx, `INSERT INTO neutron_subnets (`+nsubnetColumns+`, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sn.ID, sn.ProjectID, sn.NetworkID, sn.Name, sn.Description, sn.IPVersion, sn.CIDR, nullStringOf(sn.GatewayIP),
		jsonText(sn.HostRoutes), jsonText(sn.DNSNameservers), sn.EnableDHCP, nullStringOf(sn.IPv6RAMode), nullStringOf(sn.IPv6AddressMode),
		sn.RevisionNumber, nanos(t.now), nanos(t.now), seq); err != nil {
		return sn, fmt.Errorf("create subnet %s: %w", sn.CIDR, err)
	}
	if err := insertAllocationPools(ctx, t, sn); err != nil {
		return sn, err
	}
	if err := resetFreeRanges(ctx, t, sn); err != nil {
		return sn, err
	}
	// The network's subnets attribute changed: so did its revision.
	return sn, bumpNeutronRevision(ctx, t, neutron.Networks, net.ID)
}

// UpdateSubnet applies r to subnet id at revision ifMatch (nil: any).
func (s *Store) UpdateSubnet(ctx context.Context, c neutron.Caller, id string, r neutron.SubnetRequest, ifMatch *int) (neutron.Subnet, error) {
	var out neutron.Subnet
	err := s.write(ctx, func(t *tx) error {
		if _, err := neutronChangeable(ctx, t, c, "update", neutron.Subnets, id, ifMatch); err != nil {
			return err
		}
		if err := neutron.AuthorizeAttributes(c, neutron.Update, neutron.Subnets, r.Present(), true); err != nil {
			return err
		}
		cur, err := getNeutronSubnet(ctx, t, neutron.Caller{Admin: true}, id)
		if err != nil {
			return err
		}
		sn, err := neutron.PlanSubnetUpdate(cur, r)
		if err != nil {
			return err
		}
		sn.RevisionNumber++
		sn.UpdatedAt = neutron.Timestamp{Time: t.now}
		if _, err := t.exec(ctx, `UPDATE neutron_subnets SET name = ?, description = ?, gateway_ip = ?, host_routes = ?,
			dns_nameservers = ?, enable_dhcp = ?, revision_number = ?, updated_at = ? WHERE id = ?`,
			sn.Name, sn.Description, nullStringOf(sn.GatewayIP), jsonText(sn.HostRoutes), jsonText(sn.DNSNameservers), sn.EnableDHCP,
			sn.RevisionNumber, nanos(t.now), id); err != nil {
			return fmt.Errorf("update subnet %s: %w", id, err)
		}
		if r.AllocationPools.Set {
			if _, err := t.exec(ctx, `DELETE FROM neutron_allocation_pools WHERE subnet_id = ?`, id); err != nil {
				return fmt.Errorf("update subnet %s: %w", id, err)
			}
			if err := insertAllocationPools(ctx, t, sn); err != nil {
				return err
			}
		}
		if r.AllocationPools.Set || r.GatewayIP.Set {
			// What IPAM may give changed: rebuild the subnet's free ranges.
			if err := resetFreeRanges(ctx, t, sn); err != nil {
				return err
			}
		}
		out = sn
		return nil
	})
	return out, err
}

// DeleteSubnet deletes subnet id. Whether addresses in use keep it is
// neutron.CheckSubnetDelete's rule (409 SubnetInUse); the addresses an
// auto-address subnet may lose go from their ports' fixed_ips in the same
// transaction, each such port getting a new revision.
func (s *Store) DeleteSubnet(ctx context.Context, c neutron.Caller, id string, ifMatch *int) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := neutronChangeable(ctx, t, c, "delete", neutron.Subnets, id, ifMatch); err != nil {
			return err
		}
		sn, err := getNeutronSubnet(ctx, t, neutron.Caller{Admin: true}, id)
		if err != nil {
			return err
		}
		rows, err := t.query(ctx, `SELECT a.port_id, p.device_owner FROM neutron_ip_allocations a
			JOIN neutron_ports p ON p.id = a.port_id WHERE a.subnet_id = ? ORDER BY a.port_id`, id)
		if err != nil {
			return fmt.Errorf("delete subnet %s: read allocations: %w", id, err)
		}
		var ports, owners []string
		for rows.Next() {
			var port, owner string
			if err := rows.Scan(&port, &owner); err != nil {
				rows.Close()
				return fmt.Errorf("delete subnet %s: read allocations: %w", id, err)
			}
			if len(ports) == 0 || ports[len(ports)-1] != port {
				ports = append(ports, port)
			}
			owners = append(owners, owner)
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("delete subnet %s: read allocations: %w", id, err)
		}
		if err := neutron.CheckSubnetDelete(sn, owners); err != nil {
			return err
		}
		if len(ports) > 0 {
			if _, err := t.exec(ctx, `DELETE FROM neutron_ip_allocations WHERE subnet_id = ?`, id); err != nil {
				return fmt.Errorf("delete subnet %s: remove its addresses from ports: %w", id, err)
			}
			for _, p := range ports {
				if err := bumpNeutronRevision(ctx, t, neutron.Ports, p); err != nil {
					return err
				}
			}
		}
		if err := deleteNeutronTags(ctx, t, id); err != nil {
			return err
		}
		_, err = t.exec(ctx, `DELETE FROM neutron_subnets WHERE id = ?`, id)
		if isForeignKey(err) {
			return neutron.SubnetInUse(id)
		}
		if err != nil {
			return fmt.Errorf("delete subnet %s: %w", id, err)
		}
		return bumpNeutronRevision(ctx, t, neutron.Networks, sn.NetworkID)
	})
}
