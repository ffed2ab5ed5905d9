package pciids

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestNames(t *testing.T) {
	db := Open(filepath.Join("testdata", "pci.ids"))
	tests := []struct {
		name string
		got  func() string
		want string
	}{
		{"vendor", func() string { return db.Vendor(0x8086) }, "Intel Corporation [8086]"},
		{"unknown vendor", func() string { return db.Vendor(0x1234) }, "[1234]"},
		{"device", func() string { return db.Device(0x8086, 0x1572) }, "Intel Corporation Ethernet Controller X710 for 10GbE SFP+ [1572]"},
		{"VF device", func() string { return db.Device(0x8086, 0x154c) }, "Intel Corporation Ethernet Virtual Function 700 Series [154c]"},
		{"name with brackets", func() string { return db.Device(0x15b3, 0x1018) }, "Mellanox Technologies MT27800 Family [ConnectX-5 Virtual Function] [1018]"},
		{"unknown device of a known vendor", func() string { return db.Device(0x8086, 0xffff) }, "[ffff]"},
		{"device of an unknown vendor", func() string { return db.Device(0x1234, 0x1572) }, "[1572]"},
		{"subsystem", func() string { return db.Subsystem(0x8086, 0x1572, 0x8086, 0x0008) }, "Intel Corporation Ethernet Converged Network Adapter X710-2 [0008]"},
		{"subsystem of another vendor", func() string { return db.Subsystem(0x1af4, 0x1000, 0x01de, 0xfffb) }, "Propolis Virtio network device [fffb]"}, // vendor 01de is not in the excerpt
		{"unknown subsystem", func() string { return db.Subsystem(0x8086, 0x1572, 0x8086, 0x0003) }, "[0003]"},
		{"device after a comment line inside a block", func() string { return db.Device(0x8086, 0x1592) }, "Intel Corporation Ethernet Controller E810-C for QSFP [1592]"},
		{"class section is not vendors", func() string { return db.Vendor(0x0002) }, "[0002]"},
	}
	for _, tt := range tests {
		if got := tt.got(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if err := db.Err(); err != nil {
		t.Errorf("Err() = %v on a good file", err)
	}
}

func TestMissingFile(t *testing.T) {
	db := Open(filepath.Join(t.TempDir(), "pci.ids"))
	if got := db.Device(0x8086, 0x1572); got != "[1572]" {
		t.Errorf("Device without a file = %q, want [1572]", got)
	}
	if got := db.Vendor(0x8086); got != "[8086]" {
		t.Errorf("Vendor without a file = %q, want [8086]", got)
	}
	if err := db.Err(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Err() = %v, want a not-exist error", err)
	}
	var nilDB *DB
	if got := nilDB.Subsystem(0x8086, 0x1572, 0x8086, 8); got != "[0008]" || nilDB.Err() != nil {
		t.Errorf("nil DB Subsystem = %q, Err %v; want [0008], nil", got, nilDB.Err())
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in string }{
		{"device before vendor", "\t1572  X710\n"},
		{"subsystem before device", "8086  Intel Corporation\n\t\t8086 0008  X710-2\n"},
		{"vendor id not hex", "80g6  Intel Corporation\n"},
		{"one space", "8086 Intel Corporation\n"},
		{"no name", "8086  \n"},
		{"three tabs", "8086  Intel\n\t1572  X710\n\t\t\t8086 0008  x\n"},
		{"short subsystem", "8086  Intel\n\t1572  X710\n\t\t8086  x\n"},
	}
	for _, tt := range tests {
		if ids, err := Parse([]byte(tt.in)); err == nil {
			t.Errorf("%s: Parse(%q) = %v, want an error naming the line", tt.name, tt.in, ids)
		} else if !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: error %q does not name the line", tt.name, err)
		}
	}
}

// TestRealFile reads the system's pci.ids, which scripts/deps.sh installs.
func TestRealFile(t *testing.T) {
	if _, err := os.Stat(DefaultPath); err != nil {
		t.Fatalf("%v: the tests need Debian's pci.ids package (scripts/deps.sh installs it)", err)
	}
	db := Open(DefaultPath)
	if err := db.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	for _, c := range []struct {
		v, d uint16
		want string
	}{
		{0x8086, 0x1572, "Intel Corporation Ethernet Controller X710 for 10GbE SFP+ [1572]"},
		{0x8086, 0x1592, "Intel Corporation Ethernet Controller E810-C for QSFP [1592]"},
		{0x8086, 0x10fb, "Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection [10fb]"},
		{0x1af4, 0x1000, "Red Hat, Inc. Virtio network device [1000]"},
	} {
		if got := db.Device(c.v, c.d); got != c.want {
			t.Errorf("Device(%04x, %04x) = %q, want %q", c.v, c.d, got, c.want)
		}
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	db := Open(filepath.Join("testdata", "pci.ids"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := db.Vendor(0x8086); got != "Intel Corporation [8086]" {
				t.Errorf("Vendor = %q", got)
			}
		})
	}
	wg.Wait()
}

func FuzzParse(f *testing.F) {
	excerpt, err := os.ReadFile(filepath.Join("testdata", "pci.ids"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(excerpt)
	f.Add([]byte("8086  Intel\n\t1572  X710\n\t\t8086 0008  X710-2\n"))
	f.Add([]byte("\t\t\t\n C \n#\n\t#\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := Parse(b)
		if err != nil {
			return
		}
		db := FromIDs(ids)
		_ = db.Vendor(0x8086)
		_ = db.Device(0x8086, 0x1572)
		_ = db.Subsystem(0x8086, 0x1572, 0x8086, 0x0008)
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(DefaultPath)
	if err != nil {
		b.Fatalf("%v: install the pci.ids package", err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDevice(b *testing.B) {
	db := Open(DefaultPath)
	if err := db.Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = db.Device(0x8086, 0x1572)
	}
}
