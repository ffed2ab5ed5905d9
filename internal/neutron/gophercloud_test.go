package neutron

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/external"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/mtu"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/portsbinding"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/portsecurity"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/portstrustedvif"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/provider"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"github.com/gophercloud/gophercloud/v2/pagination"
)

var when = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// body renders obj as an admin sees it and wraps it as a show response
// body, decoded to what gophercloud holds in a Result.
func body(t *testing.T, r Resource, obj any) any {
	t.Helper()
	m, err := Render(Caller{Admin: true}, r, obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{r.Member(): m})
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGophercloudNetwork(t *testing.T) {
	n := Network{ID: "n1", Name: "net-a", Description: "d", ProjectID: "p1", AdminStateUp: true, Status: StatusActive,
		Shared: true, External: true, MTU: 1500, Subnets: []string{"s1"}, PortSecurityEnabled: true, NetworkType: "vlan",
		PhysicalNetwork: "datanet-a", SegmentationID: ptr(10), RevisionNumber: 3,
		CreatedAt: Timestamp{when}, UpdatedAt: Timestamp{when.Add(time.Minute)}, Tags: []string{"x"}}
	var res networks.GetResult
	res.Body = body(t, Networks, n)
	var got struct {
		networks.Network
		provider.NetworkProviderExt
		external.NetworkExternalExt
		mtu.NetworkMTUExt
		portsecurity.PortSecurityExt
	}
	if err := res.ExtractInto(&got); err != nil {
		t.Fatalf("gophercloud ExtractInto: %v", err)
	}
	want := networks.Network{ID: "n1", Name: "net-a", Description: "d", AdminStateUp: true, Status: "ACTIVE",
		Subnets: []string{"s1"}, TenantID: "p1", ProjectID: "p1", Shared: true, Tags: []string{"x"}, RevisionNumber: 3,
		CreatedAt: when, UpdatedAt: when.Add(time.Minute)}
	if diff := cmp.Diff(want, got.Network); diff != "" {
		t.Errorf("networks.Network (-want +got):\n%s", diff)
	}
	if got.NetworkType != "vlan" || got.PhysicalNetwork != "datanet-a" || got.SegmentationID != "10" ||
		!got.External || got.MTU != 1500 || !got.PortSecurityEnabled {
		t.Errorf("extensions: got %+v %+v %+v %+v", got.NetworkProviderExt, got.NetworkExternalExt, got.NetworkMTUExt, got.PortSecurityExt)
	}
}

func TestGophercloudFlatNetwork(t *testing.T) {
	var res networks.GetResult
	res.Body = body(t, Networks, Network{ID: "n2", NetworkType: "flat", PhysicalNetwork: "datanet-f"})
	var got struct {
		networks.Network
		provider.NetworkProviderExt
	}
	if err := res.ExtractInto(&got); err != nil {
		t.Fatalf("gophercloud ExtractInto: %v", err)
	}
	if got.NetworkType != "flat" || got.SegmentationID != "" || got.Subnets == nil {
		t.Errorf("flat network: got %+v", got)
	}
}

func TestGophercloudSubnet(t *testing.T) {
	s, err := PlanSubnet(subnetReq("192.0.2.0/24", 4), nil)
	if err != nil {
		t.Fatal(err)
	}
	s.ID, s.ProjectID, s.Name = "s1", "p1", "sub-a"
	s.DNSNameservers = []string{"192.0.2.53"}
	s.HostRoutes = []HostRoute{{"10.0.0.0/8", "192.0.2.254"}}
	s.CreatedAt, s.UpdatedAt = Timestamp{when}, Timestamp{when}
	var res subnets.GetResult
	res.Body = body(t, Subnets, s)
	got, err := res.Extract()
	if err != nil {
		t.Fatalf("gophercloud Extract: %v", err)
	}
	want := subnets.Subnet{ID: "s1", NetworkID: netID, Name: "sub-a", IPVersion: 4, CIDR: "192.0.2.0/24", GatewayIP: "192.0.2.1",
		DNSNameservers: []string{"192.0.2.53"}, AllocationPools: []subnets.AllocationPool{{Start: "192.0.2.2", End: "192.0.2.254"}},
		HostRoutes: []subnets.HostRoute{{DestinationCIDR: "10.0.0.0/8", NextHop: "192.0.2.254"}}, EnableDHCP: true,
		TenantID: "p1", ProjectID: "p1", Tags: []string{}, CreatedAt: when, UpdatedAt: when}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("subnets.Subnet (-want +got):\n%s", diff)
	}
}

func TestGophercloudPort(t *testing.T) {
	p := Port{ID: "p1", Name: "sriov-port", NetworkID: netID, ProjectID: "pr", AdminStateUp: true, Status: PortStatusActive,
		MACAddress: "fa:16:3e:c9:cb:f0", FixedIPs: []FixedIP{{"s1", "192.0.2.2"}}, DeviceID: "vm1", DeviceOwner: "compute:nova",
		PortSecurityEnabled: true, Trusted: ptr(true), NUMAAffinityPolicy: ptr("required"), VNICType: VNICDirect,
		RevisionNumber: 2, CreatedAt: Timestamp{when}, UpdatedAt: Timestamp{when}, Tags: []string{"t"}}
	BindDirect("host-1", VF{PCISlot: "0000:3b:02.3", PCIVendorInfo: "8086:154c", PhysicalNetwork: "datanet-a",
		PFMACAddress: "3c:fd:fe:00:00:01", VFNum: 3}, 10).Apply(&p)
	var res ports.GetResult
	res.Body = body(t, Ports, p)
	var got struct {
		ports.Port
		portsbinding.PortsBindingExt
		portsecurity.PortSecurityExt
		portstrustedvif.PortTrustedVIFExt
	}
	if err := res.ExtractInto(&got); err != nil {
		t.Fatalf("gophercloud ExtractInto: %v", err)
	}
	want := ports.Port{ID: "p1", NetworkID: netID, Name: "sriov-port", AdminStateUp: true, Status: "ACTIVE",
		MACAddress: "fa:16:3e:c9:cb:f0", FixedIPs: []ports.IP{{SubnetID: "s1", IPAddress: "192.0.2.2"}}, TenantID: "pr",
		ProjectID: "pr", DeviceOwner: "compute:nova", SecurityGroups: []string{}, DeviceID: "vm1",
		AllowedAddressPairs: []ports.AddressPair{}, Tags: []string{"t"}, RevisionNumber: 2, CreatedAt: when, UpdatedAt: when}
	if diff := cmp.Diff(want, got.Port); diff != "" {
		t.Errorf("ports.Port (-want +got):\n%s", diff)
	}
	wantB := portsbinding.PortsBindingExt{HostID: "host-1", VNICType: "direct", VIFType: "hw_veb",
		VIFDetails: map[string]any{"port_filter": false, "connectivity": "l2", "vlan": "10"},
		Profile: map[string]any{"pci_slot": "0000:3b:02.3", "pci_vendor_info": "8086:154c", "physical_network": "datanet-a",
			"pf_mac_address": "3c:fd:fe:00:00:01", "vf_num": float64(3)}}
	if diff := cmp.Diff(wantB, got.PortsBindingExt); diff != "" {
		t.Errorf("portsbinding (-want +got):\n%s", diff)
	}
	if !got.PortSecurityEnabled || got.PortTrustedVIF == nil || !*got.PortTrustedVIF {
		t.Errorf("port security / trusted: got %+v %+v", got.PortSecurityExt, got.PortTrustedVIFExt)
	}
}

func TestGophercloudPagination(t *testing.T) {
	v, _ := url.ParseQuery("limit=2&sort_key=name&sort_dir=asc")
	q, err := ParseQuery(Networks, v)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Apply(q, Caller{Admin: true}, testNetworks(), "http://h/v2.0/networks")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(p.Body(Networks))
	var raw any
	_ = json.Unmarshal(b, &raw)
	page := networks.NetworkPage{LinkedPageBase: pagination.LinkedPageBase{PageResult: pagination.PageResult{Result: gophercloud.Result{Body: raw}}}}
	next, err := page.NextPageURL()
	if err != nil || next != "http://h/v2.0/networks?limit=2&marker=id-3&sort_dir=asc&sort_key=name" {
		t.Errorf("NextPageURL = %q, %v", next, err)
	}
	got, err := networks.ExtractNetworks(page)
	if err != nil || len(got) != 2 || got[0].Name != "a" {
		t.Errorf("ExtractNetworks = %+v, %v", got, err)
	}
}
