package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"vfnet/internal/model"
	"vfnet/internal/neutron"
)

const nnetworkColumns = `id, project_id, name, description, admin_state_up, status, shared, external, mtu,
	port_security_enabled, network_type, physical_network, segmentation_id, revision_number, created_at, updated_at`

func scanNeutronNetwork(row interface{ Scan(...any) error }) (neutron.Network, error) {
	var n neutron.Network
	var seg int
	var created, updated int64
	err := row.Scan(&n.ID, &n.ProjectID, &n.Name, &n.Description, &n.AdminStateUp, &n.Status, &n.Shared, &n.External,
		&n.MTU, &n.PortSecurityEnabled, &n.NetworkType, &n.PhysicalNetwork, &seg, &n.RevisionNumber, &created, &updated)
	if err != nil {
		return n, err
	}
	if n.NetworkType == neutron.NetworkTypeVLAN {
		n.SegmentationID = &seg
	}
	n.CreatedAt, n.UpdatedAt = neutron.Timestamp{Time: fromNanos(created)}, neutron.Timestamp{Time: fromNanos(updated)}
	return n, nil
}

// listNeutronNetworks reads the networks where selects, with their subnets and
// tags, by creation time.
func listNeutronNetworks(ctx context.Context, t *tx, where string, args ...any) ([]neutron.Network, error) {
	rows, err := t.query(ctx, `SELECT `+nnetworkColumns+` FROM neutron_networks`+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	var out []neutron.Network
	for rows.Next() {
		n, err := scanNeutronNetwork(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list networks: %w", err)
		}
		out = append(out, n)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	tags, err := neutronTagsOf(ctx, t, neutron.Networks, where, args...)
	if err != nil {
		return nil, err
	}
	rows, err = t.query(ctx, `SELECT network_id, id FROM neutron_subnets
		WHERE network_id IN (SELECT id FROM neutron_networks`+where+`) ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("list subnets of networks: %w", err)
	}
	subnets := map[string][]string{}
	for rows.Next() {
		var net, id string
		if err := rows.Scan(&net, &id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list subnets of networks: %w", err)
		}
		subnets[net] = append(subnets[net], id)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list subnets of networks: %w", err)
	}
	for i := range out {
		out[i].Tags, out[i].Subnets = tags[out[i].ID], subnets[out[i].ID]
	}
	return out, nil
}

// getNeutronNetwork reads network id as c may see it: another project's network
// that is not shared is a 404, as if it did not exist.
func getNeutronNetwork(ctx context.Context, t *tx, c neutron.Caller, id string) (neutron.Network, error) {
	where, args := neutronVisibility(c, neutron.Networks)
	ns, err := listNeutronNetworks(ctx, t, andWhere(where, "id = ?"), append(args, id)...)
	if err != nil {
		return neutron.Network{}, err
	}
	if len(ns) == 0 {
		return neutron.Network{}, neutron.NetworkNotFound(id)
	}
	return ns[0], nil
}

// neutronSegmentsInUse lists the places networks occupy on physical networks,
// leaving out network except (for an update of it).
func neutronSegmentsInUse(ctx context.Context, t *tx, except string) ([]neutron.Segment, error) {
	rows, err := t.query(ctx, `SELECT network_type, physical_network, segmentation_id FROM neutron_networks WHERE id <> ?`, except)
	if err != nil {
		return nil, fmt.Errorf("read segments in use: %w", err)
	}
	var out []neutron.Segment
	for rows.Next() {
		var s neutron.Segment
		if err := rows.Scan(&s.NetworkType, &s.PhysicalNetwork, &s.SegmentationID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read segments in use: %w", err)
		}
		out = append(out, s)
	}
	return out, closeRows(rows)
}

func neutronDataNetwork(d model.DataNetwork) neutron.DataNetwork {
	n := neutron.DataNetwork{Name: d.Name, Type: string(d.NetworkType), MTU: d.MTU}
	for _, r := range d.SegmentRanges {
		n.Ranges = append(n.Ranges, neutron.VLANRange{Min: r.Min, Max: r.Max})
	}
	return n
}

// neutronNetworkUsers lists the networks on data network id, for the data
// network rules (an MTU change, a delete).
func neutronNetworkUsers(ctx context.Context, t *tx, id string) ([]model.NetworkUse, error) {
	rows, err := t.query(ctx, `SELECT id, name, mtu FROM neutron_networks
		WHERE physical_network = (SELECT name FROM datanetworks WHERE id = ?) ORDER BY name, id`, id)
	if err != nil {
		return nil, fmt.Errorf("read networks on data network %s: %w", id, err)
	}
	var out []model.NetworkUse
	for rows.Next() {
		var u model.NetworkUse
		if err := rows.Scan(&u.ID, &u.Name, &u.MTU); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read networks on data network %s: %w", id, err)
		}
		out = append(out, u)
	}
	return out, closeRows(rows)
}

// Networks returns the networks c may see, oldest first. The list query
// (filters, sorting, pages) is the caller's, over this result.
func (s *Store) Networks(ctx context.Context, c neutron.Caller) ([]neutron.Network, error) {
	var out []neutron.Network
	err := s.read(ctx, func(t *tx) (err error) {
		where, args := neutronVisibility(c, neutron.Networks)
		out, err = listNeutronNetworks(ctx, t, where, args...)
		return err
	})
	return out, err
}

// Network returns network id if c may see it.
func (s *Store) Network(ctx context.Context, c neutron.Caller, id string) (neutron.Network, error) {
	var out neutron.Network
	err := s.read(ctx, func(t *tx) (err error) {
		out, err = getNeutronNetwork(ctx, t, c, id)
		return err
	})
	return out, err
}

// CreateNetworks creates networks, all or none (a bulk create is atomic).
// Provider attributes are checked against the data networks and the
// segments in use, and a network without them gets the lowest free VLAN of
// the vlan data networks' segment ranges, in the same transaction; the
// UNIQUE (physical_network, segmentation_id) constraint settles races
// between servers.
func (s *Store) CreateNetworks(ctx context.Context, c neutron.Caller, reqs []neutron.NetworkRequest) ([]neutron.Network, error) {
	var out []neutron.Network
	err := s.neutronWrite(ctx, func(t *tx) error {
		out = out[:0]
		if err := neutronMayCreate(c, neutron.Networks); err != nil {
			return err
		}
		dns, err := listDataNetworks(ctx, t)
		if err != nil {
			return err
		}
		ndns := make([]neutron.DataNetwork, len(dns))
		for i, d := range dns {
			ndns[i] = neutronDataNetwork(d)
		}
		inUse, err := neutronSegmentsInUse(ctx, t, "")
		if err != nil {
			return err
		}
		for _, r := range reqs {
			n, err := createNeutronNetwork(ctx, t, c, r, ndns, inUse)
			if err != nil {
				return err
			}
			seg := 0
			if n.SegmentationID != nil {
				seg = *n.SegmentationID
			}
			inUse = append(inUse, neutron.Segment{NetworkType: n.NetworkType, PhysicalNetwork: n.PhysicalNetwork, SegmentationID: seg})
			out = append(out, n)
		}
		return nil
	})
	return out, err
}

func createNeutronNetwork(ctx context.Context, t *tx, c neutron.Caller, r neutron.NetworkRequest, dns []neutron.DataNetwork, inUse []neutron.Segment) (neutron.Network, error) {
	if err := neutron.AuthorizeAttributes(c, neutron.Create, neutron.Networks, r.Present(), false); err != nil {
		return neutron.Network{}, err
	}
	project, err := neutron.OwnerProject(c, r.ProjectID)
	if err != nil {
		return neutron.Network{}, err
	}
	plan, err := neutron.PlanNetwork(r, dns, inUse)
	if err != nil {
		return neutron.Network{}, err
	}
	ts := neutron.Timestamp{Time: t.now}
	n := neutron.Network{
		ID: uuid.NewString(), Name: r.Name.V, Description: r.Description.V, ProjectID: project,
		AdminStateUp: r.AdminStateUp.Or(true), Status: neutron.StatusActive, Shared: r.Shared.Or(false),
		External: r.External.Or(false), MTU: plan.MTU, PortSecurityEnabled: r.PortSecurityEnabled.Or(true),
		NetworkType: plan.NetworkType, PhysicalNetwork: plan.PhysicalNetwork, SegmentationID: plan.SegmentationID,
		RevisionNumber: 1, CreatedAt: ts, UpdatedAt: ts, Subnets: []string{}, Tags: []string{},
	}
	seg := 0
	if n.SegmentationID != nil {
		seg = *n.SegmentationID
	}
	_, err = t.exec(ctx, `INSERT INTO neutron_networks (`+nnetworkColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.ProjectID, n.Name, n.Description, n.AdminStateUp, n.Status, n.Shared, n.External, n.MTU,
		n.PortSecurityEnabled, n.NetworkType, n.PhysicalNetwork, seg, n.RevisionNumber, nanos(t.now), nanos(t.now))
	switch {
	case isUnique(err) && !r.SegmentationID.Has() && n.NetworkType == neutron.NetworkTypeVLAN:
		return n, &lostRace{what: fmt.Sprintf("VLAN %d on %s", seg, n.PhysicalNetwork), err: err}
	case isUnique(err) && n.NetworkType == neutron.NetworkTypeFlat:
		return n, neutron.FlatNetworkInUse(n.PhysicalNetwork)
	case isUnique(err):
		return n, neutron.VlanIdInUse(seg, n.PhysicalNetwork)
	case isForeignKey(err):
		return n, neutron.InvalidInput("physical_network '%s' was deleted concurrently; create the data network again", n.PhysicalNetwork)
	case err != nil:
		return n, fmt.Errorf("create network %s: %w", n.Name, err)
	}
	return n, nil
}

// UpdateNetwork applies r to network id at revision ifMatch (nil: any).
func (s *Store) UpdateNetwork(ctx context.Context, c neutron.Caller, id string, r neutron.NetworkRequest, ifMatch *int) (neutron.Network, error) {
	var out neutron.Network
	err := s.write(ctx, func(t *tx) error {
		if _, err := neutronChangeable(ctx, t, c, "update", neutron.Networks, id, ifMatch); err != nil {
			return err
		}
		if err := neutron.AuthorizeAttributes(c, neutron.Update, neutron.Networks, r.Present(), false); err != nil {
			return err
		}
		cur, err := getNeutronNetwork(ctx, t, neutron.Caller{Admin: true}, id)
		if err != nil {
			return err
		}
		dn, err := getDataNetwork(ctx, t, cur.PhysicalNetwork)
		if err != nil {
			return err
		}
		inUse, err := neutronSegmentsInUse(ctx, t, id)
		if err != nil {
			return err
		}
		var bound int
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM neutron_ports WHERE network_id = ? AND host_id <> ''
			AND vif_type NOT IN (?, ?)`, id, neutron.VIFTypeUnbound, neutron.VIFTypeBindingFailed).Scan(&bound); err != nil {
			return fmt.Errorf("update network %s: count bound ports: %w", id, err)
		}
		plan, err := neutron.PlanNetworkUpdate(cur, r, neutronDataNetwork(dn), inUse, bound)
		if err != nil {
			return err
		}
		n := cur
		n.Name, n.Description = r.Name.Or(cur.Name), r.Description.Or(cur.Description)
		n.AdminStateUp, n.Shared, n.External = r.AdminStateUp.Or(cur.AdminStateUp), r.Shared.Or(cur.Shared), r.External.Or(cur.External)
		n.PortSecurityEnabled = r.PortSecurityEnabled.Or(cur.PortSecurityEnabled)
		n.MTU, n.SegmentationID = plan.MTU, plan.SegmentationID
		if cur.Shared && !n.Shared {
			var others int
			if err := t.queryRow(ctx, `SELECT COUNT(*) FROM neutron_ports WHERE network_id = ? AND project_id <> ?`,
				id, cur.ProjectID).Scan(&others); err != nil {
				return fmt.Errorf("update network %s: count ports of other projects: %w", id, err)
			}
			if others > 0 {
				return neutron.InvalidSharedSetting(id, others)
			}
		}
		n.RevisionNumber++
		n.UpdatedAt = neutron.Timestamp{Time: t.now}
		seg := 0
		if n.SegmentationID != nil {
			seg = *n.SegmentationID
		}
		_, err = t.exec(ctx, `UPDATE neutron_networks SET name = ?, description = ?, admin_state_up = ?, shared = ?,
			external = ?, mtu = ?, port_security_enabled = ?, segmentation_id = ?, revision_number = ?, updated_at = ?
			WHERE id = ?`,
			n.Name, n.Description, n.AdminStateUp, n.Shared, n.External, n.MTU, n.PortSecurityEnabled, seg,
			n.RevisionNumber, nanos(t.now), id)
		if isUnique(err) {
			return neutron.VlanIdInUse(seg, n.PhysicalNetwork)
		}
		if err != nil {
			return fmt.Errorf("update network %s: %w", id, err)
		}
		out = n
		return nil
	})
	return out, err
}

// DeleteNetwork deletes network id and its subnets; a network with ports
// is in use (409 NetworkInUse).
func (s *Store) DeleteNetwork(ctx context.Context, c neutron.Caller, id string, ifMatch *int) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := neutronChangeable(ctx, t, c, "delete", neutron.Networks, id, ifMatch); err != nil {
			return err
		}
		var ports int
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM neutron_ports WHERE network_id = ?`, id).Scan(&ports); err != nil {
			return fmt.Errorf("delete network %s: count ports: %w", id, err)
		}
		if ports > 0 {
			return neutron.NetworkInUse(id)
		}
		for _, q := range []string{
			`DELETE FROM neutron_tags WHERE resource_id IN (SELECT id FROM neutron_subnets WHERE network_id = ?)`,
			`DELETE FROM neutron_subnets WHERE network_id = ?`,
			`DELETE FROM neutron_tags WHERE resource_id = ?`,
			`DELETE FROM neutron_networks WHERE id = ?`,
		} {
			_, err := t.exec(ctx, q, id)
			if isForeignKey(err) {
				return neutron.NetworkInUse(id)
			}
			if err != nil {
				return fmt.Errorf("delete network %s: %w", id, err)
			}
		}
		return nil
	})
}
