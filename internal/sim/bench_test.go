package sim_test

import (
	"fmt"
	"testing"

	"vfnet/internal/kernel"
	"vfnet/internal/sim"
)

// benchSpec is the agent's benchmark host: 4 x E810 (two dual-port cards).
var benchSpec = sim.HostSpec{Hostname: "bench-0", NUMANodes: 2, NICs: []sim.NICSpec{
	{Model: "e810", Ports: 2, NUMANode: 0, Bus: 0x3b},
	{Model: "e810", Ports: 2, NUMANode: 1, Bus: 0x86},
}}

var benchPFs = []struct{ addr, ifname string }{
	{"0000:3b:00.0", "enp59s0f0"}, {"0000:3b:00.1", "enp59s0f1"},
	{"0000:86:00.0", "enp134s0f0"}, {"0000:86:00.1", "enp134s0f1"},
}

// benchHost is benchSpec with every PF at 256 VFs: 1,024 VFs with netdevs.
func benchHost(b *testing.B) *sim.Kernel {
	b.Helper()
	k, _ := newHost(b, benchSpec)
	for _, pf := range benchPFs {
		if err := k.WriteNumVFs(b.Context(), pf.addr, "256"); err != nil {
			b.Fatal(err)
		}
	}
	return k
}

// BenchmarkSetVF is one RTM_SETLINK (MAC + VLAN) for one VF of a host with
// 1,024 VFs, the agent's most frequent write.
func BenchmarkSetVF(b *testing.B) {
	k := benchHost(b)
	ctx := b.Context()
	i := 0
	for b.Loop() {
		pf := benchPFs[i%len(benchPFs)]
		mac := fmt.Sprintf("02:00:00:00:%02x:%02x", (i>>8)&0xff, i&0xff)
		if err := k.SetVF(ctx, pf.ifname, i%256, kernel.VFChange{MAC: &mac, VLAN: &kernel.VLAN{ID: 1 + i%4000}}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkEnable256 writes 256 to one E810 PF's sriov_numvfs while the
// other three PFs hold 256 VFs each: 256 iavf VFs created, probed and given
// netdevs. Disabling them again is not timed.
func BenchmarkEnable256(b *testing.B) {
	k := benchHost(b)
	ctx := b.Context()
	pf := benchPFs[0].addr
	for b.Loop() {
		b.StopTimer()
		if err := k.WriteNumVFs(ctx, pf, "0"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := k.WriteNumVFs(ctx, pf, "256"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDisable256 writes 0 to a PF at 256 VFs; re-enabling is not timed.
func BenchmarkDisable256(b *testing.B) {
	k := benchHost(b)
	ctx := b.Context()
	pf := benchPFs[0].addr
	for b.Loop() {
		if err := k.WriteNumVFs(ctx, pf, "0"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := k.WriteNumVFs(ctx, pf, "256"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkObserve is one Observe of the host with 1,024 VFs: sysfs.Read of
// the tree plus the VFs' rtnetlink settings.
func BenchmarkObserve(b *testing.B) {
	k := benchHost(b)
	ctx := b.Context()
	for b.Loop() {
		if _, err := k.Observe(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnable256Cold is the first enable of a PF on a new host, as an
// agent converging a fresh host does it: every VF's distinct files (uevent,
// address, its links) are made for the first time.
func BenchmarkEnable256Cold(b *testing.B) {
	ctx := b.Context()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		k, _ := newHost(b, sim.HostSpec{Hostname: "bench-0", NICs: []sim.NICSpec{{Model: "e810", NUMANode: 0, Bus: 0x3b}}})
		b.StartTimer()
		if err := k.WriteNumVFs(ctx, benchPFs[0].addr, "256"); err != nil {
			b.Fatal(err)
		}
	}
}
