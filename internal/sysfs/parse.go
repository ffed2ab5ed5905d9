package sysfs

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// The parsers take a file's whole text. sysfs ends every value with one
// newline; surrounding white space is dropped so that a hand-written tree
// without the newline reads the same.

var errEmpty = errors.New("empty")

// parseID reads a 16-bit id as the kernel prints vendor, device and the
// subsystem ids: "0x8086\n".
func parseID(s string) (uint16, error) {
	s = strings.TrimSpace(s)
	h, ok := strings.CutPrefix(s, "0x")
	if !ok {
		return 0, fmt.Errorf("%q is not 0x-prefixed hex", s)
	}
	v, err := parseHex(h, 16)
	if err != nil {
		return 0, fmt.Errorf("%q is not a 16-bit id: %w", s, err)
	}
	return uint16(v), nil
}

// parseBareHex16 reads sriov_vf_device, which the kernel prints with "%x":
// "154c\n", no 0x.
func parseBareHex16(s string) (uint16, error) {
	s = strings.TrimSpace(s)
	v, err := parseHex(s, 16)
	if err != nil {
		return 0, fmt.Errorf("%q is not a bare hex 16-bit id: %w", s, err)
	}
	return uint16(v), nil
}

// parseClass reads class: "0x020000\n", 24 bits.
func parseClass(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	h, ok := strings.CutPrefix(s, "0x")
	if !ok {
		return 0, fmt.Errorf("%q is not 0x-prefixed hex", s)
	}
	v, err := parseHex(h, 24)
	if err != nil {
		return 0, fmt.Errorf("%q is not a 24-bit class code: %w", s, err)
	}
	return uint32(v), nil
}

// parseHex accepts hex digits only; strconv would also take a sign, a 0x
// prefix or underscores.
func parseHex(s string, bits int) (uint64, error) {
	if s == "" {
		return 0, errEmpty
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseUint(s, 16, bits)
}

// iffUp is IFF_UP (include/uapi/linux/if.h): the interface is
// administratively up, whatever its carrier.
const iffUp = 0x1

// parseNetFlags reads a netdev's flags, which the kernel prints with "%#x":
// "0x1003\n", and "0\n" when no flag is set.
func parseNetFlags(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	h, ok := strings.CutPrefix(s, "0x")
	if !ok {
		return 0, fmt.Errorf("%q is not 0x-prefixed hex", s)
	}
	v, err := parseHex(h, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not 32-bit interface flags: %w", s, err)
	}
	return uint32(v), nil
}

// parseUint reads a "%u\n" count such as sriov_totalvfs or mtu.
func parseUint(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errEmpty
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
	}
	v, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	return int(v), nil
}

// parseInt reads a "%d\n" signed number.
func parseInt(s string) (int, error) {
	s = strings.TrimSpace(s)
	digits := strings.TrimPrefix(s, "-")
	if digits == "" {
		return 0, fmt.Errorf("%q is not a decimal number: %w", s, errEmpty)
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	return int(v), nil
}

// parseNUMANode reads numa_node. The kernel prints -1 (NUMA_NO_NODE) when the
// firmware gave no affinity; any other negative value means the same.
func parseNUMANode(s string) (int, error) {
	n, err := parseInt(s)
	if err != nil {
		return 0, err
	}
	return max(n, -1), nil
}

// parseSpeed reads a netdev's speed in Mbps; virtio and link-down ports give
// -1 (or, on older kernels, 4294967295 for SPEED_UNKNOWN).
func parseSpeed(s string) (int, error) {
	n, err := parseInt(s)
	if err != nil {
		if u, uerr := strconv.ParseUint(strings.TrimSpace(s), 10, 32); uerr == nil && u == 0xffffffff {
			return -1, nil
		}
		return 0, err
	}
	return max(n, -1), nil
}

// parseBool reads a 0/1 flag such as sriov_drivers_autoprobe.
func parseBool(s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, fmt.Errorf("%q is neither 0 nor 1", strings.TrimSpace(s))
}

// parseDriverOverride reads driver_override: "(null)" when unset.
func parseDriverOverride(s string) string {
	s = strings.TrimSpace(s)
	if s == "(null)" {
		return ""
	}
	return s
}

// parseMAC reads a netdev's address, "52:54:00:12:34:56", and returns it in
// lowercase colon form. Any hardware address length net.ParseMAC knows is
// kept (InfiniBand has 20 bytes).
func parseMAC(s string) (string, error) {
	s = strings.TrimSpace(s)
	hw, err := net.ParseMAC(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a hardware address: %w", s, err)
	}
	return hw.String(), nil
}

// maxCPU bounds CPU numbers well above any NR_CPUS (8192 today), so that a
// corrupt file cannot describe billions of CPUs.
const maxCPU = 1 << 20

// cpuRange is one element of a cpulist, First <= Last.
type cpuRange struct{ First, Last int }

// parseCPUList reads a cpulist as bitmap_print_to_pagebuf writes it:
// "0-7,16-23", "0,2,4", or empty (a node without CPUs). It returns the
// ranges in the order given; they must be ascending and disjoint, as the
// kernel always prints them.
func parseCPUList(s string) ([]cpuRange, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []cpuRange
	last := -1
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseUint(lo)
		if err != nil {
			return nil, fmt.Errorf("cpulist %q: CPU %q: %w", s, lo, err)
		}
		b := a
		if isRange {
			if b, err = parseUint(hi); err != nil {
				return nil, fmt.Errorf("cpulist %q: CPU %q: %w", s, hi, err)
			}
		}
		switch {
		case a > maxCPU || b > maxCPU:
			return nil, fmt.Errorf("cpulist %q: CPU %d is above %d", s, max(a, b), maxCPU)
		case b < a:
			return nil, fmt.Errorf("cpulist %q: range %q runs backwards", s, part)
		case a <= last:
			return nil, fmt.Errorf("cpulist %q: %q is not above the previous CPUs", s, part)
		}
		out = append(out, cpuRange{a, b})
		last = b
	}
	return out, nil
}
