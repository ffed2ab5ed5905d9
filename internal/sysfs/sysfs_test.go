package sysfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/kernel"
	"vfnet/internal/sysfs/sysfstest"
)

func x710(addr, ifname string, numvfs int) sysfstest.PF {
	return sysfstest.PF{
		Addr: addr, Vendor: 0x8086, Device: 0x1572, SubVendor: 0x8086, SubDevice: 0x0008,
		Driver: "i40e", NUMANode: 0, LocalCPUList: "0-7", Ifname: ifname,
		MAC: "3c:fd:fe:a0:b1:c2", MTU: 1500, Speed: 10000, Oper: "up",
		TotalVFs: 64, NumVFs: numvfs, Offset: 16, Stride: 1, VFDevice: 0x154c, VFDriver: "iavf",
	}
}

func ix82599(addr string, numvfs int) sysfstest.PF {
	return sysfstest.PF{
		Addr: addr, Vendor: 0x8086, Device: 0x10fb, Driver: "ixgbe", NUMANode: 1,
		LocalCPUList: "8-15", Ifname: "ens1f0", MAC: "90:e2:ba:00:00:01", MTU: 9000, Speed: -1, Oper: "down",
		TotalVFs: 63, NumVFs: numvfs, Offset: 128, Stride: 2, VFDevice: 0x10ed, VFDriver: "vfio-pci",
	}
}

func virtio(addr string) sysfstest.PF {
	return sysfstest.PF{
		Addr: addr, Vendor: 0x1af4, Device: 0x1000, SubVendor: 0x1af4, SubDevice: 0x0001,
		Driver: "virtio-pci", NUMANode: -1, LocalCPUList: "0-1",
		Ifname: "eth0", MAC: "52:54:00:12:34:56", MTU: 1500, Speed: -1, Oper: "up",
	}
}

// edit returns m with changes applied: a nil file deletes the entry.
func edit(m fstest.MapFS, changes map[string]*fstest.MapFile) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func text(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s), Mode: 0o444} }

const x710Dir = "devices/pci0000:00/0000:3b:00.0"

func TestReadX710(t *testing.T) {
	fsys := sysfstest.Tree(t, x710("0000:3b:00.0", "ens785f0", 9))
	h, err := Read(fsys)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var vfs []kernel.VF
	want := []string{"0000:3b:02.0", "0000:3b:02.1", "0000:3b:02.2", "0000:3b:02.3", "0000:3b:02.4",
		"0000:3b:02.5", "0000:3b:02.6", "0000:3b:02.7", "0000:3b:03.0"}
	for i, a := range want {
		vfs = append(vfs, kernel.VF{Index: i, PCIAddr: a, Driver: "iavf", Ifname: fmt.Sprintf("ens785f0v%d", i)})
	}
	wantHost := &kernel.Host{
		PFs: []kernel.PF{{
			PCIAddr: "0000:3b:00.0", Vendor: 0x8086, Device: 0x1572, SubVendor: 0x8086, SubDevice: 0x0008,
			Class: 0x020000, Driver: "i40e", NUMANode: 0, LocalCPUList: "0-7",
			Ifname: "ens785f0", MAC: "3c:fd:fe:a0:b1:c2", MTU: 1500, Speed: 10000, Oper: "up", AdminUp: true,
			SRIOV: &kernel.SRIOV{TotalVFs: 64, NumVFs: 9, Offset: 16, Stride: 1, VFDevice: 0x154c, Autoprobe: true, VFs: vfs},
		}},
		NUMANodes: []kernel.NUMANode{{ID: 0, CPUList: "0-7"}},
	}
	if diff := cmp.Diff(wantHost, h); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
}

// TestReadAdminUp reads the administrative state from flags, whatever the
// carrier says, and from operstate only when a hand-written tree has no flags.
func TestReadAdminUp(t *testing.T) {
	base := sysfstest.Tree(t, x710("0000:3b:00.0", "ens785f0", 0))
	nd := x710Dir + "/net/ens785f0/"
	tests := []struct {
		name        string
		flags, oper *fstest.MapFile // nil: absent
		want        bool
		wantErrPath string
	}{
		{"up with carrier", text("0x1003\n"), text("up\n"), true, ""},
		{"up without a cable", text("0x1003\n"), text("down\n"), true, ""},
		{"down", text("0x1002\n"), text("down\n"), false, ""},
		{"no flag at all", text("0\n"), text("down\n"), false, ""},
		{"no flags file, link up", nil, text("up\n"), true, ""},
		{"no flags file, operstate unknown", nil, text("unknown\n"), true, ""},
		{"no flags file, link down", nil, text("down\n"), false, ""},
		{"garbage", text("up\n"), text("up\n"), false, "bus/pci/devices/0000:3b:00.0/net/ens785f0/flags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Read(edit(base, map[string]*fstest.MapFile{nd + "flags": tt.flags, nd + "operstate": tt.oper}))
			if tt.wantErrPath != "" {
				var pe *fs.PathError
				if !errors.As(err, &pe) || pe.Path != tt.wantErrPath {
					t.Fatalf("Read error = %v, want one naming %s", err, tt.wantErrPath)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got := h.PFs[0].AdminUp; got != tt.want {
				t.Errorf("AdminUp = %v, want %v (operstate %q)", got, tt.want, h.PFs[0].Oper)
			}
		})
	}
}

// TestRead checks what each kind of tree yields, summarised as one line per
// PF so that the table stays readable.
func TestRead(t *testing.T) {
	base := sysfstest.Tree(t, x710("0000:3b:00.0", "ens785f0", 2))
	tests := []struct {
		name string
		fsys fs.FS
		want []string // pciaddr driver ifname numa speed sriov: VFs
		// wantErrPath is the file a failed Read must name (errors.As *fs.PathError).
		wantErrPath string
		wantNoRoot  bool
	}{
		{
			name: "82599 offset 128 stride 2, VFs on vfio-pci",
			fsys: sysfstest.Tree(t, ix82599("0000:01:00.0", 2)),
			want: []string{"0000:01:00.0 ixgbe ens1f0 numa=1 speed=-1 sriov=2/63 [0:0000:01:10.0/vfio-pci/ 1:0000:01:10.2/vfio-pci/]"},
		},
		{
			name: "virtio NIC without SR-IOV",
			fsys: sysfstest.Tree(t, virtio("0000:00:03.0")),
			want: []string{"0000:00:03.0 virtio-pci eth0 numa=-1 speed=-1 sriov=none"},
		},
		{
			name: "virtio-pci hangs the netdev under virtioN",
			fsys: func() fs.FS {
				m := sysfstest.Tree(t, virtio("0000:00:03.0"))
				for _, f := range []string{"address", "mtu", "speed", "operstate"} {
					d := "devices/pci0000:00/0000:00:03.0/"
					m[d+"virtio2/net/eth0/"+f] = m[d+"net/eth0/"+f]
					delete(m, d+"net/eth0/"+f)
				}
				return m
			}(),
			want: []string{"0000:00:03.0 virtio-pci eth0 numa=-1 speed=-1 sriov=none"},
		},
		{
			name: "SR-IOV PF at 0 VFs, unbound, and an nvme with SR-IOV is not a NIC",
			fsys: sysfstest.Tree(t,
				sysfstest.PF{Addr: "0000:02:00.0", Vendor: 0x8086, Device: 0x10c9, NUMANode: -1, TotalVFs: 8, Offset: 128, Stride: 2, VFDevice: 0x10ca},
				sysfstest.PF{Addr: "0000:05:00.0", Class: 0x010802, Vendor: 0x1b36, Device: 0x0010, Driver: "nvme", NUMANode: -1,
					TotalVFs: 4, NumVFs: 4, Offset: 1, Stride: 1, VFDevice: 0x0010, VFDriver: "nvme"},
			),
			want: []string{"0000:02:00.0   numa=-1 speed=0 sriov=0/8 []"},
		},
		{
			name: "Wi-Fi is a network controller too",
			fsys: sysfstest.Tree(t, sysfstest.PF{Addr: "0000:00:14.3", Class: 0x028000, Vendor: 0x8086, Device: 0xa0f0, Driver: "iwlwifi", Ifname: "wlp0s20f3", MAC: "a4:c3:f0:11:22:33", Speed: -1}),
			want: []string{"0000:00:14.3 iwlwifi wlp0s20f3 numa=0 speed=-1 sriov=none"},
		},
		{
			name: "12 VFs come in virtfn order, not name order",
			fsys: func() fs.FS {
				p := x710("0000:3b:00.0", "", 12)
				p.VFDriver = ""
				return sysfstest.Tree(t, p)
			}(),
			want: []string{"0000:3b:00.0 i40e  numa=0 speed=0 sriov=12/64 [0:0000:3b:02.0// 1:0000:3b:02.1// 2:0000:3b:02.2// " +
				"3:0000:3b:02.3// 4:0000:3b:02.4// 5:0000:3b:02.5// 6:0000:3b:02.6// 7:0000:3b:02.7// 8:0000:3b:03.0// " +
				"9:0000:3b:03.1// 10:0000:3b:03.2// 11:0000:3b:03.3//]"},
		},
		{
			name: "optional files missing or unreadable take their defaults",
			fsys: edit(base, map[string]*fstest.MapFile{
				x710Dir + "/numa_node":               nil,
				x710Dir + "/local_cpulist":           nil,
				x710Dir + "/subsystem_vendor":        nil,
				x710Dir + "/sriov_offset":            nil,
				x710Dir + "/sriov_drivers_autoprobe": nil,
				x710Dir + "/net/ens785f0/speed":      nil,
				// A directory where a file should be: reading it fails.
				x710Dir + "/net/ens785f0/mtu/x":   text("1"),
				x710Dir + "/unexpected_attribute": text("\x00\xff garbage"),
			}),
			want: []string{"0000:3b:00.0 i40e ens785f0 numa=-1 speed=-1 sriov=2/64 [0:0000:3b:02.0/iavf/ens785f0v0 1:0000:3b:02.1/iavf/ens785f0v1]"},
		},
		{
			name: "a function without a class file is not reported",
			fsys: edit(base, map[string]*fstest.MapFile{x710Dir + "/class": nil}),
			want: []string{},
		},
		{
			name: "a PCI bus with no NIC",
			fsys: fstest.MapFS{"bus/pci/devices": &fstest.MapFile{Mode: fs.ModeDir | 0o755}},
			want: []string{},
		},
		{
			name: "no PCI bus at all (s390x)",
			fsys: fstest.MapFS{"devices/css0/uevent": text("")},
			want: []string{},
		},
		{name: "not a sysfs root", fsys: fstest.MapFS{"etc/passwd": text("")}, wantNoRoot: true},
		{
			name:        "malformed vendor",
			fsys:        edit(base, map[string]*fstest.MapFile{x710Dir + "/vendor": text("8086\n")}),
			wantErrPath: "bus/pci/devices/0000:3b:00.0/vendor",
		},
		{
			name:        "missing device id",
			fsys:        edit(base, map[string]*fstest.MapFile{x710Dir + "/device": nil}),
			wantErrPath: "bus/pci/devices/0000:3b:00.0/device",
		},
		{
			name:        "malformed class",
			fsys:        edit(base, map[string]*fstest.MapFile{x710Dir + "/class": text("ethernet\n")}),
			wantErrPath: "bus/pci/devices/0000:3b:00.0/class",
		},
		{
			name:        "sriov_vf_device printed with 0x",
			fsys:        edit(base, map[string]*fstest.MapFile{x710Dir + "/sriov_vf_device": text("0x154c\n")}),
			wantErrPath: "bus/pci/devices/0000:3b:00.0/sriov_vf_device",
		},
		{
			name:        "negative sriov_numvfs",
			fsys:        edit(base, map[string]*fstest.MapFile{x710Dir + "/sriov_numvfs": text("-1\n")}),
			wantErrPath: "bus/pci/devices/0000:3b:00.0/sriov_numvfs",
		},
		{
			name:        "malformed sriov_totalvfs",
			fsys:        edit(base, map[string]*fstest.MapFile{x710Dir + "/sriov_totalvfs": text("lots\n")}),
			wantErrPath: "bus/pci/devices/0000:3b:00.0/sriov_totalvfs",
		},
		{
			name:        "malformed local_cpulist",
			fsys:        edit(base, map[string]*fstest.MapFile{x710Dir + "/local_cpulist": text("7-0\n")}),
			wantErrPath: "bus/pci/devices/0000:3b:00.0/local_cpulist",
		},
		{
			name:        "malformed MAC",
			fsys:        edit(base, map[string]*fstest.MapFile{x710Dir + "/net/ens785f0/address": text("3c:fd\n")}),
			wantErrPath: "bus/pci/devices/0000:3b:00.0/net/ens785f0/address",
		},
		{
			name:        "malformed NUMA cpulist",
			fsys:        edit(base, map[string]*fstest.MapFile{"devices/system/node/node0/cpulist": text("0-\n")}),
			wantErrPath: "devices/system/node/node0/cpulist",
		},
		{
			name: "a virtfn link that names no PCI address",
			fsys: edit(base, map[string]*fstest.MapFile{
				x710Dir + "/virtfn1": {Data: []byte("../not-a-device"), Mode: fs.ModeSymlink | 0o777},
			}),
			wantErrPath: "bus/pci/devices/0000:3b:00.0/virtfn1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Read(tt.fsys)
			switch {
			case tt.wantNoRoot:
				if err == nil {
					t.Fatalf("Read = %v, want an error saying this is not a sysfs root", summary(h))
				}
				return
			case tt.wantErrPath != "":
				var pe *fs.PathError
				if !errors.As(err, &pe) || pe.Path != tt.wantErrPath {
					t.Fatalf("Read error = %v, want one naming %s", err, tt.wantErrPath)
				}
				return
			case err != nil:
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tt.want, summary(h)); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}

func summary(h *kernel.Host) []string {
	if h == nil {
		return nil
	}
	out := []string{}
	for _, p := range h.PFs {
		s := fmt.Sprintf("%s %s %s numa=%d speed=%d ", p.PCIAddr, p.Driver, p.Ifname, p.NUMANode, p.Speed)
		if p.SRIOV == nil {
			out = append(out, s+"sriov=none")
			continue
		}
		s += fmt.Sprintf("sriov=%d/%d [", p.SRIOV.NumVFs, p.SRIOV.TotalVFs)
		for i, v := range p.SRIOV.VFs {
			if i > 0 {
				s += " "
			}
			s += fmt.Sprintf("%d:%s/%s/%s", v.Index, v.PCIAddr, v.Driver, v.Ifname)
		}
		out = append(out, s+"]")
	}
	return out
}

func TestReadVFDetails(t *testing.T) {
	p := x710("0000:3b:00.0", "ens785f0", 2)
	p.NoAutoprobe = true
	m := edit(sysfstest.Tree(t, p), map[string]*fstest.MapFile{
		"devices/pci0000:00/0000:3b:02.1/driver_override": text("vfio-pci\n"),
		"devices/pci0000:00/0000:3b:00.0/driver_override": text("i40e\n"),
	})
	h, err := Read(m)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	pf := h.PFs[0]
	if pf.DriverOverride != "i40e" || pf.SRIOV.Autoprobe || pf.SRIOV.VFs[0].DriverOverride != "" || pf.SRIOV.VFs[1].DriverOverride != "vfio-pci" {
		t.Errorf("PF override %q, autoprobe %v, VF overrides %q %q; want i40e, false, \"\", vfio-pci",
			pf.DriverOverride, pf.SRIOV.Autoprobe, pf.SRIOV.VFs[0].DriverOverride, pf.SRIOV.VFs[1].DriverOverride)
	}
	for _, v := range pf.SRIOV.VFs {
		if v.Info != nil {
			t.Errorf("VF %d Info = %+v; sysfs has no rtnetlink settings, want nil", v.Index, v.Info)
		}
	}
}

type noLinks struct{ fs.FS }

func TestReadNeedsSymlinks(t *testing.T) {
	if _, err := Read(noLinks{sysfstest.Tree(t, virtio("0000:00:03.0"))}); err == nil {
		t.Fatal("Read on an fs.FS without ReadLink succeeded; it cannot see drivers or VFs and must fail")
	}
}

// TestReadDisk reads a declared tree written to disk, through os.DirFS, so
// that real symlink resolution is what the MapFS tests assume.
func TestReadDisk(t *testing.T) {
	m := sysfstest.Tree(t, x710("0000:3b:00.0", "ens785f0", 3), ix82599("0000:01:00.0", 1))
	dir := t.TempDir()
	if err := sysfstest.WriteDir(dir, m); err != nil {
		t.Fatal(err)
	}
	fromDisk, err := Read(os.DirFS(dir))
	if err != nil {
		t.Fatalf("Read(os.DirFS): %v", err)
	}
	fromMap, err := Read(m)
	if err != nil {
		t.Fatalf("Read(MapFS): %v", err)
	}
	if diff := cmp.Diff(fromMap, fromDisk); diff != "" {
		t.Errorf("disk and MapFS disagree (-map +disk):\n%s", diff)
	}
	if len(fromDisk.PFs) != 2 || fromDisk.PFs[0].PCIAddr != "0000:01:00.0" {
		t.Errorf("PFs %v, want 0000:01:00.0 then 0000:3b:00.0", summary(fromDisk))
	}
}

// TestReadSnapshots reads real machines' trees that nobody here wrote.
func TestReadSnapshots(t *testing.T) {
	// What each snapshot holds, from looking at them: class 0x02 functions
	// without a physfn link. The 8581 machine has eight igbvf VFs whose copy
	// lost its physfn links, so they count as PFs; the 415e laptop's only
	// network function is Wi-Fi; the s390x has no PCI bus.
	wantNICs := map[string][]string{
		"linux-amd64-61797caf7c0b6bca1725ad7975ed4773": {"0000:03:00.0", "0000:06:00.0", "0000:06:00.1", "0000:08:00.0"},
		"linux-amd64-415ee03b8c4d1c4f07ae2e9d8b3d3d6d": {"0000:00:14.3"},
		"linux-amd64-8581cf3a529e5d8b97ea876eade2f60d": {"0000:01:00.0", "0000:01:00.1", "0000:02:00.0", "0000:02:00.1",
			"0000:05:00.0", "0000:05:00.1", "0000:05:10.0", "0000:05:10.1", "0000:05:10.4", "0000:05:10.5",
			"0000:05:11.0", "0000:05:11.1", "0000:05:11.4", "0000:05:11.5"},
		"linux-amd64-accel-nvidia":                     {"0000:05:00.0"},
		"linux-amd64-accel":                            {"0000:01:00.0"},
		"linux-arm64-c288e0776090cd558ef793b2a4e61939": {"0000:00:05.0"},
		"linux-s390x-snapshot":                         {},
	}
	seen := map[string]bool{}
	for _, tgz := range sysfstest.Snapshots(t) {
		name := filepath.Base(tgz[:len(tgz)-len(".tar.gz")])
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel() // unpacking is slow on some disks
			h, err := Read(os.DirFS(sysfstest.Unpack(t, tgz)))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			got := []string{}
			for _, p := range h.PFs {
				got = append(got, p.PCIAddr)
				if p.SRIOV != nil {
					t.Errorf("%s has SR-IOV %+v; none of the snapshots has sriov_totalvfs", p.PCIAddr, p.SRIOV)
				}
			}
			want, ok := wantNICs[name]
			if !ok {
				t.Fatalf("new snapshot %s: found NICs %v; add what it holds to wantNICs", name, got)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("NICs (-want +got):\n%s", diff)
			}
			if len(h.NUMANodes) == 0 {
				t.Errorf("no NUMA nodes; every snapshot has devices/system/node/node0")
			}
			if name == "linux-amd64-61797caf7c0b6bca1725ad7975ed4773" {
				checkI350(t, h)
			}
		})
	}
	for name := range wantNICs {
		if !seen[name] {
			t.Errorf("snapshot %s.tar.gz is missing from shared/testdata/sysfs-snapshots", name)
		}
	}
}

// checkI350 looks closer at the 61797 machine's two Intel I350 ports.
func checkI350(t *testing.T, h *kernel.Host) {
	i := slices.IndexFunc(h.PFs, func(p kernel.PF) bool { return p.PCIAddr == "0000:06:00.0" })
	if i < 0 || i+1 >= len(h.PFs) {
		t.Fatalf("I350 ports 0000:06:00.0 and .1 not found in %v", summary(h))
	}
	for j, ifname := range []string{"enp6s0f0", "enp6s0f1"} {
		p := h.PFs[i+j]
		if p.Vendor != 0x8086 || p.Device != 0x1521 || p.Ifname != ifname || p.NUMANode != -1 || p.SRIOV != nil {
			t.Errorf("port %s: %04x:%04x %s numa %d sriov %v; want an I350 8086:1521 %s on no NUMA node without SR-IOV",
				p.PCIAddr, p.Vendor, p.Device, p.Ifname, p.NUMANode, p.SRIOV, ifname)
		}
	}
}

// TestReadLiveSys reads this machine's own /sys: a virtio NIC, no SR-IOV.
func TestReadLiveSys(t *testing.T) {
	if _, err := os.Stat("/sys/bus/pci/devices"); err != nil {
		t.Fatalf("this test reads the machine's /sys, which must be mounted with a PCI bus: %v", err)
	}
	h, err := Read(os.DirFS("/sys"))
	if err != nil {
		t.Fatalf("Read(/sys): %v", err)
	}
	if len(h.PFs) == 0 {
		t.Fatal("Read(/sys) found no network function; this machine has a virtio NIC")
	}
	virtios := 0
	for _, p := range h.PFs {
		if p.Driver == "virtio-pci" {
			virtios++
			if p.SRIOV != nil {
				t.Errorf("virtio NIC %s has SR-IOV %+v, want nil", p.PCIAddr, p.SRIOV)
			}
		}
	}
	if virtios == 0 {
		t.Errorf("no virtio-pci NIC among %v", summary(h))
	}
	if len(h.NUMANodes) == 0 {
		t.Errorf("no NUMA nodes in /sys/devices/system/node")
	}
}
