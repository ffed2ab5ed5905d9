package sysfs

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		in      string
		want    uint16
		wantErr bool
	}{
		{"0x8086\n", 0x8086, false},
		{"0x15b3", 0x15b3, false},
		{"0x0000\n", 0, false},
		{"0xFFFF\n", 0xffff, false},
		{"0x1\n", 1, false},
		{"8086\n", 0, true},
		{"0x\n", 0, true},
		{"0x10000\n", 0, true},
		{"0x-1", 0, true},
		{"0x+1", 0, true},
		{"0x80_86", 0, true},
		{"0x0x80", 0, true},
		{"", 0, true},
		{"0xzz", 0, true},
	}
	for _, tt := range tests {
		got, err := parseID(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseID(%q) = %#x, %v; want %#x, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseBareHex16(t *testing.T) {
	tests := []struct {
		in      string
		want    uint16
		wantErr bool
	}{
		{"154c\n", 0x154c, false},
		{"10ca", 0x10ca, false},
		{"1889\n", 0x1889, false},
		{"0\n", 0, false},
		{"0x154c\n", 0, true},
		{"10000\n", 0, true},
		{"\n", 0, true},
		{"-1", 0, true},
		{"15 4c", 0, true},
	}
	for _, tt := range tests {
		got, err := parseBareHex16(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseBareHex16(%q) = %#x, %v; want %#x, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseClass(t *testing.T) {
	tests := []struct {
		in      string
		want    uint32
		wantErr bool
	}{
		{"0x020000\n", 0x020000, false},
		{"0x028000\n", 0x028000, false},
		{"0xffff00\n", 0xffff00, false},
		{"0x1000000\n", 0, true},
		{"020000\n", 0, true},
		{"0x\n", 0, true},
		{"network", 0, true},
	}
	for _, tt := range tests {
		got, err := parseClass(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseClass(%q) = %#x, %v; want %#x, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in              string
		uint, int, numa int
		uintErr, intErr bool
	}{
		{in: "64\n", uint: 64, int: 64, numa: 64},
		{in: "0\n", uint: 0, int: 0, numa: 0},
		{in: "1500", uint: 1500, int: 1500, numa: 1500},
		{in: "-1\n", uintErr: true, int: -1, numa: -1},
		{in: "-7\n", uintErr: true, int: -7, numa: -1},
		{in: "+1\n", uintErr: true, intErr: true},
		{in: "0x10\n", uintErr: true, intErr: true},
		{in: "\n", uintErr: true, intErr: true},
		{in: "-", uintErr: true, intErr: true},
		{in: "1 2", uintErr: true, intErr: true},
		{in: "99999999999", uintErr: true, intErr: true},
	}
	for _, tt := range tests {
		u, err := parseUint(tt.in)
		if (err != nil) != tt.uintErr || (err == nil && u != tt.uint) {
			t.Errorf("parseUint(%q) = %d, %v; want %d, error %v", tt.in, u, err, tt.uint, tt.uintErr)
		}
		i, err := parseInt(tt.in)
		if (err != nil) != tt.intErr || (err == nil && i != tt.int) {
			t.Errorf("parseInt(%q) = %d, %v; want %d, error %v", tt.in, i, err, tt.int, tt.intErr)
		}
		n, err := parseNUMANode(tt.in)
		if (err != nil) != tt.intErr || (err == nil && n != tt.numa) {
			t.Errorf("parseNUMANode(%q) = %d, %v; want %d, error %v", tt.in, n, err, tt.numa, tt.intErr)
		}
	}
}

func TestParseSpeed(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"10000\n", 10000, false},
		{"-1\n", -1, false},
		{"4294967295\n", -1, false},
		{"-100\n", -1, false},
		{"fast\n", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSpeed(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseSpeed(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseBoolAndOverride(t *testing.T) {
	for in, want := range map[string]bool{"1\n": true, "0\n": false, "1": true} {
		if got, err := parseBool(in); err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2\n", "yes", "-0"} {
		if got, err := parseBool(in); err == nil {
			t.Errorf("parseBool(%q) = %v, want an error", in, got)
		}
	}
	for in, want := range map[string]string{"(null)\n": "", "vfio-pci\n": "vfio-pci", "\n": ""} {
		if got := parseDriverOverride(in); got != want {
			t.Errorf("parseDriverOverride(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseMAC(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"52:54:00:12:34:56\n", "52:54:00:12:34:56", false},
		{"3C:FD:FE:A0:B1:C2\n", "3c:fd:fe:a0:b1:c2", false},
		{"00:00:00:00:00:00\n", "00:00:00:00:00:00", false},
		{"52:54:00:12:34\n", "", true},
		{"\n", "", true},
		{"zz:54:00:12:34:56", "", true},
	}
	for _, tt := range tests {
		got, err := parseMAC(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseMAC(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in      string
		want    []cpuRange
		wantErr bool
	}{
		{in: "0-7,16-23\n", want: []cpuRange{{0, 7}, {16, 23}}},
		{in: "0,2,4\n", want: []cpuRange{{0, 0}, {2, 2}, {4, 4}}},
		{in: "0\n", want: []cpuRange{{0, 0}}},
		{in: "\n", want: nil},
		{in: "7-0", wantErr: true},
		{in: "0-7,4-9", wantErr: true},
		{in: "2,1", wantErr: true},
		{in: "0-", wantErr: true},
		{in: "-3", wantErr: true},
		{in: "0,,1", wantErr: true},
		{in: "0-1-2", wantErr: true},
		{in: "0-4000000000", wantErr: true},
		{in: "a-b", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseCPUList(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseCPUList(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseCPUList(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseNetFlags(t *testing.T) {
	tests := []struct {
		in      string
		want    uint32
		wantErr bool
	}{
		{"0x1003\n", 0x1003, false}, // UP|BROADCAST|MULTICAST
		{"0x1002\n", 0x1002, false}, // the same, down
		{"0x1\n", 0x1, false},
		{"0\n", 0, false}, // "%#x" prints no 0x for zero
		{"0x11043", 0x11043, false},
		{"0xffffffff\n", 0xffffffff, false},
		{"0x100000000\n", 0, true},
		{"1003\n", 0, true},
		{"0x\n", 0, true},
		{"0x-1", 0, true},
		{"00", 0, true},
		{"", 0, true},
		{"up\n", 0, true},
	}
	for _, tt := range tests {
		got, err := parseNetFlags(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseNetFlags(%q) = %#x, %v; want %#x, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// The fuzz targets check that garbage never panics and that whatever parses
// prints back to the same value.

func FuzzID(f *testing.F) {
	for _, s := range []string{"0x8086\n", "0x", "8086", "0x-1", "0xffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseID(s)
		if err == nil {
			if w, err := parseID("0x" + strconv.FormatUint(uint64(v), 16)); err != nil || w != v {
				t.Errorf("parseID(%q) = %#x does not round-trip: %#x, %v", s, v, w, err)
			}
		}
	})
}

func FuzzBareHex(f *testing.F) {
	for _, s := range []string{"154c\n", "0x154c", "", "-1", "fffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseBareHex16(s)
		if err == nil {
			if w, err := parseBareHex16(strconv.FormatUint(uint64(v), 16)); err != nil || w != v {
				t.Errorf("parseBareHex16(%q) = %#x does not round-trip: %#x, %v", s, v, w, err)
			}
		}
	})
}

func FuzzClass(f *testing.F) {
	for _, s := range []string{"0x020000\n", "0x1000000", "0x", "020000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseClass(s)
		if err == nil && v > 0xffffff {
			t.Errorf("parseClass(%q) = %#x, above 24 bits", s, v)
		}
	})
}

// FuzzDecimal covers the decimal parsers: counts, numa_node, speed.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"64\n", "-1\n", "-2", "4294967295", "+1", "1e3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := parseUint(s); err == nil {
			if w, err := parseUint(strconv.Itoa(v)); err != nil || w != v || v < 0 {
				t.Errorf("parseUint(%q) = %d does not round-trip: %d, %v", s, v, w, err)
			}
		}
		if v, err := parseInt(s); err == nil {
			if w, err := parseInt(strconv.Itoa(v)); err != nil || w != v {
				t.Errorf("parseInt(%q) = %d does not round-trip: %d, %v", s, v, w, err)
			}
		}
		if v, err := parseSpeed(s); err == nil && v < -1 {
			t.Errorf("parseSpeed(%q) = %d, below -1", s, v)
		}
		if v, err := parseNUMANode(s); err == nil && v < -1 {
			t.Errorf("parseNUMANode(%q) = %d, below -1", s, v)
		}
	})
}

func FuzzMAC(f *testing.F) {
	for _, s := range []string{"52:54:00:12:34:56\n", "5254.0012.3456", "", "::::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMAC(s)
		if err == nil {
			if w, err := parseMAC(m); err != nil || w != m {
				t.Errorf("parseMAC(%q) = %q does not round-trip: %q, %v", s, m, w, err)
			}
		}
	})
}

func FuzzCPUList(f *testing.F) {
	for _, s := range []string{"0-7,16-23\n", "0,2,4", "", "7-0", "0-4000000000", "1,-,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := parseCPUList(s)
		if err != nil {
			return
		}
		var b strings.Builder
		for i, r := range rs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(r.First) + "-" + strconv.Itoa(r.Last))
		}
		again, err := parseCPUList(b.String())
		if err != nil || !cmp.Equal(rs, again) {
			t.Errorf("parseCPUList(%q) = %v; printed as %q it parses to %v, %v", s, rs, b.String(), again, err)
		}
	})
}

func FuzzNetFlags(f *testing.F) {
	for _, s := range []string{"0x1003\n", "0\n", "0x", "1003", "0x100000000", "0x-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseNetFlags(s)
		if err == nil {
			if w, err := parseNetFlags(fmt.Sprintf("%#x\n", v)); err != nil || w != v {
				t.Errorf("parseNetFlags(%q) = %#x does not round-trip: %#x, %v", s, v, w, err)
			}
		}
	})
}
