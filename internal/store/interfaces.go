package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"vfnet/internal/model"
)

// findInterface finds an interface of c by uuid or name.
func findInterface(h model.Host, c model.HostConfig, ref string) (model.Interface, error) {
	if i, ok := c.Interface(ref); ok {
		return i, nil
	}
	if i, ok := c.InterfaceByName(ref); ok {
		return i, nil
	}
	return model.Interface{}, notFound("interface "+h.Hostname+"/"+ref,
		"Interface %s not found on host %s: see vfnet host-if-list %s", ref, h.Hostname, h.Hostname)
}

// hostInterface reads host ref, its configuration and its interface ifRef
// (uuid or name).
func hostInterface(ctx context.Context, t *tx, ref, ifRef string) (model.Host, model.HostConfig, model.Interface, error) {
	h, c, err := hostAndConfig(ctx, t, ref)
	if err != nil {
		return h, c, model.Interface{}, err
	}
	cur, err := findInterface(h, c, ifRef)
	return h, c, cur, err
}

// Interfaces returns host ref's interfaces in creation order, derived
// fields filled in.
func (s *Store) Interfaces(ctx context.Context, ref string) ([]model.Interface, error) {
	_, c, err := s.Config(ctx, ref)
	return c.Interfaces, err
}

// Interface returns the interface ifRef (name or uuid) of host ref.
func (s *Store) Interface(ctx context.Context, ref, ifRef string) (model.Interface, error) {
	h, c, err := s.Config(ctx, ref)
	if err != nil {
		return model.Interface{}, err
	}
	return findInterface(h, c, ifRef)
}

// AddInterface creates an interface on host ref after model.CreateInterface
// accepts it; in.Uses names the lower interfaces.
func (s *Store) AddInterface(ctx context.Context, ref string, in model.Interface) (model.Interface, error) {
	var out model.Interface
	err := s.write(ctx, func(t *tx) error {
		h, c, err := hostAndConfig(ctx, t, ref)
		if err != nil {
			return err
		}
		in.ID = uuid.NewString()
		ifc, err := model.CreateInterface(h, c, in)
		if err != nil {
			return err
		}
		out, err = commitInterface(ctx, t, h, c, ifc, true)
		return err
	})
	return out, err
}

// ModifyInterface changes interface ifRef of host ref after
// model.ModifyInterface accepts the patch.
func (s *Store) ModifyInterface(ctx context.Context, ref, ifRef string, patch model.InterfacePatch) (model.Interface, error) {
	var out model.Interface
	err := s.write(ctx, func(t *tx) error {
		h, c, cur, err := hostInterface(ctx, t, ref, ifRef)
		if err != nil {
			return err
		}
		ifc, err := model.ModifyInterface(h, c, cur.ID, patch)
		if err != nil {
			return err
		}
		out, err = commitInterface(ctx, t, h, c, ifc, false)
		return err
	})
	return out, err
}

// DeleteInterface deletes interface ifRef of host ref, with its data
// network assignments, after model.DeleteInterface accepts it.
func (s *Store) DeleteInterface(ctx context.Context, ref, ifRef string) error {
	return s.write(ctx, func(t *tx) error {
		h, c, cur, err := hostInterface(ctx, t, ref, ifRef)
		if err != nil {
			return err
		}
		if err := model.DeleteInterface(h, c, cur.ID); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM interfaces WHERE id = ?`, cur.ID); err != nil {
			return fmt.Errorf("delete interface %s/%s: %w", h.Hostname, cur.Name, err)
		}
		return bumpRevision(ctx, t, h.ID)
	})
}

// commitInterface saves ifc, a rule's answer over c, bumps the host's
// revision and returns ifc as stored, derived fields filled in.
func commitInterface(ctx context.Context, t *tx, h model.Host, c model.HostConfig, ifc model.Interface, create bool) (model.Interface, error) {
	if err := saveInterface(ctx, t, h, c, ifc, create); err != nil {
		return model.Interface{}, err
	}
	if err := bumpRevision(ctx, t, h.ID); err != nil {
		return model.Interface{}, err
	}
	return reloadInterface(ctx, t, h, ifc.ID)
}

func reloadInterface(ctx context.Context, t *tx, h model.Host, id string) (model.Interface, error) {
	c, err := loadConfig(ctx, t, h)
	if err != nil {
		return model.Interface{}, err
	}
	i, _ := c.Derive().Interface(id)
	return i, nil
}

// saveInterface writes ifc, as a rule returned it, over the configuration
// c it was checked against: its row and its lower interfaces, which c
// resolves from names to ids.
func saveInterface(ctx context.Context, t *tx, h model.Host, c model.HostConfig, ifc model.Interface, create bool) error {
	obj := h.Hostname + "/" + ifc.Name
	port := sql.NullString{String: ifc.PortID, Valid: ifc.PortID != ""}
	var err error
	if create {
		_, err = t.exec(ctx, `INSERT INTO interfaces (`+interfaceColumns+`, seq, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
				(SELECT COALESCE(MAX(seq), 0) + 1 FROM interfaces WHERE host_id = ?), ?, ?)`,
			ifc.ID, h.ID, ifc.Name, ifc.Type, ifc.Class, ifc.MTU, ifc.SRIOVNumVFs, ifc.SRIOVVFDriver, ifc.MaxTxRate,
			ifc.AEMode, ifc.VLANID, port, h.ID, nanos(t.now), nanos(t.now))
	} else {
		_, err = t.exec(ctx, `UPDATE interfaces SET name = ?, type = ?, class = ?, mtu = ?, sriov_numvfs = ?,
			sriov_vf_driver = ?, max_tx_rate = ?, ae_mode = ?, vlan_id = ?, port_id = ?, updated_at = ? WHERE id = ?`,
			ifc.Name, ifc.Type, ifc.Class, ifc.MTU, ifc.SRIOVNumVFs, ifc.SRIOVVFDriver, ifc.MaxTxRate, ifc.AEMode,
			ifc.VLANID, port, nanos(t.now), ifc.ID)
	}
	if isUnique(err) {
		// The rules checked names and ports against c; a concurrent
		// transaction on SQLite cannot interleave, so this is a PostgreSQL
		// race lost without a serialization failure.
		return conflict("interface "+obj, "Interface %s: its name or port was taken concurrently; list the interfaces and retry", obj)
	}
	if err != nil {
		return fmt.Errorf("save interface %s: %w", obj, err)
	}
	if !create {
		if old, _ := c.Interface(ifc.ID); slices.Equal(old.Uses, ifc.Uses) {
			return nil
		}
		if _, err := t.exec(ctx, `DELETE FROM interface_lowers WHERE interface_id = ?`, ifc.ID); err != nil {
			return fmt.Errorf("save interface %s: %w", obj, err)
		}
	}
	for k, name := range ifc.Uses {
		lower, ok := c.InterfaceByName(name)
		if !ok {
			return notFound("interface "+obj, "Interface %s: lower interface %s does not exist on host %s", obj, name, h.Hostname)
		}
		if _, err := t.exec(ctx, `INSERT INTO interface_lowers (interface_id, lower_id, position) VALUES (?, ?, ?)`,
			ifc.ID, lower.ID, k); err != nil {
			return fmt.Errorf("save interface %s: lower %s: %w", obj, name, err)
		}
	}
	return nil
}
