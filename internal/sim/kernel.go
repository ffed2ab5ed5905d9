// Package sim is a simulated SR-IOV host: a kernel.Kernel whose devices are a
// sysfs tree on disk (DIR/sys, laid out as spec/kernel.md says and read by the
// same internal/sysfs code as a real /sys) plus small state files for what
// sysfs cannot show (the PF drivers' per-VF rtnetlink settings, each PF's
// model). Every write reacts as Linux 6.1 does, error numbers included
// (spec/kernel.md, spec/real-kernel.md and the transcripts in
// shared/testdata/kernel-transcripts).
//
// A flock on DIR/sim.lock serialises operations, so an agent, `vfnet sim show`
// and a test may use one host from several processes at once.
package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"vfnet/internal/kernel"
	"vfnet/internal/sysfs"
)

// Kernel is the kernel.Kernel of a simulated host.
type Kernel struct {
	dir string
	t   tree

	// mu serialises this value's operations: flock is held per open file,
	// so goroutines sharing lock must not overlap. lock is sim.lock, opened
	// on first use; cache is the state as of generation gen, valid while
	// the header names gen.
	mu    sync.Mutex
	lock  *os.File
	cache *state
	gen   string
}

var _ kernel.Kernel = (*Kernel)(nil)

// Open returns the kernel of the simulated host Create laid out in dir.
func Open(dir string) (*Kernel, error) {
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err != nil {
		return nil, fmt.Errorf("open simulated host %s: %w (create one with `vfnet sim create %s`)", dir, err, dir)
	}
	return &Kernel{dir: dir, t: newTree(dir)}, nil
}

// Close releases the lock file this value opened; the host stays as it is.
func (k *Kernel) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lock == nil {
		return nil
	}
	err := k.lock.Close()
	k.lock, k.cache, k.gen = nil, nil, ""
	return err
}

// Dir is the host's directory; its sysfs root is Dir()/sys.
func (k *Kernel) Dir() string { return k.dir }

// Hostname is the name the host was created with.
func (k *Kernel) Hostname(ctx context.Context) (string, error) {
	var name string
	err := k.locked(false, func(st *state) error { name = st.Hostname; return nil })
	return name, err
}

// op runs one kernel operation: counts it when it is a write, answers an
// injected fault before looking at anything, then runs f under the lock.
// A read that meets a fault runs again as a write, since it uses the fault up.
func (k *Kernel) op(ctx context.Context, o Op, opName, dev string, f func(st *state) error) error {
	if err := ctx.Err(); err != nil {
		return &kernel.Error{Op: opName, Device: dev, Err: err}
	}
	write := o.write()
	run := func(st *state) error {
		if o.write() {
			st.Writes[o]++
		}
		if !write && st.hasFault(o, dev) {
			return errFaultNeedsWrite
		}
		if errno, ok := st.takeFault(o, dev); ok {
			return &kernel.Error{Op: opName, Device: dev, Err: errno}
		}
		return f(st)
	}
	err := k.locked(write, run)
	if errors.Is(err, errFaultNeedsWrite) {
		write = true
		err = k.locked(true, run)
	}
	return err
}

var errFaultNeedsWrite = errors.New("a read meets a fault: run it under the write lock")

// Observe reads the tree with internal/sysfs, as the Linux kernel reads /sys,
// and adds what rtnetlink would report for each PF's VFs.
func (k *Kernel) Observe(ctx context.Context) (*kernel.Host, error) {
	var host *kernel.Host
	err := k.op(ctx, OpObserve, "observe", k.dir, func(st *state) error {
		h, err := sysfs.Read(os.DirFS(k.t.root))
		if err != nil {
			return fmt.Errorf("observe simulated host %s: %w", k.dir, err)
		}
		for i := range h.PFs {
			pf := &h.PFs[i]
			ps := st.PFs[pf.PCIAddr]
			if ps == nil || pf.SRIOV == nil || pf.Ifname == "" || ps.Model.SRIOV == nil || ps.Model.SRIOV.Ops == (VFOps{}) {
				continue
			}
			for j := range pf.SRIOV.VFs {
				vf := &pf.SRIOV.VFs[j]
				if vf.Index < len(ps.VFs) {
					info := ps.VFs[vf.Index]
					vf.Info = &info
				}
			}
		}
		host = h
		return nil
	})
	return host, err
}

// pfOf returns the state and directory of the SR-IOV PF at addr, or the
// errno opening its sriov_* file would give.
func (k *Kernel) pfOf(st *state, addr string) (*pfState, string, error) {
	ps := st.PFs[addr]
	if ps == nil || ps.Model.SRIOV == nil {
		return nil, "", syscall.ENOENT
	}
	dir, err := k.t.devDir(addr)
	if err != nil {
		return nil, "", syscall.ENOENT
	}
	return ps, dir, nil
}

// WriteNumVFs follows sriov_numvfs_store (drivers/pci/iov.c, 6.1).
func (k *Kernel) WriteNumVFs(ctx context.Context, pf string, value string) error {
	const opName = "write sriov_numvfs"
	return k.op(ctx, OpNumVFs, opName, pf, func(st *state) error {
		fail := func(err error) error { return &kernel.Error{Op: opName, Device: pf, Err: err} }
		ps, dir, err := k.pfOf(st, pf)
		if err != nil {
			return fail(err)
		}
		if value == "" {
			return nil // sysfs never calls the store function for 0 bytes
		}
		n, ok := kstrtou16(value)
		if !ok {
			return fail(syscall.EINVAL)
		}
		total, _ := k.t.readInt(dir + "/sriov_totalvfs")
		if n > total {
			return fail(syscall.ERANGE)
		}
		cur, _ := k.t.readInt(dir + "/sriov_numvfs")
		if n == cur {
			return nil
		}
		if drv := k.t.driverOf(dir); drv == "" || drv != ps.Model.PFDriver || !ps.Model.SRIOV.Configure {
			return fail(syscall.ENOENT)
		}
		// A NIC driver resets its PF on a count change (igb closes and
		// reopens it: its link is down for about 1.5 s, then back by
		// itself if the PF is administratively up). The simulator has no
		// time: the link is back at once, so the PF's link state is what
		// it was before the write.
		if n == 0 {
			return disableVFs(k.t, st, pf, dir)
		}
		if cur != 0 {
			return fail(syscall.EBUSY)
		}
		return k.enableVFs(st, pf, dir, n)
	})
}

// kstrtou16 parses as the kernel's kstrtou16(s, 0, ...) with sysfs' one
// trailing newline: optional '+', then 0x hex, 0 octal or decimal, nothing else.
func kstrtou16(s string) (int, bool) {
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimPrefix(s, "+")
	base := 10
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isHex(s[2]):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, base, 16)
	if err != nil {
		return 0, false
	}
	return int(v), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// enableVFs creates VFs 0..n-1 in order and probes each when allowed.
func (k *Kernel) enableVFs(st *state, pf, dir string, n int) error {
	ps := st.PFs[pf]
	s := ps.Model.SRIOV
	offset, _ := k.t.readInt(dir + "/sriov_offset")
	vfDev, _ := strconv.ParseUint(mustRead(k.t, dir+"/sriov_vf_device"), 16, 16)
	numa, _ := k.t.readInt(dir + "/numa_node")
	cpus := mustRead(k.t, dir+"/local_cpulist")
	vfs := make([]kernel.VFInfo, n)
	for i := 0; i < n; i++ {
		vfs[i] = kernel.VFInfo{VF: i, MAC: "00:00:00:00:00:00", Proto: kernel.Proto8021Q, SpoofChk: s.InitialSpoofChk}
		if s.KeepVFSettings && i < len(ps.Kept) {
			vfs[i] = ps.Kept[i]
		}
	}
	st.setVFs(pf, vfs)
	// A new VF has no driver_override, so its ID and the PF's autoprobe
	// alone decide its driver (pci_device_can_probe, pci_bus_match): the
	// same for every VF of the write.
	drv := ""
	if mustRead(k.t, dir+"/sriov_drivers_autoprobe") == "1" {
		drv = matchID(st, pciID(ps.Model.Vendor, uint16(vfDev)))
	}
	parent := path.Dir(dir)
	for i := 0; i < n; i++ {
		addr, err := kernel.VFAddress(pf, offset, s.Stride, i)
		if err != nil {
			return &kernel.Error{Op: "write sriov_numvfs", Device: pf, Err: err}
		}
		d := pciDevice{
			Addr: addr, Parent: parent, Vendor: ps.Model.Vendor, Device: uint16(vfDev),
			SubVendor: ps.Model.SubVendor, SubDevice: ps.Model.SubDevice, Class: ps.Model.Class,
			NUMANode: numa, CPUList: cpus, PhysFn: pf,
		}
		if err := k.t.addDevice(d); err != nil {
			return err
		}
		if err := k.t.link(fmt.Sprintf("%s/virtfn%d", dir, i), "../"+addr); err != nil {
			return err
		}
		if drv != "" {
			if err := attach(k.t, st, addr, parent+"/"+addr, drv, false); err != nil {
				return err
			}
		}
	}
	return k.t.write(dir+"/sriov_numvfs", strconv.Itoa(n))
}

// disableVFs removes every VF, unbinding the bound ones; the PF driver keeps
// their settings only when its model says so.
func disableVFs(t tree, st *state, pf, dir string) error {
	ps := st.PFs[pf]
	n, _ := t.readInt(dir + "/sriov_numvfs")
	for i := n - 1; i >= 0; i-- {
		link := fmt.Sprintf("%s/virtfn%d", dir, i)
		target, err := t.readlink(link)
		if err != nil {
			return err
		}
		addr := path.Base(target)
		vdir := path.Join(path.Dir(dir), addr)
		if drv := t.driverOf(vdir); drv != "" {
			if err := detach(t, st, addr, vdir, drv); err != nil {
				return err
			}
		}
		if err := t.remove(link); err != nil {
			return err
		}
		if err := t.removeDevice(addr); err != nil {
			return err
		}
	}
	if ps.Model.SRIOV.KeepVFSettings {
		kept := append([]kernel.VFInfo(nil), ps.VFs...)
		for i := len(kept); i < len(ps.Kept); i++ {
			kept = append(kept, ps.Kept[i])
		}
		ps.Kept = kept
		st.changed()
	}
	st.setVFs(pf, nil)
	return t.write(dir+"/sriov_numvfs", "0")
}

func mustRead(t tree, rel string) string {
	s, _ := t.read(rel)
	return s
}

// canProbe is pci_device_can_probe: a VF is probed only when its PF's
// sriov_drivers_autoprobe is on or it has a driver_override.
func (k *Kernel) canProbe(dir string) bool {
	pf, ok := k.t.physfn(dir)
	if !ok {
		return true
	}
	pdir, err := k.t.devDir(pf)
	if err != nil {
		return false
	}
	return mustRead(k.t, pdir+"/sriov_drivers_autoprobe") == "1" || k.t.override(dir) != ""
}

// matches is pci_bus_match: an override matches only the driver it names;
// without one the driver's ID table decides.
func (k *Kernel) matches(st *state, dir, driver string) bool {
	if o := k.t.override(dir); o != "" {
		return o == driver
	}
	id := readID(k.t, dir)
	for _, d := range st.Drivers[driver] {
		if d == id {
			return true
		}
	}
	return false
}

// matchDriver is the loaded driver a probe of dir would bind, "" if none.
func (k *Kernel) matchDriver(st *state, dir string) string {
	if o := k.t.override(dir); o != "" {
		if _, loaded := st.Drivers[o]; loaded {
			return o
		}
		return ""
	}
	return matchID(st, readID(k.t, dir))
}

// matchID is the loaded driver whose ID table holds id, the first by name
// when several do; "" if none.
func matchID(st *state, id string) string {
	var best string
	for drv, ids := range st.Drivers {
		for _, d := range ids {
			if d == id && (best == "" || drv < best) {
				best = drv
			}
		}
	}
	return best
}

// attach binds driver to the device at dir and does what the driver's probe
// does: a netdev for a NIC driver, TotalVFs lowered by a PF driver that
// lowers it. A netdev registers administratively down (register_netdev), and
// stays down until SetLink; up is for the PFs of a new host, which its boot
// configuration has brought up.
func attach(t tree, st *state, addr, dir, driver string, up bool) error {
	if err := t.bind(addr, dir, driver); err != nil {
		return err
	}
	if ps := st.PFs[addr]; ps != nil {
		m := ps.Model
		if driver != m.PFDriver {
			return nil
		}
		if s := m.SRIOV; s != nil && s.DriverTotalVFs > 0 {
			if err := t.write(dir+"/sriov_totalvfs", strconv.Itoa(s.DriverTotalVFs)); err != nil {
				return err
			}
		}
		if m.Netdev {
			nd := netDir(dir, m.NetdevParent, ps.Netdev, ps.Ifname)
			return t.addNetdev(nd, netdev{Ifname: ps.Ifname, MAC: ps.MAC, MTU: 1500, Up: up, Speed: m.Speed})
		}
		return nil
	}
	pf, ok := t.physfn(dir)
	if !ok {
		return nil // neither a PF nor a VF of the simulation: nothing more
	}
	ps := st.PFs[pf]
	if ps == nil || ps.Model.SRIOV == nil || driver != ps.Model.SRIOV.VFDriver || !ps.Model.SRIOV.VFNetdev {
		return nil
	}
	idx := vfIndex(t, path.Join(path.Dir(dir), pf), addr)
	mac := vfMACFor(st.Hostname, addr)
	// The VF driver picks up an administered MAC when it probes.
	if idx >= 0 && idx < len(ps.VFs) && ps.VFs[idx].MAC != "00:00:00:00:00:00" && ps.VFs[idx].MAC != "" {
		mac = ps.VFs[idx].MAC
	}
	a, err := kernel.ParsePCIAddr(addr)
	if err != nil {
		return err
	}
	ifname := fmt.Sprintf("enp%ds%df%d", a.Bus, a.Slot, a.Function)
	return t.addNetdev(dir+"/net/"+ifname, netdev{Ifname: ifname, MAC: mac, MTU: 1500, Speed: ps.Model.Speed})
}

// detach unbinds driver from the device at dir as the driver's remove does:
// the netdev goes, TotalVFs returns to the hardware's, and a NIC PF driver
// disables its VFs.
func detach(t tree, st *state, addr, dir, driver string) error {
	if err := t.removeNetdevs(dir); err != nil {
		return err
	}
	if err := t.unbind(addr, dir, driver); err != nil {
		return err
	}
	ps := st.PFs[addr]
	if ps == nil || ps.Model.SRIOV == nil || driver != ps.Model.PFDriver {
		return nil
	}
	n, _ := t.readInt(dir + "/sriov_numvfs")
	if n > 0 && !ps.Model.SRIOV.KeepVFsOnUnbind {
		if err := disableVFs(t, st, addr, dir); err != nil {
			return err
		}
	}
	// pci_iov_remove: driver_max_VFs returns to TotalVFs.
	return t.write(dir+"/sriov_totalvfs", strconv.Itoa(ps.Model.SRIOV.TotalVFs))
}

// vfIndex is the N of the PF's virtfnN link to addr, -1 if none: N follows
// from the routing IDs (rid = rid(PF) + offset + stride*N), and the link
// confirms it.
func vfIndex(t tree, pfDir, addr string) int {
	offset, err1 := t.readInt(pfDir + "/sriov_offset")
	stride, err2 := t.readInt(pfDir + "/sriov_stride")
	pf, err3 := kernel.ParsePCIAddr(path.Base(pfDir))
	vf, err4 := kernel.ParsePCIAddr(addr)
	if err := errors.Join(err1, err2, err3, err4); err != nil || stride < 1 || vf.Domain != pf.Domain {
		return -1
	}
	d := vf.RID() - pf.RID() - offset
	if d < 0 || d%stride != 0 {
		return -1
	}
	i := d / stride
	if target, err := t.readlink(fmt.Sprintf("%s/virtfn%d", pfDir, i)); err != nil || path.Base(target) != addr {
		return -1
	}
	return i
}

// SetAutoprobe writes sriov_drivers_autoprobe; it is read at probe time.
func (k *Kernel) SetAutoprobe(ctx context.Context, pf string, on bool) error {
	const opName = "write sriov_drivers_autoprobe"
	return k.op(ctx, OpAutoprobe, opName, pf, func(st *state) error {
		_, dir, err := k.pfOf(st, pf)
		if err != nil {
			return &kernel.Error{Op: opName, Device: pf, Err: err}
		}
		v := "0"
		if on {
			v = "1"
		}
		return k.t.write(dir+"/sriov_drivers_autoprobe", v)
	})
}

// SetDriverOverride writes driver_override; it binds nothing by itself.
func (k *Kernel) SetDriverOverride(ctx context.Context, dev string, driver string) error {
	const opName = "write driver_override"
	return k.op(ctx, OpDriverOverride, opName, dev, func(st *state) error {
		dir, err := k.t.devDir(dev)
		if err != nil {
			return &kernel.Error{Op: opName, Device: dev, Err: syscall.ENOENT}
		}
		if strings.ContainsAny(driver, "/\x00\n") || len(driver) >= 4096 {
			return &kernel.Error{Op: opName, Device: dev, Err: syscall.EINVAL}
		}
		if driver == "" {
			driver = "(null)"
		}
		return k.t.write(dir+"/driver_override", driver)
	})
}

// driverLoaded checks that driver is loaded: it has an ID table and its
// sysfs directory exists.
func (k *Kernel) driverLoaded(st *state, driver string) bool {
	_, ok := st.Drivers[driver]
	return ok && k.t.exists("bus/pci/drivers/"+driver)
}

// Unbind is unbind_store: ENODEV unless dev is bound to driver.
func (k *Kernel) Unbind(ctx context.Context, dev string, driver string) error {
	opName := "unbind from " + driver
	return k.op(ctx, OpUnbind, opName, dev, func(st *state) error {
		if !k.driverLoaded(st, driver) {
			return &kernel.Error{Op: opName, Device: dev, Err: syscall.ENOENT}
		}
		dir, err := k.t.devDir(dev)
		if err != nil || k.t.driverOf(dir) != driver {
			return &kernel.Error{Op: opName, Device: dev, Err: syscall.ENODEV}
		}
		return detach(k.t, st, dev, dir, driver)
	})
}

// Bind is bind_store: the device must exist and match the driver (ENODEV),
// be unbound (EBUSY) and be allowed to probe (ENODEV).
func (k *Kernel) Bind(ctx context.Context, dev string, driver string) error {
	opName := "bind to " + driver
	return k.op(ctx, OpBind, opName, dev, func(st *state) error {
		fail := func(errno syscall.Errno) error { return &kernel.Error{Op: opName, Device: dev, Err: errno} }
		if !k.driverLoaded(st, driver) {
			return fail(syscall.ENOENT)
		}
		dir, err := k.t.devDir(dev)
		if err != nil || !k.matches(st, dir, driver) {
			return fail(syscall.ENODEV)
		}
		if k.t.driverOf(dir) != "" {
			return fail(syscall.EBUSY)
		}
		if !k.canProbe(dir) {
			return fail(syscall.ENODEV)
		}
		return attach(k.t, st, dev, dir, driver, false)
	})
}

// Probe is drivers_probe: a bound device stays as it is; an unbound one gets
// the driver that matches, if it may probe and one is loaded, else nothing,
// without an error.
func (k *Kernel) Probe(ctx context.Context, dev string) error {
	const opName = "probe"
	return k.op(ctx, OpProbe, opName, dev, func(st *state) error {
		dir, err := k.t.devDir(dev)
		if err != nil {
			return &kernel.Error{Op: opName, Device: dev, Err: syscall.ENODEV}
		}
		if k.t.driverOf(dir) != "" || !k.canProbe(dir) {
			return nil
		}
		if drv := k.matchDriver(st, dir); drv != "" {
			return attach(k.t, st, dev, dir, drv, false)
		}
		return nil
	})
}

// netdevOf finds ifname's directory and the PCI function it belongs to.
func (k *Kernel) netdevOf(ifname string) (nd, dev string, ok bool) {
	nd, ok = k.t.netdevDir(ifname)
	if !ok {
		return "", "", false
	}
	return nd, deviceOfNetdev(nd), true
}

// SetLink sets the MTU (68 up to the driver's maximum) and the up flag.
func (k *Kernel) SetLink(ctx context.Context, ifname string, up bool, mtu int) error {
	return k.op(ctx, OpSetLink, "set link", ifname, func(st *state) error {
		nd, dev, ok := k.netdevOf(ifname)
		if !ok {
			return &kernel.Error{Op: "set link", Device: ifname, Err: syscall.ENODEV}
		}
		m, speed := k.modelOf(st, dev)
		if mtu > 0 && (mtu < 68 || (m.MaxMTU > 0 && mtu > m.MaxMTU)) {
			return &kernel.Error{Op: fmt.Sprintf("set MTU %d", mtu), Device: ifname, Err: syscall.EINVAL}
		}
		return k.t.setLink(nd, up, mtu, speed)
	})
}

// modelOf is the model of a PF or of a VF's PF, and its link speed.
func (k *Kernel) modelOf(st *state, dev string) (Model, int) {
	if ps := st.PFs[dev]; ps != nil {
		return ps.Model, ps.Model.Speed
	}
	if dir, err := k.t.devDir(dev); err == nil {
		if pf, ok := k.t.physfn(dir); ok && st.PFs[pf] != nil {
			return st.PFs[pf].Model, st.PFs[pf].Model.Speed
		}
	}
	return Model{}, -1
}

// vfPF resolves a PF netdev whose driver has VF operations.
func (k *Kernel) vfPF(st *state, ifname, opName string) (*pfState, string, error) {
	_, dev, ok := k.netdevOf(ifname)
	if !ok {
		return nil, "", &kernel.Error{Op: opName, Device: ifname, Err: syscall.ENODEV}
	}
	ps := st.PFs[dev]
	if ps == nil || ps.Model.SRIOV == nil || ps.Model.SRIOV.Ops == (VFOps{}) {
		return nil, dev, nil // a VF's netdev, virtio: no VF operations
	}
	return ps, dev, nil
}

// SetVF applies c as do_setvfinfo does: MAC, VLAN, rate, spoof check, link
// state, trust, stopping at the first error and keeping what was applied.
// The driver checks the VF index, so an operation the driver lacks is
// EOPNOTSUPP whatever the index.
func (k *Kernel) SetVF(ctx context.Context, ifname string, vf int, c kernel.VFChange) error {
	opName := fmt.Sprintf("VF %d configuration", vf)
	if err := c.Validate(); err != nil {
		return &kernel.Error{Op: opName, Device: ifname, Err: err}
	}
	return k.op(ctx, OpSetVF, opName, ifname, func(st *state) error {
		ps, dev, err := k.vfPF(st, ifname, opName)
		if err != nil {
			return err
		}
		if ps == nil {
			return &kernel.Error{Op: "SR-IOV VF configuration", Device: ifname, Err: syscall.EOPNOTSUPP}
		}
		ops := ps.Model.SRIOV.Ops
		nd, _ := k.t.netdevDir(ifname)
		fail := func(attr string, errno syscall.Errno) error {
			return &kernel.Error{Op: fmt.Sprintf("VF %d %s", vf, attr), Device: ifname, Err: errno}
		}
		// step runs one attribute: EOPNOTSUPP without the operation, then
		// the driver's VF index check, then set.
		step := func(attr string, has bool, set func(v *kernel.VFInfo) syscall.Errno) error {
			if !has {
				return fail(attr, syscall.EOPNOTSUPP)
			}
			if vf < 0 || vf >= len(ps.VFs) {
				return fail(attr, syscall.EINVAL)
			}
			errno := set(&ps.VFs[vf])
			st.vfChanged(dev, vf)
			if errno != 0 {
				return fail(attr, errno)
			}
			return nil
		}
		if c.MAC != nil {
			if err := step("MAC", ops.MAC, func(v *kernel.VFInfo) syscall.Errno {
				hw, _ := parseMAC(*c.MAC)
				v.MAC = hw
				return 0
			}); err != nil {
				return err
			}
		}
		if l := c.VLAN; l != nil {
			if err := step("VLAN", ops.VLAN, func(v *kernel.VFInfo) syscall.Errno {
				if l.Proto == kernel.Proto8021AD && !ops.QinQ {
					return syscall.EPROTONOSUPPORT
				}
				v.VLAN, v.QoS, v.Proto = l.ID, l.QoS, l.Proto
				if v.Proto == 0 {
					v.Proto = kernel.Proto8021Q
				}
				return 0
			}); err != nil {
				return err
			}
		}
		if r := c.Rate; r != nil {
			if err := step("rate", ops.Rate, func(v *kernel.VFInfo) syscall.Errno {
				if (r.Min != 0 && !ops.MinRate) || (r.Max != 0 && r.Max < r.Min) {
					return syscall.EINVAL
				}
				// operstate is down while the PF is administratively down
				// and while its link is.
				if ops.RateNeedsLink && mustRead(k.t, nd+"/operstate") != "up" {
					return syscall.EINVAL
				}
				v.MinTxRate, v.MaxTxRate = r.Min, r.Max
				return 0
			}); err != nil {
				return err
			}
		}
		if c.SpoofChk != nil {
			if err := step("spoof check", ops.SpoofChk, func(v *kernel.VFInfo) syscall.Errno {
				v.SpoofChk = *c.SpoofChk
				return 0
			}); err != nil {
				return err
			}
		}
		if c.LinkState != nil {
			if err := step("link state", ops.Link, func(v *kernel.VFInfo) syscall.Errno {
				v.LinkState = *c.LinkState
				return 0
			}); err != nil {
				return err
			}
		}
		if c.Trust != nil {
			if err := step("trust", ops.Trust, func(v *kernel.VFInfo) syscall.Errno {
				v.Trust = *c.Trust
				return 0
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

// parseMAC normalises a MAC that passed Validate to lowercase colon form.
func parseMAC(s string) (string, error) {
	hw, err := net.ParseMAC(s)
	if err != nil {
		return "", err
	}
	return hw.String(), nil
}

// VFs is RTM_GETLINK's IFLA_VFINFO_LIST: one entry per enabled VF for a PF
// whose driver reports VFs, none for any other netdev.
func (k *Kernel) VFs(ctx context.Context, ifname string) ([]kernel.VFInfo, error) {
	const opName = "read VFs"
	out := []kernel.VFInfo{}
	err := k.op(ctx, OpVFs, opName, ifname, func(st *state) error {
		ps, _, err := k.vfPF(st, ifname, opName)
		if err != nil {
			return err
		}
		if ps != nil {
			out = append(out, ps.VFs...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
