package cli

import (
	"context"
	"strings"
	"testing"

	"vfnet/internal/model"
	"vfnet/internal/store/storetest"
)

// TestVerbs runs every host-config verb once, table and JSON, against a
// host whose agent reported 8 VFs on its first port.
func TestVerbs(t *testing.T) {
	ctx := context.Background()
	srv := testServer(t)
	if _, err := srv.Store.RegisterHost(ctx, "compute-0", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.ReportInventory(ctx, "compute-0", storetest.Inventory(8)); err != nil {
		t.Fatal(err)
	}
	admin := srv.AdminToken
	steps := []struct {
		args []string
		says []string // substrings of the output
	}{
		{[]string{"host-show", "compute-0"}, []string{"| hostname", "compute-0", "locked"}},
		{[]string{"host-port-show", "compute-0", "0000:3b:00.0"}, []string{"enp59s0f0", "sriov_totalvfs", "64", "iavf"}},
		{[]string{"host-if-modify", "compute-0", "enp59s0f0", "-c", "pci-sriov", "-N", "8", "--vf-driver", "netdevice"}, []string{"pci-sriov", "netdevice"}},
		{[]string{"host-if-add", "compute-0", "dpdk0", "vf", "enp59s0f0", "-N", "2", "--vf-driver", "vfio", "--max-tx-rate", "1000"}, []string{"dpdk0", "vfio", "1000"}},
		{[]string{"host-if-add", "compute-0", "vlan10", "vlan", "ens3", "-V", "10", "-c", "platform"}, []string{"vlan10", "platform"}},
		{[]string{"host-if-list", "compute-0"}, []string{"dpdk0", "vlan10", "sriov_numvfs=8", "max_tx_rate=1000", "| 10 "}},
		{[]string{"host-if-show", "compute-0", "enp59s0f0"}, []string{"used_by", "dpdk0"}},
		{[]string{"datanetwork-add", "physnet0", "vlan", "-m", "1500", "-d", "fabric A", "--segment-range", "10-99", "--segment-range", "200"}, []string{"physnet0", "fabric A"}},
		{[]string{"datanetwork-modify", "physnet0", "-d", "fabric B", "--segment-range", "10-20"}, []string{"fabric B", `"max":20`}},
		{[]string{"datanetwork-show", "physnet0"}, []string{"fabric B"}},
		{[]string{"datanetwork-list"}, []string{"physnet0", "vlan", "10-20"}},
		{[]string{"interface-datanetwork-assign", "compute-0", "dpdk0", "physnet0"}, []string{"dpdk0", "physnet0"}},
		{[]string{"interface-datanetwork-list", "compute-0", "-o", "json"}, []string{`"ifname": "dpdk0"`}},
		{[]string{"interface-datanetwork-remove", "compute-0", "dpdk0", "physnet0"}, []string{"Removed data network physnet0"}},
		{[]string{"host-if-delete", "compute-0", "dpdk0"}, []string{"Deleted interface dpdk0"}},
		{[]string{"datanetwork-delete", "physnet0"}, []string{"Deleted data network physnet0"}},
		{[]string{"host-list", "-o", "json"}, []string{`"hostname": "compute-0"`}},
		{[]string{"token", "list", "-o", "json"}, []string{`"admin"`}},
	}
	for _, s := range steps {
		out := vfnet(t, srv, admin, s.args...)
		for _, want := range s.says {
			if !strings.Contains(out, want) {
				t.Errorf("vfnet %s: output does not contain %q:\n%s", strings.Join(s.args, " "), want, out)
			}
		}
	}
	ifs, err := srv.Store.Interfaces(ctx, "compute-0")
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Name == "dpdk0" {
			t.Errorf("dpdk0 still there after host-if-delete")
		}
		if i.Name == "vlan10" && (i.Type != model.IfTypeVLAN || i.VLANID != 10) {
			t.Errorf("vlan10: %s", mustJSON(i))
		}
	}

	// Usage errors name the fix.
	for _, bad := range [][]string{
		{"host-list", "-o", "yaml"},
		{"datanetwork-add", "physnet1", "vlan", "--segment-range", "ten-twenty"},
	} {
		if out, err := vfnetErr(t, srv, admin, bad...); err == nil {
			t.Errorf("vfnet %s: no error:\n%s", strings.Join(bad, " "), out)
		}
	}
	t.Setenv("VFNET_TOKEN", "")
	var errb strings.Builder
	err = Run(ctx, []string{"host-list", "--url", srv.URL}, &errb, &errb)
	if err == nil || !strings.Contains(err.Error(), "VFNET_TOKEN") {
		t.Errorf("host-list without a token: %v, want a message naming VFNET_TOKEN", err)
	}
}
