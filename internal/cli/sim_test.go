package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"vfnet/internal/kernel"
	"vfnet/internal/sim"
)

func TestSimCreateShow(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "h0")
	var out bytes.Buffer
	ctx := t.Context()
	if err := Run(ctx, []string{"sim", "create", dir, "--host", "compute-0", "--nic", "x710:2@numa0", "--nic", "cx5:1@numa1", "--numa", "2"}, &out, &out); err != nil {
		t.Fatalf("sim create: %v\n%s", err, out.String())
	}
	k, err := sim.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.WriteNumVFs(ctx, "0000:3b:00.0", "4"); err != nil {
		t.Fatal(err)
	}
	mac := "fa:16:3e:00:00:03"
	if err := k.SetVF(ctx, "enp59s0f0", 3, kernel.VFChange{MAC: &mac, VLAN: &kernel.VLAN{ID: 10}}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := Run(ctx, []string{"sim", "show", dir}, &out, &out); err != nil {
		t.Fatalf("sim show: %v", err)
	}
	for _, want := range []string{
		"host compute-0\n",
		"pf 0000:3b:00.1 [8086:1572] driver i40e numa 0\n",
		"pf 0000:5e:00.0 [15b3:1017] driver mlx5_core numa 1\n",
		"    vf 3     link/ether fa:16:3e:00:00:03 brd ff:ff:ff:ff:ff:ff, vlan 10, spoof checking on, link-state auto, trust off\n" +
			"        pci 0000:3b:02.3 driver iavf netdev enp59s2f3\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("sim show lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := Run(ctx, []string{"sim", "show", dir, "-o", "json"}, &out, &out); err != nil {
		t.Fatalf("sim show -o json: %v", err)
	}
	var got struct {
		Hostname string            `json:"hostname"`
		PFs      []kernel.PF       `json:"pfs"`
		NUMA     []kernel.NUMANode `json:"numa_nodes"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("sim show -o json: %v\n%s", err, out.String())
	}
	if got.Hostname != "compute-0" || len(got.PFs) != 3 || len(got.NUMA) != 2 || got.PFs[0].SRIOV.VFs[3].Info.VLAN != 10 {
		t.Errorf("sim show -o json: got %+v", got)
	}

	for _, args := range [][]string{
		{"sim", "create", filepath.Join(t.TempDir(), "x"), "--nic", "x999"},
		{"sim", "create", dir, "--nic", "x710"},
		{"sim", "show", filepath.Join(t.TempDir(), "none")},
	} {
		if err := Run(ctx, args, &out, &out); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
	err = Run(ctx, []string{"sim", "create", filepath.Join(t.TempDir(), "x"), "--nic", "x999"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "known models are 82599, cx5, e810, igb, nvme, virtio, x710") {
		t.Errorf("unknown model: got %v, want the known models listed", err)
	}
}
