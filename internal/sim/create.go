package sim

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"vfnet/internal/kernel"
)

// Create lays out a simulated host in dir: a sysfs tree under dir/sys with the
// files and formats of spec/kernel.md, every PF bound to its driver with 0
// VFs and autoprobe on, and the state file. dir must not hold a host yet.
func Create(dir string, spec HostSpec) error {
	pfs, err := spec.plan()
	if err != nil {
		return fmt.Errorf("create simulated host in %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err == nil {
		return fmt.Errorf("create simulated host in %s: a host is already there (remove the directory first)", dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("create simulated host in %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sys"), 0o755); err != nil {
		return fmt.Errorf("create simulated host in %s: %w", dir, err)
	}
	if err := build(dir, spec, pfs); err != nil {
		return fmt.Errorf("create simulated host in %s: %w", dir, err)
	}
	return nil
}

func build(dir string, spec HostSpec, pfs []plannedPF) error {
	t := newTree(dir)
	st := &state{Hostname: spec.Hostname, PFs: map[string]*pfState{}, Drivers: map[string][]string{}, Writes: map[Op]int{}}

	for n := 0; n < spec.numaNodes(); n++ {
		node := kernel.NUMANode{ID: n, CPUList: spec.cpulist(n)}
		st.NUMANodes = append(st.NUMANodes, node)
		if err := t.write(fmt.Sprintf("devices/system/node/node%d/cpulist", n), node.CPUList); err != nil {
			return err
		}
	}
	if err := t.write("devices/system/node/online", fmt.Sprintf("0-%d", spec.numaNodes()-1)); err != nil {
		return err
	}
	if err := os.MkdirAll(t.abs("bus/pci"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(t.abs("bus/pci/drivers_probe"), nil, 0o200); err != nil {
		return err
	}

	// Drivers: every model's PF and VF driver claims its IDs; vfio-pci and
	// pci-stub claim none and bind only through driver_override.
	ids := map[string]map[string]bool{"vfio-pci": {}, "pci-stub": {}}
	claim := func(drv string, vendor, device uint16) {
		if ids[drv] == nil {
			ids[drv] = map[string]bool{}
		}
		ids[drv][pciID(vendor, device)] = true
	}
	for _, pf := range pfs {
		claim(pf.Model.PFDriver, pf.Model.Vendor, pf.Model.Device)
		if s := pf.Model.SRIOV; s != nil {
			claim(s.VFDriver, pf.Model.Vendor, s.VFDevice)
		}
	}
	for drv, set := range ids {
		list := []string{}
		for id := range set {
			list = append(list, id)
		}
		sort.Strings(list)
		st.Drivers[drv] = list
		if err := t.addDriver(drv); err != nil {
			return err
		}
	}

	virtio := 0
	for _, p := range pfs {
		m := p.Model
		ps := &pfState{Model: m, Port: p.Port, Ifname: p.Ifname, MAC: p.MAC, NUMANode: p.NUMANode}
		if m.NetdevParent != "" {
			ps.Netdev = virtio
			virtio++
		}
		st.PFs[p.Addr] = ps
		d := pciDevice{
			Addr: p.Addr, Parent: "devices/pci0000:" + p.Addr[5:7],
			Vendor: m.Vendor, Device: m.Device, SubVendor: m.SubVendor, SubDevice: m.SubDevice, Class: m.Class,
			NUMANode: p.NUMANode, CPUList: spec.cpulist(p.NUMANode), SRIOV: m.SRIOV,
		}
		if s := m.SRIOV; s != nil {
			d.TotalVFs, d.Offset = s.TotalVFs, s.Offsets[p.Port]
		}
		if err := t.addDevice(d); err != nil {
			return err
		}
		if err := attach(t, st, p.Addr, d.Parent+"/"+p.Addr, m.PFDriver, true); err != nil {
			return err
		}
	}
	return createState(dir, st)
}

func pciID(vendor, device uint16) string { return fmt.Sprintf("%04x:%04x", vendor, device) }

// readID reads a device's vendor:device as the drivers' tables hold it.
func readID(t tree, dir string) string {
	v, _ := t.read(dir + "/vendor")
	d, _ := t.read(dir + "/device")
	return strings.TrimPrefix(v, "0x") + ":" + strings.TrimPrefix(d, "0x")
}
