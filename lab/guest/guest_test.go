//go:build lab

// Package guest holds the lab's own checks, run inside the QEMU guest before
// the kernel conformance suite: they prove that the devices the suite needs
// are there and driven by the real drivers, so that a suite failure is about
// vfnet and not about the lab.
package guest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const pciDevices = "/sys/bus/pci/devices"

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return strings.TrimSpace(string(b))
}

func write(path, value string) error {
	return os.WriteFile(path, []byte(value), 0)
}

func driverOf(dev string) string {
	l, err := os.Readlink(filepath.Join(dev, "driver"))
	if err != nil {
		return ""
	}
	return filepath.Base(l)
}

// findPF returns the sysfs directory of the SR-IOV PF with vendor:device.
func findPF(t *testing.T, vendor, device string) string {
	t.Helper()
	ents, err := os.ReadDir(pciDevices)
	if err != nil {
		t.Fatalf("list PCI devices: %v", err)
	}
	var seen []string
	for _, e := range ents {
		dev := filepath.Join(pciDevices, e.Name())
		v, d := read(t, dev+"/vendor"), read(t, dev+"/device")
		seen = append(seen, e.Name()+" "+v+":"+d)
		if v == vendor && d == device {
			if _, err := os.Stat(dev + "/sriov_totalvfs"); err != nil {
				t.Fatalf("%s (%s:%s) has no sriov_totalvfs: %v", e.Name(), v, d, err)
			}
			return dev
		}
	}
	t.Fatalf("no PCI device %s:%s; devices: %s", vendor, device, strings.Join(seen, ", "))
	return ""
}

// waitFor polls cond until it holds or the deadline passes: VF probing is
// asynchronous to the sriov_numvfs write under TCG.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestIGBPF(t *testing.T) {
	pf := findPF(t, "0x8086", "0x10c9")
	if got := driverOf(pf); got != "igb" {
		t.Fatalf("%s driver = %q, want igb", pf, got)
	}
	// igb lowers the hardware's 8 to 7 when it binds.
	if got := read(t, pf+"/sriov_totalvfs"); got != "7" {
		t.Errorf("%s sriov_totalvfs = %s, want 7", pf, got)
	}
	if got := read(t, pf+"/sriov_vf_device"); got != "10ca" {
		t.Errorf("%s sriov_vf_device = %s, want 10ca", pf, got)
	}
	nets, err := os.ReadDir(pf + "/net")
	if err != nil || len(nets) != 1 {
		t.Fatalf("%s/net: %v %v, want one netdev", pf, nets, err)
	}
	t.Logf("igb PF %s netdev %s", filepath.Base(pf), nets[0].Name())
}

func TestNVMePF(t *testing.T) {
	pf := findPF(t, "0x1b36", "0x0010")
	if got := driverOf(pf); got != "nvme" {
		t.Fatalf("%s driver = %q, want nvme", pf, got)
	}
	if got := read(t, pf+"/sriov_totalvfs"); got != "4" {
		t.Errorf("%s sriov_totalvfs = %s, want 4", pf, got)
	}
}

func TestNetdevsim(t *testing.T) {
	dev := "/sys/bus/netdevsim/devices/netdevsim1"
	if got := read(t, dev+"/sriov_numvfs"); got != "0" {
		t.Errorf("%s/sriov_numvfs = %s, want 0", dev, got)
	}
	nets, err := os.ReadDir(dev + "/net")
	if err != nil || len(nets) != 1 {
		t.Fatalf("%s/net: %v %v, want one netdev", dev, nets, err)
	}
}

// TestVFIO binds an nvme VF to vfio-pci the way vfnet's --vf-driver vfio
// does (driver_override, unbind, drivers_probe) and checks that its IOMMU
// group appears under /dev/vfio: that needs QEMU's intel-iommu and
// intel_iommu=on, since Debian's kernel lacks CONFIG_VFIO_NOIOMMU.
func TestVFIO(t *testing.T) {
	groups, err := os.ReadDir("/sys/kernel/iommu_groups")
	if err != nil || len(groups) == 0 {
		t.Fatalf("no IOMMU groups (%v): the guest needs -device intel-iommu and intel_iommu=on", err)
	}
	pf := findPF(t, "0x1b36", "0x0010")
	if err := write(pf+"/sriov_numvfs", "1"); err != nil {
		t.Fatalf("enable 1 VF on %s: %v", pf, err)
	}
	t.Cleanup(func() {
		if err := write(pf+"/sriov_numvfs", "0"); err != nil {
			t.Errorf("disable VFs on %s: %v", pf, err)
		}
	})
	vf, err := filepath.EvalSymlinks(pf + "/virtfn0")
	if err != nil {
		t.Fatalf("%s/virtfn0: %v", pf, err)
	}
	bdf := filepath.Base(vf)
	if err := write(vf+"/driver_override", "vfio-pci"); err != nil {
		t.Fatalf("driver_override of %s: %v", bdf, err)
	}
	if d := driverOf(vf); d != "" {
		if err := write("/sys/bus/pci/drivers/"+d+"/unbind", bdf); err != nil {
			t.Fatalf("unbind %s from %s: %v", bdf, d, err)
		}
	}
	if err := write("/sys/bus/pci/drivers_probe", bdf); err != nil {
		t.Fatalf("drivers_probe %s: %v", bdf, err)
	}
	waitFor(t, bdf+" bound to vfio-pci", 10*time.Second, func() bool { return driverOf(vf) == "vfio-pci" })
	g, err := os.Readlink(vf + "/iommu_group")
	if err != nil {
		t.Fatalf("%s has no iommu_group: %v", bdf, err)
	}
	if _, err := os.Stat("/dev/vfio/" + filepath.Base(g)); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stat /dev/vfio/%s: %v", filepath.Base(g), err)
	} else if err != nil {
		t.Fatalf("/dev/vfio/%s missing although %s is bound to vfio-pci", filepath.Base(g), bdf)
	}
	t.Logf("VF %s bound to vfio-pci, IOMMU group %s", bdf, filepath.Base(g))
}
