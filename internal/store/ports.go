package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"vfnet/internal/neutron"
)

// The /v2.0 ports. Their methods are named NeutronPort... because Ports and
// Port are a host's physical NIC ports (inventory.go).

const nportColumns = `id, project_id, network_id, name, description, admin_state_up, status, mac_address, device_id,
	device_owner, security_groups, port_security_enabled, allowed_address_pairs, qos_policy_id, trusted,
	numa_affinity_policy, vnic_type, host_id, profile, vif_type, vif_details, revision_number, created_at, updated_at`

func scanNeutronPort(row interface{ Scan(...any) error }) (neutron.Port, error) {
	var p neutron.Port
	var sgs, pairs, profile, details string
	var qos, numa sql.NullString
	var trusted sql.NullBool
	var created, updated int64
	err := row.Scan(&p.ID, &p.ProjectID, &p.NetworkID, &p.Name, &p.Description, &p.AdminStateUp, &p.Status, &p.MACAddress,
		&p.DeviceID, &p.DeviceOwner, &sgs, &p.PortSecurityEnabled, &pairs, &qos, &trusted, &numa, &p.VNICType, &p.HostID,
		&profile, &p.VIFType, &details, &p.RevisionNumber, &created, &updated)
	if err != nil {
		return p, err
	}
	p.QoSPolicyID, p.NUMAAffinityPolicy = nullStringPtr(qos), nullStringPtr(numa)
	if trusted.Valid {
		p.Trusted = &trusted.Bool
	}
	for _, f := range []struct {
		name, s string
		v       any
	}{{"security_groups", sgs, &p.SecurityGroups}, {"allowed_address_pairs", pairs, &p.AllowedAddressPairs},
		{"binding:profile", profile, &p.Profile}, {"binding:vif_details", details, &p.VIFDetails}} {
		if err := fromJSONText(f.name, f.s, f.v); err != nil {
			return p, err
		}
	}
	p.CreatedAt, p.UpdatedAt = neutron.Timestamp{Time: fromNanos(created)}, neutron.Timestamp{Time: fromNanos(updated)}
	return p, nil
}

// listNeutronPorts reads the ports where selects with their fixed IPs and tags,
// oldest first.
func listNeutronPorts(ctx context.Context, t *tx, where string, args ...any) ([]neutron.Port, error) {
	rows, err := t.query(ctx, `SELECT `+nportColumns+` FROM neutron_ports`+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list ports: %w", err)
	}
	var out []neutron.Port
	for rows.Next() {
		p, err := scanNeutronPort(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list ports: %w", err)
		}
		out = append(out, p)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list ports: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	tags, err := neutronTagsOf(ctx, t, neutron.Ports, where, args...)
	if err != nil {
		return nil, err
	}
	rows, err = t.query(ctx, `SELECT port_id, subnet_id, ip_address FROM neutron_ip_allocations
		WHERE port_id IN (SELECT id FROM neutron_ports`+where+`) ORDER BY port_id, position`, args...)
	if err != nil {
		return nil, fmt.Errorf("list fixed IPs: %w", err)
	}
	ips := map[string][]neutron.FixedIP{}
	for rows.Next() {
		var id string
		var f neutron.FixedIP
		if err := rows.Scan(&id, &f.SubnetID, &f.IPAddress); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list fixed IPs: %w", err)
		}
		ips[id] = append(ips[id], f)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list fixed IPs: %w", err)
	}
	for i := range out {
		out[i].Tags, out[i].FixedIPs = tags[out[i].ID], ips[out[i].ID]
	}
	return out, nil
}

func getNeutronPort(ctx context.Context, t *tx, c neutron.Caller, id string) (neutron.Port, error) {
	where, args := neutronVisibility(c, neutron.Ports)
	ps, err := listNeutronPorts(ctx, t, andWhere(where, "id = ?"), append(args, id)...)
	if err != nil {
		return neutron.Port{}, err
	}
	if len(ps) == 0 {
		return neutron.Port{}, neutron.PortNotFound(id)
	}
	return ps[0], nil
}

func rankBool(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullBoolOf(b *bool) sql.NullBool {
	if b == nil {
		return sql.NullBool{}
	}
	return sql.NullBool{Bool: *b, Valid: true}
}

// NeutronPorts returns the ports c may see: its project's, or all for admin.
func (s *Store) NeutronPorts(ctx context.Context, c neutron.Caller) ([]neutron.Port, error) {
	var out []neutron.Port
	err := s.read(ctx, func(t *tx) (err error) {
		where, args := neutronVisibility(c, neutron.Ports)
		out, err = listNeutronPorts(ctx, t, where, args...)
		return err
	})
	return out, err
}

// NeutronPort returns port id if c may see it.
func (s *Store) NeutronPort(ctx context.Context, c neutron.Caller, id string) (neutron.Port, error) {
	var out neutron.Port
	err := s.read(ctx, func(t *tx) (err error) {
		out, err = getNeutronPort(ctx, t, c, id)
		return err
	})
	return out, err
}

// CreateNeutronPorts creates ports, all or none: MACs generated (fa:16:3e)
// or given and unique per network, fixed IPs from the network's subnets,
// the SR-IOV sriovLimits checked. Binding is not done here: a port is stored
// unbound, with the binding:host_id and binding:profile it was given, and
// the caller runs the binding step (see SetNeutronPortBinding).
func (s *Store) CreateNeutronPorts(ctx context.Context, c neutron.Caller, reqs []neutron.PortRequest) ([]neutron.Port, error) {
	var out []neutron.Port
	err := s.neutronWrite(ctx, func(t *tx) error {
		out = out[:0]
		if err := neutronMayCreate(c, neutron.Ports); err != nil {
			return err
		}
		for _, r := range reqs {
			p, err := createNeutronPort(ctx, t, c, r)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

func createNeutronPort(ctx context.Context, t *tx, c neutron.Caller, r neutron.PortRequest) (neutron.Port, error) {
	net, err := getNeutronNetwork(ctx, t, c, r.NetworkID.V)
	if err != nil {
		return neutron.Port{}, err
	}
	if err := neutron.AuthorizeAttributes(c, neutron.Create, neutron.Ports, r.Present(), net.ProjectID == c.ProjectID); err != nil {
		return neutron.Port{}, err
	}
	project, err := neutron.OwnerProject(c, r.ProjectID)
	if err != nil {
		return neutron.Port{}, err
	}
	ts := neutron.Timestamp{Time: t.now}
	p := neutron.Port{
		ID: uuid.NewString(), Name: r.Name.V, Description: r.Description.V, ProjectID: project, NetworkID: net.ID,
		AdminStateUp: r.AdminStateUp.Or(true), Status: neutron.PortStatusDown, DeviceID: r.DeviceID.V,
		DeviceOwner: r.DeviceOwner.V, SecurityGroups: r.SecurityGroups.Or([]string{}),
		PortSecurityEnabled: r.PortSecurityEnabled.Or(net.PortSecurityEnabled),
		AllowedAddressPairs: r.AllowedAddressPairs.Or([]neutron.AddressPair{}),
		VNICType:            r.VNICType.Or(neutron.VNICNormal), HostID: r.HostID.Or(""),
		Profile: r.Profile.Or(map[string]any{}), VIFType: neutron.VIFTypeUnbound, VIFDetails: map[string]any{},
		RevisionNumber: 1, CreatedAt: ts, UpdatedAt: ts, Tags: r.Tags.Or([]string{}),
	}
	if r.QoSPolicyID.Has() {
		p.QoSPolicyID = &r.QoSPolicyID.V
	}
	if r.Trusted.Has() {
		p.Trusted = &r.Trusted.V
	}
	if r.NUMAAffinityPolicy.Has() {
		p.NUMAAffinityPolicy = &r.NUMAAffinityPolicy.V
	}
	if err := neutron.CheckSRIOVLimits(sriovLimits(p)); err != nil {
		return p, err
	}
	p.MACAddress = r.MACAddress.V
	if !r.MACAddress.Has() {
		if p.MACAddress, err = neutron.GenerateMAC(rand.Reader); err != nil {
			return p, err
		}
	}
	_, err = t.exec(ctx, `INSERT INTO neutron_ports (`+nportColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.ProjectID, p.NetworkID, p.Name, p.Description, p.AdminStateUp, p.Status, p.MACAddress, p.DeviceID,
		p.DeviceOwner, jsonText(p.SecurityGroups), p.PortSecurityEnabled, jsonText(p.AllowedAddressPairs), nullStringOf(p.QoSPolicyID),
		nullBoolOf(p.Trusted), nullStringOf(p.NUMAAffinityPolicy), p.VNICType, p.HostID, jsonText(p.Profile), p.VIFType,
		jsonText(p.VIFDetails), p.RevisionNumber, nanos(t.now), nanos(t.now))
	switch {
	case isUnique(err) && r.MACAddress.Has():
		return p, neutron.MacAddressInUse(net.ID, p.MACAddress)
	case isUnique(err):
		return p, &lostRace{what: "MAC " + p.MACAddress, err: err}
	case isForeignKey(err):
		return p, neutron.NetworkNotFound(net.ID)
	case err != nil:
		return p, fmt.Errorf("create port on network %s: %w", net.ID, err)
	}
	if err := allocateFixedIPs(ctx, t, &p, r.FixedIPs); err != nil {
		return p, err
	}
	slices.Sort(p.Tags)
	return p, insertNeutronTags(ctx, t, p.ID, p.Tags)
}

func sriovLimits(p neutron.Port) neutron.PortLimits {
	l := neutron.PortLimits{VNICType: p.VNICType, SecurityGroups: p.SecurityGroups, AllowedAddressPairs: p.AllowedAddressPairs}
	if p.QoSPolicyID != nil {
		l.QoSPolicyID = *p.QoSPolicyID
	}
	return l
}

// UpdateNeutronPort applies r to port id at revision ifMatch (nil: any). It
// reports whether what a binding depends on changed (binding:host_id,
// binding:profile, binding:vnic_type): the caller then runs the binding
// step. A changed host leaves the port unbound until that step binds it.
func (s *Store) UpdateNeutronPort(ctx context.Context, c neutron.Caller, id string, r neutron.PortRequest, ifMatch *int) (neutron.Port, bool, error) {
	var out neutron.Port
	var rebind bool
	err := s.neutronWrite(ctx, func(t *tx) error {
		if _, err := neutronChangeable(ctx, t, c, "update", neutron.Ports, id, ifMatch); err != nil {
			return err
		}
		cur, err := getNeutronPort(ctx, t, neutron.Caller{Admin: true}, id)
		if err != nil {
			return err
		}
		var netProject string
		if err := t.queryRow(ctx, `SELECT project_id FROM neutron_networks WHERE id = ?`, cur.NetworkID).Scan(&netProject); err != nil {
			return fmt.Errorf("update port %s: read its network: %w", id, err)
		}
		if err := neutron.AuthorizeAttributes(c, neutron.Update, neutron.Ports, r.Present(), netProject == c.ProjectID); err != nil {
			return err
		}
		if err := neutron.CheckBoundChange(cur, r); err != nil {
			return err
		}
		p := cur
		p.Name, p.Description = r.Name.Or(cur.Name), r.Description.Or(cur.Description)
		p.AdminStateUp, p.DeviceID, p.DeviceOwner = r.AdminStateUp.Or(cur.AdminStateUp), r.DeviceID.Or(cur.DeviceID), r.DeviceOwner.Or(cur.DeviceOwner)
		p.MACAddress = r.MACAddress.Or(cur.MACAddress)
		p.SecurityGroups = r.SecurityGroups.Or(cur.SecurityGroups)
		if r.SecurityGroups.Set && !r.SecurityGroups.Has() {
			p.SecurityGroups = []string{}
		}
		p.PortSecurityEnabled = r.PortSecurityEnabled.Or(cur.PortSecurityEnabled)
		p.AllowedAddressPairs = r.AllowedAddressPairs.Or(cur.AllowedAddressPairs)
		p.VNICType = r.VNICType.Or(cur.VNICType)
		if r.QoSPolicyID.Set {
			p.QoSPolicyID = nil
			if r.QoSPolicyID.Has() {
				p.QoSPolicyID = &r.QoSPolicyID.V
			}
		}
		if r.Trusted.Set {
			p.Trusted = nil
			if r.Trusted.Has() {
				p.Trusted = &r.Trusted.V
			}
		}
		if r.NUMAAffinityPolicy.Set {
			p.NUMAAffinityPolicy = nil
			if r.NUMAAffinityPolicy.Has() {
				p.NUMAAffinityPolicy = &r.NUMAAffinityPolicy.V
			}
		}
		if err := neutron.CheckSRIOVLimits(sriovLimits(p)); err != nil {
			return err
		}
		if err := checkLinkStateSupported(ctx, t, cur, p); err != nil {
			return err
		}
		if r.HostID.Set {
			p.HostID = r.HostID.Or("")
		}
		if r.Profile.Set {
			p.Profile = r.Profile.Or(map[string]any{})
		}
		rebind = p.HostID != cur.HostID || r.Profile.Set || p.VNICType != cur.VNICType
		if p.HostID != cur.HostID {
			// The binding belonged to the old host; the binding step decides
			// the new one.
			p.VIFType, p.VIFDetails = neutron.VIFTypeUnbound, map[string]any{}
		}
		p.RevisionNumber++
		p.UpdatedAt = neutron.Timestamp{Time: t.now}
		_, err = t.exec(ctx, `UPDATE neutron_ports SET name = ?, description = ?, admin_state_up = ?, mac_address = ?,
			device_id = ?, device_owner = ?, security_groups = ?, port_security_enabled = ?, allowed_address_pairs = ?,
			qos_policy_id = ?, trusted = ?, numa_affinity_policy = ?, vnic_type = ?, host_id = ?, profile = ?,
			vif_type = ?, vif_details = ?, revision_number = ?, updated_at = ? WHERE id = ?`,
			p.Name, p.Description, p.AdminStateUp, p.MACAddress, p.DeviceID, p.DeviceOwner, jsonText(p.SecurityGroups),
			p.PortSecurityEnabled, jsonText(p.AllowedAddressPairs), nullStringOf(p.QoSPolicyID), nullBoolOf(p.Trusted),
			nullStringOf(p.NUMAAffinityPolicy), p.VNICType, p.HostID, jsonText(p.Profile), p.VIFType, jsonText(p.VIFDetails),
			p.RevisionNumber, nanos(t.now), id)
		if isUnique(err) {
			return neutron.MacAddressInUse(p.NetworkID, p.MACAddress)
		}
		if err != nil {
			return fmt.Errorf("update port %s: %w", id, err)
		}
		switch {
		case p.MACAddress != cur.MACAddress:
			if err := replanForMAC(ctx, t, &p, cur.MACAddress, r.FixedIPs); err != nil {
				return err
			}
		case r.FixedIPs.Set:
			if err := allocateFixedIPs(ctx, t, &p, r.FixedIPs); err != nil {
				return err
			}
		}
		if err := portSettingsChanged(ctx, t, cur, &p); err != nil {
			return err
		}
		out = p
		return nil
	})
	return out, rebind, err
}

// SetNeutronPortBinding writes binding b on port id (host, vif_type,
// vif_details, profile, and the MAC a direct-physical binding takes) and
// returns the port. It is the write of the binding step that follows a
// create or update; the caller authorized that request already. A MAC the
// binding changes re-forms the port's EUI-64 addresses (replanForMAC).
func (s *Store) SetNeutronPortBinding(ctx context.Context, id string, b neutron.Binding) (neutron.Port, error) {
	var out neutron.Port
	err := s.neutronWrite(ctx, func(t *tx) error {
		p, err := getNeutronPort(ctx, t, neutron.Caller{Admin: true}, id)
		if err != nil {
			return err
		}
		oldMAC := p.MACAddress
		b.Apply(&p)
		p.RevisionNumber++
		p.UpdatedAt = neutron.Timestamp{Time: t.now}
		_, err = t.exec(ctx, `UPDATE neutron_ports SET host_id = ?, vif_type = ?, vif_details = ?, profile = ?, mac_address = ?,
			revision_number = ?, updated_at = ? WHERE id = ?`,
			p.HostID, p.VIFType, jsonText(nonNilNeutronMap(p.VIFDetails)), jsonText(nonNilNeutronMap(p.Profile)), p.MACAddress,
			p.RevisionNumber, nanos(t.now), id)
		if isUnique(err) {
			return neutron.MacAddressInUse(p.NetworkID, p.MACAddress)
		}
		if err != nil {
			return fmt.Errorf("bind port %s to host %q: %w", id, p.HostID, err)
		}
		if p.MACAddress != oldMAC {
			if err := replanForMAC(ctx, t, &p, oldMAC, neutron.Field[[]neutron.FixedIP]{}); err != nil {
				return err
			}
		}
		out = p
		return nil
	})
	return out, err
}

func nonNilNeutronMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// DeleteNeutronPort deletes port id and releases its addresses.
func (s *Store) DeleteNeutronPort(ctx context.Context, c neutron.Caller, id string, ifMatch *int) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := neutronChangeable(ctx, t, c, "delete", neutron.Ports, id, ifMatch); err != nil {
			return err
		}
		if err := deleteNeutronTags(ctx, t, id); err != nil {
			return err
		}
		var net string
		if err := t.queryRow(ctx, `SELECT network_id FROM neutron_ports WHERE id = ?`, id).Scan(&net); err != nil {
			return fmt.Errorf("delete port %s: %w", id, err)
		}
		subnets, err := listNeutronSubnets(ctx, t, ` WHERE network_id = ?`, net)
		if err != nil {
			return err
		}
		if err := ensureFreeRanges(ctx, t, net, subnets); err != nil {
			return err
		}
		if err := releaseAddresses(ctx, t, id, subnets); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM neutron_ports WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete port %s: %w", id, err)
		}
		return nil
	})
}
