package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"vfnet/internal/model"
)

func listDataNetworks(ctx context.Context, t *tx) ([]model.DataNetwork, error) {
	rows, err := t.query(ctx, `SELECT `+dataNetworkColumns+` FROM datanetworks ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list data networks: %w", err)
	}
	var out []model.DataNetwork
	for rows.Next() {
		d, err := scanDataNetwork(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list data networks: %w", err)
		}
		out = append(out, d)
	}
	return out, closeRows(rows)
}

const qDataNetworkByRef = `SELECT ` + dataNetworkColumns + ` FROM datanetworks WHERE id = ? OR name = ?`

func getDataNetwork(ctx context.Context, t *tx, ref string) (model.DataNetwork, error) {
	d, err := scanDataNetwork(t.queryRow(ctx, qDataNetworkByRef, ref, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return d, notFound("datanetwork "+ref, "Data network %s not found: see vfnet datanetwork-list", ref)
	}
	if err != nil {
		return d, fmt.Errorf("read data network %s: %w", ref, err)
	}
	return d, nil
}

const qDataNetworkUsers = `SELECT h.name, i.name, i.mtu FROM interface_datanetworks a
	JOIN interfaces i ON i.id = a.interface_id JOIN hosts h ON h.id = i.host_id
	WHERE a.datanetwork_id = ? ORDER BY h.name, i.name`

// dataNetworkUsers gathers what refers to data network id, across hosts.
func dataNetworkUsers(ctx context.Context, t *tx, id string) (model.DataNetworkUsers, error) {
	var u model.DataNetworkUsers
	rows, err := t.query(ctx, qDataNetworkUsers, id)
	if err != nil {
		return u, fmt.Errorf("read users of data network %s: %w", id, err)
	}
	for rows.Next() {
		var iu model.InterfaceUse
		if err := rows.Scan(&iu.Host, &iu.Interface, &iu.MTU); err != nil {
			rows.Close()
			return u, fmt.Errorf("read users of data network %s: %w", id, err)
		}
		u.Interfaces = append(u.Interfaces, iu)
	}
	if err := closeRows(rows); err != nil {
		return u, fmt.Errorf("read users of data network %s: %w", id, err)
	}
	u.Networks, err = neutronNetworkUsers(ctx, t, id) // networks.go
	return u, err
}

func rangesJSON(d model.DataNetwork) string {
	if d.SegmentRanges == nil {
		return "[]"
	}
	b, _ := json.Marshal(d.SegmentRanges) // plain ints: cannot fail
	return string(b)
}

// DataNetworks returns every data network, by name.
func (s *Store) DataNetworks(ctx context.Context) ([]model.DataNetwork, error) {
	var out []model.DataNetwork
	err := s.read(ctx, func(t *tx) (err error) {
		out, err = listDataNetworks(ctx, t)
		return err
	})
	return out, err
}

// DataNetwork returns the data network ref (name or uuid).
func (s *Store) DataNetwork(ctx context.Context, ref string) (model.DataNetwork, error) {
	var out model.DataNetwork
	err := s.read(ctx, func(t *tx) (err error) {
		out, err = getDataNetwork(ctx, t, ref)
		return err
	})
	return out, err
}

// CreateDataNetwork stores a new data network after
// model.CreateDataNetwork accepts it.
func (s *Store) CreateDataNetwork(ctx context.Context, in model.DataNetwork) (model.DataNetwork, error) {
	var out model.DataNetwork
	err := s.write(ctx, func(t *tx) error {
		existing, err := listDataNetworks(ctx, t)
		if err != nil {
			return err
		}
		in.ID = uuid.NewString()
		d, err := model.CreateDataNetwork(existing, in)
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, `INSERT INTO datanetworks (`+dataNetworkColumns+`, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.Name, d.NetworkType, d.MTU, d.Description, rangesJSON(d), nanos(t.now), nanos(t.now))
		if isUnique(err) {
			return conflict("datanetwork "+d.Name, "Data network %s already exists; choose another name, or use the existing one", d.Name)
		}
		if err != nil {
			return fmt.Errorf("create data network %s: %w", d.Name, err)
		}
		out = d
		return nil
	})
	return out, err
}

// ModifyDataNetwork changes data network ref after model.ModifyDataNetwork
// accepts the patch.
func (s *Store) ModifyDataNetwork(ctx context.Context, ref string, patch model.DataNetworkPatch) (model.DataNetwork, error) {
	var out model.DataNetwork
	err := s.write(ctx, func(t *tx) error {
		cur, err := getDataNetwork(ctx, t, ref)
		if err != nil {
			return err
		}
		users, err := dataNetworkUsers(ctx, t, cur.ID)
		if err != nil {
			return err
		}
		d, err := model.ModifyDataNetwork(cur, patch, users)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE datanetworks SET mtu = ?, description = ?, segment_ranges = ?, updated_at = ? WHERE id = ?`,
			d.MTU, d.Description, rangesJSON(d), nanos(t.now), d.ID); err != nil {
			return fmt.Errorf("modify data network %s: %w", d.Name, err)
		}
		out = d
		return nil
	})
	return out, err
}

// DeleteDataNetwork deletes data network ref after model.DeleteDataNetwork
// finds nothing using it.
func (s *Store) DeleteDataNetwork(ctx context.Context, ref string) error {
	return s.write(ctx, func(t *tx) error {
		cur, err := getDataNetwork(ctx, t, ref)
		if err != nil {
			return err
		}
		users, err := dataNetworkUsers(ctx, t, cur.ID)
		if err != nil {
			return err
		}
		if err := model.DeleteDataNetwork(cur, users); err != nil {
			return err
		}
		_, err = t.exec(ctx, `DELETE FROM datanetworks WHERE id = ?`, cur.ID)
		if isForeignKey(err) {
			return conflict("datanetwork "+cur.Name, "Data network %s was assigned concurrently; remove its assignments first", cur.Name)
		}
		if err != nil {
			return fmt.Errorf("delete data network %s: %w", cur.Name, err)
		}
		return nil
	})
}

// Assignment is an interface-datanetwork assignment with the names an
// operator reads.
type Assignment struct {
	ID              string            `json:"id"`
	Host            string            `json:"hostname"`
	InterfaceID     string            `json:"interface_id"`
	Interface       string            `json:"ifname"`
	DataNetworkID   string            `json:"datanetwork_id"`
	DataNetwork     string            `json:"datanetwork_name"`
	DataNetworkType model.NetworkType `json:"network_type"`
}

func assignmentView(h model.Host, c model.HostConfig, a model.InterfaceDataNetwork) Assignment {
	i, _ := c.Interface(a.InterfaceID)
	d, _ := c.DataNetwork(a.DataNetworkID)
	return Assignment{ID: a.ID, Host: h.Hostname, InterfaceID: i.ID, Interface: i.Name,
		DataNetworkID: d.ID, DataNetwork: d.Name, DataNetworkType: d.NetworkType}
}

// Assignments returns host ref's interface-datanetwork assignments.
func (s *Store) Assignments(ctx context.Context, ref string) ([]Assignment, error) {
	h, c, err := s.Config(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := []Assignment{}
	for _, a := range c.Assignments {
		out = append(out, assignmentView(h, c, a))
	}
	return out, nil
}

// AssignDataNetwork assigns data network dnRef to interface ifRef of host
// ref after model.AssignDataNetwork accepts it; an interface of class none
// becomes data.
func (s *Store) AssignDataNetwork(ctx context.Context, ref, ifRef, dnRef string) (Assignment, error) {
	var out Assignment
	err := s.write(ctx, func(t *tx) error {
		h, c, cur, err := hostInterface(ctx, t, ref, ifRef)
		if err != nil {
			return err
		}
		d, err := getDataNetwork(ctx, t, dnRef)
		if err != nil {
			return err
		}
		a := model.InterfaceDataNetwork{ID: uuid.NewString(), InterfaceID: cur.ID, DataNetworkID: d.ID}
		ifc, err := model.AssignDataNetwork(h, c, a)
		if err != nil {
			return err
		}
		if ifc.Class != cur.Class {
			if _, err := t.exec(ctx, `UPDATE interfaces SET class = ?, updated_at = ? WHERE id = ?`, ifc.Class, nanos(t.now), ifc.ID); err != nil {
				return fmt.Errorf("assign %s to %s/%s: %w", d.Name, h.Hostname, cur.Name, err)
			}
		}
		_, err = t.exec(ctx, `INSERT INTO interface_datanetworks (id, interface_id, datanetwork_id, created_at) VALUES (?, ?, ?, ?)`,
			a.ID, a.InterfaceID, a.DataNetworkID, nanos(t.now))
		if isUnique(err) {
			return conflict("interface "+h.Hostname+"/"+cur.Name, "Data network %s is already assigned to interface %s on host %s; nothing to do", d.Name, cur.Name, h.Hostname)
		}
		if isForeignKey(err) {
			return conflict("datanetwork "+d.Name, "Data network %s was deleted concurrently; create it again", d.Name)
		}
		if err != nil {
			return fmt.Errorf("assign %s to %s/%s: %w", d.Name, h.Hostname, cur.Name, err)
		}
		c.Assignments = append(c.Assignments, a)
		out = assignmentView(h, c, a)
		return bumpRevision(ctx, t, h.ID)
	})
	return out, err
}

// RemoveDataNetwork removes data network dnRef from interface ifRef of host
// ref after model.RemoveDataNetwork accepts it.
func (s *Store) RemoveDataNetwork(ctx context.Context, ref, ifRef, dnRef string) error {
	return s.write(ctx, func(t *tx) error {
		h, c, cur, err := hostInterface(ctx, t, ref, ifRef)
		if err != nil {
			return err
		}
		d, err := getDataNetwork(ctx, t, dnRef)
		if err != nil {
			return err
		}
		id := ""
		for _, a := range c.Assignments {
			if a.InterfaceID == cur.ID && a.DataNetworkID == d.ID {
				id = a.ID
			}
		}
		if id == "" {
			return notFound("interface "+h.Hostname+"/"+cur.Name, "Data network %s is not assigned to interface %s on host %s: see vfnet interface-datanetwork-list %s",
				d.Name, cur.Name, h.Hostname, h.Hostname)
		}
		if err := model.RemoveDataNetwork(h, c, id); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM interface_datanetworks WHERE id = ?`, id); err != nil {
			return fmt.Errorf("remove %s from %s/%s: %w", d.Name, h.Hostname, cur.Name, err)
		}
		return bumpRevision(ctx, t, h.ID)
	})
}
