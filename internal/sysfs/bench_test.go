package sysfs

import (
	"fmt"
	"os"
	"testing"

	"vfnet/internal/sysfs/sysfstest"
)

// BenchmarkReadE810 discovers four Intel E810 ports with 256 VFs each (1,024
// VFs, each bound to iavf with a netdev) from a real on-disk tree.
func BenchmarkReadE810(b *testing.B) {
	var pfs []sysfstest.PF
	// One port per card on separate buses: 256 VFs at offset 8 run onto the
	// next bus.
	for i, bus := range []int{0x17, 0x3b, 0x5e, 0x86} {
		pfs = append(pfs, sysfstest.PF{
			Addr: fmt.Sprintf("0000:%02x:00.0", bus), Vendor: 0x8086, Device: 0x1592, SubVendor: 0x8086, SubDevice: 0x0002,
			Driver: "ice", NUMANode: i / 2, LocalCPUList: fmt.Sprintf("%d-%d", 32*(i/2), 32*(i/2)+31),
			Ifname: fmt.Sprintf("ens%df0", i+1), MAC: fmt.Sprintf("b4:96:91:00:00:%02x", i), MTU: 9000, Speed: 100000, Oper: "up",
			TotalVFs: 256, NumVFs: 256, Offset: 8, Stride: 1, VFDevice: 0x1889, VFDriver: "iavf",
		})
	}
	dir := b.TempDir()
	if err := sysfstest.WriteDir(dir, sysfstest.Tree(b, pfs...)); err != nil {
		b.Fatal(err)
	}
	fsys := os.DirFS(dir)
	b.ReportAllocs()
	for b.Loop() {
		h, err := Read(fsys)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(h.PFs); n != 4 || len(h.PFs[3].SRIOV.VFs) != 256 {
			b.Fatalf("read %d PFs, want 4 with 256 VFs each", n)
		}
	}
}
