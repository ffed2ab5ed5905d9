package model

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCreateInterface(t *testing.T) {
	sriov1 := Interface{ID: "n", Name: "sriov1", Type: IfTypeEthernet, Class: IfClassPCISRIOV, PortID: "p1", SRIOVNumVFs: 16, SRIOVVFDriver: VFDriverVFIO}
	eth := func(name, port string, class IfClass) Interface {
		return Interface{ID: "n", Name: name, Type: IfTypeEthernet, Class: class, PortID: port}
	}
	mod := func(i Interface, f func(*Interface)) Interface { f(&i); return i }
	rated := func(id, name string, n, rate int) Interface {
		i := vf(id, name, "sriov0", n)
		i.MaxTxRate = rate
		return i
	}
	ae := Interface{ID: "n", Name: "bond0", Type: IfTypeAE, Uses: []string{"eth1"}}
	eth1 := eth("eth1", "p1", IfClassNone)
	eth1.ID = "e1"
	eth1.MTU = 1500
	vlanOnData0 := Interface{ID: "v1", Name: "vlan10", Type: IfTypeVLAN, Class: IfClassData, Uses: []string{"data0"}, VLANID: 10, MTU: 1500}

	tests := []struct {
		name   string
		host   Host
		cfg    HostConfig
		in     Interface
		want   error
		wantIn string // part of the message
	}{
		// lock
		{"host unlocked", unlockedHost(), fixture(), sriov1, ErrConflict, "Host compute-0 must be locked."},
		// class and type
		{"pci-sriov ethernet", lockedHost(), fixture(), sriov1, nil, ""},
		{"pci-passthrough ethernet", lockedHost(), fixture(), eth("pt0", "p1", IfClassPCIPassthrough), nil, ""},
		{"pci-passthrough with VFs", lockedHost(), fixture(), mod(eth("pt0", "p1", IfClassPCIPassthrough), func(i *Interface) { i.SRIOVNumVFs = 4 }), ErrInvalid, "sriov_numvfs must be 0"},
		{"pci-sriov on vlan", lockedHost(), fixture(), Interface{ID: "n", Name: "v", Type: IfTypeVLAN, Class: IfClassPCISRIOV, Uses: []string{"data0"}, VLANID: 5, SRIOVNumVFs: 2}, ErrInvalid, "valid only on ethernet and vf"},
		{"pci-passthrough on ae", lockedHost(), with(fixture(), []Interface{eth1}), mod(ae, func(i *Interface) { i.Class = IfClassPCIPassthrough }), ErrInvalid, "do not support link aggregation (LAG)"},
		{"pci-sriov on ae", lockedHost(), with(fixture(), []Interface{eth1}), mod(ae, func(i *Interface) { i.Class = IfClassPCISRIOV; i.SRIOVNumVFs = 2 }), ErrInvalid, "do not support link aggregation (LAG)"},
		{"pci-sriov as ae member", lockedHost(), fixture(), mod(ae, func(i *Interface) { i.Uses = []string{"sriov0"} }), ErrInvalid, "do not support link aggregation (LAG)"},
		{"data ae", lockedHost(), with(fixture(), []Interface{eth1}), mod(ae, func(i *Interface) { i.Class = IfClassData }), nil, ""},
		{"numvfs 0", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.SRIOVNumVFs = 0 }), ErrInvalid, "Value for number of SR-IOV VFs must be > 0"},
		{"numvfs negative", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.SRIOVNumVFs = -1 }), ErrInvalid, "must be > 0"},
		{"port without SR-IOV", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.PortID = "p4" }), ErrInvalid, "SR-IOV can't be configured on this interface"},
		{"too many VFs", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.SRIOVNumVFs = 65 }), ErrInvalid, "The interface supports a maximum of 64 VFs"},
		{"all VFs", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.SRIOVNumVFs = 64 }), nil, ""},
		{"numvfs on data", lockedHost(), fixture(), mod(eth("d", "p1", IfClassData), func(i *Interface) { i.SRIOVNumVFs = 4 }), ErrInvalid, "sriov_numvfs applies only to class pci-sriov"},
		{"vf driver on none", lockedHost(), fixture(), mod(eth("d", "p1", IfClassNone), func(i *Interface) { i.SRIOVVFDriver = VFDriverVFIO }), ErrInvalid, "sriov_vf_driver applies only to class pci-sriov"},
		{"bad vf driver", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.SRIOVVFDriver = "igb_uio" }), ErrInvalid, "use netdevice"},
		{"bad type", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.Type = "bridge" }), ErrInvalid, "iftype"},
		{"bad class", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.Class = "mgmt" }), ErrInvalid, "ifclass"},
		// names
		{"no name", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.Name = "" }), ErrInvalid, "no name"},
		{"name too long", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.Name = "abcdefghijklmnop" }), ErrInvalid, "1 to 15 characters"},
		{"name with slash", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.Name = "a/b" }), ErrInvalid, "without spaces"},
		{"duplicate name", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.Name = "data0" }), ErrConflict, "already used on host compute-0"},
		{"duplicate id", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.ID = "i1" }), ErrConflict, "id i1 already exists"},
		{"no id", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.ID = "" }), ErrInternal, "must assign an id"},
		// ports
		{"ethernet without port", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.PortID = "" }), ErrInvalid, "exactly one port"},
		{"ethernet with unknown port", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.PortID = "p9" }), ErrNotFound, "port p9 is not a port of host compute-0"},
		{"port already used", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.PortID = "p0" }), ErrConflict, "already belongs to interface sriov0"},
		{"ethernet with uses", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.Uses = []string{"data0"} }), ErrInvalid, "remove uses"},
		{"vlan with port", lockedHost(), fixture(), mod(vlanOnData0, func(i *Interface) { i.PortID = "p1" }), ErrInvalid, "only ethernet interfaces use a port"},
		// ae
		{"ae without members", lockedHost(), fixture(), mod(ae, func(i *Interface) { i.Uses = nil }), ErrInvalid, "at least one member"},
		{"ae member missing", lockedHost(), fixture(), ae, ErrNotFound, "lower interface eth1 does not exist"},
		{"ae member is a vlan", lockedHost(), with(fixture(), []Interface{vlanOnData0}), mod(ae, func(i *Interface) { i.Uses = []string{"vlan10"} }), ErrInvalid, "only ethernet interfaces can be aggregated"},
		{"ae member already used by a vlan", lockedHost(), with(fixture(), []Interface{vlanOnData0}), mod(ae, func(i *Interface) { i.Uses = []string{"data0"} }), ErrConflict, "already used by vlan10"},
		{"bad ae mode", lockedHost(), with(fixture(), []Interface{eth1}), mod(ae, func(i *Interface) { i.AEMode = "roundrobin" }), ErrInvalid, "aemode"},
		{"ae mode on ethernet", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.AEMode = AEModeBalanced }), ErrInvalid, "aemode applies only to ae"},
		// vlan
		{"vlan", lockedHost(), fixture(), vlanOnData0, nil, ""},
		{"vlan id 0", lockedHost(), fixture(), mod(vlanOnData0, func(i *Interface) { i.VLANID = 0 }), ErrInvalid, "vlan_id 0 is out of range"},
		{"vlan id 4095", lockedHost(), fixture(), mod(vlanOnData0, func(i *Interface) { i.VLANID = 4095 }), ErrInvalid, "out of range"},
		{"vlan id on ethernet", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.VLANID = 5 }), ErrInvalid, "vlan_id applies only to vlan"},
		{"duplicate vlan", lockedHost(), with(fixture(), []Interface{vlanOnData0}), mod(vlanOnData0, func(i *Interface) { i.ID = "n"; i.Name = "vlan10b" }), ErrConflict, "vlan 10 on data0 already exists"},
		{"vlan on vf", lockedHost(), with(fixture(), []Interface{vf("i5", "vf0", "sriov0", 2)}), mod(vlanOnData0, func(i *Interface) { i.Uses = []string{"vf0"} }), ErrInvalid, "cannot be on vf interface"},
		{"vlan on passthrough", lockedHost(), with(fixture(), []Interface{mod(eth("pt0", "p1", IfClassPCIPassthrough), func(i *Interface) { i.ID = "pt"; i.MTU = 1500 })}), mod(vlanOnData0, func(i *Interface) { i.Uses = []string{"pt0"} }), ErrConflict, "no interface may use it"},
		{"vlan with two lowers", lockedHost(), fixture(), mod(vlanOnData0, func(i *Interface) { i.Uses = []string{"data0", "sriov0"} }), ErrInvalid, "exactly one lower interface"},
		// MTU
		{"MTU too small", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.MTU = 575 }), ErrInvalid, "MTU 575 is out of range"},
		{"MTU too large", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.MTU = 9217 }), ErrInvalid, "MTU 9217 is out of range"},
		{"MTU bounds", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.MTU = 9216 }), nil, ""},
		{"vlan MTU above lower", lockedHost(), fixture(), mod(vlanOnData0, func(i *Interface) { i.MTU = 9216 }), ErrInvalid, "larger than MTU 9000 of its lower interface data0"},
		{"vf MTU above lower", lockedHost(), fixture(), mod(vf("n", "vf0", "sriov0", 2), func(i *Interface) { i.MTU = 9100 }), ErrInvalid, "larger than MTU 9000"},
		// VF sub-interfaces
		{"vf", lockedHost(), fixture(), vf("n", "vf0", "sriov0", 2), nil, ""},
		{"vf takes all but one", lockedHost(), fixture(), vf("n", "vf0", "sriov0", 7), nil, ""},
		{"vf takes all", lockedHost(), fixture(), vf("n", "vf0", "sriov0", 8), ErrInvalid, "must keep at least 1"},
		{"vf siblings take all", lockedHost(), with(fixture(), []Interface{vf("i5", "vf0", "sriov0", 4)}), vf("n", "vf1", "sriov0", 4), ErrInvalid, "its VF interfaces vf0, vf1 take 8"},
		{"vf numvfs 0", lockedHost(), fixture(), vf("n", "vf0", "sriov0", 0), ErrInvalid, "Value for number of SR-IOV VFs must be > 0"},
		{"vf on data interface", lockedHost(), fixture(), vf("n", "vf0", "data0", 2), ErrInvalid, "must be a pci-sriov ethernet or vf interface"},
		{"vf on vlan", lockedHost(), with(fixture(), []Interface{vlanOnData0}), vf("n", "vf0", "vlan10", 2), ErrInvalid, "must be a pci-sriov ethernet or vf interface"},
		{"vf on vf", lockedHost(), with(fixture(), []Interface{vf("i5", "vf0", "sriov0", 4)}), vf("n", "vf00", "vf0", 3), nil, ""},
		{"vf on vf takes all", lockedHost(), with(fixture(), []Interface{vf("i5", "vf0", "sriov0", 4)}), vf("n", "vf00", "vf0", 4), ErrInvalid, "Interface vf0 has 4 VFs and must keep at least 1"},
		{"vf of another class", lockedHost(), fixture(), mod(vf("n", "vf0", "sriov0", 2), func(i *Interface) { i.Class = IfClassData }), ErrInvalid, "class must be pci-sriov"},
		{"vf default class", lockedHost(), fixture(), mod(vf("n", "vf0", "sriov0", 2), func(i *Interface) { i.Class = "" }), nil, ""},
		{"vf driver vfio", lockedHost(), fixture(), mod(vf("n", "vf0", "sriov0", 2), func(i *Interface) { i.SRIOVVFDriver = VFDriverVFIO }), nil, ""},
		{"vf bad driver", lockedHost(), fixture(), mod(vf("n", "vf0", "sriov0", 2), func(i *Interface) { i.SRIOVVFDriver = "vfio-pci" }), ErrInvalid, "sriov_vf_driver"},
		// max_tx_rate
		{"rate within 90%", lockedHost(), fixture(), rated("n", "vf0", 4, 2250), nil, ""},
		{"rate over 90%", lockedHost(), fixture(), rated("n", "vf0", 4, 2251), ErrInvalid, "more than 90% of its 10000 Mbps link (9000 Mbps)"},
		{"rate summed over siblings", lockedHost(), with(fixture(), []Interface{rated("i5", "vf0", 3, 2000)}), rated("n", "vf1", 2, 1600), ErrInvalid, "would transmit up to 9200 Mbps"},
		{"rate of nested pools counts owned VFs", lockedHost(), with(fixture(), []Interface{rated("i5", "vf0", 6, 1300)}), rated("n", "vf00", 3, 1300).withUses("vf0"), nil, ""},
		{"rate negative", lockedHost(), fixture(), rated("n", "vf0", 4, -1), ErrInvalid, "negative"},
		{"rate on ethernet", lockedHost(), fixture(), mod(sriov1, func(i *Interface) { i.MaxTxRate = 100 }), ErrInvalid, "max_tx_rate applies only to vf interfaces"},
		{"rate with unknown speed", lockedHost(), with(fixture(), []Interface{{ID: "s3", Name: "sriov3", Type: IfTypeEthernet, Class: IfClassPCISRIOV, PortID: "p3", MTU: 1500, SRIOVNumVFs: 8}}),
			mod(rated("n", "vf3", 2, 100), func(i *Interface) { i.Uses = []string{"sriov3"} }), ErrInvalid, "link speed of port enp94s0f0, which is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fixtureCopy(tt.cfg)
			got, err := CreateInterface(tt.host, tt.cfg, tt.in)
			checkErr(t, tt.in, err, tt.want)
			if diff := cmp.Diff(before, tt.cfg); diff != "" {
				t.Errorf("input %+v: CreateInterface changed its input config (-before +after):\n%s", tt.in, diff)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantIn) {
					t.Errorf("input %+v: message %q lacks %q", tt.in, err, tt.wantIn)
				}
				if diff := cmp.Diff(Interface{}, got); diff != "" {
					t.Errorf("input %+v: got a value with the error:\n%s", tt.in, diff)
				}
				return
			}
			if got.HostID != "h0" || got.ID != tt.in.ID || got.Name != tt.in.Name {
				t.Errorf("input %+v: got %+v, want host h0, id and name kept", tt.in, got)
			}
		})
	}
}

func (i Interface) withUses(lower ...string) Interface { i.Uses = lower; return i }

// fixtureCopy deep-copies c enough to detect a rule writing to its input.
func fixtureCopy(c HostConfig) HostConfig {
	out := c
	out.Ports = append([]Port{}, c.Ports...)
	out.Interfaces = nil
	for _, i := range c.Interfaces {
		i.Uses = append([]string(nil), i.Uses...)
		out.Interfaces = append(out.Interfaces, i)
	}
	out.DataNetworks = append([]DataNetwork{}, c.DataNetworks...)
	out.Assignments = append([]InterfaceDataNetwork{}, c.Assignments...)
	return out
}

func TestCreateInterfaceDefaults(t *testing.T) {
	cfg := with(fixture(), []Interface{{ID: "e1", Name: "eth1", Type: IfTypeEthernet, Class: IfClassNone, PortID: "p1", MTU: 1500}})
	tests := []struct {
		name string
		in   Interface
		want Interface
	}{
		{"ethernet: class none, MTU 1500",
			Interface{ID: "n", Name: "eth3", Type: IfTypeEthernet, PortID: "p3"},
			Interface{ID: "n", HostID: "h0", Name: "eth3", Type: IfTypeEthernet, Class: IfClassNone, PortID: "p3", MTU: 1500,
				Uses: []string{}, UsedBy: []string{}, DataNetworks: []string{}, SRIOVVFsPCIAddress: []string{}}},
		{"vf: class pci-sriov, lower's MTU, VFs from the end",
			Interface{ID: "n", Name: "vf0", Type: IfTypeVF, Uses: []string{"sriov0"}, SRIOVNumVFs: 2},
			Interface{ID: "n", HostID: "h0", Name: "vf0", Type: IfTypeVF, Class: IfClassPCISRIOV, Uses: []string{"sriov0"}, MTU: 9000, SRIOVNumVFs: 2,
				UsedBy: []string{}, DataNetworks: []string{}, SRIOVVFsPCIAddress: []string{"0000:3b:02.6", "0000:3b:02.7"}}},
		{"vlan: lower's MTU",
			Interface{ID: "n", Name: "vlan5", Type: IfTypeVLAN, Class: IfClassData, Uses: []string{"data0"}, VLANID: 5},
			Interface{ID: "n", HostID: "h0", Name: "vlan5", Type: IfTypeVLAN, Class: IfClassData, Uses: []string{"data0"}, MTU: 9000, VLANID: 5,
				UsedBy: []string{}, DataNetworks: []string{}, SRIOVVFsPCIAddress: []string{}}},
		{"ae: active_standby",
			Interface{ID: "n", Name: "bond0", Type: IfTypeAE, Class: IfClassData, Uses: []string{"eth1"}},
			Interface{ID: "n", HostID: "h0", Name: "bond0", Type: IfTypeAE, Class: IfClassData, Uses: []string{"eth1"}, MTU: 1500, AEMode: AEModeActiveStandby,
				UsedBy: []string{}, DataNetworks: []string{}, SRIOVVFsPCIAddress: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CreateInterface(lockedHost(), cfg, tt.in)
			if err != nil {
				t.Fatalf("input %+v: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("input %+v (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
