package sim_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/kernel"
	"vfnet/internal/sim"
	"vfnet/internal/sysfs"
)

func newHost(t testing.TB, spec sim.HostSpec) (*sim.Kernel, string) {
	t.Helper()
	dir := t.TempDir()
	if spec.Hostname == "" {
		spec.Hostname = "compute-0"
	}
	if err := sim.Create(dir, spec); err != nil {
		t.Fatalf("Create: %v", err)
	}
	k, err := sim.Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return k, dir
}

func read(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "sys", rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return string(b)
}

func link(t *testing.T, dir, rel string) string {
	t.Helper()
	s, err := os.Readlink(filepath.Join(dir, "sys", rel))
	if err != nil {
		t.Fatalf("readlink %s: %v", rel, err)
	}
	return s
}

// TestTreeLayout compares the files of a PF, a VF and a netdev with the
// formats of spec/kernel.md.
func TestTreeLayout(t *testing.T) {
	k, dir := newHost(t, sim.HostSpec{NUMANodes: 2, NICs: []sim.NICSpec{{Model: "igb", NUMANode: 1, Bus: 2}, {Model: "virtio", NUMANode: -1, Bus: 7}}})
	ctx := t.Context()
	if err := k.WriteNumVFs(ctx, "0000:02:00.0", "2\n"); err != nil {
		t.Fatal(err)
	}
	pf, vf := "bus/pci/devices/0000:02:00.0/", "bus/pci/devices/0000:02:10.2/"
	files := []struct{ rel, want string }{
		{pf + "vendor", "0x8086\n"},
		{pf + "device", "0x10c9\n"},
		{pf + "class", "0x020000\n"},
		{pf + "numa_node", "1\n"},
		{pf + "local_cpulist", "8-15,24-31\n"},
		{pf + "driver_override", "(null)\n"},
		{pf + "sriov_totalvfs", "7\n"},
		{pf + "sriov_numvfs", "2\n"},
		{pf + "sriov_offset", "128\n"},
		{pf + "sriov_stride", "2\n"},
		{pf + "sriov_vf_device", "10ca\n"},
		{pf + "sriov_drivers_autoprobe", "1\n"},
		{pf + "net/enp2s0f0/mtu", "1500\n"},
		{pf + "net/enp2s0f0/operstate", "up\n"},
		{pf + "net/enp2s0f0/flags", "0x1003\n"},
		{vf + "net/enp2s16f2/flags", "0x1002\n"},
		{pf + "net/enp2s0f0/speed", "1000\n"},
		{vf + "vendor", "0x8086\n"},
		{vf + "device", "0x10ca\n"},
		{vf + "numa_node", "1\n"},
		{vf + "driver_override", "(null)\n"},
		{"bus/pci/devices/0000:07:00.0/virtio0/net/enp7s0/operstate", "up\n"},
		{"devices/system/node/node0/cpulist", "0-7,16-23\n"},
		{"devices/system/node/node1/cpulist", "8-15,24-31\n"},
	}
	for _, f := range files {
		if got := read(t, dir, f.rel); got != f.want {
			t.Errorf("%s: got %q, want %q", f.rel, got, f.want)
		}
	}
	links := []struct{ rel, want string }{
		{"bus/pci/devices/0000:02:00.0", "../../../devices/pci0000:02/0000:02:00.0"},
		{pf + "driver", "../../../bus/pci/drivers/igb"},
		{pf + "virtfn0", "../0000:02:10.0"},
		{pf + "virtfn1", "../0000:02:10.2"},
		{vf + "physfn", "../0000:02:00.0"},
		{vf + "driver", "../../../bus/pci/drivers/igbvf"},
		{"bus/pci/drivers/igbvf/0000:02:10.2", "../../../../devices/pci0000:02/0000:02:10.2"},
		{"bus/pci/devices/0000:07:00.0/driver", "../../../bus/pci/drivers/virtio-pci"},
	}
	for _, l := range links {
		if got := link(t, dir, l.rel); got != l.want {
			t.Errorf("%s: got -> %q, want -> %q", l.rel, got, l.want)
		}
	}
	if mac := read(t, dir, pf+"net/enp2s0f0/address"); !strings.HasPrefix(mac, "52:54:00:") {
		t.Errorf("PF MAC %q is not under the model's prefix", mac)
	}
	if _, err := os.Stat(filepath.Join(dir, "sys", vf, "sriov_numvfs")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a VF has sriov_numvfs: %v", err)
	}
	// SetLink moves IFF_UP in flags with operstate; Observe reads it back.
	for _, up := range []bool{false, true} {
		if err := k.SetLink(ctx, "enp2s0f0", up, 0); err != nil {
			t.Fatal(err)
		}
		wantFlags, wantOper := "0x1002\n", "down\n"
		if up {
			wantFlags, wantOper = "0x1003\n", "up\n"
		}
		if got, oper := read(t, dir, pf+"net/enp2s0f0/flags"), read(t, dir, pf+"net/enp2s0f0/operstate"); got != wantFlags || oper != wantOper {
			t.Errorf("after SetLink up=%v: flags %q operstate %q, want %q and %q", up, got, oper, wantFlags, wantOper)
		}
		h, err := k.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h.PFs[0].AdminUp != up {
			t.Errorf("after SetLink up=%v: Observe says admin up %v", up, h.PFs[0].AdminUp)
		}
	}
	// numvfs 0 removes VFs, links and netdevs.
	if err := k.WriteNumVFs(ctx, "0000:02:00.0", "0"); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{pf + "virtfn0", "bus/pci/devices/0000:02:10.0", "bus/pci/drivers/igbvf/0000:02:10.0", "class/net/enp2s16f0"} {
		if _, err := os.Lstat(filepath.Join(dir, "sys", gone)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after numvfs 0: %v", gone, err)
		}
	}
}

// TestDiscovery reads every model's host with sysfs.Read, as the agent reads
// a real one.
func TestDiscovery(t *testing.T) {
	tests := []struct {
		model            string
		bus              int
		vendor, device   uint16
		vfDevice         uint16
		total, offset    int
		stride           int
		driver, vfDriver string
		wantVFs          []string // first VFs of port 0
		port1VF0         string
	}{
		{"x710", 0x3b, 0x8086, 0x1572, 0x154c, 64, 16, 1, "i40e", "iavf", []string{"0000:3b:02.0", "0000:3b:02.1"}, "0000:3b:0a.0"},
		{"e810", 0x3b, 0x8086, 0x1592, 0x1889, 256, 8, 1, "ice", "iavf", []string{"0000:3b:01.0", "0000:3b:01.1"}, "0000:3c:01.0"},
		{"82599", 0x01, 0x8086, 0x10fb, 0x10ed, 63, 128, 2, "ixgbe", "ixgbevf", []string{"0000:01:10.0", "0000:01:10.2"}, "0000:01:10.1"},
		{"cx5", 0x5e, 0x15b3, 0x1017, 0x1018, 8, 2, 1, "mlx5_core", "mlx5_core", []string{"0000:5e:00.2", "0000:5e:00.3"}, "0000:5e:01.2"},
		{"igb", 0x02, 0x8086, 0x10c9, 0x10ca, 7, 128, 2, "igb", "igbvf", []string{"0000:02:10.0", "0000:02:10.2"}, "0000:02:10.1"},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			k, dir := newHost(t, sim.HostSpec{NICs: []sim.NICSpec{{Model: tt.model, Ports: 2, NUMANode: 0, Bus: tt.bus}}})
			ctx := t.Context()
			pf0 := fmt.Sprintf("0000:%02x:00.0", tt.bus)
			pf1 := fmt.Sprintf("0000:%02x:00.1", tt.bus)
			for _, pf := range []string{pf0, pf1} {
				if err := k.WriteNumVFs(ctx, pf, fmt.Sprint(tt.total)); err != nil {
					t.Fatal(err)
				}
			}
			h, err := sysfs.Read(os.DirFS(filepath.Join(dir, "sys")))
			if err != nil {
				t.Fatal(err)
			}
			if len(h.PFs) != 2 {
				t.Fatalf("got %d PFs, want 2", len(h.PFs))
			}
			p := h.PFs[0]
			got := struct {
				Addr, Driver   string
				Vendor, Device uint16
				VFDevice       uint16
				Total, Num     int
				Offset, Stride int
				VF0, VF1       string
				VFDriver       string
				Port1VF0       string
			}{p.PCIAddr, p.Driver, p.Vendor, p.Device, p.SRIOV.VFDevice, p.SRIOV.TotalVFs, p.SRIOV.NumVFs,
				p.SRIOV.Offset, p.SRIOV.Stride, p.SRIOV.VFs[0].PCIAddr, p.SRIOV.VFs[1].PCIAddr, p.SRIOV.VFs[0].Driver,
				h.PFs[1].SRIOV.VFs[0].PCIAddr}
			want := got
			want.Addr, want.Driver, want.Vendor, want.Device, want.VFDevice = pf0, tt.driver, tt.vendor, tt.device, tt.vfDevice
			want.Total, want.Num, want.Offset, want.Stride = tt.total, tt.total, tt.offset, tt.stride
			want.VF0, want.VF1, want.VFDriver, want.Port1VF0 = tt.wantVFs[0], tt.wantVFs[1], tt.vfDriver, tt.port1VF0
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("discovery of %s (-want +got):\n%s", tt.model, d)
			}
			// Both ports' VFs, all enabled, never share an address.
			seen := map[string]bool{}
			for _, pf := range h.PFs {
				for _, vf := range pf.SRIOV.VFs {
					if seen[vf.PCIAddr] {
						t.Fatalf("VF address %s used twice", vf.PCIAddr)
					}
					seen[vf.PCIAddr] = true
				}
			}
		})
	}
	// Functions Observe does not report as NICs, and a NIC without SR-IOV.
	k, _ := newHost(t, sim.HostSpec{NICs: []sim.NICSpec{{Model: "nvme", NUMANode: -1, Bus: 1}, {Model: "virtio", NUMANode: -1, Bus: 7}}})
	h, err := k.Observe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(h.PFs) != 1 || h.PFs[0].Device != 0x1041 || h.PFs[0].SRIOV != nil || h.PFs[0].Ifname != "enp7s0" || h.PFs[0].Driver != "virtio-pci" {
		t.Fatalf("nvme + virtio host: got PFs %+v, want only the virtio NIC, without SR-IOV, netdev enp7s0", h.PFs)
	}
}

// TestLocking runs two Kernel values of one host concurrently: every write
// must be counted and every VF setting kept, which needs the flock.
func TestLocking(t *testing.T) {
	k1, dir := newHost(t, sim.HostSpec{NICs: []sim.NICSpec{{Model: "x710", NUMANode: -1}}})
	k2, err := sim.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := k1.WriteNumVFs(ctx, "0000:3b:00.0", "8"); err != nil {
		t.Fatal(err)
	}
	if err := k1.ResetWrites(ctx); err != nil {
		t.Fatal(err)
	}
	const perVF = 10
	var wg sync.WaitGroup
	errs := make(chan error, 8*perVF)
	for vf := 0; vf < 8; vf++ {
		k := k1
		if vf%2 == 1 {
			k = k2
		}
		wg.Go(func() {
			for i := 0; i < perVF; i++ {
				mac := fmt.Sprintf("02:00:00:00:%02x:%02x", vf, i)
				errs <- k.SetVF(ctx, "enp59s0f0", vf, kernel.VFChange{MAC: &mac, VLAN: &kernel.VLAN{ID: vf*100 + i}})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	w, err := k2.Writes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w[sim.OpSetVF] != 8*perVF {
		t.Errorf("SetVF writes: got %d, want %d", w[sim.OpSetVF], 8*perVF)
	}
	infos, err := k1.VFs(ctx, "enp59s0f0")
	if err != nil {
		t.Fatal(err)
	}
	for vf, info := range infos {
		want := fmt.Sprintf("02:00:00:00:%02x:%02x", vf, perVF-1)
		if info.MAC != want || info.VLAN != vf*100+perVF-1 {
			t.Errorf("VF %d: got MAC %s VLAN %d, want %s and %d", vf, info.MAC, info.VLAN, want, vf*100+perVF-1)
		}
	}
}

// TestFaults injects errnos for a number of calls and checks that nothing
// changes while they last.
func TestFaults(t *testing.T) {
	k, _ := newHost(t, sim.HostSpec{NICs: []sim.NICSpec{{Model: "x710", NUMANode: -1}}})
	ctx := t.Context()
	pf := "0000:3b:00.0"
	if err := k.InjectFault(ctx, sim.Fault{Op: sim.OpNumVFs, Device: pf, Errno: syscall.EIO, Times: 2}); err != nil {
		t.Fatal(err)
	}
	if err := k.InjectFault(ctx, sim.Fault{Op: sim.OpSetVF, Errno: syscall.EAGAIN, Times: 1}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"numvfs 1st", func() error { return k.WriteNumVFs(ctx, pf, "4") }, syscall.EIO},
		{"numvfs other PF", func() error { return k.WriteNumVFs(ctx, "0000:3b:00.1", "4") }, syscall.ENOENT},
		{"numvfs 2nd", func() error { return k.WriteNumVFs(ctx, pf, "4") }, syscall.EIO},
		{"numvfs 3rd", func() error { return k.WriteNumVFs(ctx, pf, "4") }, nil},
		{"setvf 1st", func() error { return k.SetVF(ctx, "enp59s0f0", 0, kernel.VFChange{Trust: new(true)}) }, syscall.EAGAIN},
		{"setvf 2nd", func() error { return k.SetVF(ctx, "enp59s0f0", 0, kernel.VFChange{Trust: new(true)}) }, nil},
		{"bad op", func() error { return k.InjectFault(ctx, sim.Fault{Op: "reboot", Errno: syscall.EIO, Times: 1}) }, nil},
	}
	for _, s := range steps {
		err := s.do()
		if s.name == "bad op" {
			if err == nil {
				t.Errorf("%s: injected a fault into an unknown operation", s.name)
			}
			continue
		}
		if s.want == nil && err != nil || s.want != nil && !errors.Is(err, s.want) {
			t.Errorf("%s: got %v, want %v", s.name, err, s.want)
		}
		var kerr *kernel.Error
		if err != nil && !errors.As(err, &kerr) {
			t.Errorf("%s: %T is not a *kernel.Error", s.name, err)
		}
	}
	w, err := k.Writes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[sim.Op]int{sim.OpNumVFs: 4, sim.OpSetVF: 2}, w); d != "" {
		t.Errorf("write counts (-want +got):\n%s", d)
	}
}

// TestKstrtou16 covers the numvfs parser beyond the suite's cases.
func TestNumVFsParse(t *testing.T) {
	k, _ := newHost(t, sim.HostSpec{NICs: []sim.NICSpec{{Model: "x710", NUMANode: -1}}})
	ctx := context.Background()
	pf := "0000:3b:00.0"
	tests := []struct {
		in   string
		want error
		n    int
	}{
		{"010", nil, 8}, // base 0: a leading 0 is octal
		{"0", nil, 0},
		{"08", syscall.EINVAL, 0},
		{"+3", nil, 3},
		{"0X3", nil, 3},
		{"0b11", syscall.EINVAL, 0},
		{"1_0", syscall.EINVAL, 0},
		{"99", syscall.ERANGE, 0},
	}
	for _, tt := range tests {
		if err := k.WriteNumVFs(ctx, pf, "0"); err != nil {
			t.Fatal(err)
		}
		err := k.WriteNumVFs(ctx, pf, tt.in)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("write %q: got %v, want %v", tt.in, err, tt.want)
			continue
		}
		h, err := k.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.PFs[0].SRIOV.NumVFs; got != tt.n {
			t.Errorf("write %q: numvfs %d, want %d", tt.in, got, tt.n)
		}
	}
}

// TestHostSpec covers the spec's errors and the --nic syntax.
func TestHostSpec(t *testing.T) {
	nics := []struct {
		in      string
		want    sim.NICSpec
		wantErr bool
	}{
		{"x710:2@numa0", sim.NICSpec{Model: "x710", Ports: 2, NUMANode: 0}, false},
		{"cx5", sim.NICSpec{Model: "cx5", Ports: 1, NUMANode: -1}, false},
		{"igb@numa1", sim.NICSpec{Model: "igb", Ports: 1, NUMANode: 1}, false},
		{"x710:0", sim.NICSpec{}, true},
		{"x710@node1", sim.NICSpec{}, true},
		{":2", sim.NICSpec{}, true},
	}
	for _, tt := range nics {
		got, err := sim.ParseNIC(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseNIC(%q): got %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	specs := []struct {
		name string
		spec sim.HostSpec
		want string // part of the error
	}{
		{"unknown model", sim.HostSpec{Hostname: "h", NICs: []sim.NICSpec{{Model: "x999"}}}, "known models are 82599, cx5, e810, igb, nvme, virtio, x710"},
		{"too many ports", sim.HostSpec{Hostname: "h", NICs: []sim.NICSpec{{Model: "cx5", Ports: 3}}}, "at most 2"},
		{"no such node", sim.HostSpec{Hostname: "h", NUMANodes: 2, NICs: []sim.NICSpec{{Model: "cx5", NUMANode: 2}}}, "nodes 0-1"},
		{"VFs on a PF", sim.HostSpec{Hostname: "h", NICs: []sim.NICSpec{{Model: "igb", Bus: 2}, {Model: "nvme", Bus: 2}}}, "collides"},
		{"no hostname", sim.HostSpec{}, "hostname"},
	}
	for _, tt := range specs {
		err := sim.Create(t.TempDir(), tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	dir := t.TempDir()
	if err := sim.Create(dir, sim.HostSpec{Hostname: "h"}); err != nil {
		t.Fatal(err)
	}
	if err := sim.Create(dir, sim.HostSpec{Hostname: "h"}); err == nil {
		t.Errorf("Create over an existing host succeeded")
	}
}

// TestPFLinkAcrossResets: a count change leaves the PF's link as it was (the
// simulator has no time, so igb's ~1.5 s link drop is over at once); a PF
// driver bound again registers its netdev administratively down, and igb
// refuses VF rates until SetLink brings it up.
func TestPFLinkAcrossResets(t *testing.T) {
	k, _ := newHost(t, sim.HostSpec{NICs: []sim.NICSpec{{Model: "igb", NUMANode: -1, Bus: 2}}})
	ctx := t.Context()
	const pf, ifname = "0000:02:00.0", "enp2s0f0"
	link := func(when string, wantUp bool) {
		t.Helper()
		h, err := k.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{true: "up", false: "down"}[wantUp]
		if got := h.PFs[0]; got.AdminUp != wantUp || got.Oper != want {
			t.Fatalf("%s: PF admin up %v operstate %q, want %v and %q", when, got.AdminUp, got.Oper, wantUp, want)
		}
	}
	rate := func(when string, want syscall.Errno) {
		t.Helper()
		err := k.SetVF(ctx, ifname, 0, kernel.VFChange{Rate: &kernel.Rate{Max: 100}})
		if (want == 0) != (err == nil) || want != 0 && !errors.Is(err, want) {
			t.Fatalf("%s: max_tx_rate 100: got %v, want errno %d", when, err, want)
		}
	}

	link("new host", true)
	for _, v := range []string{"2\n", "0\n", "2\n"} {
		if err := k.WriteNumVFs(ctx, pf, v); err != nil {
			t.Fatal(err)
		}
		link("after numvfs "+strings.TrimSpace(v), true)
	}
	rate("PF up after numvfs changes", 0)

	if err := k.SetLink(ctx, ifname, false, 0); err != nil {
		t.Fatal(err)
	}
	rate("PF set down", syscall.EINVAL)
	if err := k.WriteNumVFs(ctx, pf, "0\n"); err != nil {
		t.Fatal(err)
	}
	if err := k.WriteNumVFs(ctx, pf, "1\n"); err != nil {
		t.Fatal(err)
	}
	link("numvfs change with the PF down", false)
	rate("PF down after numvfs changes", syscall.EINVAL)

	if err := k.SetLink(ctx, ifname, true, 0); err != nil {
		t.Fatal(err)
	}
	if err := k.Unbind(ctx, pf, "igb"); err != nil {
		t.Fatal(err)
	}
	if err := k.Bind(ctx, pf, "igb"); err != nil {
		t.Fatal(err)
	}
	link("PF driver bound again", false)
	if err := k.WriteNumVFs(ctx, pf, "1\n"); err != nil {
		t.Fatal(err)
	}
	rate("PF down after rebind", syscall.EINVAL)
	if err := k.SetLink(ctx, ifname, true, 0); err != nil {
		t.Fatal(err)
	}
	link("SetLink up after rebind", true)
	rate("PF up after rebind", 0)
}
