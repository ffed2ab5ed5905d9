package sim_test

import (
	"testing"

	"vfnet/internal/kernel/kerneltest"
	"vfnet/internal/sim"
)

// conformanceHost is one host with every model, so that each target runs
// with other devices around it.
func conformanceHost(t testing.TB, extra ...sim.Model) (*sim.Kernel, map[string]pfRef) {
	t.Helper()
	dir := t.TempDir()
	spec := sim.HostSpec{Hostname: "conformance", NUMANodes: 2, Models: extra, NICs: []sim.NICSpec{
		{Model: "igb", NUMANode: 0, Bus: 0x02},
		{Model: "nvme", NUMANode: -1, Bus: 0x01},
		{Model: "x710", Ports: 2, NUMANode: 0},
		{Model: "e810", NUMANode: 1},
		{Model: "82599", Ports: 2, NUMANode: 1},
		{Model: "cx5", Ports: 2, NUMANode: 1},
		{Model: "virtio", NUMANode: -1, Bus: 0x07},
	}}
	for i, m := range extra {
		spec.NICs = append(spec.NICs, sim.NICSpec{Model: m.Name, NUMANode: 0, Bus: 0x60 + i})
	}
	if err := sim.Create(dir, spec); err != nil {
		t.Fatal(err)
	}
	k, err := sim.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := k.Observe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]pfRef{}
	for _, pf := range h.PFs {
		if _, seen := refs[pf.Driver]; !seen {
			refs[pf.Driver] = pfRef{addr: pf.PCIAddr, ifname: pf.Ifname}
		}
	}
	// nvme is not a network function: Observe does not list it.
	refs["nvme"] = pfRef{addr: "0000:01:00.0"}
	return k, refs
}

type pfRef struct{ addr, ifname string }

// TestConformance runs the kernel suite on each simulated model with the
// behaviour kerneltest expects of its PF driver.
func TestConformance(t *testing.T) {
	k, refs := conformanceHost(t)
	for _, m := range sim.Models() {
		if m.SRIOV == nil {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			want, ok := kerneltest.Drivers()[m.PFDriver]
			if !ok {
				t.Fatalf("kerneltest.Drivers has no behaviour for %s", m.PFDriver)
			}
			ref := refs[m.PFDriver]
			kerneltest.Run(t, kerneltest.Target{
				Kernel: k, PF: ref.addr, Ifname: ref.ifname, Driver: m.PFDriver, Expect: want,
				OverrideDriver: "vfio-pci", NoSRIOVIfname: refs["virtio-pci"].ifname,
			})
		})
	}
}

// TestConformanceKeepsSettings covers the drivers that keep VF settings
// across N -> 0 -> N (netdevsim does; no simulated NIC model does), with a
// model made for it.
func TestConformanceKeepsSettings(t *testing.T) {
	m, err := sim.LookupModel("e810")
	if err != nil {
		t.Fatal(err)
	}
	m.Name, m.PFDriver, m.MaxPorts = "keeper", "keeper", 1
	s := *m.SRIOV
	s.VFDevice, s.KeepVFSettings, s.VFDriver, s.InitialSpoofChk, s.TotalVFs, s.Offsets = 0x0bee, true, "keepervf", false, 4, []int{1}
	m.SRIOV = &s
	k, refs := conformanceHost(t, m)
	want := kerneltest.Drivers()["netdevsim"]
	want.Observed, want.AboveTotal, want.VFDriver, want.DisablesVFsOnUnbind = true, kerneltest.Drivers()["ice"].AboveTotal, "keepervf", true
	kerneltest.Run(t, kerneltest.Target{
		Kernel: k, PF: refs["keeper"].addr, Ifname: refs["keeper"].ifname, Driver: "keeper", Expect: want,
		OverrideDriver: "pci-stub",
	})
}
