package sim

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Close releases the lock file a Kernel opened (one per Open, so a process
// that opens hosts repeatedly does not run out of descriptors); the value
// stays usable and reopens it on its next operation.
func TestCloseReleasesLockFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := Create(dir, HostSpec{Hostname: "h", NICs: []NICSpec{{Model: "igb", Ports: 1, NUMANode: 0}}}); err != nil {
		t.Fatal(err)
	}
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatalf("list open descriptors: %v", err)
		}
		n := 0
		for _, e := range ents {
			if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && target == filepath.Join(dir, lockFile) {
				n++
			}
		}
		return n
	}
	k, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Observe(ctx); err != nil {
		t.Fatal(err)
	}
	if n := fds(); n != 1 {
		t.Fatalf("after an operation: %d descriptors of sim.lock open, want 1", n)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if n := fds(); n != 0 {
		t.Errorf("after Close: %d descriptors of sim.lock open, want 0", n)
	}
	if _, err := k.Observe(ctx); err != nil {
		t.Errorf("Observe after Close: %v, want the lock reopened", err)
	}
	k.Close()
}
