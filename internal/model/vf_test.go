package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitVFs(t *testing.T) {
	a := vfAddrs("3b", 8) // 3b:02.0 .. 3b:02.7
	tests := []struct {
		name  string
		cfg   HostConfig
		addrs []string
		want  map[string][]string
	}{
		{"parent only", fixture(), a, map[string][]string{"i0": a}},
		{"one pool from the end", with(fixture(), []Interface{vf("i5", "vf0", "sriov0", 2)}), a,
			map[string][]string{"i0": a[:6], "i5": a[6:]}},
		{"pools in name order", with(fixture(), []Interface{vf("i6", "vfb", "sriov0", 1), vf("i5", "vfa", "sriov0", 3)}), a,
			map[string][]string{"i0": a[:4], "i5": a[5:], "i6": a[4:5]}},
		{"nested pool", with(fixture(), []Interface{vf("i5", "vf0", "sriov0", 4), vf("i7", "vf00", "vf0", 1)}), a,
			map[string][]string{"i0": a[:4], "i5": a[4:7], "i7": a[7:]}},
		{"more VFs reported than configured", with(fixture(), []Interface{vf("i5", "vf0", "sriov0", 2)}), vfAddrs("3b", 16),
			map[string][]string{"i0": a[:6], "i5": a[6:]}},
		{"not applied yet: last pools get fewer", with(fixture(), []Interface{vf("i5", "vfa", "sriov0", 2), vf("i6", "vfb", "sriov0", 2)}), a[:3],
			map[string][]string{"i0": {}, "i5": a[1:3], "i6": a[:1]}},
		{"unknown parent", fixture(), a, map[string][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := "i0"
			if tt.name == "unknown parent" {
				parent = "zz"
			}
			got := SplitVFs(tt.cfg, parent, tt.addrs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("addrs %v (-want +got):\n%s", tt.addrs, diff)
			}
		})
	}
}

func TestDerive(t *testing.T) {
	cfg := with(fixture(), []Interface{vf("i5", "vf0", "sriov0", 2)}, InterfaceDataNetwork{ID: "a1", InterfaceID: "i5", DataNetworkID: "d1"})
	d := cfg.Derive()
	a := vfAddrs("3b", 8)
	got := map[string][3][]string{}
	for _, i := range d.Interfaces {
		got[i.Name] = [3][]string{i.UsedBy, i.DataNetworks, i.SRIOVVFsPCIAddress}
	}
	want := map[string][3][]string{
		"sriov0": {{"vf0"}, {"physnet0"}, a[:6]},
		"data0":  {{}, {}, {}},
		"vf0":    {{}, {"physnet1"}, a[6:]},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Derive interfaces (-want +got):\n%s", diff)
	}
	ports := map[string]string{}
	for _, p := range d.Ports {
		ports[p.ID] = p.InterfaceID
	}
	if diff := cmp.Diff(map[string]string{"p0": "i0", "p1": "", "p2": "i1", "p3": "", "p4": ""}, ports); diff != "" {
		t.Errorf("Derive ports' interface_id (-want +got):\n%s", diff)
	}
}

func TestDesiredPFs(t *testing.T) {
	a := vfAddrs("3b", 8)
	rated := vf("i5", "vf0", "sriov0", 2)
	rated.SRIOVVFDriver = VFDriverVFIO
	rated.MaxTxRate = 1000
	cfg := with(fixture(), []Interface{rated,
		{ID: "pt", Name: "pt0", Type: IfTypeEthernet, Class: IfClassPCIPassthrough, PortID: "p1", MTU: 1500}},
		InterfaceDataNetwork{ID: "a1", InterfaceID: "i5", DataNetworkID: "d1"})
	want := []DesiredPF{
		{Interface: "sriov0", Port: "enp59s0f0", PCIAddr: "0000:3b:00.0", Class: IfClassPCISRIOV, NumVFs: 8, MTU: 9000, Pools: []DesiredVFPool{
			{Interface: "sriov0", NumVFs: 6, Driver: VFDriverNetdevice, MTU: 9000, VFs: a[:6], DataNetworks: []string{"physnet0"}},
			{Interface: "vf0", NumVFs: 2, Driver: VFDriverVFIO, MTU: 1500, MaxTxRate: 1000, VFs: a[6:], DataNetworks: []string{"physnet1"}},
		}},
		{Interface: "pt0", Port: "enp59s0f1", PCIAddr: "0000:3b:00.1", Class: IfClassPCIPassthrough, NumVFs: 0, MTU: 1500, Pools: []DesiredVFPool{}},
	}
	if diff := cmp.Diff(want, cfg.DesiredPFs()); diff != "" {
		t.Errorf("DesiredPFs (-want +got):\n%s", diff)
	}
}
