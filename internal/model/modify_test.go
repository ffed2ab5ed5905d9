package model

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestModifyInterface(t *testing.T) {
	withVF := with(fixture(), []Interface{vf("i5", "vf0", "sriov0", 3)})
	withVLAN := with(fixture(), []Interface{{ID: "v1", Name: "vlan10", Type: IfTypeVLAN, Class: IfClassData, Uses: []string{"data0"}, VLANID: 10, MTU: 9000}})
	withPT := with(fixture(), []Interface{{ID: "pt", Name: "pt0", Type: IfTypeEthernet, Class: IfClassPCIPassthrough, PortID: "p1", MTU: 1500}},
		InterfaceDataNetwork{ID: "a1", InterfaceID: "pt", DataNetworkID: "d1"})
	twoNets := with(fixture(), nil, InterfaceDataNetwork{ID: "a1", InterfaceID: "i0", DataNetworkID: "d1"})
	bond := with(fixture(), []Interface{
		{ID: "e1", Name: "eth1", Type: IfTypeEthernet, Class: IfClassNone, PortID: "p1", MTU: 1500},
		{ID: "e4", Name: "eth4", Type: IfTypeEthernet, Class: IfClassNone, PortID: "p4", MTU: 1500},
		{ID: "b0", Name: "bond0", Type: IfTypeAE, Class: IfClassData, Uses: []string{"eth1"}, AEMode: AEModeBalanced, MTU: 1500},
	})

	tests := []struct {
		name   string
		host   Host
		cfg    HostConfig
		id     string
		patch  InterfacePatch
		want   error
		wantIn string
		check  func(Interface) string // "" when the result is right
	}{
		{"host unlocked", unlockedHost(), fixture(), "i0", InterfacePatch{MTU: intp(1500)}, ErrConflict, "Host compute-0 must be locked.", nil},
		{"unknown interface", lockedHost(), fixture(), "nope", InterfacePatch{}, ErrNotFound, "Interface nope does not exist", nil},
		{"more VFs", lockedHost(), fixture(), "i0", InterfacePatch{SRIOVNumVFs: intp(32)}, nil, "", func(i Interface) string {
			return cmp.Diff(32, i.SRIOVNumVFs)
		}},
		{"too many VFs", lockedHost(), fixture(), "i0", InterfacePatch{SRIOVNumVFs: intp(100)}, ErrInvalid, "The interface supports a maximum of 64 VFs", nil},
		{"zero VFs while pci-sriov", lockedHost(), fixture(), "i0", InterfacePatch{SRIOVNumVFs: intp(0)}, ErrInvalid, "must be > 0", nil},
		{"fewer VFs than sub-interfaces need", lockedHost(), withVF, "i0", InterfacePatch{SRIOVNumVFs: intp(3)}, ErrInvalid, "must keep at least 1", nil},
		{"sub-interface grows past parent", lockedHost(), withVF, "i5", InterfacePatch{SRIOVNumVFs: intp(8)}, ErrInvalid, "must keep at least 1", nil},
		{"sub-interface numvfs 0", lockedHost(), withVF, "i5", InterfacePatch{SRIOVNumVFs: intp(0)}, ErrInvalid, "must be > 0", nil},
		{"sub-interface rate", lockedHost(), withVF, "i5", InterfacePatch{MaxTxRate: intp(3000)}, nil, "", func(i Interface) string { return cmp.Diff(3000, i.MaxTxRate) }},
		{"sub-interface rate over 90%", lockedHost(), withVF, "i5", InterfacePatch{MaxTxRate: intp(3001)}, ErrInvalid, "more than 90%", nil},
		{"data to pci-sriov without VFs", lockedHost(), fixture(), "i1", InterfacePatch{Class: ptr(IfClassPCISRIOV)}, ErrInvalid, "SR-IOV can't be configured", nil},
		{"leave pci-sriov resets VFs and driver", lockedHost(), fixture(), "i0", InterfacePatch{Class: ptr(IfClassData)}, nil, "", func(i Interface) string {
			return cmp.Diff([2]any{0, VFDriverNone}, [2]any{i.SRIOVNumVFs, i.SRIOVVFDriver})
		}},
		{"leave pci-sriov with VFs given", lockedHost(), fixture(), "i0", InterfacePatch{Class: ptr(IfClassData), SRIOVNumVFs: intp(8)}, ErrInvalid, "sriov_numvfs applies only to class pci-sriov", nil},
		{"leave pci-sriov with driver given", lockedHost(), fixture(), "i0", InterfacePatch{Class: ptr(IfClassData), SRIOVVFDriver: ptr(VFDriverVFIO)}, ErrInvalid, "sriov_vf_driver applies only to class pci-sriov", nil},
		{"leave pci-sriov to passthrough", lockedHost(), fixture(), "i0", InterfacePatch{Class: ptr(IfClassPCIPassthrough)}, nil, "", func(i Interface) string {
			return cmp.Diff(0, i.SRIOVNumVFs)
		}},
		{"leave pci-sriov while VF interfaces use it", lockedHost(), withVF, "i0", InterfacePatch{Class: ptr(IfClassData)}, ErrConflict, "VF interfaces vf0 use its VFs; delete them first", nil},
		{"to platform with data networks", lockedHost(), fixture(), "i0", InterfacePatch{Class: ptr(IfClassPlatform)}, ErrConflict, "data networks physnet0 assigned", nil},
		{"to none with data networks", lockedHost(), fixture(), "i0", InterfacePatch{Class: ptr(IfClassNone)}, ErrConflict, "remove them first", nil},
		{"to passthrough with two networks", lockedHost(), twoNets, "i0", InterfacePatch{Class: ptr(IfClassPCIPassthrough)}, ErrConflict, "one data network at a time", nil},
		{"passthrough with VFs", lockedHost(), withPT, "pt", InterfacePatch{SRIOVNumVFs: intp(2)}, ErrInvalid, "sriov_numvfs must be 0", nil},
		{"vf driver on data", lockedHost(), fixture(), "i1", InterfacePatch{SRIOVVFDriver: ptr(VFDriverNetdevice)}, ErrInvalid, "sriov_vf_driver applies only", nil},
		{"vf driver vfio", lockedHost(), fixture(), "i0", InterfacePatch{SRIOVVFDriver: ptr(VFDriverVFIO)}, nil, "", func(i Interface) string { return cmp.Diff(VFDriverVFIO, i.SRIOVVFDriver) }},
		{"vf driver bogus", lockedHost(), fixture(), "i0", InterfacePatch{SRIOVVFDriver: ptr(VFDriver("uio"))}, ErrInvalid, "is not valid", nil},
		{"MTU below assigned data network", lockedHost(), with(fixture(), nil, InterfaceDataNetwork{ID: "a1", InterfaceID: "i0", DataNetworkID: "d2"}), "i0", InterfacePatch{MTU: intp(1500)}, ErrInvalid, "smaller than MTU 9000 of assigned data network jumbo", nil},
		{"MTU out of range", lockedHost(), fixture(), "i0", InterfacePatch{MTU: intp(100)}, ErrInvalid, "out of range", nil},
		{"lower MTU below its vlan's", lockedHost(), withVLAN, "i1", InterfacePatch{MTU: intp(1500)}, ErrInvalid, "smaller than MTU 9000 of vlan10", nil},
		{"lower MTU below its vf's", lockedHost(), withVF, "i0", InterfacePatch{MTU: intp(1400)}, ErrInvalid, "smaller than MTU 1500 of vf0", nil},
		{"vlan MTU above lower", lockedHost(), withVLAN, "v1", InterfacePatch{MTU: intp(9216)}, ErrInvalid, "larger than MTU 9000", nil},
		{"vlan id change", lockedHost(), withVLAN, "v1", InterfacePatch{VLANID: intp(11)}, nil, "", func(i Interface) string { return cmp.Diff(11, i.VLANID) }},
		{"vlan lower change", lockedHost(), withVLAN, "v1", InterfacePatch{Uses: &[]string{"sriov0"}}, ErrInvalid, "cannot change; delete it", nil},
		{"rename", lockedHost(), withVF, "i0", InterfacePatch{Name: ptr("sriovA")}, nil, "", func(i Interface) string {
			return cmp.Diff([]string{"vf0"}, i.UsedBy)
		}},
		{"rename to an existing name", lockedHost(), fixture(), "i0", InterfacePatch{Name: ptr("data0")}, ErrConflict, "already used", nil},
		{"ae gains a member", lockedHost(), bond, "b0", InterfacePatch{Uses: &[]string{"eth1", "eth4"}}, nil, "", func(i Interface) string {
			return cmp.Diff([]string{"eth1", "eth4"}, i.Uses)
		}},
		{"ae gains a pci-sriov member", lockedHost(), bond, "b0", InterfacePatch{Uses: &[]string{"eth1", "sriov0"}}, ErrInvalid, "do not support link aggregation (LAG)", nil},
		{"ae member becomes pci-sriov", lockedHost(), bond, "e1", InterfacePatch{Class: ptr(IfClassPCISRIOV), SRIOVNumVFs: intp(4)}, ErrInvalid, "do not support link aggregation (LAG)", nil},
		{"ae member becomes pci-passthrough", lockedHost(), bond, "e1", InterfacePatch{Class: ptr(IfClassPCIPassthrough)}, ErrConflict, "no interface may use it", nil},
		{"ae becomes pci-sriov", lockedHost(), bond, "b0", InterfacePatch{Class: ptr(IfClassPCISRIOV), SRIOVNumVFs: intp(2)}, ErrInvalid, "do not support link aggregation (LAG)", nil},
		{"ae mode", lockedHost(), bond, "b0", InterfacePatch{AEMode: ptr(AEMode8023ad)}, nil, "", func(i Interface) string { return cmp.Diff(AEMode8023ad, i.AEMode) }},
		{"max_tx_rate on ethernet", lockedHost(), fixture(), "i0", InterfacePatch{MaxTxRate: intp(10)}, ErrInvalid, "only to vf interfaces", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fixtureCopy(tt.cfg)
			got, err := ModifyInterface(tt.host, tt.cfg, tt.id, tt.patch)
			checkErr(t, tt.patch, err, tt.want)
			if diff := cmp.Diff(before, tt.cfg); diff != "" {
				t.Errorf("patch %+v: ModifyInterface changed its input (-before +after):\n%s", tt.patch, diff)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantIn) {
					t.Errorf("patch %+v: message %q lacks %q", tt.patch, err, tt.wantIn)
				}
				return
			}
			if got.ID != tt.id {
				t.Errorf("patch %+v: got interface %q, want %q", tt.patch, got.ID, tt.id)
			}
			if tt.check != nil {
				if diff := tt.check(got); diff != "" {
					t.Errorf("patch %+v: result %+v wrong (-want +got):\n%s", tt.patch, got, diff)
				}
			}
		})
	}
}

func TestDeleteInterface(t *testing.T) {
	withVF := with(fixture(), []Interface{vf("i5", "vf0", "sriov0", 3)})
	tests := []struct {
		name   string
		host   Host
		cfg    HostConfig
		id     string
		want   error
		wantIn string
	}{
		{"unused, assigned", lockedHost(), fixture(), "i0", nil, ""},
		{"host unlocked", unlockedHost(), fixture(), "i0", ErrConflict, "Host compute-0 must be locked."},
		{"missing", lockedHost(), fixture(), "zz", ErrNotFound, "does not exist"},
		{"used by a VF interface", lockedHost(), withVF, "i0", ErrConflict, "Interface sriov0 is used by vf0; delete them first."},
		{"the VF interface itself", lockedHost(), withVF, "i5", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := DeleteInterface(tt.host, tt.cfg, tt.id)
			checkErr(t, tt.id, err, tt.want)
			if err != nil && !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("id %s: message %q lacks %q", tt.id, err, tt.wantIn)
			}
		})
	}
}
