// Package sysfstest builds sysfs trees for tests: declared in a few lines as
// fstest.MapFS (symlinks included, laid out as the kernel lays them out),
// written to disk for os.DirFS, or unpacked from the real machines' snapshots
// in shared/testdata.
package sysfstest

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"vfnet/internal/kernel"
)

// PF declares a network PCI function and, when TotalVFs > 0, its SR-IOV
// capability with NumVFs VFs at the addresses offset and stride give.
type PF struct {
	Addr                 string // 0000:3b:00.0
	Vendor, Device       uint16
	SubVendor, SubDevice uint16
	Class                uint32 // 0 means 0x020000, Ethernet
	Driver               string // "" leaves the PF unbound
	NUMANode             int
	LocalCPUList         string
	Ifname, MAC          string // Ifname "" gives no netdev
	MTU, Speed           int
	Oper                 string
	TotalVFs, NumVFs     int
	Offset, Stride       int
	VFDevice             uint16
	VFDriver             string // a netdev driver gives each VF netdev <Ifname>v<i>
	NoAutoprobe          bool
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s + "\n"), Mode: 0o444} }

func link(target string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink | 0o777}
}

// devDir is where the kernel puts a function under one root port; the
// bus/pci/devices entry is a link to it.
func devDir(addr string) string { return "devices/pci0000:00/" + addr }

// AddTo adds the PF, its VFs and their drivers to m.
func (p PF) AddTo(m fstest.MapFS) error {
	if p.Class == 0 {
		p.Class = 0x020000
	}
	d := devDir(p.Addr)
	addFunction(m, p.Addr, p.Vendor, p.Device, p.Class, p.Driver, p.NUMANode, p.LocalCPUList)
	m[d+"/subsystem_vendor"] = file(fmt.Sprintf("0x%04x", p.SubVendor))
	m[d+"/subsystem_device"] = file(fmt.Sprintf("0x%04x", p.SubDevice))
	if p.Ifname != "" {
		addNetdev(m, d, p.Ifname, p.MAC, p.MTU, fmt.Sprint(p.Speed), p.Oper)
	}
	if p.TotalVFs == 0 {
		return nil
	}
	autoprobe := "1"
	if p.NoAutoprobe {
		autoprobe = "0"
	}
	m[d+"/sriov_totalvfs"] = file(fmt.Sprint(p.TotalVFs))
	m[d+"/sriov_numvfs"] = file(fmt.Sprint(p.NumVFs))
	m[d+"/sriov_offset"] = file(fmt.Sprint(p.Offset))
	m[d+"/sriov_stride"] = file(fmt.Sprint(p.Stride))
	m[d+"/sriov_vf_device"] = file(fmt.Sprintf("%x", p.VFDevice))
	m[d+"/sriov_drivers_autoprobe"] = file(autoprobe)
	for i := range p.NumVFs {
		vf, err := kernel.VFAddress(p.Addr, p.Offset, p.Stride, i)
		if err != nil {
			return err
		}
		m[fmt.Sprintf("%s/virtfn%d", d, i)] = link("../" + vf)
		addFunction(m, vf, p.Vendor, p.VFDevice, p.Class, p.VFDriver, p.NUMANode, p.LocalCPUList)
		m[devDir(vf)+"/physfn"] = link("../" + p.Addr)
		if p.VFDriver != "" && p.VFDriver != "vfio-pci" && p.Ifname != "" {
			addNetdev(m, devDir(vf), fmt.Sprintf("%sv%d", p.Ifname, i), "00:00:00:00:00:00", 1500, "-1", "down")
		}
	}
	return nil
}

func addFunction(m fstest.MapFS, addr string, vendor, device uint16, class uint32, driver string, numa int, cpus string) {
	d := devDir(addr)
	m["bus/pci/devices/"+addr] = link("../../../" + d)
	m[d+"/vendor"] = file(fmt.Sprintf("0x%04x", vendor))
	m[d+"/device"] = file(fmt.Sprintf("0x%04x", device))
	m[d+"/class"] = file(fmt.Sprintf("0x%06x", class))
	m[d+"/numa_node"] = file(fmt.Sprint(numa))
	m[d+"/local_cpulist"] = file(cpus)
	m[d+"/driver_override"] = file("(null)")
	if driver != "" {
		m[d+"/driver"] = link("../../../bus/pci/drivers/" + driver)
		m["bus/pci/drivers/"+driver+"/bind"] = &fstest.MapFile{Mode: 0o200}
	}
}

func addNetdev(m fstest.MapFS, dev, ifname, mac string, mtu int, speed, oper string) {
	n := dev + "/net/" + ifname
	m[n+"/address"] = file(mac)
	m[n+"/mtu"] = file(fmt.Sprint(mtu))
	m[n+"/speed"] = file(speed)
	m[n+"/operstate"] = file(oper)
	m["class/net/"+ifname] = link("../../" + n)
}

// AddNUMANode adds devices/system/node/node<id>/cpulist.
func AddNUMANode(m fstest.MapFS, id int, cpulist string) {
	m[fmt.Sprintf("devices/system/node/node%d/cpulist", id)] = file(cpulist)
}

// Tree declares a host with the given PFs and one NUMA node per distinct PF
// NUMA node (CPUs 0-7 on node 0, 8-15 on node 1 ...).
func Tree(t testing.TB, pfs ...PF) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	for _, p := range pfs {
		if err := p.AddTo(m); err != nil {
			t.Fatalf("declare PF %s: %v", p.Addr, err)
		}
		if p.NUMANode >= 0 {
			AddNUMANode(m, p.NUMANode, fmt.Sprintf("%d-%d", 8*p.NUMANode, 8*p.NUMANode+7))
		}
	}
	return m
}

// WriteDir writes m under dir, symlinks as symlinks, for os.DirFS.
func WriteDir(dir string, m fstest.MapFS) error {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := m[name]
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		var err error
		switch {
		case f.Mode&fs.ModeSymlink != 0:
			err = os.Symlink(string(f.Data), p)
		case f.Mode.IsDir():
			err = os.MkdirAll(p, 0o755)
		default:
			err = os.WriteFile(p, f.Data, 0o644)
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// SharedDir finds shared/, which sits beside the repository clone: it walks up
// from the working directory to the directory holding go.mod and looks at
// ../shared. A missing shared/ fails the test saying where it looked.
func SharedDir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			shared := filepath.Join(filepath.Dir(dir), "shared")
			if _, err := os.Stat(filepath.Join(shared, "testdata")); err != nil {
				t.Fatalf("shared test data: %v; it must sit beside the repository clone (%s)", err, dir)
			}
			return shared
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("shared test data: no go.mod above %s, so no repository root to find ../shared from", wd)
		}
	}
}

// Snapshots returns the paths of shared/testdata/sysfs-snapshots/*.tar.gz; it
// fails the test when there are none.
func Snapshots(t testing.TB) []string {
	t.Helper()
	dir := filepath.Join(SharedDir(t), "testdata", "sysfs-snapshots")
	files, err := filepath.Glob(filepath.Join(dir, "*.tar.gz"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sysfs snapshots (*.tar.gz) in %s: %v", dir, err)
	}
	return files
}

// Unpack extracts a snapshot into a temporary directory and returns the path
// of its sys folder. Device nodes and other special files are skipped.
func Unpack(t testing.TB, tgz string) string {
	t.Helper()
	dir := t.TempDir()
	if err := untar(dir, tgz); err != nil {
		t.Fatalf("unpack %s: %v", tgz, err)
	}
	return filepath.Join(dir, "sys")
}

func untar(dir, tgz string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(h.Name)
		if !fs.ValidPath(name) || strings.HasPrefix(name, "../") {
			return fmt.Errorf("entry %q escapes the archive", h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			err = writeFile(p, tr)
		case tar.TypeSymlink:
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.Symlink(h.Linkname, p)
			}
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("entry %s: %w", h.Name, err)
		}
	}
}

func writeFile(p string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
