package sim_test

import (
	"testing"

	"vfnet/internal/kernel"
	"vfnet/internal/sim"
)

// TestRenamePFNetdev: a PF's netdev renamed (as a re-probe without udev
// does) is found under the new name only, with its state and VFs; the PF's
// driver bound again registers the new name; a name in use is refused.
func TestRenamePFNetdev(t *testing.T) {
	k, _ := newHost(t, sim.HostSpec{NICs: []sim.NICSpec{{Model: "igb", NUMANode: -1, Bus: 2}, {Model: "igb", NUMANode: -1, Bus: 3}}})
	ctx := t.Context()
	const pf = "0000:02:00.0"
	if err := k.WriteNumVFs(ctx, pf, "2\n"); err != nil {
		t.Fatal(err)
	}
	before, err := k.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := before.PFs[0].Ifname
	mac := "fa:16:3e:00:00:01"
	if err := k.SetVF(ctx, old, 1, kernel.VFChange{MAC: &mac}); err != nil {
		t.Fatal(err)
	}
	if err := k.RenamePFNetdev(ctx, pf, before.PFs[1].Ifname); err == nil {
		t.Fatalf("rename %s to the other PF's netdev %s: accepted", pf, before.PFs[1].Ifname)
	}
	if err := k.RenamePFNetdev(ctx, pf, "eth5"); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		h, err := k.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.PFs[0]; got.Ifname != "eth5" || got.MAC != before.PFs[0].MAC || got.PCIAddr != pf {
			t.Fatalf("%s: PF %+v, want %s named eth5 with MAC %s", when, got, pf, before.PFs[0].MAC)
		}
		if _, err := k.VFs(ctx, old); err == nil {
			t.Errorf("%s: VFs of the old name %s still answer", when, old)
		}
	}
	check("after the rename")
	vfs, err := k.VFs(ctx, "eth5")
	if err != nil || len(vfs) != 2 || vfs[1].MAC != "fa:16:3e:00:00:01" {
		t.Fatalf("VFs of eth5: %+v %v, want 2 with VF 1 at fa:16:3e:00:00:01", vfs, err)
	}
	if err := k.WriteNumVFs(ctx, pf, "0\n"); err != nil {
		t.Fatal(err)
	}
	if err := k.Unbind(ctx, pf, "igb"); err != nil {
		t.Fatal(err)
	}
	if err := k.Bind(ctx, pf, "igb"); err != nil {
		t.Fatal(err)
	}
	check("after the PF's driver bound again")
}
