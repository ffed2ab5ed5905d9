package linux

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"vfnet/internal/kernel"
)

// sysfsTree makes the writable files of one PF, one VF and two drivers, empty,
// under a temporary root, as sysfs would have them.
func sysfsTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range []string{
		"bus/pci/devices/0000:3b:00.0/sriov_numvfs",
		"bus/pci/devices/0000:3b:00.0/sriov_drivers_autoprobe",
		"bus/pci/devices/0000:3b:00.0/driver_override",
		"bus/pci/devices/0000:3b:02.0/driver_override",
		"bus/pci/drivers/iavf/bind",
		"bus/pci/drivers/iavf/unbind",
		"bus/pci/drivers/vfio-pci/bind",
		"bus/pci/drivers/vfio-pci/unbind",
		"bus/pci/drivers_probe",
	} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func newTreeKernel(t *testing.T, root string) *Kernel {
	t.Helper()
	k, err := New(Options{SysfsRoot: root, Handle: nil})
	if err != nil {
		t.Fatalf("New(%s): %v", root, err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func TestSysfsWrites(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		do    func(k *Kernel) error
		file  string // relative to the root
		bytes string
	}{
		{"numvfs as given", func(k *Kernel) error { return k.WriteNumVFs(ctx, "0000:3b:00.0", "8\n") },
			"bus/pci/devices/0000:3b:00.0/sriov_numvfs", "8\n"},
		{"numvfs hex, no newline", func(k *Kernel) error { return k.WriteNumVFs(ctx, "0000:3b:00.0", "0x2") },
			"bus/pci/devices/0000:3b:00.0/sriov_numvfs", "0x2"},
		{"numvfs garbage goes to the kernel's parser", func(k *Kernel) error { return k.WriteNumVFs(ctx, "0000:3b:00.0", " 2") },
			"bus/pci/devices/0000:3b:00.0/sriov_numvfs", " 2"},
		{"numvfs zero-length", func(k *Kernel) error { return k.WriteNumVFs(ctx, "0000:3b:00.0", "") },
			"bus/pci/devices/0000:3b:00.0/sriov_numvfs", ""},
		{"autoprobe on", func(k *Kernel) error { return k.SetAutoprobe(ctx, "0000:3b:00.0", true) },
			"bus/pci/devices/0000:3b:00.0/sriov_drivers_autoprobe", "1\n"},
		{"autoprobe off", func(k *Kernel) error { return k.SetAutoprobe(ctx, "0000:3b:00.0", false) },
			"bus/pci/devices/0000:3b:00.0/sriov_drivers_autoprobe", "0\n"},
		{"override set", func(k *Kernel) error { return k.SetDriverOverride(ctx, "0000:3b:02.0", "vfio-pci") },
			"bus/pci/devices/0000:3b:02.0/driver_override", "vfio-pci\n"},
		{"override clear is an empty line", func(k *Kernel) error { return k.SetDriverOverride(ctx, "0000:3b:02.0", "") },
			"bus/pci/devices/0000:3b:02.0/driver_override", "\n"},
		{"unbind", func(k *Kernel) error { return k.Unbind(ctx, "0000:3b:02.0", "iavf") },
			"bus/pci/drivers/iavf/unbind", "0000:3b:02.0"},
		{"bind", func(k *Kernel) error { return k.Bind(ctx, "0000:3b:02.0", "vfio-pci") },
			"bus/pci/drivers/vfio-pci/bind", "0000:3b:02.0"},
		{"probe", func(k *Kernel) error { return k.Probe(ctx, "0000:3b:02.0") },
			"bus/pci/drivers_probe", "0000:3b:02.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := sysfsTree(t)
			if err := tt.do(newTreeKernel(t, root)); err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			// Every other file must stay untouched: one operation, one file.
			err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				got, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(root, p)
				want := ""
				if rel == tt.file {
					want = tt.bytes
				}
				if string(got) != want {
					t.Errorf("%s holds %q, want %q", rel, got, want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSysfsWriteErrors(t *testing.T) {
	ctx := context.Background()
	k := newTreeKernel(t, sysfsTree(t))
	tests := []struct {
		name    string
		do      func() error
		dev     string
		wantErr error
		wantMsg string
	}{
		{"numvfs of a missing PF", func() error { return k.WriteNumVFs(ctx, "0000:99:00.0", "1") },
			"0000:99:00.0", syscall.ENOENT, "0000:99:00.0 write sriov_numvfs: no such file or directory"},
		{"numvfs of a function without SR-IOV", func() error { return k.WriteNumVFs(ctx, "0000:3b:02.0", "1") },
			"0000:3b:02.0", syscall.ENOENT, "0000:3b:02.0 write sriov_numvfs: no such file or directory"},
		{"autoprobe of a missing PF", func() error { return k.SetAutoprobe(ctx, "0000:99:00.0", true) },
			"0000:99:00.0", syscall.ENOENT, "0000:99:00.0 write sriov_drivers_autoprobe: no such file or directory"},
		{"override of a missing device", func() error { return k.SetDriverOverride(ctx, "0000:99:00.0", "vfio-pci") },
			"0000:99:00.0", syscall.ENOENT, "0000:99:00.0 write driver_override: no such file or directory"},
		{"bind to a driver not loaded", func() error { return k.Bind(ctx, "0000:3b:02.0", "igbvf") },
			"0000:3b:02.0", syscall.ENOENT, "0000:3b:02.0 bind to igbvf: no such file or directory"},
		{"device name escaping the tree", func() error { return k.WriteNumVFs(ctx, "../../etc", "1") },
			"../../etc", syscall.EINVAL, ""},
		{"driver name escaping the tree", func() error { return k.Unbind(ctx, "0000:3b:02.0", "../devices") },
			"0000:3b:02.0", syscall.EINVAL, ""},
		{"override with a path", func() error { return k.SetDriverOverride(ctx, "0000:3b:02.0", "a/b") },
			"0000:3b:02.0", syscall.EINVAL, ""},
		{"empty device", func() error { return k.Probe(ctx, "") },
			"", syscall.EINVAL, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			var ke *kernel.Error
			if !errors.As(err, &ke) || ke.Device != tt.dev {
				t.Fatalf("got %#v, want a *kernel.Error for device %q", err, tt.dev)
			}
			if tt.wantErr == syscall.ENOENT && ke.Err != syscall.ENOENT {
				t.Errorf("got Err %#v, want the bare errno", ke.Err)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("got message %q, want %q", err, tt.wantMsg)
			}
		})
	}
}

// TestSysfsWriteErrno checks that the errno of the write itself, not just of
// the open, reaches the caller bare: /dev/full answers every write ENOSPC,
// as a sysfs store function answers EBUSY or ERANGE.
func TestSysfsWriteErrno(t *testing.T) {
	root := sysfsTree(t)
	numvfs := filepath.Join(root, "bus/pci/devices/0000:3b:00.0/sriov_numvfs")
	if err := os.Remove(numvfs); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/full", numvfs); err != nil {
		t.Fatal(err)
	}
	err := newTreeKernel(t, root).WriteNumVFs(context.Background(), "0000:3b:00.0", "4\n")
	var ke *kernel.Error
	if !errors.As(err, &ke) || ke.Err != syscall.ENOSPC {
		t.Fatalf("got %#v, want *kernel.Error with bare ENOSPC", err)
	}
	if want := "0000:3b:00.0 write sriov_numvfs: no space left on device"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if strings.Contains(err.Error(), root) {
		t.Errorf("message %q repeats the path; the device and operation name it", err)
	}
}

func TestSysfsWriteCancelled(t *testing.T) {
	root := sysfsTree(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := newTreeKernel(t, root).WriteNumVFs(ctx, "0000:3b:00.0", "4\n")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	got, _ := os.ReadFile(filepath.Join(root, "bus/pci/devices/0000:3b:00.0/sriov_numvfs"))
	if len(got) != 0 {
		t.Errorf("a cancelled write wrote %q", got)
	}
}
