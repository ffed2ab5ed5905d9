package switchport

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/model"
)

func vfs(bus string, n int) []string {
	out := make([]string, n)
	for k := range n {
		out[k] = fmt.Sprintf("0000:%s:%02x.%d", bus, 2+k/8, k%8)
	}
	return out
}

// host: sriov0 (8 VFs of enp59s0f0, datanet-a) with the VF sub-interface
// sriov0b (the last 2 VFs, flat datanet-b); pt0 (pci-passthrough,
// datanet-c); pt1 (pci-passthrough, datanet-b); data0 is not SR-IOV.
func host() model.HostConfig {
	return model.HostConfig{
		Ports: []model.Port{
			{ID: "p0", Name: "enp59s0f0", PCIAddr: "0000:3b:00.0", SRIOVNumVFs: 8, SRIOVVFsPCIAddress: vfs("3b", 8)},
			{ID: "p1", Name: "enp59s0f1", PCIAddr: "0000:3b:00.1"},
			{ID: "p2", Name: "enp94s0f0", PCIAddr: "0000:5e:00.0"},
			{ID: "p3", Name: "eno1", PCIAddr: "0000:18:00.0"},
		},
		Interfaces: []model.Interface{
			{ID: "i0", Name: "sriov0", Type: model.IfTypeEthernet, Class: model.IfClassPCISRIOV, PortID: "p0", SRIOVNumVFs: 8},
			{ID: "i1", Name: "sriov0b", Type: model.IfTypeVF, Class: model.IfClassPCISRIOV, Uses: []string{"sriov0"}, SRIOVNumVFs: 2},
			{ID: "i2", Name: "pt0", Type: model.IfTypeEthernet, Class: model.IfClassPCIPassthrough, PortID: "p1"},
			{ID: "i3", Name: "pt1", Type: model.IfTypeEthernet, Class: model.IfClassPCIPassthrough, PortID: "p2"},
			{ID: "i4", Name: "data0", Type: model.IfTypeEthernet, Class: model.IfClassData, PortID: "p3"},
		},
		DataNetworks: []model.DataNetwork{
			{ID: "d0", Name: "datanet-a", NetworkType: model.NetworkTypeVLAN, SegmentRanges: []model.SegmentRange{{Min: 100, Max: 109}, {Min: 200, Max: 200}}},
			{ID: "d1", Name: "datanet-b", NetworkType: model.NetworkTypeFlat},
			{ID: "d2", Name: "datanet-c", NetworkType: model.NetworkTypeVLAN, SegmentRanges: []model.SegmentRange{{Min: 300, Max: 399}}},
		},
		Assignments: []model.InterfaceDataNetwork{
			{ID: "a0", InterfaceID: "i0", DataNetworkID: "d0"},
			{ID: "a1", InterfaceID: "i1", DataNetworkID: "d1"},
			{ID: "a2", InterfaceID: "i2", DataNetworkID: "d2"},
			{ID: "a3", InterfaceID: "i3", DataNetworkID: "d1"},
			{ID: "a4", InterfaceID: "i4", DataNetworkID: "d2"},
		},
	}
}

func TestReport(t *testing.T) {
	sriovIdle := Row{Interface: "sriov0", Port: "enp59s0f0", PCIAddr: "0000:3b:00.0", Class: model.IfClassPCISRIOV, Mode: ModeTrunk,
		VLANs: "100-109,200", Untagged: true, Why: "datanet-a segment ranges 100-109,200, for networks not created yet; datanet-b is flat: untagged"}
	pt0Idle := Row{Interface: "pt0", Port: "enp59s0f1", PCIAddr: "0000:3b:00.1", Class: model.IfClassPCIPassthrough, Mode: ModeAccess,
		Why: "no direct-physical port bound: the access VLAN is the network of the port bound next (on datanet-c)"}
	pt1Idle := Row{Interface: "pt1", Port: "enp94s0f0", PCIAddr: "0000:5e:00.0", Class: model.IfClassPCIPassthrough, Mode: ModeAccess,
		Why: "no direct-physical port bound: the access VLAN is the network of the port bound next (on datanet-b)"}
	with := func(r Row, f func(*Row)) Row { f(&r); return r }
	tests := []struct {
		name  string
		bound []Bound
		want  []Row
		err   string
	}{
		{name: "nothing bound: ranges and flat networks", want: []Row{pt0Idle, pt1Idle, sriovIdle}},
		{name: "bound VFs add their VLANs, VF sub-interfaces count for the PF",
			bound: []Bound{
				{PCIAddr: "0000:3b:02.1", PortID: "P2", Network: "net2", NetworkType: model.NetworkTypeVLAN, SegmentationID: 11},
				{PCIAddr: "0000:3b:02.0", PortID: "P1", Network: "net1", NetworkType: model.NetworkTypeVLAN, SegmentationID: 10},
				{PCIAddr: "0000:3b:02.3", PortID: "P4", Network: "net1", NetworkType: model.NetworkTypeVLAN, SegmentationID: 10},
				{PCIAddr: "0000:3b:02.7", PortID: "P5", Network: "flatnet", NetworkType: model.NetworkTypeFlat},
				{PCIAddr: "0000:3b:00.1", PortID: "P3", Network: "net3", NetworkType: model.NetworkTypeVLAN, SegmentationID: 300},
				{PCIAddr: "0000:5e:00.0", PortID: "P6", Network: "flatnet", NetworkType: model.NetworkTypeFlat},
			},
			want: []Row{
				with(pt0Idle, func(r *Row) { r.VLANs, r.Why = "300", "port P3 bound: network net3, VLAN 300" }),
				with(pt1Idle, func(r *Row) { r.Untagged, r.Why = true, "port P6 bound: flat network flatnet, untagged" }),
				with(sriovIdle, func(r *Row) {
					r.VLANs = "10-11,100-109,200"
					r.Why = "bound: flatnet (flat, untagged), net1 (VLAN 10), net2 (VLAN 11); " + r.Why
				}),
			}},
		{name: "bound to a device the host does not have",
			bound: []Bound{{PCIAddr: "0000:af:02.0", PortID: "P1", Network: "n", SegmentationID: 10}},
			err:   "access switch report: port P1 is bound to 0000:af:02.0, which is no VF of a pci-sriov interface and no PF of a pci-passthrough interface of the host"},
		{name: "two ports on one PF",
			bound: []Bound{{PCIAddr: "0000:3b:00.1", PortID: "P1", Network: "n", SegmentationID: 10}, {PCIAddr: "0000:3b:00.1", PortID: "P2", Network: "m", SegmentationID: 11}},
			err:   "access switch report: interface pt0 (PF 0000:3b:00.1) has 2 ports bound (P1, P2): a PF serves one port"},
		{name: "segmentation ID out of range",
			bound: []Bound{{PCIAddr: "0000:3b:02.0", PortID: "P1", Network: "n", SegmentationID: 4095}},
			err:   "access switch report: port P1 on 0000:3b:02.0: segmentation ID 4095 is outside 0-4094"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Report(host(), tt.bound)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Report(%+v) error %v, want %q", tt.bound, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Report(%+v): %v", tt.bound, err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Report(%+v) (-want +got):\n%s", tt.bound, d)
			}
		})
	}
}

func TestRowOutput(t *testing.T) {
	r := Row{Interface: "sriov0", Port: "enp59s0f0", PCIAddr: "0000:3b:00.0", Class: model.IfClassPCISRIOV, Mode: ModeTrunk, VLANs: "10,20-29", Untagged: true, Why: "w"}
	if got, want := strings.Join(r.Cells(), "|"), "sriov0|enp59s0f0|0000:3b:00.0|trunk|10,20-29|true|w"; got != want {
		t.Errorf("Cells() = %q, want %q", got, want)
	}
	if len(Header()) != len(r.Cells()) {
		t.Errorf("Header has %d columns, Cells %d", len(Header()), len(r.Cells()))
	}
	if got, want := strings.Join(Row{Mode: ModeAccess}.Cells()[3:5], "|"), "access|-"; got != want {
		t.Errorf("empty VLANs cells = %q, want %q", got, want)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ifname":"sriov0","port":"enp59s0f0","pciaddr":"0000:3b:00.0","ifclass":"pci-sriov","mode":"trunk","vlans":"10,20-29","untagged":true,"why":"w"}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
}

func TestCompress(t *testing.T) {
	tests := []struct {
		in   []int
		want string
	}{
		{nil, ""},
		{[]int{10}, "10"},
		{[]int{10, 11}, "10-11"},
		{[]int{29, 20, 21, 22, 23, 24, 25, 26, 27, 28, 10, 10}, "10,20-29"},
		{[]int{1, 3, 5, 6, 7, 4094}, "1,3,5-7,4094"},
	}
	for _, tt := range tests {
		if got := Compress(tt.in); got != tt.want {
			t.Errorf("Compress(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
