package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/google/uuid"

	"vfnet/internal/model"
	"vfnet/internal/neutron"
	"vfnet/internal/sched"
)

// Instances are vfnet's own VMs (/v1/instances): a name and ports, placed
// on one host by the claim path (claims.go) that also serves external
// binds. vfnet does not run the VM: it claims the devices, programs them
// through the host's agent and hands back the libvirt XML.

// Instance is a VM and the devices its ports hold.
type Instance struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	ProjectID string `json:"project_id"`
	Host      string `json:"host"`
	// NUMANode is the instance's NUMA node, -1 when its host reports no
	// NUMA information; Pinned says it was asked for.
	NUMANode  int       `json:"numa_node"`
	Pinned    bool      `json:"numa_node_pinned"`
	NICs      []NIC     `json:"nics"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NIC is one port of an instance and the device it holds.
type NIC struct {
	PortID          string `json:"port_id"`
	VNICType        string `json:"vnic_type"`
	MACAddress      string `json:"mac_address"`
	Status          string `json:"status"`
	NetworkID       string `json:"network_id"`
	PhysicalNetwork string `json:"physical_network"`
	VLAN            int    `json:"vlan"` // 0 on a flat network
	// The claimed device: a VF (direct) or a PF (direct-physical); empty
	// when the port lost its device (unbound from outside).
	PCIAddr   string `json:"pci_slot,omitempty"`
	PFAddr    string `json:"pf_pciaddr,omitempty"`
	VFIndex   int    `json:"vf_index"`
	Interface string `json:"ifname,omitempty"`
}

// InstanceRequest creates an instance.
type InstanceRequest struct {
	Name    string
	Project string
	Ports   []string
	// Host places the instance on this host; "" lets the scheduler choose.
	Host string
	// NUMANode pins the instance's NUMA node; nil lets the scheduler choose.
	NUMANode *int
	// NUMAPolicy is the policy of ports that have no numa_affinity_policy;
	// "" is legacy.
	NUMAPolicy string
}

var instanceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func getInstance(ctx context.Context, t *tx, ref string) (Instance, string, error) {
	var in Instance
	var hostID sql.NullString
	var created, updated int64
	err := t.queryRow(ctx, `SELECT i.id, i.name, i.project_id, COALESCE(h.name, ''), i.numa_node, i.pinned, i.created_at, i.updated_at, i.host_id
		FROM instances i LEFT JOIN hosts h ON h.id = i.host_id WHERE i.id = ? OR i.name = ?`, ref, ref).
		Scan(&in.ID, &in.Name, &in.ProjectID, &in.Host, &in.NUMANode, &in.Pinned, &created, &updated, &hostID)
	if errors.Is(err, sql.ErrNoRows) {
		return in, "", notFound("instance "+ref, "Instance %s not found: see vfnet instance list", ref)
	}
	if err != nil {
		return in, "", fmt.Errorf("read instance %s: %w", ref, err)
	}
	in.CreatedAt, in.UpdatedAt = fromNanos(created), fromNanos(updated)
	if err := loadNICs(ctx, t, &in); err != nil {
		return in, "", err
	}
	return in, hostID.String, nil
}

func loadNICs(ctx context.Context, t *tx, in *Instance) error {
	rows, err := t.query(ctx, `SELECT p.id, p.vnic_type, p.mac_address, p.status, p.network_id, n.physical_network, n.segmentation_id,
			COALESCE(c.pciaddr, ''), COALESCE(c.pf_pciaddr, ''), COALESCE(c.vf_index, -1), COALESCE(c.ifname, '')
		FROM instance_ports ip JOIN neutron_ports p ON p.id = ip.port_id JOIN neutron_networks n ON n.id = p.network_id
		LEFT JOIN vf_claims c ON c.port_id = p.id
		WHERE ip.instance_id = ? ORDER BY ip.position`, in.ID)
	if err != nil {
		return fmt.Errorf("ports of instance %s: %w", in.Name, err)
	}
	in.NICs = []NIC{}
	for rows.Next() {
		var n NIC
		if err := rows.Scan(&n.PortID, &n.VNICType, &n.MACAddress, &n.Status, &n.NetworkID, &n.PhysicalNetwork, &n.VLAN,
			&n.PCIAddr, &n.PFAddr, &n.VFIndex, &n.Interface); err != nil {
			rows.Close()
			return fmt.Errorf("ports of instance %s: %w", in.Name, err)
		}
		in.NICs = append(in.NICs, n)
	}
	return closeRows(rows)
}

// Instances lists every instance by name.
func (s *Store) Instances(ctx context.Context) ([]Instance, error) {
	var out []Instance
	err := s.read(ctx, func(t *tx) error {
		rows, err := t.query(ctx, `SELECT id FROM instances ORDER BY name`)
		if err != nil {
			return fmt.Errorf("list instances: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("list instances: %w", err)
			}
			ids = append(ids, id)
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("list instances: %w", err)
		}
		for _, id := range ids {
			in, _, err := getInstance(ctx, t, id)
			if err != nil {
				return err
			}
			out = append(out, in)
		}
		return nil
	})
	return out, err
}

// Instance returns the instance named ref (a name or an id).
func (s *Store) Instance(ctx context.Context, ref string) (Instance, error) {
	var in Instance
	err := s.read(ctx, func(t *tx) (err error) {
		in, _, err = getInstance(ctx, t, ref)
		return err
	})
	return in, err
}

// CreateInstance creates an instance and claims a device for each of its
// ports on one host, in one transaction. Nothing fits: a conflict whose
// message says why (a *sched.Error), and nothing is written.
func (s *Store) CreateInstance(ctx context.Context, r InstanceRequest) (Instance, error) {
	if !instanceNameRE.MatchString(r.Name) {
		return Instance{}, invalid("instance "+r.Name, "Instance name %q is invalid: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit", r.Name)
	}
	if len(r.Ports) == 0 {
		return Instance{}, invalid("instance "+r.Name, "Instance %s has no port: give at least one (--nic port-id=PORT)", r.Name)
	}
	seen := map[string]bool{}
	for _, p := range r.Ports {
		if seen[p] {
			return Instance{}, invalid("instance "+r.Name, "Instance %s lists port %s twice: a port is one NIC", r.Name, p)
		}
		seen[p] = true
	}
	var out Instance
	err := s.neutronWrite(ctx, func(t *tx) error {
		id := uuid.NewString()
		var n int
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM instances WHERE name = ?`, r.Name).Scan(&n); err != nil {
			return fmt.Errorf("create instance %s: %w", r.Name, err)
		}
		if n > 0 {
			return conflict("instance "+r.Name, "Instance %s already exists: choose another name", r.Name)
		}
		var ports []claimPort
		for _, ref := range r.Ports {
			pid, err := portByRef(ctx, t, ref)
			if err != nil {
				return err
			}
			cp, err := readClaimPort(ctx, t, pid)
			if errors.Is(err, neutron.TypePortNotFound) {
				return notFound("port "+pid, "Port %s not found: create it first (openstack port create --vnic-type direct)", pid)
			}
			if err != nil {
				return err
			}
			if err := instancePortFree(ctx, t, cp.port); err != nil {
				return err
			}
			ports = append(ports, cp)
		}
		pinned := r.NUMANode != nil
		if _, err := t.exec(ctx, `INSERT INTO instances (id, name, project_id, host_id, numa_node, pinned, created_at, updated_at)
			VALUES (?, ?, ?, NULL, -1, ?, ?, ?)`, id, r.Name, r.Project, pinned, nanos(t.now), nanos(t.now)); err != nil {
			if isUnique(err) {
				return conflict("instance "+r.Name, "Instance %s already exists: choose another name", r.Name)
			}
			return fmt.Errorf("create instance %s: %w", r.Name, err)
		}
		for i, cp := range ports {
			if _, err := t.exec(ctx, `INSERT INTO instance_ports (instance_id, port_id, position) VALUES (?, ?, ?)`, id, cp.port.ID, i); err != nil {
				if isUnique(err) {
					return conflict("port "+cp.port.ID, "Port %s already belongs to another instance", cp.port.ID)
				}
				return fmt.Errorf("create instance %s: %w", r.Name, err)
			}
		}
		got, err := claim(ctx, t, claimRequest{ports: ports, host: r.Host, node: r.NUMANode, instancePolicy: r.NUMAPolicy, instance: id})
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, `UPDATE instances SET host_id = ?, numa_node = ? WHERE id = ?`, got.hostID, got.node, id)
		if err != nil {
			return fmt.Errorf("create instance %s: %w", r.Name, err)
		}
		out, _, err = getInstance(ctx, t, id)
		return err
	})
	if err != nil {
		return Instance{}, modelError(err)
	}
	return out, nil
}

// portByRef finds a port by id, or by name when exactly one port has it.
func portByRef(ctx context.Context, t *tx, ref string) (string, error) {
	rows, err := t.query(ctx, `SELECT id FROM neutron_ports WHERE id = ? UNION SELECT id FROM neutron_ports WHERE name = ? AND name <> ''`, ref, ref)
	if err != nil {
		return "", fmt.Errorf("find port %s: %w", ref, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return "", fmt.Errorf("find port %s: %w", ref, err)
		}
		ids = append(ids, id)
	}
	if err := closeRows(rows); err != nil {
		return "", fmt.Errorf("find port %s: %w", ref, err)
	}
	switch len(ids) {
	case 0:
		return "", notFound("port "+ref, "Port %s not found: create it first (openstack port create --vnic-type direct)", ref)
	case 1:
		return ids[0], nil
	}
	return "", conflict("port "+ref, "%d ports are named %s: give the port's id", len(ids), ref)
}

// instancePortFree refuses a port that is bound already (to another
// instance, or by an external compute service).
func instancePortFree(ctx context.Context, t *tx, p neutron.Port) error {
	var owner string
	err := t.queryRow(ctx, `SELECT i.name FROM instance_ports ip JOIN instances i ON i.id = ip.instance_id WHERE ip.port_id = ?`, p.ID).Scan(&owner)
	if err == nil {
		return conflict("port "+p.ID, "Port %s is a NIC of instance %s already; a port is one NIC of one instance", p.ID, owner)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("port %s: %w", p.ID, err)
	}
	if p.HostID != "" {
		return conflict("port "+p.ID, "Port %s is bound to host %s (binding:host_id, device %s); unbind it first (openstack port unset --host %s)",
			p.ID, p.HostID, orNoneStr(p.DeviceID), p.ID)
	}
	return nil
}

func orNoneStr(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// DeleteInstance releases the devices of instance ref's ports (each is
// reset by its agent before it can be claimed again) and deletes it; the
// ports remain, unbound.
func (s *Store) DeleteInstance(ctx context.Context, ref string) error {
	return s.neutronWrite(ctx, func(t *tx) error {
		in, _, err := getInstance(ctx, t, ref)
		if err != nil {
			return err
		}
		if err := releaseInstance(ctx, t, in); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM instances WHERE id = ?`, in.ID); err != nil {
			return fmt.Errorf("delete instance %s: %w", in.Name, err)
		}
		return nil
	})
}

// releaseInstance releases every port of in and clears their device.
func releaseInstance(ctx context.Context, t *tx, in Instance) error {
	for _, n := range in.NICs {
		if _, _, err := release(ctx, t, n.PortID, in.ID); err != nil {
			return err
		}
	}
	return nil
}

// MigrateInstance moves instance ref to another host, cold: its devices are
// released (and reset by the old host's agent), new ones claimed on host
// (or on a host the scheduler chooses, never the current one), in one
// transaction. live is refused for any instance with a direct or
// direct-physical port, which is every instance vfnet places.
func (s *Store) MigrateInstance(ctx context.Context, ref string, live bool, host string) (Instance, error) {
	var out Instance
	err := s.neutronWrite(ctx, func(t *tx) error {
		in, hostID, err := getInstance(ctx, t, ref)
		if err != nil {
			return err
		}
		if live {
			for _, n := range in.NICs {
				if neutron.IsSRIOV(n.VNICType) {
					return &model.Error{Code: model.ErrConflict, Object: "instance " + in.Name, Msg: fmt.Sprintf(
						"Instance %s cannot be live-migrated: port %s is %s, and SR-IOV (direct) and PCI passthrough (direct-physical) ports do not support live migration (the VF or PF is attached to the running VM). Migrate it cold: vfnet instance migrate %s",
						in.Name, n.PortID, n.VNICType, in.Name)}
				}
			}
		}
		if host != "" && host == in.Host {
			return conflict("instance "+in.Name, "Instance %s is on host %s already: name another host, or none to let vfnet choose", in.Name, host)
		}
		if err := releaseInstance(ctx, t, in); err != nil {
			return err
		}
		var ports []claimPort
		for _, n := range in.NICs {
			cp, err := readClaimPort(ctx, t, n.PortID)
			if err != nil {
				return err
			}
			ports = append(ports, cp)
		}
		var node *int
		if in.Pinned {
			node = &in.NUMANode
		}
		got, err := claim(ctx, t, claimRequest{ports: ports, host: host, exclude: hostID, node: node, instance: in.ID})
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, `UPDATE instances SET host_id = ?, numa_node = ?, updated_at = ? WHERE id = ?`, got.hostID, got.node, nanos(t.now), in.ID)
		if err != nil {
			return fmt.Errorf("migrate instance %s: %w", in.Name, err)
		}
		out, _, err = getInstance(ctx, t, in.ID)
		return err
	})
	if err != nil {
		return Instance{}, modelError(err)
	}
	return out, nil
}

// modelError gives the refusals of the claim path (*sched.Error) and of the
// Neutron objects (*neutron.Error) the model's error classes, so that /v1
// maps them like its own; the cause stays reachable with errors.Is.
func modelError(err error) error {
	var se *sched.Error
	if errors.As(err, &se) {
		return &model.Error{Code: model.CodeOf(se), Object: "port " + se.Port, Msg: se.Msg, Err: se.Reason}
	}
	var ne *neutron.Error
	if errors.As(err, &ne) {
		code := model.ErrInternal
		switch {
		case ne.Status == http.StatusNotFound:
			code = model.ErrNotFound
		case ne.Status == http.StatusConflict:
			code = model.ErrConflict
		case ne.Status == http.StatusBadRequest:
			code = model.ErrInvalid
		case ne.Status == http.StatusForbidden:
			code = model.ErrForbidden
		}
		return &model.Error{Code: code, Msg: ne.Message, Err: ne}
	}
	return err
}
