package neutron

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestPlanNetwork(t *testing.T) {
	dns := []DataNetwork{
		{Name: "datanet-b", Type: NetworkTypeVLAN, MTU: 9000, Ranges: []VLANRange{{200, 201}}},
		{Name: "datanet-a", Type: NetworkTypeVLAN, MTU: 1500, Ranges: []VLANRange{{100, 102}}},
		{Name: "datanet-flat", Type: NetworkTypeFlat, MTU: 1500},
	}
	used := []Segment{
		{NetworkTypeVLAN, "datanet-a", 10},
		{NetworkTypeVLAN, "datanet-a", 100},
		{NetworkTypeFlat, "datanet-flat", 0},
	}
	vlan := func(phys string, id int) NetworkRequest {
		return NetworkRequest{NetworkType: Val("vlan"), PhysicalNetwork: Val(phys), SegmentationID: Val(id)}
	}
	withMTU := func(r NetworkRequest, mtu int) NetworkRequest { r.MTU = Val(mtu); return r }
	tests := []struct {
		name    string
		req     NetworkRequest
		dns     []DataNetwork
		used    []Segment
		want    NetworkPlan
		wantErr error
	}{
		{"vlan given", vlan("datanet-a", 11), dns, used, NetworkPlan{"vlan", "datanet-a", ptr(11), 1500}, nil},
		{"vlan in use", vlan("datanet-a", 10), dns, used, NetworkPlan{}, TypeVlanIdInUse},
		{"same vlan other physnet", vlan("datanet-b", 10), dns, used, NetworkPlan{"vlan", "datanet-b", ptr(10), 9000}, nil},
		{"vlan 0", vlan("datanet-a", 0), dns, used, NetworkPlan{}, TypeInvalidInput},
		{"vlan 4095", vlan("datanet-a", 4095), dns, used, NetworkPlan{}, TypeInvalidInput},
		{"vlan 4094", vlan("datanet-a", 4094), dns, used, NetworkPlan{"vlan", "datanet-a", ptr(4094), 1500}, nil},
		{"unknown physnet", vlan("datanet-x", 5), dns, used, NetworkPlan{}, TypeInvalidInput},
		{"vlan on flat datanet", vlan("datanet-flat", 5), dns, used, NetworkPlan{}, TypeInvalidInput},
		{"seg without physnet", NetworkRequest{NetworkType: Val("vlan"), SegmentationID: Val(5)}, dns, used, NetworkPlan{}, TypeInvalidInput},
		{"vlan physnet allocates from its ranges", NetworkRequest{NetworkType: Val("vlan"), PhysicalNetwork: Val("datanet-a")}, dns, used,
			NetworkPlan{"vlan", "datanet-a", ptr(101), 1500}, nil},
		{"flat", NetworkRequest{NetworkType: Val("flat"), PhysicalNetwork: Val("datanet-flat")}, dns, nil,
			NetworkPlan{"flat", "datanet-flat", nil, 1500}, nil},
		{"flat in use", NetworkRequest{NetworkType: Val("flat"), PhysicalNetwork: Val("datanet-flat")}, dns, used, NetworkPlan{}, TypeFlatNetworkInUse},
		{"flat with seg", NetworkRequest{NetworkType: Val("flat"), PhysicalNetwork: Val("datanet-flat"), SegmentationID: Val(3)}, dns, nil, NetworkPlan{}, TypeInvalidInput},
		{"flat no physnet", NetworkRequest{NetworkType: Val("flat")}, dns, nil, NetworkPlan{}, TypeInvalidInput},
		{"flat on vlan datanet", NetworkRequest{NetworkType: Val("flat"), PhysicalNetwork: Val("datanet-a")}, dns, nil, NetworkPlan{}, TypeInvalidInput},
		{"vxlan refused", NetworkRequest{NetworkType: Val("vxlan")}, dns, nil, NetworkPlan{}, TypeInvalidInput},
		{"physnet without type", NetworkRequest{PhysicalNetwork: Val("datanet-a")}, dns, nil, NetworkPlan{}, TypeInvalidInput},
		{"project network lowest free in first datanet by name", NetworkRequest{}, dns, used, NetworkPlan{"vlan", "datanet-a", ptr(101), 1500}, nil},
		{"project network moves on when full", NetworkRequest{}, dns,
			append(used, Segment{"vlan", "datanet-a", 101}, Segment{"vlan", "datanet-a", 102}),
			NetworkPlan{"vlan", "datanet-b", ptr(200), 9000}, nil},
		{"project network none free", NetworkRequest{}, dns,
			append(used, Segment{"vlan", "datanet-a", 101}, Segment{"vlan", "datanet-a", 102}, Segment{"vlan", "datanet-b", 200}, Segment{"vlan", "datanet-b", 201}),
			NetworkPlan{}, TypeNoNetworkAvailable},
		{"project network no ranges", NetworkRequest{}, dns[2:], nil, NetworkPlan{}, TypeNoNetworkAvailable},
		{"mtu below datanet", withMTU(vlan("datanet-b", 7), 1500), dns, used, NetworkPlan{"vlan", "datanet-b", ptr(7), 1500}, nil},
		{"mtu above datanet", withMTU(vlan("datanet-a", 7), 9000), dns, used, NetworkPlan{}, TypeInvalidInput},
		{"mtu tiny", withMTU(vlan("datanet-a", 7), 60), dns, used, NetworkPlan{}, TypeInvalidInput},
		{"mtu 0 means default", withMTU(vlan("datanet-a", 7), 0), dns, used, NetworkPlan{"vlan", "datanet-a", ptr(7), 1500}, nil},
	}
	for _, tt := range tests {
		got, err := PlanNetwork(tt.req, tt.dns, tt.used)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("%s: PlanNetwork(%+v): err %v, want %v", tt.name, tt.req, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: PlanNetwork(%+v) (-want +got):\n%s", tt.name, tt.req, diff)
		}
	}
}

func TestNoNetworkAvailableMessage(t *testing.T) {
	dns := []DataNetwork{{Name: "datanet-a", Type: NetworkTypeVLAN, MTU: 1500, Ranges: []VLANRange{{10, 10}}}}
	_, err := PlanNetwork(NetworkRequest{}, dns, []Segment{{"vlan", "datanet-a", 10}})
	var e *Error
	want := "Unable to create the network. No project network is available for allocation. " +
		"Every VLAN in the segment ranges of datanet-a (10-10) is in use; an admin must widen a range or delete unused networks."
	if !errors.As(err, &e) || e.Status != 409 || e.Message != want {
		t.Errorf("got %v, want 409 %q", err, want)
	}
}

func TestPlanNetworkUpdate(t *testing.T) {
	dn := DataNetwork{Name: "datanet-a", Type: NetworkTypeVLAN, MTU: 1500}
	cur := Network{ID: "n1", NetworkType: "vlan", PhysicalNetwork: "datanet-a", SegmentationID: ptr(10), MTU: 1500}
	flat := Network{ID: "n2", NetworkType: "flat", PhysicalNetwork: "datanet-f", MTU: 1500}
	used := []Segment{{"vlan", "datanet-a", 20}}
	tests := []struct {
		name    string
		cur     Network
		req     NetworkRequest
		bound   int
		want    NetworkPlan
		wantErr error
	}{
		{"name only", cur, NetworkRequest{Name: Val("x")}, 3, NetworkPlan{"vlan", "datanet-a", ptr(10), 1500}, nil},
		{"same seg", cur, NetworkRequest{SegmentationID: Val(10)}, 3, NetworkPlan{"vlan", "datanet-a", ptr(10), 1500}, nil},
		{"new seg", cur, NetworkRequest{SegmentationID: Val(11)}, 0, NetworkPlan{"vlan", "datanet-a", ptr(11), 1500}, nil},
		{"new seg bound", cur, NetworkRequest{SegmentationID: Val(11)}, 1, NetworkPlan{}, TypeNetworkInUse},
		{"seg used", cur, NetworkRequest{SegmentationID: Val(20)}, 0, NetworkPlan{}, TypeVlanIdInUse},
		{"change type", cur, NetworkRequest{NetworkType: Val("flat")}, 0, NetworkPlan{}, TypeInvalidInput},
		{"flat seg", flat, NetworkRequest{SegmentationID: Val(5)}, 0, NetworkPlan{}, TypeInvalidInput},
		{"mtu too big", cur, NetworkRequest{MTU: Val(9000)}, 0, NetworkPlan{}, TypeInvalidInput},
		{"mtu smaller", cur, NetworkRequest{MTU: Val(1400)}, 0, NetworkPlan{"vlan", "datanet-a", ptr(10), 1400}, nil},
	}
	for _, tt := range tests {
		got, err := PlanNetworkUpdate(tt.cur, tt.req, dn, used, tt.bound)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
