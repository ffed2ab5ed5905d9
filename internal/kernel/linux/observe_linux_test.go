package linux

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vfnet/internal/kernel"
)

var _ kernel.Kernel = (*Kernel)(nil)

// TestObserveThisMachine reads the live /sys. This machine's NIC is virtio,
// which has no SR-IOV: Observe must find it and report SRIOV nil.
func TestObserveThisMachine(t *testing.T) {
	k, err := New(Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { k.Close() })
	host, err := k.Observe(context.Background())
	if err != nil {
		t.Fatalf("Observe(/sys): %v", err)
	}

	// The virtio NICs this machine has, found independently of sysfs.Read:
	// a netdev whose device is a virtioN under a PCI function.
	want := map[string]string{} // PCI address -> ifname
	nets, _ := filepath.Glob("/sys/class/net/*")
	for _, n := range nets {
		dev, err := filepath.EvalSymlinks(filepath.Join(n, "device"))
		if err != nil || !strings.HasPrefix(filepath.Base(dev), "virtio") {
			continue
		}
		want[filepath.Base(filepath.Dir(dev))] = filepath.Base(n)
	}
	if len(want) == 0 {
		t.Fatalf("precondition: this test expects a virtio NIC under /sys/class/net; found none among %v", nets)
	}
	for addr, ifname := range want {
		var pf *kernel.PF
		for i := range host.PFs {
			if host.PFs[i].PCIAddr == addr {
				pf = &host.PFs[i]
			}
		}
		if pf == nil {
			t.Errorf("Observe found no PF %s (virtio NIC %s); got %d PFs", addr, ifname, len(host.PFs))
			continue
		}
		if pf.SRIOV != nil {
			t.Errorf("PF %s: SRIOV = %+v, want nil (virtio has no SR-IOV)", addr, pf.SRIOV)
		}
		if pf.Ifname != ifname {
			t.Errorf("PF %s: Ifname %q, want %q", addr, pf.Ifname, ifname)
		}
		if pf.Class>>16 != 0x02 {
			t.Errorf("PF %s: class %#06x, want a network controller (0x02xxxx)", addr, pf.Class)
		}
		if pf.Driver == "" {
			t.Errorf("PF %s: no driver, want virtio-pci", addr)
		}
	}
	if len(host.NUMANodes) == 0 {
		if _, err := os.Stat("/sys/devices/system/node/node0"); err == nil {
			t.Errorf("Observe found no NUMA node; /sys has node0")
		}
	}
}

// TestObserveNoSysfs checks that a root that is not sysfs is an error naming
// it, not an empty host.
func TestObserveNoSysfs(t *testing.T) {
	root := t.TempDir()
	k := newTreeKernel(t, root)
	if _, err := k.Observe(context.Background()); err == nil || !strings.Contains(err.Error(), root) {
		t.Fatalf("Observe(empty dir) = %v, want an error naming %s", err, root)
	}
}

// TestObserveNetdevs runs Observe on a sysfs tree of two SR-IOV PFs with two
// VFs each, whose netdevs are eth0 (a veth in the test namespace: it reports
// no VFs) and gone0 (in no namespace the handle sees). Neither may fail
// Observe, and neither may invent VF settings: Info stays nil, "not known".
func TestObserveNetdevs(t *testing.T) {
	_, h := vethKernel(t)
	root := t.TempDir()
	file := func(rel, body string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(rel, target string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(root, rel)); err != nil {
			t.Fatal(err)
		}
	}
	pfs := map[string]string{"0000:3b:00.0": "eth0", "0000:3c:00.0": "gone0"}
	for pf, ifname := range pfs {
		dir := "bus/pci/devices/" + pf
		file(dir+"/class", "0x020000\n")
		file(dir+"/vendor", "0x8086\n")
		file(dir+"/device", "0x1572\n")
		file(dir+"/sriov_totalvfs", "64\n")
		file(dir+"/sriov_numvfs", "2\n")
		file(dir+"/net/"+ifname+"/mtu", "1500\n")
		for i := range 2 {
			vf := fmt.Sprintf("%s.%d", pf[:len(pf)-2], 2+i) // 0000:3b:00.2, .3
			file("bus/pci/devices/"+vf+"/class", "0x020000\n")
			link("bus/pci/devices/"+vf+"/physfn", "../"+pf)
			link(fmt.Sprintf("%s/virtfn%d", dir, i), "../"+vf)
		}
	}
	k, err := New(Options{SysfsRoot: root, Handle: h})
	if err != nil {
		t.Fatal(err)
	}
	host, err := k.Observe(context.Background())
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	if len(host.PFs) != 2 {
		t.Fatalf("Observe found %d PFs, want 2: %+v", len(host.PFs), host.PFs)
	}
	for _, pf := range host.PFs {
		if pf.Ifname != pfs[pf.PCIAddr] || pf.SRIOV == nil || len(pf.SRIOV.VFs) != 2 {
			t.Errorf("PF %s: ifname %q, SR-IOV %+v; want %s with 2 VFs", pf.PCIAddr, pf.Ifname, pf.SRIOV, pfs[pf.PCIAddr])
			continue
		}
		for _, vf := range pf.SRIOV.VFs {
			if vf.Info != nil {
				t.Errorf("PF %s (%s) VF %d: Info %+v, want nil: the netdev reports no VFs", pf.PCIAddr, pf.Ifname, vf.Index, vf.Info)
			}
		}
	}
}
