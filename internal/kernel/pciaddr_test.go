package kernel

import "testing"

func TestVFAddress(t *testing.T) {
	tests := []struct {
		pf                string
		offset, stride, i int
		want              string // "" means an error
	}{
		// spec/kernel.md and spec/real-kernel.md examples.
		{"0000:01:00.0", 128, 2, 0, "0000:01:10.0"},
		{"0000:01:00.0", 128, 2, 1, "0000:01:10.2"},
		{"0000:3b:00.0", 16, 1, 0, "0000:3b:02.0"},
		{"0000:3b:00.0", 16, 1, 1, "0000:3b:02.1"},
		{"0000:3b:00.0", 16, 1, 8, "0000:3b:03.0"},
		{"0000:02:00.0", 128, 2, 6, "0000:02:11.4"},
		// Second port: its VFs follow its own rid.
		{"0000:3b:00.1", 16, 1, 0, "0000:3b:02.1"},
		// E810 with 256 VFs crosses onto the next bus.
		{"0000:3b:00.0", 8, 1, 247, "0000:3b:1f.7"},
		{"0000:3b:00.0", 8, 1, 248, "0000:3c:00.0"},
		{"0000:3b:00.0", 8, 1, 255, "0000:3c:00.7"},
		{"10000:e1:00.0", 1, 1, 0, "10000:e1:00.1"},
		{"0000:ff:1f.7", 1, 1, 0, ""}, // past bus ff
		{"0000:3b:00.0", 0, 1, 0, ""}, // offset 0
		{"0000:3b:00.0", 8, 0, 1, ""}, // stride 0 with two VFs
		{"0000:3b:00.0", 8, 0, 0, "0000:3b:01.0"},
		{"0000:3b:00.0", 8, 1, -1, ""},
		{"0000:3b:00.0", 8, -1, 1, ""},
		{"3b:00.0", 8, 1, 0, ""},
		{"0000:3b:20.0", 8, 1, 0, ""},
		{"0000:3b:00.8", 8, 1, 0, ""},
		{"0000:+b:00.0", 8, 1, 0, ""},
		{"", 8, 1, 0, ""},
	}
	for _, tt := range tests {
		got, err := VFAddress(tt.pf, tt.offset, tt.stride, tt.i)
		if tt.want == "" {
			if err == nil {
				t.Errorf("VFAddress(%q, %d, %d, %d) = %q, want an error", tt.pf, tt.offset, tt.stride, tt.i, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("VFAddress(%q, %d, %d, %d) = %q, %v; want %q", tt.pf, tt.offset, tt.stride, tt.i, got, err, tt.want)
		}
	}
}

func TestParsePCIAddrRoundTrip(t *testing.T) {
	for _, s := range []string{"0000:00:00.0", "0000:3b:02.1", "0001:ff:1f.7", "10000:e1:00.0"} {
		a, err := ParsePCIAddr(s)
		if err != nil || a.String() != s {
			t.Errorf("ParsePCIAddr(%q) = %v, %v; want it back", s, a, err)
		}
	}
}

func FuzzParsePCIAddr(f *testing.F) {
	for _, s := range []string{"0000:3b:02.1", "10000:e1:00.0", "0000:3b:0.1", "", ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParsePCIAddr(s)
		if err != nil {
			return
		}
		b, err := ParsePCIAddr(a.String())
		if err != nil || b != a {
			t.Errorf("ParsePCIAddr(%q) = %v, but its String %q parses to %v, %v", s, a, a.String(), b, err)
		}
	})
}
