package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// tree writes and reads the simulated sysfs under root (DIR/sys). Paths
// inside it are slash-separated and relative to root, as in /sys.
//
// Every file and symlink of the tree is a hard link to an entry of store
// (DIR/sim.values) that holds its content: a VF's vendor, numa_node,
// driver_override or physfn link is the same file as its siblings'. Making
// an inode costs a few hundred microseconds on a busy ext4 and a link a few,
// and enabling 256 VFs lays out thousands of files, most of them alike.
// Changing a file links it to the new content's entry (rename into place),
// so nothing may write through a tree file: all writes go through write and
// link.
type tree struct {
	root  string
	store string
}

func newTree(dir string) tree {
	return tree{root: filepath.Join(dir, "sys"), store: filepath.Join(dir, "sim.values")}
}

func (t tree) abs(rel string) string { return filepath.Join(t.root, filepath.FromSlash(rel)) }

// write makes rel read value and a newline.
func (t tree) write(rel, value string) error { return t.put(rel, false, value+"\n") }

// link makes rel a symlink to target, replacing what was there.
func (t tree) link(rel, target string) error { return t.put(rel, true, target) }

// put makes rel a link to the store's entry for content, creating the
// directories it needs only when the link finds them missing.
func (t tree) put(rel string, symlink bool, content string) error {
	src, err := t.stored(symlink, content)
	if err != nil {
		return err
	}
	dst := t.abs(rel)
	err = os.Link(src, dst)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.Link(src, dst)
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	// Replace dst: rename does nothing when both names are already links
	// to one file, so that case is checked first.
	si, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if di, err := os.Lstat(dst); err == nil && os.SameFile(si, di) {
		return nil
	}
	tmp := dst + ".new"
	if err := os.Link(src, tmp); errors.Is(err, fs.ErrExist) {
		// Left by a writer that died between link and rename.
		if err := os.Remove(tmp); err != nil {
			return err
		}
		if err := os.Link(src, tmp); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// stored is the path of the store's entry for content, made on first use.
func (t tree) stored(symlink bool, content string) (string, error) {
	sum := sha256.Sum256([]byte(content))
	kind := "f"
	if symlink {
		kind = "l"
	}
	p := filepath.Join(t.store, kind+hex.EncodeToString(sum[:12]))
	if _, err := os.Lstat(p); err == nil {
		return p, nil
	}
	if err := os.MkdirAll(t.store, 0o755); err != nil {
		return "", err
	}
	// Made under a temporary name and renamed, so that a writer that dies
	// midway never leaves a short entry that later writes would link to.
	tmp := p + ".tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	var err error
	if symlink {
		err = os.Symlink(content, tmp)
	} else {
		err = os.WriteFile(tmp, []byte(content), 0o644)
	}
	if err != nil {
		return "", err
	}
	return p, os.Rename(tmp, p)
}

func (t tree) read(rel string) (string, error) {
	b, err := os.ReadFile(t.abs(rel))
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

func (t tree) readInt(rel string) (int, error) {
	s, err := t.read(rel)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(s)
}

func (t tree) readlink(rel string) (string, error) { return os.Readlink(t.abs(rel)) }

func (t tree) exists(rel string) bool {
	_, err := os.Lstat(t.abs(rel))
	return err == nil
}

func (t tree) remove(rel string) error {
	if err := os.RemoveAll(t.abs(rel)); err != nil {
		return err
	}
	return nil
}

// up is the "../" prefix that leads from directory dir back to the root.
func up(dir string) string {
	return strings.Repeat("../", strings.Count(dir, "/")+1)
}

// devDir is where a PCI device's directory lives: devices/pci0000:BB/<addr>,
// read from its bus/pci/devices link.
func (t tree) devDir(addr string) (string, error) {
	target, err := t.readlink("bus/pci/devices/" + addr)
	if err != nil {
		return "", err
	}
	return path.Clean(path.Join("bus/pci/devices", target)), nil
}

// driverOf is the name of the driver bound to the device, "" when unbound.
func (t tree) driverOf(dir string) string {
	target, err := t.readlink(dir + "/driver")
	if err != nil {
		return ""
	}
	return path.Base(target)
}

// physfn is the PF address of the VF whose directory is dir; false for a
// device that is not a VF.
func (t tree) physfn(dir string) (string, bool) {
	target, err := t.readlink(dir + "/physfn")
	if err != nil {
		return "", false
	}
	return path.Base(target), true
}

// override reads driver_override, "" when unset.
func (t tree) override(dir string) string {
	s, _ := t.read(dir + "/driver_override")
	if s == "(null)" {
		return ""
	}
	return s
}

// pciDevice is the content of a new PCI function's directory.
type pciDevice struct {
	Addr      string
	Parent    string // devices/pci0000:BB
	Vendor    uint16
	Device    uint16
	SubVendor uint16
	SubDevice uint16
	Class     uint32
	NUMANode  int
	CPUList   string
	PhysFn    string // the PF's address for a VF
	SRIOV     *SRIOVModel
	TotalVFs  int
	Offset    int
}

func (t tree) addDevice(d pciDevice) error {
	dir := d.Parent + "/" + d.Addr
	files := [][2]string{
		{"vendor", fmt.Sprintf("0x%04x", d.Vendor)},
		{"device", fmt.Sprintf("0x%04x", d.Device)},
		{"subsystem_vendor", fmt.Sprintf("0x%04x", d.SubVendor)},
		{"subsystem_device", fmt.Sprintf("0x%04x", d.SubDevice)},
		{"class", fmt.Sprintf("0x%06x", d.Class)},
		{"numa_node", strconv.Itoa(d.NUMANode)},
		{"local_cpulist", d.CPUList},
		{"driver_override", "(null)"},
		{"enable", "1"},
		{"uevent", fmt.Sprintf("PCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s",
			d.Class, d.Vendor, d.Device, d.SubVendor, d.SubDevice, d.Addr)},
	}
	if s := d.SRIOV; s != nil {
		files = append(files,
			[2]string{"sriov_totalvfs", strconv.Itoa(d.TotalVFs)},
			[2]string{"sriov_numvfs", "0"},
			[2]string{"sriov_offset", strconv.Itoa(d.Offset)},
			[2]string{"sriov_stride", strconv.Itoa(s.Stride)},
			[2]string{"sriov_vf_device", fmt.Sprintf("%x", s.VFDevice)},
			[2]string{"sriov_drivers_autoprobe", "1"},
		)
	}
	for _, f := range files {
		if err := t.write(dir+"/"+f[0], f[1]); err != nil {
			return err
		}
	}
	if err := t.link(dir+"/subsystem", up(dir)+"bus/pci"); err != nil {
		return err
	}
	if d.PhysFn != "" {
		if err := t.link(dir+"/physfn", "../"+d.PhysFn); err != nil {
			return err
		}
	}
	return t.link("bus/pci/devices/"+d.Addr, up("bus/pci/devices")+dir)
}

func (t tree) removeDevice(addr string) error {
	dir, err := t.devDir(addr)
	if err != nil {
		return err
	}
	if err := t.remove("bus/pci/devices/" + addr); err != nil {
		return err
	}
	return t.remove(dir)
}

// bind records that driver drives the device at dir.
func (t tree) bind(addr, dir, driver string) error {
	if err := t.link(dir+"/driver", up(dir)+"bus/pci/drivers/"+driver); err != nil {
		return err
	}
	d := "bus/pci/drivers/" + driver
	return t.link(d+"/"+addr, up(d)+dir)
}

func (t tree) unbind(addr, dir, driver string) error {
	if err := t.remove(dir + "/driver"); err != nil {
		return err
	}
	return t.remove("bus/pci/drivers/" + driver + "/" + addr)
}

// addDriver creates a driver's directory with the files the kernel has.
func (t tree) addDriver(name string) error {
	d := "bus/pci/drivers/" + name
	if err := os.MkdirAll(t.abs(d), 0o755); err != nil {
		return err
	}
	for _, f := range []string{"bind", "unbind", "new_id", "remove_id", "uevent"} {
		if err := os.WriteFile(t.abs(d+"/"+f), nil, 0o200); err != nil {
			return err
		}
	}
	return nil
}

// netdev is one network interface as sysfs shows it.
type netdev struct {
	Ifname string
	MAC    string
	MTU    int
	Up     bool
	Speed  int
}

// netDir is where a device's netdev directory lives: dir/net/<ifname>, or
// under an intermediate device such as virtio-net's virtioN.
func netDir(dir, parent string, slot int, ifname string) string {
	if parent != "" {
		return fmt.Sprintf("%s/%s%d/net/%s", dir, parent, slot, ifname)
	}
	return dir + "/net/" + ifname
}

// Interface flags as net/<ifname>/flags prints them ("%#x"): IFF_UP |
// IFF_BROADCAST | IFF_MULTICAST, and the same without IFF_UP.
const (
	flagsUp   = "0x1003"
	flagsDown = "0x1002"
)

func (t tree) addNetdev(nd string, n netdev) error {
	oper, speed, flags := "down", -1, flagsDown
	if n.Up {
		oper, speed, flags = "up", n.Speed, flagsUp
	}
	for _, f := range [][2]string{
		{"address", n.MAC},
		{"mtu", strconv.Itoa(n.MTU)},
		{"flags", flags},
		{"operstate", oper},
		{"speed", strconv.Itoa(speed)},
		{"type", "1"},
	} {
		if err := t.write(nd+"/"+f[0], f[1]); err != nil {
			return err
		}
	}
	return t.link("class/net/"+n.Ifname, up("class/net")+nd)
}

// setLink changes an existing netdev's MTU (when mtu > 0) and state.
func (t tree) setLink(nd string, up bool, mtu, speed int) error {
	if mtu > 0 {
		if err := t.write(nd+"/mtu", strconv.Itoa(mtu)); err != nil {
			return err
		}
	}
	oper, flags := "down", flagsDown
	if up {
		oper, flags = "up", flagsUp
	} else {
		speed = -1
	}
	if err := t.write(nd+"/flags", flags); err != nil {
		return err
	}
	if err := t.write(nd+"/operstate", oper); err != nil {
		return err
	}
	return t.write(nd+"/speed", strconv.Itoa(speed))
}

// removeNetdevs removes a device's netdevs, at dir/net or under an
// intermediate device such as virtioN.
func (t tree) removeNetdevs(dir string) error {
	entries, _ := os.ReadDir(t.abs(dir))
	for _, e := range entries {
		sub := dir + "/" + e.Name()
		if e.Name() == "net" || (e.IsDir() && t.exists(sub+"/net")) {
			netd := sub
			if e.Name() != "net" {
				netd = sub + "/net"
			}
			names, _ := os.ReadDir(t.abs(netd))
			for _, n := range names {
				if err := t.remove("class/net/" + n.Name()); err != nil {
					return err
				}
			}
			if err := t.remove(sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// netdevDir resolves class/net/<ifname> to the netdev's directory.
func (t tree) netdevDir(ifname string) (string, bool) {
	target, err := t.readlink("class/net/" + ifname)
	if err != nil {
		return "", false
	}
	return path.Clean(path.Join("class/net", target)), true
}

// deviceOfNetdev is the PCI address of the device a netdev belongs to.
func deviceOfNetdev(nd string) string {
	// .../<addr>/net/<ifname> or .../<addr>/virtioN/net/<ifname>
	parts := strings.Split(nd, "/")
	for i := len(parts) - 3; i >= 0; i-- {
		if strings.Count(parts[i], ":") == 2 {
			return parts[i]
		}
	}
	return ""
}
