package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"vfnet/internal/model"
)

const portColumns = `id, host_id, name, pciaddr, pvendor, pdevice, psvendor, psdevice, driver, numa_node, mac, mtu,
	speed, link, sriov_totalvfs, sriov_numvfs, sriov_vfs_pci_address, sriov_vf_driver, sriov_vf_pdevice_id,
	sriov_drivers_autoprobe`

func scanPort(row interface{ Scan(...any) error }) (model.Port, error) {
	var p model.Port
	var total sql.NullInt64
	var vfs string
	err := row.Scan(&p.ID, &p.HostID, &p.Name, &p.PCIAddr, &p.PVendor, &p.PDevice, &p.PSVendor, &p.PSDevice,
		&p.Driver, &p.NUMANode, &p.MAC, &p.MTU, &p.Speed, &p.Link, &total, &p.SRIOVNumVFs, &vfs,
		&p.SRIOVVFDriver, &p.SRIOVVFPDeviceID, &p.SRIOVDriversAutoprobe)
	if err != nil {
		return p, err
	}
	if total.Valid {
		n := int(total.Int64)
		p.SRIOVTotalVFs = &n
	}
	if err := json.Unmarshal([]byte(vfs), &p.SRIOVVFsPCIAddress); err != nil {
		return p, fmt.Errorf("port %s: sriov_vfs_pci_address: %w", p.PCIAddr, err)
	}
	return p, nil
}

const interfaceColumns = `id, host_id, name, type, class, mtu, sriov_numvfs, sriov_vf_driver, max_tx_rate, ae_mode, vlan_id, port_id`

func scanInterface(row interface{ Scan(...any) error }) (model.Interface, error) {
	var i model.Interface
	var port sql.NullString
	err := row.Scan(&i.ID, &i.HostID, &i.Name, &i.Type, &i.Class, &i.MTU, &i.SRIOVNumVFs, &i.SRIOVVFDriver,
		&i.MaxTxRate, &i.AEMode, &i.VLANID, &port)
	i.PortID = port.String
	return i, err
}

const dataNetworkColumns = `id, name, type, mtu, description, segment_ranges`

func scanDataNetwork(row interface{ Scan(...any) error }) (model.DataNetwork, error) {
	var d model.DataNetwork
	var ranges string
	if err := row.Scan(&d.ID, &d.Name, &d.NetworkType, &d.MTU, &d.Description, &ranges); err != nil {
		return d, err
	}
	if err := json.Unmarshal([]byte(ranges), &d.SegmentRanges); err != nil {
		return d, fmt.Errorf("datanetwork %s: segment_ranges: %w", d.Name, err)
	}
	return d, nil
}

// The queries of loadConfig, which every request about a host runs; their
// plans are checked in plan_test.go.
const (
	qPortsOfHost      = `SELECT ` + portColumns + ` FROM ports WHERE host_id = ? ORDER BY pciaddr`
	qInterfacesOfHost = `SELECT ` + interfaceColumns + ` FROM interfaces WHERE host_id = ? ORDER BY seq`
	qLowersOfHost     = `SELECT l.interface_id, l.lower_id FROM interface_lowers l
		JOIN interfaces i ON i.id = l.interface_id WHERE i.host_id = ? ORDER BY l.interface_id, l.position`
	qAssignmentsOfHost = `SELECT a.id, a.interface_id, a.datanetwork_id FROM interface_datanetworks a
		JOIN interfaces i ON i.id = a.interface_id WHERE i.host_id = ? ORDER BY a.created_at, a.id`
)

// loadConfig reads host h's configuration: the input of every per-host
// rule. Ports are in PCI address order, interfaces in creation order.
func loadConfig(ctx context.Context, t *tx, h model.Host) (model.HostConfig, error) {
	var c model.HostConfig
	wrap := func(err error) error { return fmt.Errorf("read configuration of host %s: %w", h.Hostname, err) }
	rows, err := t.query(ctx, qPortsOfHost, h.ID)
	if err != nil {
		return c, wrap(err)
	}
	for rows.Next() {
		p, err := scanPort(rows)
		if err != nil {
			rows.Close()
			return c, wrap(err)
		}
		c.Ports = append(c.Ports, p)
	}
	if err := closeRows(rows); err != nil {
		return c, wrap(err)
	}

	rows, err = t.query(ctx, qInterfacesOfHost, h.ID)
	if err != nil {
		return c, wrap(err)
	}
	names := map[string]string{} // id -> name
	index := map[string]int{}
	for rows.Next() {
		i, err := scanInterface(rows)
		if err != nil {
			rows.Close()
			return c, wrap(err)
		}
		names[i.ID] = i.Name
		index[i.ID] = len(c.Interfaces)
		c.Interfaces = append(c.Interfaces, i)
	}
	if err := closeRows(rows); err != nil {
		return c, wrap(err)
	}

	rows, err = t.query(ctx, qLowersOfHost, h.ID)
	if err != nil {
		return c, wrap(err)
	}
	for rows.Next() {
		var upper, lower string
		if err := rows.Scan(&upper, &lower); err != nil {
			rows.Close()
			return c, wrap(err)
		}
		k := index[upper]
		c.Interfaces[k].Uses = append(c.Interfaces[k].Uses, names[lower])
	}
	if err := closeRows(rows); err != nil {
		return c, wrap(err)
	}

	rows, err = t.query(ctx, qAssignmentsOfHost, h.ID)
	if err != nil {
		return c, wrap(err)
	}
	for rows.Next() {
		var a model.InterfaceDataNetwork
		if err := rows.Scan(&a.ID, &a.InterfaceID, &a.DataNetworkID); err != nil {
			rows.Close()
			return c, wrap(err)
		}
		c.Assignments = append(c.Assignments, a)
	}
	if err := closeRows(rows); err != nil {
		return c, wrap(err)
	}

	// Every data network: the rules need the assigned ones and the one being
	// assigned, and there are few.
	if c.DataNetworks, err = listDataNetworks(ctx, t); err != nil {
		return c, wrap(err)
	}
	return c, nil
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

// hostAndConfig reads host ref and its configuration.
func hostAndConfig(ctx context.Context, t *tx, ref string) (model.Host, model.HostConfig, error) {
	h, err := getHost(ctx, t, ref)
	if err != nil {
		return h, model.HostConfig{}, err
	}
	c, err := loadConfig(ctx, t, h)
	return h, c, err
}

// Config returns host ref and its configuration with every computed field
// filled in (used_by, data network names, VF addresses, port owners).
func (s *Store) Config(ctx context.Context, ref string) (model.Host, model.HostConfig, error) {
	var h model.Host
	var c model.HostConfig
	err := s.read(ctx, func(t *tx) (err error) {
		h, c, err = hostAndConfig(ctx, t, ref)
		return err
	})
	return h, c.Derive(), err
}
