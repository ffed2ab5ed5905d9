// Package sysfs discovers a host's network PCI functions, their SR-IOV state
// and its NUMA nodes from a sysfs tree (spec/kernel.md, "sysfs of a PF").
//
// It only reads, through an fs.FS rooted where /sys is, so the same code runs
// on the live /sys (os.DirFS("/sys")), on snapshots of real machines and on
// trees a test declares in fstest.MapFS. Real trees lack files, carry files
// nobody asked for and refuse some reads, so every attribute is optional
// unless a NIC cannot be described without it: a file that is absent or
// unreadable takes its default; a file that is there but does not parse is an
// error naming it, because a wrong value would mislead the agent.
//
// VF rtnetlink settings (kernel.VF.Info) are not in sysfs: Read leaves them
// nil for the kernels to fill.
package sysfs

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"vfnet/internal/kernel"
)

const (
	pciDevices = "bus/pci/devices"
	numaNodes  = "devices/system/node"
	// classNetwork is the PCI base class of network controllers (Ethernet,
	// and also Wi-Fi, InfiniBand ...): class>>16.
	classNetwork = 0x02
)

// Read reads the host whose sysfs root is fsys. fsys must implement
// fs.ReadLinkFS (os.DirFS and fstest.MapFS do): drivers and VFs are symlinks.
// PFs come in PCI address order, NUMA nodes in id order; both are empty, not
// nil, when there are none.
func Read(fsys fs.FS) (*kernel.Host, error) {
	if _, ok := fsys.(fs.ReadLinkFS); !ok {
		return nil, fmt.Errorf("read sysfs: %T cannot read symbolic links (fs.ReadLinkFS); drivers and VFs are links", fsys)
	}
	h := &kernel.Host{PFs: []kernel.PF{}, NUMANodes: []kernel.NUMANode{}}
	ents, err := fs.ReadDir(fsys, pciDevices)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A machine without PCI (s390x with only channel I/O) has no
		// bus/pci/devices; a root that is not sysfs has no devices either.
		if _, err := fs.Stat(fsys, "devices"); err != nil {
			return nil, fmt.Errorf("read sysfs: no %s and no devices/: not a sysfs root: %w", pciDevices, err)
		}
	case err != nil:
		return nil, fmt.Errorf("read sysfs: list %s: %w", pciDevices, err)
	}
	// A PF's VFs sort after it (their routing ids are above its own), so
	// they are known before the loop reaches them and cost nothing more.
	vfs := map[string]bool{}
	for _, e := range ents {
		if vfs[e.Name()] {
			continue
		}
		pf, ok, err := readFunction(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read sysfs: %w", err)
		}
		if !ok {
			continue
		}
		h.PFs = append(h.PFs, pf)
		if pf.SRIOV != nil {
			for _, vf := range pf.SRIOV.VFs {
				vfs[vf.PCIAddr] = true
			}
		}
	}
	if h.NUMANodes, err = readNUMANodes(fsys); err != nil {
		return nil, fmt.Errorf("read sysfs: %w", err)
	}
	return h, nil
}

// readFunction reads one PCI function; ok is false when it is not a network
// PF (another class, a VF, or no class file to tell).
func readFunction(fsys fs.FS, addr string) (pf kernel.PF, ok bool, err error) {
	dir := path.Join(pciDevices, addr)
	// A VF is recognised by its physfn link before anything else is read.
	if _, err := fs.ReadLink(fsys, dir+"/physfn"); err == nil {
		return kernel.PF{}, false, nil
	}
	class, err := optional(fsys, dir+"/class", parseClass, 0)
	if err != nil || class>>16 != classNetwork {
		return kernel.PF{}, false, err
	}
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return kernel.PF{}, false, fmt.Errorf("list %s: %w", dir, err)
	}
	has := make(map[string]bool, len(ents))
	for _, e := range ents {
		has[e.Name()] = true
	}
	if has["physfn"] { // not a link, but still the mark of a VF
		return kernel.PF{}, false, nil
	}

	pf = kernel.PF{PCIAddr: addr, Class: class, Driver: linkBase(fsys, dir+"/driver")}
	if pf.Vendor, err = mandatory(fsys, dir+"/vendor", parseID); err != nil {
		return kernel.PF{}, false, err
	}
	if pf.Device, err = mandatory(fsys, dir+"/device", parseID); err != nil {
		return kernel.PF{}, false, err
	}
	attrs := []struct {
		name string
		read func(string) error
	}{
		{name: "subsystem_vendor", read: func(s string) (err error) { pf.SubVendor, err = parseID(s); return }},
		{name: "subsystem_device", read: func(s string) (err error) { pf.SubDevice, err = parseID(s); return }},
		{name: "driver_override", read: func(s string) error { pf.DriverOverride = parseDriverOverride(s); return nil }},
		{name: "numa_node", read: func(s string) (err error) { pf.NUMANode, err = parseNUMANode(s); return }},
		{name: "local_cpulist", read: func(s string) error {
			_, err := parseCPUList(s)
			pf.LocalCPUList = strings.TrimSpace(s)
			return err
		}},
	}
	pf.NUMANode = -1
	for _, a := range attrs {
		if !has[a.name] {
			continue
		}
		if err := readAttr(fsys, dir+"/"+a.name, a.read); err != nil {
			return kernel.PF{}, false, err
		}
	}
	if err := readNetdev(fsys, dir, ents, has, &pf); err != nil {
		return kernel.PF{}, false, err
	}
	if has["sriov_totalvfs"] {
		if pf.SRIOV, err = readSRIOV(fsys, dir, ents, has); err != nil {
			return kernel.PF{}, false, err
		}
	}
	return pf, true, nil
}

// readNetdev fills the netdev facts from net/<ifname>/, or from
// virtioN/net/<ifname>/ where virtio-pci hangs its netdev one level down.
// A function with several netdevs (rare) reports the first by name.
func readNetdev(fsys fs.FS, dir string, ents []fs.DirEntry, has map[string]bool, pf *kernel.PF) error {
	netDir := ""
	if has["net"] {
		netDir = dir + "/net"
	} else {
		for _, e := range ents { // in name order
			if !strings.HasPrefix(e.Name(), "virtio") {
				continue
			}
			if _, err := fs.Stat(fsys, dir+"/"+e.Name()+"/net"); err == nil {
				netDir = dir + "/" + e.Name() + "/net"
				break
			}
		}
	}
	ifname := firstEntry(fsys, netDir)
	if ifname == "" {
		return nil
	}
	nd := netDir + "/" + ifname
	pf.Ifname = ifname
	var err error
	if pf.MAC, err = optional(fsys, nd+"/address", parseMAC, ""); err != nil {
		return err
	}
	if pf.MTU, err = optional(fsys, nd+"/mtu", parseUint, 0); err != nil {
		return err
	}
	// Reading speed fails with EINVAL on a port whose link is down.
	if pf.Speed, err = optional(fsys, nd+"/speed", parseSpeed, -1); err != nil {
		return err
	}
	pf.Oper, _ = optional(fsys, nd+"/operstate", func(s string) (string, error) { return strings.TrimSpace(s), nil }, "")
	// Every kernel has flags; a hand-written tree without it reads as admin
	// up when the link is, as the operstate is all it says.
	b, err := readFile(fsys, nd+"/flags")
	if err != nil {
		pf.AdminUp = pf.Oper == "up" || pf.Oper == "unknown"
		return nil
	}
	flags, err := parseNetFlags(b)
	if err != nil {
		return &fs.PathError{Op: "parse", Path: nd + "/flags", Err: err}
	}
	pf.AdminUp = flags&iffUp != 0
	return nil
}

// readSRIOV reads a PF's SR-IOV capability. Kernels before 4.6 lack the
// offset, stride and VF device files, before 4.12 the autoprobe flag: they
// read as 0 (and autoprobe as on, the kernel's default).
func readSRIOV(fsys fs.FS, dir string, ents []fs.DirEntry, has map[string]bool) (*kernel.SRIOV, error) {
	s := &kernel.SRIOV{Autoprobe: true, VFs: []kernel.VF{}}
	var err error
	if s.TotalVFs, err = mandatory(fsys, dir+"/sriov_totalvfs", parseUint); err != nil {
		return nil, err
	}
	ints := []struct {
		name string
		v    *int
	}{{"sriov_numvfs", &s.NumVFs}, {"sriov_offset", &s.Offset}, {"sriov_stride", &s.Stride}}
	for _, a := range ints {
		if has[a.name] {
			if *a.v, err = optional(fsys, dir+"/"+a.name, parseUint, 0); err != nil {
				return nil, err
			}
		}
	}
	if has["sriov_vf_device"] {
		if s.VFDevice, err = optional(fsys, dir+"/sriov_vf_device", parseBareHex16, 0); err != nil {
			return nil, err
		}
	}
	if has["sriov_drivers_autoprobe"] {
		if s.Autoprobe, err = optional(fsys, dir+"/sriov_drivers_autoprobe", parseBool, true); err != nil {
			return nil, err
		}
	}

	type virtfn struct {
		n    int
		name string
	}
	var links []virtfn
	for _, e := range ents {
		if n, ok := virtfnIndex(e.Name()); ok {
			links = append(links, virtfn{n, e.Name()})
		}
	}
	slices.SortFunc(links, func(a, b virtfn) int { return cmp.Compare(a.n, b.n) })

	// A VF costs a dozen system calls, most of them waiting on the kernel:
	// reading them on a few goroutines takes a 256-VF PF from ~7 ms to a
	// fraction on two cores (docs/performance.md).
	s.VFs = make([]kernel.VF, len(links))
	errs := make([]error, len(links))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(links), maxWorkers) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(links); i = int(next.Add(1) - 1) {
				s.VFs[i], errs[i] = readVF(fsys, dir, links[i].name, links[i].n)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// maxWorkers bounds the goroutines reading one PF's VFs.
const maxWorkers = 8

// readVF reads VF n through the PF's virtfnN link in dir.
func readVF(fsys fs.FS, dir, name string, n int) (kernel.VF, error) {
	link := dir + "/" + name
	target, err := fs.ReadLink(fsys, link)
	if err != nil {
		return kernel.VF{}, &fs.PathError{Op: "read VF link", Path: link, Err: err}
	}
	addr := path.Base(target)
	if _, err := kernel.ParsePCIAddr(addr); err != nil {
		return kernel.VF{}, &fs.PathError{Op: "read VF link", Path: link, Err: fmt.Errorf("target %s: %w", target, err)}
	}
	// bus/pci/devices/<VF> rather than the virtfn link: one symlink fewer for
	// the kernel to walk on each of the VF's files.
	vfDir := link
	if d := path.Join(dir, target); fs.ValidPath(d) && !strings.HasPrefix(target, "/") {
		vfDir = d
	}
	vf := kernel.VF{Index: n, PCIAddr: addr, Driver: linkBase(fsys, vfDir+"/driver")}
	if err := readAttr(fsys, vfDir+"/driver_override", func(s string) error {
		vf.DriverOverride = parseDriverOverride(s)
		return nil
	}); err != nil {
		return kernel.VF{}, err
	}
	if vf.Driver != "" { // only a bound driver can register a netdev
		vf.Ifname = firstEntry(fsys, vfDir+"/net")
	}
	return vf, nil
}

// virtfnIndex returns N of a "virtfnN" entry.
func virtfnIndex(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, "virtfn")
	if !ok || digits == "" {
		return 0, false
	}
	n, err := parseUint(digits)
	return n, err == nil
}

// readNUMANodes reads devices/system/node/nodeN/cpulist. A kernel without
// NUMA support has no such directory: no nodes.
func readNUMANodes(fsys fs.FS) ([]kernel.NUMANode, error) {
	nodes := []kernel.NUMANode{}
	ents, err := fs.ReadDir(fsys, numaNodes)
	if errors.Is(err, fs.ErrNotExist) {
		return nodes, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", numaNodes, err)
	}
	for _, e := range ents {
		digits, ok := strings.CutPrefix(e.Name(), "node")
		if !ok {
			continue // has_cpu, online, possible ...
		}
		id, err := parseUint(digits)
		if err != nil {
			continue
		}
		n := kernel.NUMANode{ID: id}
		if err := readAttr(fsys, numaNodes+"/"+e.Name()+"/cpulist", func(s string) error {
			_, err := parseCPUList(s)
			n.CPUList = strings.TrimSpace(s)
			return err
		}); err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	slices.SortFunc(nodes, func(a, b kernel.NUMANode) int { return cmp.Compare(a.ID, b.ID) })
	return nodes, nil
}

// readFile reads an attribute with one read: sysfs returns a whole
// attribute on the first read, and skipping os.ReadFile's stat and its read
// to EOF saves a third of the system calls on a thousand VFs. Only a read
// that fills the buffer goes on reading.
func readFile(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var buf [512]byte
	n, err := f.Read(buf[:])
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		return "", &fs.PathError{Op: "read", Path: name, Err: err}
	case n < len(buf):
		return string(buf[:n]), nil
	}
	rest, err := io.ReadAll(f)
	if err != nil {
		return "", &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return string(buf[:]) + string(rest), nil
}

// mandatory reads and parses a file a NIC cannot be described without.
func mandatory[T any](fsys fs.FS, name string, parse func(string) (T, error)) (T, error) {
	b, err := readFile(fsys, name)
	if err != nil {
		var zero T
		return zero, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	v, err := parse(b)
	if err != nil {
		return v, &fs.PathError{Op: "parse", Path: name, Err: err}
	}
	return v, nil
}

// optional reads and parses a file that may be absent or unreadable (def
// then); one that reads but does not parse is an error.
func optional[T any](fsys fs.FS, name string, parse func(string) (T, error), def T) (T, error) {
	b, err := readFile(fsys, name)
	if err != nil {
		return def, nil
	}
	v, err := parse(b)
	if err != nil {
		return def, &fs.PathError{Op: "parse", Path: name, Err: err}
	}
	return v, nil
}

// readAttr is optional for parsers that store their result themselves.
func readAttr(fsys fs.FS, name string, parse func(string) error) error {
	_, err := optional(fsys, name, func(s string) (struct{}, error) { return struct{}{}, parse(s) }, struct{}{})
	return err
}

// linkBase returns the last element of a symlink's target, the driver name of
// a "driver" link; "" when there is no link (an unbound device).
func linkBase(fsys fs.FS, name string) string {
	target, err := fs.ReadLink(fsys, name)
	if err != nil {
		return ""
	}
	return path.Base(target)
}

// firstEntry returns the first name in dir (ReadDir sorts), "" when dir is
// empty, absent or "".
func firstEntry(fsys fs.FS, dir string) string {
	if dir == "" {
		return ""
	}
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil || len(ents) == 0 {
		return ""
	}
	return ents[0].Name()
}
