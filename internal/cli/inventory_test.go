package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/inventory"
	"vfnet/internal/sysfs/sysfstest"
)

func TestPrintTable(t *testing.T) {
	var b bytes.Buffer
	err := printTable(&b, []string{"name", "pciaddr"}, [][]string{{"ens785f0", "0000:3b:00.0"}, {"é"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `+----------+--------------+
| name     | pciaddr      |
+----------+--------------+
| ens785f0 | 0000:3b:00.0 |
| é        |              |
+----------+--------------+
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("printTable (-want +got):\n%s", diff)
	}
}

func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = Run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestInventoryCommand(t *testing.T) {
	dir := t.TempDir()
	m := sysfstest.Tree(t,
		sysfstest.PF{Addr: "0000:3b:00.0", Vendor: 0x8086, Device: 0x1572, SubVendor: 0x8086, SubDevice: 0x0008,
			Driver: "i40e", NUMANode: 0, LocalCPUList: "0-7", Ifname: "ens785f0", MAC: "3c:fd:fe:a0:b1:c2",
			MTU: 1500, Speed: 10000, Oper: "up",
			TotalVFs: 64, NumVFs: 2, Offset: 16, Stride: 1, VFDevice: 0x154c, VFDriver: "vfio-pci"},
		sysfstest.PF{Addr: "0000:00:03.0", Vendor: 0x1af4, Device: 0x1000, Driver: "virtio-pci", NUMANode: -1,
			Ifname: "eth0", MAC: "52:54:00:12:34:56", MTU: 1500, Speed: -1, Oper: "up"},
	)
	if err := sysfstest.WriteDir(dir, m); err != nil {
		t.Fatal(err)
	}
	ids := filepath.Join("..", "pciids", "testdata", "pci.ids")

	out, _, err := runCLI(t, "inventory", "--sysfs", dir, "--pci-ids", ids, "-o", "json")
	if err != nil {
		t.Fatalf("inventory -o json: %v", err)
	}
	var r inventory.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("inventory -o json printed %q: %v", out, err)
	}
	if len(r.Ports) != 2 {
		t.Fatalf("ports %+v, want the virtio NIC and the X710", r.Ports)
	}
	x := r.Ports[1]
	got := []string{x.Name, x.PCIAddr, x.PDevice, *x.SRIOVVFDriver, *x.SRIOVVFPDeviceID, strings.Join(x.SRIOVVFsPCIAddress, ",")}
	want := []string{"ens785f0", "0000:3b:00.0", "Intel Corporation Ethernet Controller X710 for 10GbE SFP+ [1572]",
		"vfio-pci", "154c", "0000:3b:02.0,0000:3b:02.1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("X710 port (-want +got):\n%s", diff)
	}
	if v := r.Ports[0]; v.Name != "eth0" || v.SRIOVTotalVFs != nil || len(v.VFs) != 0 {
		t.Errorf("virtio port %+v, want eth0 without SR-IOV", v)
	}
	if len(r.NUMANodes) != 1 {
		t.Errorf("NUMA nodes %+v, want node 0", r.NUMANodes)
	}

	out, _, err = runCLI(t, "inventory", "--sysfs", dir, "--pci-ids", ids)
	if err != nil {
		t.Fatalf("inventory: %v", err)
	}
	for _, s := range []string{"| ens785f0 | 0000:3b:00.0 | i40e ", "| 64          | 2         | vfio-pci  |", "| numa node | cpus |"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}

	// Without pci.ids the report still comes, with ids only and a warning.
	out, stderr, err := runCLI(t, "inventory", "--sysfs", dir, "--pci-ids", filepath.Join(dir, "none"), "-o", "json")
	if err != nil || !strings.Contains(out, `"pdevice": "[1572]"`) || !strings.Contains(stderr, "warning") {
		t.Errorf("inventory without pci.ids: err %v, stderr %q, output:\n%s", err, stderr, out)
	}
}

func TestInventoryErrors(t *testing.T) {
	for _, args := range [][]string{
		{"inventory", "--sysfs", t.TempDir()},     // not a sysfs root
		{"inventory", "-o", "yaml"},               // unknown format
		{"inventory", "--sysfs", "/sys", "extra"}, // no arguments
	} {
		if out, _, err := runCLI(t, args...); err == nil {
			t.Errorf("%v succeeded with %q, want an error", args, out)
		}
	}
}

// TestInventorySnapshot runs the command on a real machine's /sys.
func TestInventorySnapshot(t *testing.T) {
	files := sysfstest.Snapshots(t)
	i := slices.IndexFunc(files, func(f string) bool {
		return filepath.Base(f) == "linux-amd64-61797caf7c0b6bca1725ad7975ed4773.tar.gz"
	})
	if i < 0 {
		t.Fatalf("snapshot linux-amd64-61797caf7c0b6bca1725ad7975ed4773.tar.gz not among %v", files)
	}
	out, _, err := runCLI(t, "inventory", "--sysfs", sysfstest.Unpack(t, files[i]), "--pci-ids", filepath.Join("..", "pciids", "testdata", "pci.ids"), "-o", "json")
	if err != nil {
		t.Fatalf("inventory: %v", err)
	}
	var r inventory.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range r.Ports {
		names = append(names, p.Name+"="+p.PDevice)
	}
	want := []string{"enp3s0=[8168]", "enp6s0f0=Intel Corporation I350 Gigabit Network Connection [1521]",
		"enp6s0f1=Intel Corporation I350 Gigabit Network Connection [1521]", "enp8s0=[8168]"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
}
