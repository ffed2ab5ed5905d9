package model

import (
	"strings"
	"testing"
)

func TestAssignDataNetwork(t *testing.T) {
	cfg := with(fixture(), []Interface{
		{ID: "e1", Name: "eth1", Type: IfTypeEthernet, Class: IfClassNone, PortID: "p1", MTU: 1500},
		{ID: "pl", Name: "mgmt0", Type: IfTypeEthernet, Class: IfClassPlatform, PortID: "p4", MTU: 1500},
		{ID: "pt", Name: "pt0", Type: IfTypeEthernet, Class: IfClassPCIPassthrough, PortID: "p3", MTU: 9000},
		vf("i5", "vf0", "sriov0", 2),
	}, InterfaceDataNetwork{ID: "a1", InterfaceID: "pt", DataNetworkID: "d1"})
	ptFree := func() HostConfig {
		c := cfg
		c.Assignments = c.Assignments[:1]
		return c
	}()
	a := func(ifID, dnID string) InterfaceDataNetwork {
		return InterfaceDataNetwork{ID: "new", InterfaceID: ifID, DataNetworkID: dnID}
	}
	tests := []struct {
		name      string
		host      Host
		cfg       HostConfig
		a         InterfaceDataNetwork
		want      error
		wantIn    string
		wantClass IfClass
	}{
		{"pci-sriov", lockedHost(), cfg, a("i0", "d1"), nil, "", IfClassPCISRIOV},
		{"data", lockedHost(), cfg, a("i1", "d2"), nil, "", IfClassData},
		{"vf interface", lockedHost(), cfg, a("i5", "d0"), nil, "", IfClassPCISRIOV},
		{"none becomes data", lockedHost(), cfg, a("e1", "d0"), nil, "", IfClassData},
		{"passthrough, first network", lockedHost(), ptFree, a("pt", "d0"), nil, "", IfClassPCIPassthrough},
		{"passthrough, second network", lockedHost(), cfg, a("pt", "d0"), ErrConflict, "serves one network at a time, so its switch port can be an access port", ""},
		{"platform", lockedHost(), cfg, a("pl", "d0"), ErrInvalid, "only to interfaces of class data, pci-sriov or pci-passthrough", ""},
		{"host unlocked", unlockedHost(), cfg, a("i0", "d1"), ErrConflict, "Host compute-0 must be locked.", ""},
		{"duplicate pair", lockedHost(), cfg, a("i0", "d0"), ErrConflict, "already assigned", ""},
		{"duplicate id", lockedHost(), cfg, InterfaceDataNetwork{ID: "a0", InterfaceID: "i1", DataNetworkID: "d1"}, ErrConflict, "id a0 already exists", ""},
		{"unknown interface", lockedHost(), cfg, a("zz", "d0"), ErrNotFound, "Interface zz does not exist", ""},
		{"unknown data network", lockedHost(), cfg, a("i0", "zz"), ErrNotFound, "Data network zz does not exist", ""},
		{"MTU too small", lockedHost(), cfg, a("e1", "d2"), ErrInvalid, "MTU 1500 is smaller than MTU 9000 of data network jumbo", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AssignDataNetwork(tt.host, tt.cfg, tt.a)
			checkErr(t, tt.a, err, tt.want)
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantIn) {
					t.Errorf("assignment %+v: message %q lacks %q", tt.a, err, tt.wantIn)
				}
				return
			}
			if got.ID != tt.a.InterfaceID || got.Class != tt.wantClass {
				t.Errorf("assignment %+v: got interface %s class %s, want %s class %s", tt.a, got.ID, got.Class, tt.a.InterfaceID, tt.wantClass)
			}
			dn, _ := tt.cfg.DataNetwork(tt.a.DataNetworkID)
			found := false
			for _, n := range got.DataNetworks {
				found = found || n == dn.Name
			}
			if !found {
				t.Errorf("assignment %+v: got datanetworks %v, want %s among them", tt.a, got.DataNetworks, dn.Name)
			}
		})
	}
}

func TestRemoveDataNetwork(t *testing.T) {
	tests := []struct {
		name string
		host Host
		id   string
		want error
	}{
		{"assigned", lockedHost(), "a0", nil},
		{"host unlocked", unlockedHost(), "a0", ErrConflict},
		{"unknown", lockedHost(), "zz", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, tt.id, RemoveDataNetwork(tt.host, fixture(), tt.id), tt.want)
		})
	}
}
