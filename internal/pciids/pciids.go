// Package pciids names PCI vendors, devices and subsystems from a pci.ids
// file (Debian's package pci.ids installs /usr/share/misc/pci.ids), the way
// the control plane shows them: "Intel Corporation [8086]" for a vendor,
// "Intel Corporation Ethernet Controller X710 for 10GbE SFP+ [1572]" for a
// device. An id the file does not know, or a missing file, gives the id alone
// ("[1572]"): names are a courtesy, never a reason to fail a report.
package pciids

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// DefaultPath is where Debian's pci.ids package puts the file.
const DefaultPath = "/usr/share/misc/pci.ids"

// DB is a pci.ids file read on first use and parsed once; it is safe for
// concurrent use. A nil *DB names nothing: every id is shown alone.
type DB struct {
	path string
	once sync.Once
	ids  *IDs
	err  error
}

// Open returns a DB for the file at path without reading it.
func Open(path string) *DB { return &DB{path: path} }

// FromIDs returns a DB over already parsed ids.
func FromIDs(ids *IDs) *DB {
	db := &DB{ids: ids}
	db.once.Do(func() {})
	return db
}

func (db *DB) load() *IDs {
	if db == nil {
		return nil
	}
	db.once.Do(func() {
		b, err := os.ReadFile(db.path)
		if err != nil {
			db.err = fmt.Errorf("PCI names: %w (install the pci.ids package)", err)
			return
		}
		if db.ids, err = Parse(b); err != nil {
			db.err = fmt.Errorf("PCI names: %s: %w", db.path, err)
		}
	})
	return db.ids
}

// Err loads the file if it is not loaded yet and tells why names are
// missing: the file is absent or malformed. Lookups go on with ids alone.
func (db *DB) Err() error {
	if db == nil {
		return nil
	}
	db.load()
	return db.err
}

// Vendor is "Intel Corporation [8086]", or "[8086]" when unknown.
func (db *DB) Vendor(v uint16) string {
	name, _ := db.load().VendorName(v)
	return label(v, name)
}

// Device is the vendor's and the device's name with the device id:
// "Intel Corporation Ethernet Controller X710 for 10GbE SFP+ [1572]", or
// "[1572]" when the device is unknown.
func (db *DB) Device(v, d uint16) string {
	ids := db.load()
	name, ok := ids.DeviceName(v, d)
	if !ok {
		return label(d)
	}
	vname, _ := ids.VendorName(v)
	return label(d, vname, name)
}

// Subsystem names a board (subsystem vendor sv, subsystem device sd) built
// on device v:d, like Device: "Intel Corporation Ethernet Converged Network
// Adapter X710-2 [0008]", or "[0008]" when unknown.
func (db *DB) Subsystem(v, d, sv, sd uint16) string {
	ids := db.load()
	name, ok := ids.SubsystemName(v, d, sv, sd)
	if !ok {
		return label(sd)
	}
	vname, _ := ids.VendorName(sv)
	return label(sd, vname, name)
}

// label joins the known names and appends the id: "Intel Corporation [8086]".
func label(id uint16, names ...string) string {
	var b strings.Builder
	for _, n := range names {
		if n != "" {
			b.WriteString(n)
			b.WriteByte(' ')
		}
	}
	fmt.Fprintf(&b, "[%04x]", id)
	return b.String()
}

// IDs is a parsed pci.ids: vendors, their devices, the devices' subsystems.
// A nil *IDs knows nothing.
type IDs struct {
	vendors map[uint16]*vendor
}

type vendor struct {
	name    string
	devices map[uint16]*device
}

type device struct {
	name       string
	subsystems map[uint32]string // subvendor<<16 | subdevice
}

// VendorName returns vendor v's name.
func (ids *IDs) VendorName(v uint16) (string, bool) {
	if ids == nil {
		return "", false
	}
	ven, ok := ids.vendors[v]
	if !ok {
		return "", false
	}
	return ven.name, true
}

// DeviceName returns device d of vendor v's name.
func (ids *IDs) DeviceName(v, d uint16) (string, bool) {
	dev := ids.device(v, d)
	if dev == nil {
		return "", false
	}
	return dev.name, true
}

// SubsystemName returns the name of the board sv:sd built on v:d.
func (ids *IDs) SubsystemName(v, d, sv, sd uint16) (string, bool) {
	dev := ids.device(v, d)
	if dev == nil {
		return "", false
	}
	name, ok := dev.subsystems[uint32(sv)<<16|uint32(sd)]
	return name, ok
}

func (ids *IDs) device(v, d uint16) *device {
	if ids == nil {
		return nil
	}
	ven := ids.vendors[v]
	if ven == nil {
		return nil
	}
	return ven.devices[d]
}

// Parse reads pci.ids text: "vvvv  name" vendor lines, "\tdddd  name" device
// lines, "\t\tssss ssss  name" subsystem lines, # comments. It stops at the
// class section ("C cc  name"), which names classes, not devices. A line it
// cannot read is an error naming the line: a truncated or foreign file should
// be noticed rather than half used.
func Parse(b []byte) (*IDs, error) {
	// One copy of the text: every name is a substring of it, not an
	// allocation of its own.
	text := string(b)
	ids := &IDs{vendors: make(map[uint16]*vendor, 2500)}
	var ven *vendor
	var dev *device
	for n := 1; len(text) > 0; n++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		line = strings.TrimSuffix(line, "\r")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if strings.HasPrefix(line, "C ") {
			break
		}
		tabs := 0
		for tabs < len(line) && line[tabs] == '\t' {
			tabs++
		}
		rest := line[tabs:]
		if len(rest) > 0 && rest[0] == '#' {
			continue // comments sit inside blocks too
		}
		bad := func(why string) (*IDs, error) {
			return nil, fmt.Errorf("line %d %q: %s", n, line, why)
		}
		switch tabs {
		case 0:
			id, name, ok := idName(rest)
			if !ok {
				return bad("want a vendor: 4 hex digits, two spaces, a name")
			}
			ven = ids.vendors[id]
			if ven == nil {
				ven = &vendor{name: name, devices: map[uint16]*device{}}
				ids.vendors[id] = ven
			}
			dev = nil
		case 1:
			id, name, ok := idName(rest)
			if !ok {
				return bad("want a device: tab, 4 hex digits, two spaces, a name")
			}
			if ven == nil {
				return bad("device before any vendor")
			}
			dev = &device{name: name}
			ven.devices[id] = dev
		case 2:
			if len(rest) < 10 || rest[4] != ' ' {
				return bad("want a subsystem: two tabs, subvendor, space, subdevice, two spaces, a name")
			}
			sv, ok1 := hex16(rest[:4])
			sd, name, ok2 := idName(rest[5:])
			if !ok1 || !ok2 {
				return bad("want a subsystem: two tabs, subvendor, space, subdevice, two spaces, a name")
			}
			if dev == nil {
				return bad("subsystem before any device")
			}
			if dev.subsystems == nil {
				dev.subsystems = map[uint32]string{}
			}
			dev.subsystems[uint32(sv)<<16|uint32(sd)] = name
		default:
			return bad("more than two leading tabs")
		}
	}
	return ids, nil
}

// idName splits "8086  Intel Corporation".
func idName(s string) (uint16, string, bool) {
	if len(s) < 7 || s[4] != ' ' || s[5] != ' ' {
		return 0, "", false
	}
	id, ok := hex16(s[:4])
	name := strings.TrimSpace(s[6:])
	return id, name, ok && name != ""
}

func hex16(s string) (uint16, bool) {
	if len(s) != 4 {
		return 0, false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 16, 16)
	return uint16(v), err == nil
}
