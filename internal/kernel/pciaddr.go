package kernel

import (
	"fmt"
	"strconv"
	"strings"
)

// PCIAddr is a PCI function address, domain:bus:slot.function, as sysfs names
// devices ("0000:3b:02.1").
type PCIAddr struct {
	Domain   uint32
	Bus      uint8
	Slot     uint8 // 0-31
	Function uint8 // 0-7
}

// ParsePCIAddr parses "0000:3b:02.1". The domain is hex of 4 to 8 digits
// (Intel VMD domains have 5); bus and slot two hex digits, function one.
func ParsePCIAddr(s string) (PCIAddr, error) {
	bad := func(why string) (PCIAddr, error) {
		return PCIAddr{}, fmt.Errorf("PCI address %q: %s; want domain:bus:slot.function such as 0000:3b:02.1", s, why)
	}
	dom, rest, ok := strings.Cut(s, ":")
	if !ok || len(dom) < 4 || len(dom) > 8 {
		return bad("domain is not 4-8 hex digits")
	}
	if len(rest) != 7 || rest[2] != ':' || rest[5] != '.' {
		return bad("bus:slot.function is not bb:ss.f")
	}
	d, err := parseHexDigits(dom, 32)
	if err != nil {
		return bad("domain is not hex")
	}
	b, err := parseHexDigits(rest[0:2], 8)
	if err != nil {
		return bad("bus is not hex")
	}
	sl, err := parseHexDigits(rest[3:5], 8)
	if err != nil || sl > 31 {
		return bad("slot is not hex 00-1f")
	}
	f, err := parseHexDigits(rest[6:7], 8)
	if err != nil || f > 7 {
		return bad("function is not 0-7")
	}
	return PCIAddr{Domain: uint32(d), Bus: uint8(b), Slot: uint8(sl), Function: uint8(f)}, nil
}

// parseHexDigits accepts hex digits only: strconv alone would take a sign or
// a 0x prefix, which no PCI address has.
func parseHexDigits(s string, bits int) (uint64, error) {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseUint(s, 16, bits)
}

func (a PCIAddr) String() string {
	return fmt.Sprintf("%04x:%02x:%02x.%x", a.Domain, a.Bus, a.Slot, a.Function)
}

// RID is the routing id, bus<<8 | devfn, in which SR-IOV offsets and strides
// are counted.
func (a PCIAddr) RID() int {
	return int(a.Bus)<<8 | int(a.Slot)<<3 | int(a.Function)
}

// VFAddress is the address of VF i of the PF at pf whose SR-IOV capability
// has the given First VF Offset and VF Stride: rid(PF) + offset + stride*i, in
// the PF's domain (PCIe SR-IOV 3.3.9-10; drivers/pci/iov.c pci_iov_virtfn_bus
// and _devfn). A VF may land on a bus above the PF's.
func VFAddress(pf string, offset, stride, i int) (string, error) {
	a, err := ParsePCIAddr(pf)
	if err != nil {
		return "", fmt.Errorf("VF %d address: %w", i, err)
	}
	// The kernel refuses a capability with offset 0, or stride 0 with more
	// than one VF (pci_iov_init: -EIO): such a VF would sit on another function.
	switch {
	case i < 0:
		return "", fmt.Errorf("VF %d of %s: VF index is negative", i, pf)
	case offset < 1 || offset > 0xffff:
		return "", fmt.Errorf("VF %d of %s: SR-IOV offset %d is outside 1-65535", i, pf, offset)
	case stride < 0 || stride > 0xffff || (stride == 0 && i > 0):
		return "", fmt.Errorf("VF %d of %s: SR-IOV stride %d is outside 1-65535", i, pf, stride)
	}
	rid := a.RID() + offset + stride*i
	if rid > 0xffff {
		return "", fmt.Errorf("VF %d of %s: routing id %#x (offset %d, stride %d) is past bus ff", i, pf, rid, offset, stride)
	}
	v := PCIAddr{Domain: a.Domain, Bus: uint8(rid >> 8), Slot: uint8(rid&0xff) >> 3, Function: uint8(rid & 7)}
	return v.String(), nil
}
