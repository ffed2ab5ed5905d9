package agent

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"vfnet/internal/kernel"
	"vfnet/internal/sim"
)

// igb refuses VF rates (EINVAL) while its PF is down (sim: VFOps.RateNeedsLink,
// seen in the QEMU lab). The agent programs rates only on VF sub-interfaces
// (pools with max_tx_rate) of PFs it wants up, and plans a PF's link before
// its VFs, so the rates go through however the PF was left: set down, its
// driver bound again (the netdev registers down), or rates changed while down.
func TestConvergeRateAfterPFDown(t *testing.T) {
	ctx := context.Background()
	const pf, ifname = "0000:5e:00.0", "enp94s0f0"
	s := newSim(t, sim.HostSpec{Hostname: "compute-0", NICs: []sim.NICSpec{{Model: "igb", NUMANode: -1, Bus: 0x5e}}})
	desired := func(rev int64, rate int) Desired {
		return Desired{Revision: rev, PFs: []DesiredPF{{PCIAddr: pf, NumVFs: 3, Up: true,
			Pools: []VFPool{{First: 0, Count: 2, MaxTxRate: rate}}}}}
	}
	converge := func(when string, d Desired) {
		t.Helper()
		r, err := Converge(ctx, s, d, nil)
		if err != nil || len(r.Errors) != 0 {
			t.Fatalf("%s: converge: %v, kernel errors %v", when, err, r.Errors)
		}
		h, err := s.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := d.PFs[0].Pools[0].MaxTxRate
		for i, rate := range []int{want, want, 0} {
			if got := vfOf(t, h, pf, i).Info.MaxTxRate; got != rate {
				t.Fatalf("%s: VF %d max_tx_rate %d, want %d", when, i, got, rate)
			}
		}
	}

	must(t, s.SetLink(ctx, ifname, false, 0))
	converge("PF down, no VFs", desired(1, 100))

	// Existing VFs whose rate changes while the PF is down: the link and the
	// rates are in one pass, the link first.
	must(t, s.SetLink(ctx, ifname, false, 0))
	h, err := s.Observe(ctx)
	must(t, err)
	ops, _ := Plan(desired(2, 200), h)
	link, firstRate := -1, -1
	for i, o := range ops {
		switch {
		case o.Kind == OpSetLink && link < 0:
			link = i
		case o.Kind == OpSetVF && o.Change.Rate != nil && firstRate < 0:
			firstRate = i
		}
	}
	if link < 0 || firstRate < 0 || link > firstRate {
		t.Fatalf("plan with the PF down and new rates: set link at %d, first rate at %d, want the link first:\n%v", link, firstRate, ops)
	}
	converge("PF down, rates changed", desired(2, 200))

	// A PF driver bound again: igb disabled the VFs, the netdev is down.
	must(t, s.Unbind(ctx, pf, "igb"))
	must(t, s.Bind(ctx, pf, "igb"))
	converge("PF driver bound again", desired(3, 200))

	// The sim refuses the rate with the PF down: what the agent avoids.
	must(t, s.SetLink(ctx, ifname, false, 0))
	if err := s.SetVF(ctx, ifname, 0, kernel.VFChange{Rate: &kernel.Rate{Max: 300}}); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("rate with the simulated igb's PF down: got %v, want EINVAL; without it this test proves nothing", err)
	}
}
