package neutron

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckSRIOVLimits(t *testing.T) {
	pair := []AddressPair{{IPAddress: "192.0.2.9"}}
	tests := []struct {
		in      PortLimits
		wantErr error
	}{
		{PortLimits{VNICType: VNICDirect}, nil},
		{PortLimits{VNICType: VNICDirect, SecurityGroups: []string{"default"}}, TypeSRIOVUnsupported},
		{PortLimits{VNICType: VNICDirectPhysical, SecurityGroups: []string{"sg"}}, TypeSRIOVUnsupported},
		{PortLimits{VNICType: VNICNormal, SecurityGroups: []string{"sg"}}, nil},
		{PortLimits{VNICType: VNICDirect, QoSPolicyID: "q"}, TypeSRIOVUnsupported},
		{PortLimits{VNICType: VNICNormal, QoSPolicyID: "q"}, TypeSRIOVUnsupported},
		{PortLimits{VNICType: VNICDirect, AllowedAddressPairs: pair}, TypeSRIOVUnsupported},
		{PortLimits{VNICType: VNICMacvtap, AllowedAddressPairs: pair}, nil},
	}
	for _, tt := range tests {
		err := CheckSRIOVLimits(tt.in)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("CheckSRIOVLimits(%+v) = %v, want %v", tt.in, err, tt.wantErr)
		}
		var e *Error
		if errors.As(err, &e) && e.Status != 400 {
			t.Errorf("CheckSRIOVLimits(%+v) status %d, want 400", tt.in, e.Status)
		}
	}
	err := CheckSRIOVLimits(PortLimits{VNICType: VNICDirect, SecurityGroups: []string{"default"}})
	if !strings.Contains(err.Error(), "security groups are not enforced on SR-IOV and PCI passthrough ports") {
		t.Errorf("security group refusal does not say why: %v", err)
	}
}

func TestBindableVNIC(t *testing.T) {
	for _, v := range VNICTypes() {
		err := BindableVNIC(v)
		want := v == VNICDirect || v == VNICDirectPhysical
		if (err == nil) != want {
			t.Errorf("BindableVNIC(%s) = %v, want bindable %v", v, err, want)
		}
		if err != nil && (!errors.Is(err, TypeVNICTypeNotBindable) || !strings.Contains(err.Error(), "--vnic-type direct") ||
			!strings.Contains(err.Error(), "SR-IOV")) {
			t.Errorf("BindableVNIC(%s) message does not name the fix: %v", v, err)
		}
	}
}

func TestCheckBoundChange(t *testing.T) {
	bound := Port{ID: "p1", MACAddress: "fa:16:3e:00:00:01", VNICType: VNICDirect, HostID: "h1", VIFType: VIFTypeHWVEB,
		NUMAAffinityPolicy: ptr("required")}
	unbound := Port{ID: "p2", MACAddress: "fa:16:3e:00:00:02", VNICType: VNICDirect, VIFType: VIFTypeUnbound}
	failed := Port{ID: "p3", VNICType: VNICNormal, HostID: "h1", VIFType: VIFTypeBindingFailed}
	tests := []struct {
		name    string
		p       Port
		req     PortRequest
		wantErr error
	}{
		{"mac bound", bound, PortRequest{MACAddress: Val("fa:16:3e:00:00:09")}, TypePortBound},
		{"same mac bound", bound, PortRequest{MACAddress: Val("FA:16:3E:00:00:01")}, nil},
		{"vnic bound", bound, PortRequest{VNICType: Val(VNICDirectPhysical)}, TypePortBound},
		{"numa bound", bound, PortRequest{NUMAAffinityPolicy: Val("legacy")}, TypePortBoundNUMAAffinityPolicy},
		{"numa same", bound, PortRequest{NUMAAffinityPolicy: Val("required")}, nil},
		{"name bound", bound, PortRequest{Name: Val("x")}, nil},
		{"mac unbound", unbound, PortRequest{MACAddress: Val("fa:16:3e:00:00:09")}, nil},
		{"vnic after failed bind", failed, PortRequest{VNICType: Val(VNICDirect)}, nil},
	}
	for _, tt := range tests {
		err := CheckBoundChange(tt.p, tt.req)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.wantErr)
		}
		var e *Error
		if errors.As(err, &e) && e.Status != 409 {
			t.Errorf("%s: status %d, want 409", tt.name, e.Status)
		}
	}
}

func TestMAC(t *testing.T) {
	m, err := GenerateMAC(bytes.NewReader([]byte{0xc9, 0xcb, 0xf0}))
	if err != nil || m != "fa:16:3e:c9:cb:f0" {
		t.Errorf("GenerateMAC = %q, %v", m, err)
	}
	if _, err := GenerateMAC(bytes.NewReader(nil)); err == nil {
		t.Errorf("GenerateMAC on an empty source: no error")
	}
	tests := []struct {
		in, want string
		wantErr  error
	}{
		{"FA-16-3E-00-00-01", "fa:16:3e:00:00:01", nil},
		{"02:00:00:00:00:01", "02:00:00:00:00:01", nil},
		{"00:00:00:00:00:00", "", ErrInvalidMAC},
		{"01:00:5e:00:00:01", "", ErrInvalidMAC},
		{"ff:ff:ff:ff:ff:ff", "", ErrInvalidMAC},
		{"00:00:00:00:00:00:00:01", "", ErrInvalidMAC},
		{"zz", "", ErrInvalidMAC},
	}
	for _, tt := range tests {
		got, err := ParseMAC(tt.in)
		if got != tt.want || !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("ParseMAC(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestBindingShapes(t *testing.T) {
	vf := VF{PCISlot: "0000:3b:02.3", PCIVendorInfo: "8086:154c", PhysicalNetwork: "datanet-a", PFMACAddress: "3c:fd:fe:00:00:01", VFNum: 3}
	tests := []struct {
		name string
		b    Binding
		want string
	}{
		{"direct vlan", BindDirect("h1", vf, 10),
			`{"binding:host_id":"h1","binding:profile":{"pci_slot":"0000:3b:02.3","pci_vendor_info":"8086:154c","pf_mac_address":"3c:fd:fe:00:00:01","physical_network":"datanet-a","vf_num":3},"binding:vif_details":{"connectivity":"l2","port_filter":false,"vlan":"10"},"binding:vif_type":"hw_veb","mac_address":"fa:16:3e:00:00:01"}`},
		{"direct flat", BindDirect("h1", vf, 0),
			`{"binding:host_id":"h1","binding:profile":{"pci_slot":"0000:3b:02.3","pci_vendor_info":"8086:154c","pf_mac_address":"3c:fd:fe:00:00:01","physical_network":"datanet-a","vf_num":3},"binding:vif_details":{"connectivity":"l2","port_filter":false,"vlan":"0"},"binding:vif_type":"hw_veb","mac_address":"fa:16:3e:00:00:01"}`},
		{"direct-physical", BindDirectPhysical("h2", PF{PCISlot: "0000:5e:00.0", PCIVendorInfo: "8086:1572", PhysicalNetwork: "datanet-a", MACAddress: "3c:fd:fe:00:00:09"}, 10),
			`{"binding:host_id":"h2","binding:profile":{"device_mac_address":"3c:fd:fe:00:00:09","pci_slot":"0000:5e:00.0","pci_vendor_info":"8086:1572","physical_network":"datanet-a"},"binding:vif_details":{"connectivity":"l2","port_filter":false,"vlan":"10"},"binding:vif_type":"hostdev_physical","mac_address":"3c:fd:fe:00:00:09"}`},
		{"failed", BindFailed("h3"),
			`{"binding:host_id":"h3","binding:profile":{},"binding:vif_details":{},"binding:vif_type":"binding_failed","mac_address":"fa:16:3e:00:00:01"}`},
		{"unbound", Unbound(),
			`{"binding:host_id":"","binding:profile":{},"binding:vif_details":{},"binding:vif_type":"unbound","mac_address":"fa:16:3e:00:00:01"}`},
	}
	for _, tt := range tests {
		p := Port{MACAddress: "fa:16:3e:00:00:01"}
		tt.b.Apply(&p)
		m, err := Render(Caller{Admin: true}, Ports, p, []string{"binding:host_id", "binding:profile", "binding:vif_details", "binding:vif_type", "mac_address"})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(m)
		if diff := cmp.Diff(tt.want, string(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
