package sim_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/kernel"
	"vfnet/internal/sim"
)

// TestCacheMatchesDisk makes changes of every kind through one Kernel, which
// keeps the state it last read, and checks that a Kernel opened afresh reads
// the same host from disk: a change the cache holds and the files do not
// would be lost to every other process.
func TestCacheMatchesDisk(t *testing.T) {
	m, err := sim.LookupModel("e810")
	if err != nil {
		t.Fatal(err)
	}
	m.Name, m.PFDriver, m.MaxPorts = "keeper", "keeper", 1
	s := *m.SRIOV
	s.VFDevice, s.KeepVFSettings, s.VFDriver, s.TotalVFs, s.Offsets = 0x0bee, true, "keepervf", 4, []int{1}
	m.SRIOV = &s
	k, dir := newHost(t, sim.HostSpec{Models: []sim.Model{m}, NICs: []sim.NICSpec{
		{Model: "x710", NUMANode: -1}, {Model: "keeper", NUMANode: -1, Bus: 0x60},
	}})
	ctx := t.Context()
	x710, keeper := "0000:3b:00.0", "0000:60:00.0"
	mac := "02:00:00:00:00:01"
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"enable x710", func() error { return k.WriteNumVFs(ctx, x710, "4") }, nil},
		{"enable keeper", func() error { return k.WriteNumVFs(ctx, keeper, "4") }, nil},
		{"VF MAC and VLAN", func() error {
			return k.SetVF(ctx, "enp59s0f0", 1, kernel.VFChange{MAC: &mac, VLAN: &kernel.VLAN{ID: 10}})
		}, nil},
		// The MAC is applied, then 802.1ad refused: the MAC stays.
		{"VF MAC then 802.1ad", func() error {
			return k.SetVF(ctx, "enp59s0f0", 2, kernel.VFChange{MAC: &mac, VLAN: &kernel.VLAN{ID: 10, Proto: kernel.Proto8021AD}})
		}, syscall.EPROTONOSUPPORT},
		{"keeper VF trust", func() error { return k.SetVF(ctx, "enp96s0", 3, kernel.VFChange{Trust: new(true)}) }, nil},
		{"keeper disable keeps settings", func() error { return k.WriteNumVFs(ctx, keeper, "0") }, nil},
		{"override", func() error { return k.SetDriverOverride(ctx, "0000:3b:02.0", "vfio-pci") }, nil},
		{"unbind", func() error { return k.Unbind(ctx, "0000:3b:02.0", "iavf") }, nil},
		{"probe", func() error { return k.Probe(ctx, "0000:3b:02.0") }, nil},
		{"link", func() error { return k.SetLink(ctx, "enp59s0f0", false, 9000) }, nil},
		{"fault", func() error { return k.InjectFault(ctx, sim.Fault{Op: sim.OpObserve, Errno: syscall.EIO, Times: 1}) }, nil},
		// A read's fault is used up for every process, not only this one.
		{"observe meets the fault", func() error { _, err := k.Observe(ctx); return err }, syscall.EIO},
	}
	for _, st := range steps {
		if err := st.do(); st.want == nil && err != nil || st.want != nil && !errors.Is(err, st.want) {
			t.Fatalf("%s: got %v, want %v", st.name, err, st.want)
		}
	}
	fresh, err := sim.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cached, err := k.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	disk, err := fresh.Observe(ctx)
	if err != nil {
		t.Fatalf("a fresh Kernel meets the fault the other used up: %v", err)
	}
	if d := cmp.Diff(cached, disk); d != "" {
		t.Errorf("host as cached (-) and as read from disk (+):\n%s", d)
	}
	if err := k.WriteNumVFs(ctx, keeper, "4"); err != nil {
		t.Fatal(err)
	}
	if disk, err = fresh.Observe(ctx); err != nil {
		t.Fatal(err)
	}
	if got := disk.PFs[1].SRIOV.VFs[3].Info; got == nil || !got.Trust {
		t.Errorf("keeper VF 3 after 4 -> 0 -> 4: got %+v, want trust kept", got)
	}
	if got := disk.PFs[0].SRIOV.VFs[2].Info; got == nil || got.MAC != mac || got.VLAN != 0 {
		t.Errorf("x710 VF 2 after a partly applied message: got %+v, want MAC %s and no VLAN", got, mac)
	}
	w1, err := k.Writes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := fresh.Writes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(w1, w2); d != "" {
		t.Errorf("write counts (-cached +disk):\n%s", d)
	}
}
