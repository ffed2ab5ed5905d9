package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"vfnet/internal/inventory"
	"vfnet/internal/model"
)

// reported is an agent's report as the store keeps it.
type reported struct {
	Ports     []model.Port
	NUMANodes []model.NUMANode
}

func (inv reported) validate(host string) error {
	seen := map[string]bool{}
	for _, p := range inv.Ports {
		if p.PCIAddr == "" {
			return invalid("host "+host, "Inventory of host %s: a port has no pciaddr; every port is reported with its PCI address", host)
		}
		if seen[p.PCIAddr] {
			return invalid("host "+host, "Inventory of host %s: port %s is reported twice; report each PCI function once", host, p.PCIAddr)
		}
		seen[p.PCIAddr] = true
		if p.SRIOVTotalVFs != nil && (*p.SRIOVTotalVFs < 0 || p.SRIOVNumVFs > *p.SRIOVTotalVFs) {
			return invalid("host "+host, "Inventory of host %s: port %s reports sriov_numvfs %d beyond sriov_totalvfs %d", host, p.PCIAddr, p.SRIOVNumVFs, *p.SRIOVTotalVFs)
		}
		if p.SRIOVNumVFs < 0 || len(p.SRIOVVFsPCIAddress) != p.SRIOVNumVFs {
			return invalid("host "+host, "Inventory of host %s: port %s reports sriov_numvfs %d with %d VF addresses; they must agree", host, p.PCIAddr, p.SRIOVNumVFs, len(p.SRIOVVFsPCIAddress))
		}
	}
	return nil
}

// ReportInventory replaces host ref's ports with the reported ones. A port
// keeps its id as long as its PCI address is reported, so interfaces keep
// their port; a port reported for the first time gets an ethernet interface
// of class none, as in StarlingX; a port no longer reported is deleted, with
// its interface if that was never configured. The host is marked as heard
// from.
func (s *Store) ReportInventory(ctx context.Context, ref string, report inventory.Report) (model.Host, error) {
	inv := fromReport(report)
	var h model.Host
	err := s.write(ctx, func(t *tx) error {
		var c model.HostConfig
		var err error
		h, c, err = hostAndConfig(ctx, t, ref)
		if err != nil {
			return err
		}
		if err := inv.validate(h.Hostname); err != nil {
			return err
		}
		old := map[string]model.Port{}
		for _, p := range c.Ports {
			old[p.PCIAddr] = p
		}
		reported := map[string]bool{}
		for _, p := range inv.Ports {
			reported[p.PCIAddr] = true
			p.HostID, p.InterfaceID = h.ID, ""
			if p.SRIOVVFsPCIAddress == nil {
				p.SRIOVVFsPCIAddress = []string{}
			}
			if o, ok := old[p.PCIAddr]; ok {
				p.ID = o.ID
				if o.SRIOVVFsPCIAddress == nil {
					o.SRIOVVFsPCIAddress = []string{}
				}
				if cmp.Equal(o, p) {
					continue // most reports change nothing: write nothing
				}
				if err := savePort(ctx, t, p, false); err != nil {
					return err
				}
				continue
			}
			p.ID = uuid.NewString()
			if err := savePort(ctx, t, p, true); err != nil {
				return err
			}
			c.Ports = append(c.Ports, p)
			ifc := model.Interface{ID: uuid.NewString(), Name: freeIfName(c, p), Type: model.IfTypeEthernet,
				Class: model.IfClassNone, PortID: p.ID, MTU: model.DefaultMTU}
			if err := saveInterface(ctx, t, h, c, ifc, true); err != nil {
				return err
			}
			c.Interfaces = append(c.Interfaces, ifc)
		}
		for _, p := range c.Ports {
			if reported[p.PCIAddr] {
				continue
			}
			// An interface that was never configured goes with its port; a
			// configured one stays, without its port, for the operator to
			// see (unlock refuses it until a port is back).
			for _, i := range c.Interfaces {
				if i.PortID == p.ID && i.Class == model.IfClassNone && len(c.Uppers(i.Name)) == 0 {
					if _, err := t.exec(ctx, `DELETE FROM interfaces WHERE id = ?`, i.ID); err != nil {
						return fmt.Errorf("inventory of host %s: delete interface %s: %w", h.Hostname, i.Name, err)
					}
				}
			}
			if _, err := t.exec(ctx, `DELETE FROM ports WHERE id = ?`, p.ID); err != nil {
				return fmt.Errorf("inventory of host %s: delete port %s: %w", h.Hostname, p.PCIAddr, err)
			}
		}
		numa := inv.NUMANodes
		if numa == nil {
			numa = []model.NUMANode{}
		}
		b, err := json.Marshal(numa)
		if err != nil {
			return fmt.Errorf("inventory of host %s: %w", h.Hostname, err)
		}
		h.NUMANodes, h.LastReport, h.Operational = numa, t.now, model.OperEnabled
		if _, err := t.exec(ctx, `UPDATE hosts SET numa_nodes = ?, last_report = ?, last_heartbeat = ?, operational = ?, updated_at = ? WHERE id = ?`,
			string(b), nanos(t.now), nanos(t.now), h.Operational, nanos(t.now), h.ID); err != nil {
			return fmt.Errorf("inventory of host %s: %w", h.Hostname, err)
		}
		return refreshOperational(ctx, t, h.ID, &h)
	})
	return h, err
}

func savePort(ctx context.Context, t *tx, p model.Port, create bool) error {
	vfs, err := json.Marshal(p.SRIOVVFsPCIAddress)
	if err != nil {
		return fmt.Errorf("save port %s: %w", p.PCIAddr, err)
	}
	var total sql.NullInt64
	if p.SRIOVTotalVFs != nil {
		total = sql.NullInt64{Int64: int64(*p.SRIOVTotalVFs), Valid: true}
	}
	args := []any{p.Name, p.PVendor, p.PDevice, p.PSVendor, p.PSDevice, p.Driver, p.NUMANode, p.MAC, p.MTU,
		p.Speed, p.Link, total, p.SRIOVNumVFs, string(vfs), p.SRIOVVFDriver, p.SRIOVVFPDeviceID,
		p.SRIOVDriversAutoprobe, nanos(t.now)}
	if create {
		_, err = t.exec(ctx, `INSERT INTO ports (name, pvendor, pdevice, psvendor, psdevice, driver, numa_node, mac, mtu,
			speed, link, sriov_totalvfs, sriov_numvfs, sriov_vfs_pci_address, sriov_vf_driver, sriov_vf_pdevice_id,
			sriov_drivers_autoprobe, updated_at, created_at, id, host_id, pciaddr)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(args, nanos(t.now), p.ID, p.HostID, p.PCIAddr)...)
	} else {
		_, err = t.exec(ctx, `UPDATE ports SET name = ?, pvendor = ?, pdevice = ?, psvendor = ?, psdevice = ?, driver = ?,
			numa_node = ?, mac = ?, mtu = ?, speed = ?, link = ?, sriov_totalvfs = ?, sriov_numvfs = ?,
			sriov_vfs_pci_address = ?, sriov_vf_driver = ?, sriov_vf_pdevice_id = ?, sriov_drivers_autoprobe = ?,
			updated_at = ? WHERE id = ?`, append(args, p.ID)...)
	}
	if err != nil {
		return fmt.Errorf("save port %s: %w", p.PCIAddr, err)
	}
	return nil
}

// freeIfName names the interface of a new port: its netdev name, or one
// made from its PCI address when no netdev driver is bound, made unique on
// the host.
func freeIfName(c model.HostConfig, p model.Port) string {
	base := p.Name
	if base == "" || len(base) > 15 || strings.ContainsAny(base, "/: ") {
		// 0000:3b:00.0 -> pci3b00f0
		a := strings.TrimPrefix(p.PCIAddr, "0000:")
		base = "pci" + strings.NewReplacer(":", "", ".", "f").Replace(a)
		if len(base) > 15 {
			base = base[:15]
		}
	}
	name := base
	for n := 1; ; n++ {
		if _, taken := c.InterfaceByName(name); !taken {
			return name
		}
		suffix := fmt.Sprintf("-%d", n)
		name = base[:min(len(base), 15-len(suffix))] + suffix
	}
}

// Ports returns host ref's ports in PCI address order.
func (s *Store) Ports(ctx context.Context, ref string) ([]model.Port, error) {
	_, c, err := s.Config(ctx, ref)
	return c.Ports, err
}

// Port returns the port portRef (netdev name, PCI address or uuid) of host
// ref.
func (s *Store) Port(ctx context.Context, ref, portRef string) (model.Port, error) {
	h, c, err := s.Config(ctx, ref)
	if err != nil {
		return model.Port{}, err
	}
	for _, p := range c.Ports {
		if p.ID == portRef || p.PCIAddr == portRef || (p.Name != "" && p.Name == portRef) {
			return p, nil
		}
	}
	return model.Port{}, notFound("port "+h.Hostname+"/"+portRef, "Port %s not found on host %s: see vfnet host-port-list %s", portRef, h.Hostname, h.Hostname)
}

// LockHost locks host ref after model.CheckLock accepts it.
func (s *Store) LockHost(ctx context.Context, ref string) (model.Host, error) {
	var h model.Host
	err := s.write(ctx, func(t *tx) error {
		var err error
		if h, err = getHost(ctx, t, ref); err != nil {
			return err
		}
		blockers, err := lockBlockers(ctx, t, h.ID)
		if err != nil {
			return err
		}
		if err := model.CheckLock(h, blockers); err != nil {
			return err
		}
		return setAdmin(ctx, t, &h, model.AdminLocked)
	})
	return h, err
}

// UnlockHost unlocks host ref after model.CheckUnlock accepts its
// configuration and the agent's report of it; force skips only the latter.
func (s *Store) UnlockHost(ctx context.Context, ref string, force bool) (model.Host, error) {
	var h model.Host
	err := s.write(ctx, func(t *tx) error {
		var c model.HostConfig
		var err error
		if h, c, err = hostAndConfig(ctx, t, ref); err != nil {
			return err
		}
		if err := model.CheckUnlock(h, c, force); err != nil {
			return err
		}
		if err := setAdmin(ctx, t, &h, model.AdminUnlocked); err != nil {
			return err
		}
		return syncDevices(ctx, t, h, c)
	})
	return h, err
}
