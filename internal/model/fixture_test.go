package model

import (
	"errors"
	"fmt"
	"testing"
)

func intp(v int) *int { return &v }

func ptr[T any](v T) *T { return &v }

func vfAddrs(bus string, n int) []string {
	out := make([]string, n)
	for k := range n {
		out[k] = fmt.Sprintf("0000:%s:%02x.%d", bus, 2+k/8, k%8)
	}
	return out
}

func lockedHost() Host {
	return Host{ID: "h0", Hostname: "compute-0", Personality: PersonalityWorker,
		Administrative: AdminLocked, Operational: OperDisabled}
}

func unlockedHost() Host {
	h := lockedHost()
	h.Administrative = AdminUnlocked
	h.Operational = OperEnabled
	return h
}

// fixture is a worker with five ports:
//   - p0 enp59s0f0: X710, 64 VFs max, 8 VFs reported, 10 Gb/s; used by
//     sriov0 (pci-sriov, 8 VFs, netdevice, MTU 9000) assigned physnet0.
//   - p1 enp59s0f1: X710, no interface.
//   - p2 eno1: no SR-IOV; used by data0 (class data, MTU 9000).
//   - p3 enp94s0f0: 8 VFs max, 0 reported, speed unknown; no interface.
//   - p4 eno2: no SR-IOV; no interface.
func fixture() HostConfig {
	return HostConfig{
		Ports: []Port{
			{ID: "p0", HostID: "h0", Name: "enp59s0f0", PCIAddr: "0000:3b:00.0", Driver: "i40e", MTU: 9000, Speed: 10000, Link: "up",
				SRIOVTotalVFs: intp(64), SRIOVNumVFs: 8, SRIOVVFsPCIAddress: vfAddrs("3b", 8), SRIOVVFDriver: "iavf", SRIOVVFPDeviceID: "154c"},
			{ID: "p1", HostID: "h0", Name: "enp59s0f1", PCIAddr: "0000:3b:00.1", Driver: "i40e", MTU: 1500, Speed: 10000, Link: "up",
				SRIOVTotalVFs: intp(64)},
			{ID: "p2", HostID: "h0", Name: "eno1", PCIAddr: "0000:18:00.0", Driver: "igb", MTU: 1500, Speed: 1000, Link: "up"},
			{ID: "p4", HostID: "h0", Name: "eno2", PCIAddr: "0000:18:00.1", Driver: "igb", MTU: 1500, Speed: 1000, Link: "up"},
			{ID: "p3", HostID: "h0", Name: "enp94s0f0", PCIAddr: "0000:5e:00.0", Driver: "ixgbe", MTU: 1500, Speed: -1, Link: "down",
				SRIOVTotalVFs: intp(8)},
		},
		Interfaces: []Interface{
			{ID: "i0", HostID: "h0", Name: "sriov0", Type: IfTypeEthernet, Class: IfClassPCISRIOV, PortID: "p0", MTU: 9000,
				SRIOVNumVFs: 8, SRIOVVFDriver: VFDriverNetdevice},
			{ID: "i1", HostID: "h0", Name: "data0", Type: IfTypeEthernet, Class: IfClassData, PortID: "p2", MTU: 9000},
		},
		DataNetworks: []DataNetwork{
			{ID: "d0", Name: "physnet0", NetworkType: NetworkTypeVLAN, MTU: 1500, SegmentRanges: []SegmentRange{{100, 199}}},
			{ID: "d1", Name: "physnet1", NetworkType: NetworkTypeFlat, MTU: 1500},
			{ID: "d2", Name: "jumbo", NetworkType: NetworkTypeVLAN, MTU: 9000},
		},
		Assignments: []InterfaceDataNetwork{{ID: "a0", InterfaceID: "i0", DataNetworkID: "d0"}},
	}
}

// with returns c plus extra interfaces and assignments.
func with(c HostConfig, ifs []Interface, as ...InterfaceDataNetwork) HostConfig {
	c.Interfaces = append(append([]Interface{}, c.Interfaces...), ifs...)
	c.Assignments = append(append([]InterfaceDataNetwork{}, c.Assignments...), as...)
	return c
}

// vf is a VF sub-interface of lower.
func vf(id, name, lower string, numvfs int) Interface {
	return Interface{ID: id, HostID: "h0", Name: name, Type: IfTypeVF, Class: IfClassPCISRIOV, Uses: []string{lower},
		MTU: 1500, SRIOVNumVFs: numvfs}
}

// checkErr fails unless err is in class want (nil: no error), and checks
// the class is also what CodeOf reports, as the API will see it.
func checkErr(t *testing.T, input any, err error, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("input %+v: got error %v, want none", input, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("input %+v: got error %v, want class %v", input, err, want)
	}
	if c, ok := want.(Code); ok && CodeOf(err) != c {
		t.Fatalf("input %+v: CodeOf = %v, want %v", input, CodeOf(err), c)
	}
}
