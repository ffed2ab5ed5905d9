package model

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCreateDataNetwork(t *testing.T) {
	existing := fixture().DataNetworks
	vlan := func(ranges ...SegmentRange) DataNetwork {
		return DataNetwork{ID: "n", Name: "physnet9", NetworkType: NetworkTypeVLAN, SegmentRanges: ranges}
	}
	tests := []struct {
		name   string
		in     DataNetwork
		want   error
		wantIn string
	}{
		{"flat", DataNetwork{ID: "n", Name: "flat-9", NetworkType: NetworkTypeFlat}, nil, ""},
		{"vlan with ranges", vlan(SegmentRange{1, 10}, SegmentRange{11, 4094}), nil, ""},
		{"dots and underscores", DataNetwork{ID: "n", Name: "a.b_c-D9", NetworkType: NetworkTypeFlat}, nil, ""},
		{"empty name", DataNetwork{ID: "n", NetworkType: NetworkTypeFlat}, ErrInvalid, "needs a name"},
		{"bad character", DataNetwork{ID: "n", Name: "phys net", NetworkType: NetworkTypeFlat}, ErrInvalid, "^[A-Za-z0-9_.-]+$"},
		{"none", DataNetwork{ID: "n", Name: "none", NetworkType: NetworkTypeFlat}, ErrInvalid, "reserved"},
		{"NONE", DataNetwork{ID: "n", Name: "NONE", NetworkType: NetworkTypeFlat}, ErrInvalid, "reserved"},
		{"duplicate name", DataNetwork{ID: "n", Name: "physnet0", NetworkType: NetworkTypeFlat}, ErrConflict, "already exists"},
		{"duplicate id", DataNetwork{ID: "d0", Name: "x", NetworkType: NetworkTypeFlat}, ErrConflict, "id d0 already exists"},
		{"bad type", DataNetwork{ID: "n", Name: "x", NetworkType: "vxlan"}, ErrInvalid, "not one of flat, vlan"},
		{"MTU low", DataNetwork{ID: "n", Name: "x", NetworkType: NetworkTypeFlat, MTU: 500}, ErrInvalid, "out of range"},
		{"MTU high", DataNetwork{ID: "n", Name: "x", NetworkType: NetworkTypeFlat, MTU: 9300}, ErrInvalid, "out of range"},
		{"ranges on flat", DataNetwork{ID: "n", Name: "x", NetworkType: NetworkTypeFlat, SegmentRanges: []SegmentRange{{1, 2}}}, ErrInvalid, "only to vlan"},
		{"range 0", vlan(SegmentRange{0, 10}), ErrInvalid, "within 1-4094"},
		{"range 4095", vlan(SegmentRange{10, 4095}), ErrInvalid, "within 1-4094"},
		{"min > max", vlan(SegmentRange{20, 10}), ErrInvalid, "min <= max"},
		{"overlap", vlan(SegmentRange{100, 200}, SegmentRange{1, 100}), ErrInvalid, "1-100 and 100-200 overlap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CreateDataNetwork(existing, tt.in)
			checkErr(t, tt.in, err, tt.want)
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantIn) {
					t.Errorf("input %+v: message %q lacks %q", tt.in, err, tt.wantIn)
				}
				return
			}
			want := tt.in
			if want.MTU == 0 {
				want.MTU = DefaultMTU
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("input %+v (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestModifyDataNetwork(t *testing.T) {
	cur := DataNetwork{ID: "d0", Name: "physnet0", NetworkType: NetworkTypeVLAN, MTU: 1500, SegmentRanges: []SegmentRange{{100, 199}}}
	flat := DataNetwork{ID: "d1", Name: "physnet1", NetworkType: NetworkTypeFlat, MTU: 1500}
	users := DataNetworkUsers{
		Interfaces: []InterfaceUse{{Host: "compute-0", Interface: "sriov0", MTU: 9000}, {Host: "compute-1", Interface: "sriov0", MTU: 4000}},
		Networks:   []NetworkUse{{ID: "net-1", Name: "tenant-a", MTU: 1400}},
	}
	tests := []struct {
		name   string
		cur    DataNetwork
		patch  DataNetworkPatch
		users  DataNetworkUsers
		want   error
		wantIn string
		result DataNetwork
	}{
		{"MTU, description and ranges", cur, DataNetworkPatch{MTU: intp(4000), Description: ptr("east"), SegmentRanges: &[]SegmentRange{{10, 20}}}, users, nil, "",
			DataNetwork{ID: "d0", Name: "physnet0", NetworkType: NetworkTypeVLAN, MTU: 4000, Description: "east", SegmentRanges: []SegmentRange{{10, 20}}}},
		{"same name and type are no change", cur, DataNetworkPatch{Name: ptr("physnet0"), NetworkType: ptr(NetworkTypeVLAN)}, users, nil, "", cur},
		{"rename", cur, DataNetworkPatch{Name: ptr("physnet7")}, users, ErrInvalid, "name cannot change", DataNetwork{}},
		{"retype", cur, DataNetworkPatch{NetworkType: ptr(NetworkTypeFlat)}, users, ErrInvalid, "network_type cannot change", DataNetwork{}},
		{"MTU above an interface's", cur, DataNetworkPatch{MTU: intp(4001)}, users, ErrConflict, "larger than MTU 4000 of assigned interface compute-1/sriov0", DataNetwork{}},
		{"MTU below a network's", cur, DataNetworkPatch{MTU: intp(1300)}, users, ErrConflict, "smaller than MTU 1400 of network tenant-a", DataNetwork{}},
		{"MTU out of range", cur, DataNetworkPatch{MTU: intp(10000)}, users, ErrInvalid, "out of range", DataNetwork{}},
		{"overlapping ranges", cur, DataNetworkPatch{SegmentRanges: &[]SegmentRange{{1, 5}, {5, 9}}}, users, ErrInvalid, "overlap", DataNetwork{}},
		{"ranges on flat", flat, DataNetworkPatch{SegmentRanges: &[]SegmentRange{{1, 5}}}, DataNetworkUsers{}, ErrInvalid, "only to vlan", DataNetwork{}},
		{"clear ranges", cur, DataNetworkPatch{SegmentRanges: &[]SegmentRange{}}, users, nil, "",
			DataNetwork{ID: "d0", Name: "physnet0", NetworkType: NetworkTypeVLAN, MTU: 1500, SegmentRanges: []SegmentRange{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ModifyDataNetwork(tt.cur, tt.patch, tt.users)
			checkErr(t, tt.patch, err, tt.want)
			if err != nil && !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("patch %+v: message %q lacks %q", tt.patch, err, tt.wantIn)
			}
			if diff := cmp.Diff(tt.result, got); diff != "" {
				t.Errorf("patch %+v (-want +got):\n%s", tt.patch, diff)
			}
		})
	}
}

func TestDeleteDataNetwork(t *testing.T) {
	dn := DataNetwork{ID: "d0", Name: "physnet0", NetworkType: NetworkTypeVLAN, MTU: 1500}
	tests := []struct {
		name   string
		users  DataNetworkUsers
		want   error
		wantIn string
	}{
		{"unused", DataNetworkUsers{}, nil, ""},
		{"assigned", DataNetworkUsers{Interfaces: []InterfaceUse{{Host: "compute-0", Interface: "sriov0"}}}, ErrConflict, "in use by interface compute-0/sriov0"},
		{"network on it", DataNetworkUsers{Networks: []NetworkUse{{ID: "n1", Name: "tenant-a"}}}, ErrConflict, "network tenant-a (n1)"},
		{"unnamed network", DataNetworkUsers{Networks: []NetworkUse{{ID: "n1"}}}, ErrConflict, "network n1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := DeleteDataNetwork(dn, tt.users)
			checkErr(t, tt.users, err, tt.want)
			if err != nil && !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("users %+v: message %q lacks %q", tt.users, err, tt.wantIn)
			}
		})
	}
}
