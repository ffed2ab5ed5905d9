//go:build lab

package linux

// The kernel conformance suite against this implementation on real drivers.
// It runs inside the QEMU lab's guest (lab/), whose Debian kernel has an
// emulated igb NIC, an NVMe controller with SR-IOV and a netdevsim device;
// built with -tags lab so that a normal go test never touches a host's PCI
// devices.

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vishvananda/netlink"

	"vfnet/internal/kernel"
	"vfnet/internal/kernel/kerneltest"
)

func TestLabConformance(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatalf("the lab conformance suite writes sysfs and needs root (euid %d)", os.Geteuid())
	}
	k, err := New(Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { k.Close() })
	noSRIOV := labVeth(t, k)
	override := loadedDriver("vfio-pci", "pci-stub")

	t.Run("igb", func(t *testing.T) {
		pf := labObservedPF(t, k, "igb")
		kerneltest.Run(t, kerneltest.Target{
			Kernel: k, PF: pf.PCIAddr, Ifname: pf.Ifname, Driver: "igb", Expect: labExpect(t, "igb"),
			OverrideDriver: override, NoSRIOVIfname: noSRIOV,
		})
	})
	t.Run("nvme", func(t *testing.T) {
		// Observe reports network functions only: find the NVMe PF by its
		// driver, the one place the guest has it.
		pf := labBoundSRIOV(t, "nvme")
		kerneltest.Run(t, kerneltest.Target{
			Kernel: k, PF: pf, Driver: "nvme", Expect: labExpect(t, "nvme"), OverrideDriver: override,
		})
	})
	t.Run("netdevsim", func(t *testing.T) {
		dev, ifname := labNetdevsim(t)
		rel := filepath.Join("bus", "netdevsim", "devices", dev, "sriov_numvfs")
		kerneltest.Run(t, kerneltest.Target{
			Kernel: k, Ifname: ifname, Driver: "netdevsim", Expect: labExpect(t, "netdevsim"),
			NoSRIOVIfname: noSRIOV,
			// netdevsim's sriov_numvfs is on its own bus; write it the way
			// every sysfs write here is made.
			WriteNumVFs: func(ctx context.Context, value string) error {
				return k.write(ctx, "write sriov_numvfs", dev, rel, value)
			},
		})
	})
}

// labExpect is kerneltest's behaviour of driver, adjusted to the VF driver
// the guest actually loaded.
func labExpect(t *testing.T, driver string) kerneltest.Behaviour {
	t.Helper()
	e, ok := kerneltest.Drivers()[driver]
	if !ok {
		t.Fatalf("kerneltest.Drivers has no behaviour for %s", driver)
	}
	if e.VFDriver != "" && loadedDriver(e.VFDriver) == "" {
		t.Logf("VF driver %s is not loaded in the guest: new VFs are expected to stay unbound", e.VFDriver)
		e.VFDriver = ""
	}
	return e
}

// loadedDriver returns the first of names that the PCI bus has.
func loadedDriver(names ...string) string {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join("/sys/bus/pci/drivers", n)); err == nil {
			return n
		}
	}
	return ""
}

// labObservedPF returns the SR-IOV PF with a netdev that Observe reports
// bound to driver.
func labObservedPF(t *testing.T, k *Kernel, driver string) kernel.PF {
	t.Helper()
	host, err := k.Observe(t.Context())
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	for _, pf := range host.PFs {
		if pf.Driver == driver && pf.SRIOV != nil && pf.Ifname != "" {
			return pf
		}
	}
	t.Fatalf("Observe reports no SR-IOV PF with a netdev bound to %s; PFs: %+v", driver, host.PFs)
	return kernel.PF{}
}

// labBoundSRIOV returns the PCI address of a device bound to driver that has
// sriov_totalvfs.
func labBoundSRIOV(t *testing.T, driver string) string {
	t.Helper()
	dir := filepath.Join("/sys/bus/pci/drivers", driver)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("list %s (is the %s module loaded in the guest?): %v", dir, driver, err)
	}
	for _, e := range ents {
		if _, err := kernel.ParsePCIAddr(e.Name()); err != nil {
			continue // bind, unbind, new_id, module ...
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "sriov_totalvfs")); err == nil {
			return e.Name()
		}
	}
	t.Fatalf("no device with SR-IOV is bound to %s", driver)
	return ""
}

// labNetdevsim returns the netdevsim device the lab created and its netdev.
func labNetdevsim(t *testing.T) (dev, ifname string) {
	t.Helper()
	const dir = "/sys/bus/netdevsim/devices"
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("no netdevsim device under %s (the lab creates one with new_device): %v", dir, err)
	}
	dev = ents[0].Name()
	nets, err := os.ReadDir(filepath.Join(dir, dev, "net"))
	if err != nil || len(nets) == 0 {
		t.Fatalf("netdevsim device %s has no netdev: %v", dev, err)
	}
	return dev, nets[0].Name()
}

// labVeth makes a veth pair in the guest, a netdev without SR-IOV for the
// EOPNOTSUPP case, and removes it when the test ends.
func labVeth(t *testing.T, k *Kernel) string {
	t.Helper()
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "vfnetnosriov0"}, PeerName: "vfnetnosriov1"}
	if err := k.h.LinkAdd(v); err != nil {
		t.Fatalf("create veth %s (the guest needs the veth module): %v", v.Name, err)
	}
	t.Cleanup(func() {
		if err := k.h.LinkDel(v); err != nil {
			t.Errorf("delete veth %s: %v", v.Name, err)
		}
	})
	return v.Name
}
