package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"vfnet/internal/model"
	"vfnet/internal/neutron"
	"vfnet/internal/store"
)

// RunNeutron runs the tests of the /v2.0 objects (networks, subnets, ports,
// tags) on databases from dsn.
func RunNeutron(t *testing.T, dsn DSN) {
	tests := []struct {
		name string
		fn   func(*testing.T, *store.Store)
	}{
		{"NetworkCRUD", testNetworkCRUD},
		{"ProjectVLANs", testProjectVLANs},
		{"SubnetsAndPorts", testSubnetsAndPorts},
		{"AutoAddressSubnetDelete", testAutoAddressSubnetDelete},
		{"EUI64Addresses", testEUI64Addresses},
		{"Uniqueness", testNeutronUniqueness},
		{"BulkAtomic", testBulkAtomic},
		{"Tags", testNeutronTags},
		{"ProjectIsolation", testProjectIsolation},
		{"ConcurrentIPAllocation", testConcurrentIPAllocation},
		{"IPAMModel", testIPAMModel},
		{"ConcurrentProjectVLANs", testConcurrentProjectVLANs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, Open(t, dsn(t), store.Options{Now: NewClock().Now}))
		})
	}
}

var (
	admin    = neutron.Caller{ProjectID: "admin-project", Admin: true}
	projectA = neutron.Caller{ProjectID: "project-a"}
	projectB = neutron.Caller{ProjectID: "project-b"}
)

// wantType fails unless err is a NeutronError of type typ with status
// (typ "": success).
func wantType(t *testing.T, what string, err error, typ neutron.ErrorType, status int) {
	t.Helper()
	if typ == "" {
		if err != nil {
			t.Fatalf("%s: got error %v, want success", what, err)
		}
		return
	}
	var e *neutron.Error
	if !errors.As(err, &e) || !errors.Is(err, typ) || e.Status != status {
		t.Fatalf("%s: got error %v, want %s (%d)", what, err, typ, status)
	}
}

func one[R any](t *testing.T, rs []R, err error) R {
	t.Helper()
	if err != nil {
		t.Fatalf("decode request: %v", err)
	}
	if len(rs) != 1 {
		t.Fatalf("decode request: %d items, want 1", len(rs))
	}
	return rs[0]
}

func netReq(t *testing.T, body string) neutron.NetworkRequest {
	rs, err := neutron.DecodeNetworks([]byte(`{"network":`+body+`}`), neutron.Create)
	return one(t, rs, err)
}

func netUpdate(t *testing.T, body string) neutron.NetworkRequest {
	rs, err := neutron.DecodeNetworks([]byte(`{"network":`+body+`}`), neutron.Update)
	return one(t, rs, err)
}

func subnetReq(t *testing.T, body string) neutron.SubnetRequest {
	rs, err := neutron.DecodeSubnets([]byte(`{"subnet":`+body+`}`), neutron.Create)
	return one(t, rs, err)
}

func portReq(t *testing.T, op neutron.Op, body string) neutron.PortRequest {
	rs, err := neutron.DecodePorts([]byte(`{"port":`+body+`}`), op)
	return one(t, rs, err)
}

// dataNetworks creates datanet-a (vlan, MTU 9000, project range 100-101)
// and datanet-f (flat, MTU 1500).
func dataNetworks(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, d := range []model.DataNetwork{
		{Name: "datanet-a", NetworkType: model.NetworkTypeVLAN, MTU: 9000, SegmentRanges: []model.SegmentRange{{Min: 100, Max: 101}}},
		{Name: "datanet-f", NetworkType: model.NetworkTypeFlat, MTU: 1500},
	} {
		if _, err := s.CreateDataNetwork(ctx, d); err != nil {
			t.Fatalf("create data network %s: %v", d.Name, err)
		}
	}
}

func createNet(t *testing.T, s *store.Store, c neutron.Caller, body string) neutron.Network {
	t.Helper()
	ns, err := s.CreateNetworks(context.Background(), c, []neutron.NetworkRequest{netReq(t, body)})
	wantType(t, "create network "+body, err, "", 0)
	return ns[0]
}

func createSubnet(t *testing.T, s *store.Store, c neutron.Caller, body string) neutron.Subnet {
	t.Helper()
	ss, err := s.CreateSubnets(context.Background(), c, []neutron.SubnetRequest{subnetReq(t, body)})
	wantType(t, "create subnet "+body, err, "", 0)
	return ss[0]
}

func createPort(t *testing.T, s *store.Store, c neutron.Caller, body string) neutron.Port {
	t.Helper()
	ps, err := s.CreateNeutronPorts(context.Background(), c, []neutron.PortRequest{portReq(t, neutron.Create, body)})
	wantType(t, "create port "+body, err, "", 0)
	return ps[0]
}

func testNetworkCRUD(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	n := createNet(t, s, admin, `{"name":"net-a","provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}`)
	if n.NetworkType != "vlan" || n.PhysicalNetwork != "datanet-a" || n.SegmentationID == nil || *n.SegmentationID != 10 ||
		n.MTU != 9000 || n.RevisionNumber != 1 || !n.PortSecurityEnabled || !n.AdminStateUp || n.Status != "ACTIVE" {
		t.Fatalf("created network: got %+v, want vlan 10 on datanet-a, MTU 9000, revision 1, port security on, ACTIVE", n)
	}
	got, err := s.Network(ctx, admin, n.ID)
	wantType(t, "show network", err, "", 0)
	if got.ID != n.ID || got.Name != "net-a" || !got.CreatedAt.Equal(n.CreatedAt.Time) {
		t.Fatalf("show network: got %+v, want %+v", got, n)
	}
	f := createNet(t, s, admin, `{"name":"flat","provider:network_type":"flat","provider:physical_network":"datanet-f"}`)
	if f.SegmentationID != nil || f.MTU != 1500 {
		t.Fatalf("flat network: got segmentation %v MTU %d, want null and 1500", f.SegmentationID, f.MTU)
	}
	_, err = s.CreateNetworks(ctx, admin, []neutron.NetworkRequest{netReq(t, `{"provider:network_type":"flat","provider:physical_network":"datanet-f"}`)})
	wantType(t, "second flat network", err, neutron.TypeFlatNetworkInUse, http.StatusConflict)

	rev := 1
	u, err := s.UpdateNetwork(ctx, admin, n.ID, netUpdate(t, `{"name":"renamed","mtu":1500}`), &rev)
	wantType(t, "update network", err, "", 0)
	if u.Name != "renamed" || u.MTU != 1500 || u.RevisionNumber != 2 {
		t.Fatalf("updated network: got name %q MTU %d revision %d, want renamed 1500 2", u.Name, u.MTU, u.RevisionNumber)
	}
	_, err = s.UpdateNetwork(ctx, admin, n.ID, netUpdate(t, `{"name":"x"}`), &rev)
	wantType(t, "update at a stale revision", err, neutron.TypeRevisionNumberConstraintFailed, http.StatusPreconditionFailed)

	// A data network with networks on it stays.
	err = s.DeleteDataNetwork(ctx, "datanet-a")
	if !errors.Is(err, model.ErrConflict) {
		t.Fatalf("delete data network under a network: got %v, want a conflict", err)
	}
	wantType(t, "delete network", s.DeleteNetwork(ctx, admin, n.ID, nil), "", 0)
	_, err = s.Network(ctx, admin, n.ID)
	wantType(t, "show deleted network", err, neutron.TypeNetworkNotFound, http.StatusNotFound)
	wantType(t, "delete deleted network", s.DeleteNetwork(ctx, admin, n.ID, nil), neutron.TypeNetworkNotFound, http.StatusNotFound)
	if err := s.DeleteDataNetwork(ctx, "datanet-a"); err != nil {
		t.Fatalf("delete unused data network: %v", err)
	}
}

func testProjectVLANs(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	a := createNet(t, s, projectA, `{"name":"a1"}`)
	b := createNet(t, s, projectB, `{"name":"b1"}`)
	if a.SegmentationID == nil || *a.SegmentationID != 100 || b.SegmentationID == nil || *b.SegmentationID != 101 {
		t.Fatalf("project VLANs: got %v and %v, want 100 and 101", a.SegmentationID, b.SegmentationID)
	}
	if a.ProjectID != projectA.ProjectID {
		t.Fatalf("project network: got project %q, want %q", a.ProjectID, projectA.ProjectID)
	}
	_, err := s.CreateNetworks(ctx, projectA, []neutron.NetworkRequest{netReq(t, `{"name":"a2"}`)})
	wantType(t, "third project network on a range of two", err, neutron.TypeNoNetworkAvailable, http.StatusConflict)
	_, err = s.CreateNetworks(ctx, projectA, []neutron.NetworkRequest{netReq(t, `{"provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":5}`)})
	wantType(t, "member sets provider attributes", err, neutron.TypePolicyNotAuthorized, http.StatusForbidden)
	wantType(t, "delete a1", s.DeleteNetwork(ctx, projectA, a.ID, nil), "", 0)
	c := createNet(t, s, projectA, `{"name":"a3"}`)
	if *c.SegmentationID != 100 {
		t.Fatalf("freed VLAN: got %d, want 100 again", *c.SegmentationID)
	}
}

func testSubnetsAndPorts(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	n := createNet(t, s, admin, `{"name":"net-a","provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}`)
	sn := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":4,"cidr":"192.0.2.0/24","name":"sub-a"}`)
	if sn.GatewayIP == nil || *sn.GatewayIP != "192.0.2.1" || len(sn.AllocationPools) != 1 || sn.AllocationPools[0].Start != "192.0.2.2" {
		t.Fatalf("subnet: got gateway %v pools %v, want 192.0.2.1 and 192.0.2.2-192.0.2.254", sn.GatewayIP, sn.AllocationPools)
	}
	v6 := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":6,"cidr":"2001:db8::/64","ipv6_address_mode":"slaac","ipv6_ra_mode":"slaac"}`)
	got, err := s.Network(ctx, admin, n.ID)
	wantType(t, "show network", err, "", 0)
	if fmt.Sprint(got.Subnets) != fmt.Sprint([]string{sn.ID, v6.ID}) || got.RevisionNumber != 3 {
		t.Fatalf("network after two subnets: got subnets %v revision %d, want [%s %s] 3", got.Subnets, got.RevisionNumber, sn.ID, v6.ID)
	}
	p := createPort(t, s, admin, `{"network_id":"`+n.ID+`","binding:vnic_type":"direct","name":"sriov-port"}`)
	if len(p.FixedIPs) != 2 || p.FixedIPs[0].IPAddress != "192.0.2.2" || p.FixedIPs[1].IPAddress != eui64(t, v6, p.MACAddress) {
		t.Fatalf("port addresses: got %v, want 192.0.2.2 and the SLAAC subnet's EUI-64 address %s", p.FixedIPs, eui64(t, v6, p.MACAddress))
	}
	if p.Status != "DOWN" || p.VIFType != "unbound" || p.VNICType != "direct" || len(p.MACAddress) != 17 || p.MACAddress[:8] != "fa:16:3e" {
		t.Fatalf("port: got status %s vif %s vnic %s mac %s, want DOWN unbound direct fa:16:3e:..", p.Status, p.VIFType, p.VNICType, p.MACAddress)
	}
	q := createPort(t, s, admin, `{"network_id":"`+n.ID+`","fixed_ips":[{"subnet_id":"`+sn.ID+`","ip_address":"192.0.2.77"}]}`)
	if len(q.FixedIPs) != 2 || q.FixedIPs[0].IPAddress != "192.0.2.77" || q.FixedIPs[1].IPAddress != eui64(t, v6, q.MACAddress) ||
		q.VNICType != "normal" {
		t.Fatalf("port with a fixed IP: got %v vnic %s, want 192.0.2.77 and its EUI-64 address, normal", q.FixedIPs, q.VNICType)
	}
	u, rebind, err := s.UpdateNeutronPort(ctx, admin, q.ID, portReq(t, neutron.Update,
		`{"name":"renamed","fixed_ips":[{"subnet_id":"`+sn.ID+`"},{"ip_address":"192.0.2.77"}]}`), nil)
	wantType(t, "update port", err, "", 0)
	if rebind || u.Name != "renamed" || len(u.FixedIPs) != 3 || u.FixedIPs[0].IPAddress != "192.0.2.77" || u.FixedIPs[1].IPAddress != "192.0.2.3" ||
		u.FixedIPs[2].IPAddress != eui64(t, v6, q.MACAddress) {
		t.Fatalf("updated port: got rebind %v name %q ips %v, want false, renamed, 192.0.2.77 kept, 192.0.2.3 added, the EUI-64 address kept",
			rebind, u.Name, u.FixedIPs)
	}
	u, rebind, err = s.UpdateNeutronPort(ctx, admin, p.ID, portReq(t, neutron.Update, `{"binding:host_id":"compute-0"}`), nil)
	wantType(t, "set host", err, "", 0)
	if !rebind || u.HostID != "compute-0" || u.VIFType != "unbound" {
		t.Fatalf("port given a host: got rebind %v host %q vif %s, want true compute-0 unbound", rebind, u.HostID, u.VIFType)
	}
	b, err := s.SetNeutronPortBinding(ctx, p.ID, neutron.BindDirect("compute-0", neutron.VF{PCISlot: "0000:3b:02.3", PhysicalNetwork: "datanet-a"}, 10))
	wantType(t, "bind", err, "", 0)
	if !b.Bound() || b.VIFType != "hw_veb" || b.Profile["pci_slot"] != "0000:3b:02.3" {
		t.Fatalf("bound port: got vif %s profile %v", b.VIFType, b.Profile)
	}
	_, _, err = s.UpdateNeutronPort(ctx, admin, p.ID, portReq(t, neutron.Update, `{"mac_address":"fa:16:3e:00:00:01"}`), nil)
	wantType(t, "MAC change of a bound port", err, neutron.TypePortBound, http.StatusConflict)

	wantType(t, "delete subnet in use", s.DeleteSubnet(ctx, admin, sn.ID, nil), neutron.TypeSubnetInUse, http.StatusConflict)
	wantType(t, "delete network with ports", s.DeleteNetwork(ctx, admin, n.ID, nil), neutron.TypeNetworkInUse, http.StatusConflict)
	for _, id := range []string{p.ID, q.ID} {
		wantType(t, "delete port", s.DeleteNeutronPort(ctx, admin, id, nil), "", 0)
	}
	// Released addresses are given again.
	r := createPort(t, s, admin, `{"network_id":"`+n.ID+`","fixed_ips":[{"subnet_id":"`+sn.ID+`"}]}`)
	if r.FixedIPs[0].IPAddress != "192.0.2.2" {
		t.Fatalf("address after release: got %s, want 192.0.2.2", r.FixedIPs[0].IPAddress)
	}
	wantType(t, "delete port", s.DeleteNeutronPort(ctx, admin, r.ID, nil), "", 0)
	wantType(t, "delete subnet", s.DeleteSubnet(ctx, admin, sn.ID, nil), "", 0)
	wantType(t, "delete network and its last subnet", s.DeleteNetwork(ctx, admin, n.ID, nil), "", 0)
	_, err = s.Subnet(ctx, admin, v6.ID)
	wantType(t, "subnet of a deleted network", err, neutron.TypeSubnetNotFound, http.StatusNotFound)
}

// testAutoAddressSubnetDelete: an SLAAC subnet goes while ports hold
// addresses on it, which leave their fixed_ips; a router interface on it,
// or a port on a stateful subnet, keeps the subnet.
func testAutoAddressSubnetDelete(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	n := createNet(t, s, admin, `{"provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}`)
	v4 := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":4,"cidr":"192.0.2.0/24"}`)
	slaac := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":6,"cidr":"2001:db8::/64","ipv6_address_mode":"slaac","ipv6_ra_mode":"slaac"}`)
	stateful := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":6,"cidr":"2001:db8:1::/64","ipv6_address_mode":"dhcpv6-stateful"}`)
	p := createPort(t, s, admin, `{"network_id":"`+n.ID+`"}`)
	if len(p.FixedIPs) != 3 || p.FixedIPs[0].SubnetID != v4.ID || p.FixedIPs[1].SubnetID != stateful.ID || p.FixedIPs[2].SubnetID != slaac.ID {
		t.Fatalf("port addresses: got %v, want one on %s, one on the stateful subnet %s and one on the SLAAC subnet %s",
			p.FixedIPs, v4.ID, stateful.ID, slaac.ID)
	}
	q := createPort(t, s, admin, `{"network_id":"`+n.ID+`","fixed_ips":[{"subnet_id":"`+stateful.ID+`"}]}`)
	router := createPort(t, s, admin, `{"network_id":"`+n.ID+`","device_owner":"network:router_interface","fixed_ips":[{"subnet_id":"`+slaac.ID+`"}]}`)

	wantType(t, "delete SLAAC subnet with a router interface", s.DeleteSubnet(ctx, admin, slaac.ID, nil), neutron.TypeSubnetInUse, http.StatusConflict)
	wantType(t, "delete router interface", s.DeleteNeutronPort(ctx, admin, router.ID, nil), "", 0)
	wantType(t, "delete SLAAC subnet with ports", s.DeleteSubnet(ctx, admin, slaac.ID, nil), "", 0)
	_, err := s.Subnet(ctx, admin, slaac.ID)
	wantType(t, "deleted SLAAC subnet", err, neutron.TypeSubnetNotFound, http.StatusNotFound)
	got, err := s.NeutronPort(ctx, admin, p.ID)
	wantType(t, "show port", err, "", 0)
	if fmt.Sprint(got.FixedIPs) != fmt.Sprint(p.FixedIPs[:2]) || got.RevisionNumber != p.RevisionNumber+1 {
		t.Fatalf("port after its SLAAC subnet went: got %v revision %d, want %v revision %d",
			got.FixedIPs, got.RevisionNumber, p.FixedIPs[:2], p.RevisionNumber+1)
	}
	// The port's other address is still its own.
	_, err = s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create,
		`{"network_id":"`+n.ID+`","fixed_ips":[{"ip_address":"`+p.FixedIPs[0].IPAddress+`"}]}`)})
	wantType(t, "take the port's remaining address", err, neutron.TypeIpAddressAlreadyAllocated, http.StatusConflict)

	wantType(t, "delete stateful subnet with a port", s.DeleteSubnet(ctx, admin, stateful.ID, nil), neutron.TypeSubnetInUse, http.StatusConflict)
	wantType(t, "delete network with ports", s.DeleteNetwork(ctx, admin, n.ID, nil), neutron.TypeNetworkInUse, http.StatusConflict)
	net, err := s.Network(ctx, admin, n.ID)
	wantType(t, "show network", err, "", 0)
	if fmt.Sprint(net.Subnets) != fmt.Sprint([]string{v4.ID, stateful.ID}) {
		t.Fatalf("network subnets: got %v, want [%s %s]", net.Subnets, v4.ID, stateful.ID)
	}
	for _, id := range []string{p.ID, q.ID} {
		wantType(t, "delete port", s.DeleteNeutronPort(ctx, admin, id, nil), "", 0)
	}
	wantType(t, "delete network", s.DeleteNetwork(ctx, admin, n.ID, nil), "", 0)
}

func testNeutronUniqueness(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	n := createNet(t, s, admin, `{"provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}`)
	_, err := s.CreateNetworks(ctx, admin, []neutron.NetworkRequest{netReq(t, `{"provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}`)})
	wantType(t, "VLAN 10 twice", err, neutron.TypeVlanIdInUse, http.StatusConflict)
	if e := (*neutron.Error)(nil); errors.As(err, &e) && e.Message != "Unable to create the network. The VLAN 10 on physical network datanet-a is in use." {
		t.Fatalf("VLAN in use message: got %q", e.Message)
	}
	sn := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":4,"cidr":"192.0.2.0/24"}`)
	_, err = s.CreateSubnets(ctx, admin, []neutron.SubnetRequest{subnetReq(t, `{"network_id":"`+n.ID+`","ip_version":4,"cidr":"192.0.2.128/25"}`)})
	wantType(t, "overlapping subnet", err, neutron.TypeInvalidInput, http.StatusBadRequest)
	createPort(t, s, admin, `{"network_id":"`+n.ID+`","mac_address":"fa:16:3e:00:00:01","fixed_ips":[{"ip_address":"192.0.2.10"}]}`)
	_, err = s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create, `{"network_id":"`+n.ID+`","mac_address":"fa:16:3e:00:00:01"}`)})
	wantType(t, "MAC twice on a network", err, neutron.TypeMacAddressInUse, http.StatusConflict)
	_, err = s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create, `{"network_id":"`+n.ID+`","fixed_ips":[{"subnet_id":"`+sn.ID+`","ip_address":"192.0.2.10"}]}`)})
	wantType(t, "address twice", err, neutron.TypeIpAddressAlreadyAllocated, http.StatusConflict)
	_, err = s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create, `{"network_id":"`+n.ID+`","binding:vnic_type":"direct","security_groups":["sg"]}`)})
	wantType(t, "security group on a direct port", err, neutron.TypeSRIOVUnsupported, http.StatusBadRequest)
}

func testBulkAtomic(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	n := createNet(t, s, admin, `{"provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}`)
	createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":4,"cidr":"192.0.2.0/24"}`)
	rs, err := neutron.DecodePorts([]byte(`{"ports":[{"network_id":"`+n.ID+`","name":"ok"},
		{"network_id":"`+n.ID+`","fixed_ips":[{"ip_address":"198.51.100.1"}]}]}`), neutron.Create)
	wantType(t, "decode bulk", err, "", 0)
	_, err = s.CreateNeutronPorts(ctx, admin, rs)
	wantType(t, "bulk with a bad second port", err, neutron.TypeInvalidIpForNetwork, http.StatusBadRequest)
	ps, err := s.NeutronPorts(ctx, admin)
	wantType(t, "list ports", err, "", 0)
	if len(ps) != 0 {
		t.Fatalf("after a failed bulk create: %d ports, want 0", len(ps))
	}
	nrs, err := neutron.DecodeNetworks([]byte(`{"networks":[{"name":"p1"},{"name":"p2"},{"name":"p3"}]}`), neutron.Create)
	wantType(t, "decode bulk", err, "", 0)
	_, err = s.CreateNetworks(ctx, projectA, nrs)
	wantType(t, "three project networks on a range of two", err, neutron.TypeNoNetworkAvailable, http.StatusConflict)
	ns, err := s.Networks(ctx, projectA)
	wantType(t, "list networks", err, "", 0)
	if len(ns) != 0 {
		t.Fatalf("after a failed bulk create: project sees %d networks, want 0", len(ns))
	}
}

func testNeutronTags(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	n := createNet(t, s, projectA, `{"name":"a"}`)
	tags, err := s.ReplaceTags(ctx, projectA, neutron.Networks, n.ID, []string{"b", "a"}, nil)
	wantType(t, "replace tags", err, "", 0)
	if fmt.Sprint(tags) != "[a b]" {
		t.Fatalf("tags: got %v, want [a b]", tags)
	}
	wantType(t, "add tag", s.AddTag(ctx, projectA, neutron.Networks, n.ID, "c", nil), "", 0)
	wantType(t, "remove absent tag", s.RemoveTag(ctx, projectA, neutron.Networks, n.ID, "zz", nil), neutron.TypeTagNotFound, http.StatusNotFound)
	wantType(t, "remove tag", s.RemoveTag(ctx, projectA, neutron.Networks, n.ID, "a", nil), "", 0)
	wantType(t, "tag another project's network", s.AddTag(ctx, projectB, neutron.Networks, n.ID, "x", nil), neutron.TypeNetworkNotFound, http.StatusNotFound)
	got, err := s.Network(ctx, projectA, n.ID)
	wantType(t, "show", err, "", 0)
	if fmt.Sprint(got.Tags) != "[b c]" || got.RevisionNumber != 4 {
		t.Fatalf("network after tag changes: got tags %v revision %d, want [b c] 4", got.Tags, got.RevisionNumber)
	}
	wantType(t, "remove all tags", s.RemoveTags(ctx, projectA, neutron.Networks, n.ID, nil), "", 0)
	got, _ = s.Network(ctx, projectA, n.ID)
	if len(got.Tags) != 0 {
		t.Fatalf("tags after removing all: %v", got.Tags)
	}
}

func testProjectIsolation(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	a := createNet(t, s, projectA, `{"name":"a"}`)
	shared := createNet(t, s, admin, `{"name":"shared","shared":true,"provider:network_type":"flat","provider:physical_network":"datanet-f"}`)
	sa := createSubnet(t, s, projectA, `{"network_id":"`+a.ID+`","ip_version":4,"cidr":"10.0.0.0/24"}`)
	createSubnet(t, s, admin, `{"network_id":"`+shared.ID+`","ip_version":4,"cidr":"10.1.0.0/24"}`)
	pa := createPort(t, s, projectA, `{"network_id":"`+a.ID+`"}`)

	ns, err := s.Networks(ctx, projectB)
	wantType(t, "B lists networks", err, "", 0)
	if len(ns) != 1 || ns[0].ID != shared.ID {
		t.Fatalf("B's networks: got %d (%v), want only the shared one", len(ns), ns)
	}
	ss, err := s.Subnets(ctx, projectB)
	wantType(t, "B lists subnets", err, "", 0)
	if len(ss) != 1 || ss[0].NetworkID != shared.ID {
		t.Fatalf("B's subnets: got %v, want only the shared network's", ss)
	}
	if ps, _ := s.NeutronPorts(ctx, projectB); len(ps) != 0 {
		t.Fatalf("B's ports: got %v, want none", ps)
	}
	_, err = s.Network(ctx, projectB, a.ID)
	wantType(t, "B shows A's network", err, neutron.TypeNetworkNotFound, http.StatusNotFound)
	_, err = s.Subnet(ctx, projectB, sa.ID)
	wantType(t, "B shows A's subnet", err, neutron.TypeSubnetNotFound, http.StatusNotFound)
	_, err = s.NeutronPort(ctx, projectB, pa.ID)
	wantType(t, "B shows A's port", err, neutron.TypePortNotFound, http.StatusNotFound)
	_, _, err = s.UpdateNeutronPort(ctx, projectB, pa.ID, portReq(t, neutron.Update, `{"name":"x"}`), nil)
	wantType(t, "B updates A's port", err, neutron.TypePortNotFound, http.StatusNotFound)
	wantType(t, "B deletes A's network", s.DeleteNetwork(ctx, projectB, a.ID, nil), neutron.TypeNetworkNotFound, http.StatusNotFound)
	_, err = s.CreateNeutronPorts(ctx, projectB, []neutron.PortRequest{portReq(t, neutron.Create, `{"network_id":"`+a.ID+`"}`)})
	wantType(t, "B creates a port on A's network", err, neutron.TypeNetworkNotFound, http.StatusNotFound)
	_, err = s.CreateSubnets(ctx, projectB, []neutron.SubnetRequest{subnetReq(t, `{"network_id":"`+shared.ID+`","ip_version":4,"cidr":"10.2.0.0/24"}`)})
	wantType(t, "B adds a subnet to the shared network", err, neutron.TypePolicyNotAuthorized, http.StatusForbidden)
	wantType(t, "B deletes the shared network", s.DeleteNetwork(ctx, projectB, shared.ID, nil), neutron.TypePolicyNotAuthorized, http.StatusForbidden)
	pb := createPort(t, s, projectB, `{"network_id":"`+shared.ID+`"}`)
	if pb.ProjectID != projectB.ProjectID || len(pb.FixedIPs) != 1 {
		t.Fatalf("B's port on the shared network: got project %q ips %v", pb.ProjectID, pb.FixedIPs)
	}
	_, err = s.UpdateNetwork(ctx, admin, shared.ID, netUpdate(t, `{"shared":false}`), nil)
	wantType(t, "unshare a network B uses", err, neutron.TypeInvalidSharedSetting, http.StatusConflict)
	if ps, _ := s.NeutronPorts(ctx, projectA); len(ps) != 1 || ps[0].ID != pa.ID {
		t.Fatalf("A's ports: got %v, want only its own", ps)
	}
	if ps, _ := s.NeutronPorts(ctx, admin); len(ps) != 2 {
		t.Fatalf("admin's ports: got %d, want 2", len(ps))
	}
	reader := neutron.Caller{ProjectID: projectA.ProjectID, Reader: true}
	_, err = s.CreateNetworks(ctx, reader, []neutron.NetworkRequest{netReq(t, `{"name":"r"}`)})
	wantType(t, "reader creates", err, neutron.TypePolicyNotAuthorized, http.StatusForbidden)
}

// testConcurrentIPAllocation: goroutines race for the 5 addresses of a /29;
// each address is given once and the losers are told the pool is empty.
func testConcurrentIPAllocation(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	n := createNet(t, s, admin, `{"provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}`)
	sn := createSubnet(t, s, admin, `{"network_id":"`+n.ID+`","ip_version":4,"cidr":"192.0.2.0/29"}`)
	const racers, pool = 12, 5
	ports := make([]neutron.Port, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			var ps []neutron.Port
			ps, errs[i] = s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create, `{"network_id":"`+n.ID+`"}`)})
			if errs[i] == nil {
				ports[i] = ps[0]
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	wins := 0
	for i, err := range errs {
		if err != nil {
			var e *neutron.Error
			if !errors.As(err, &e) || !errors.Is(err, neutron.TypeIpAddressGenerationFailure) || e.Status != http.StatusConflict {
				t.Errorf("racer %d: got %v, want success or IpAddressGenerationFailure (409)", i, err)
			}
			continue
		}
		wins++
		ip := ports[i].FixedIPs[0].IPAddress
		if seen[ip] {
			t.Errorf("address %s given twice", ip)
		}
		seen[ip] = true
	}
	if wins != pool {
		t.Errorf("%d racers got an address from a pool of %d, want %d", wins, pool, pool)
	}
	_, err := s.CreateNeutronPorts(ctx, admin, []neutron.PortRequest{portReq(t, neutron.Create,
		`{"network_id":"`+n.ID+`","fixed_ips":[{"subnet_id":"`+sn.ID+`"}]}`)})
	wantType(t, "allocate from an exhausted pool", err, neutron.TypeIpAddressGenerationFailure, http.StatusConflict)
}

// testConcurrentProjectVLANs: members race for the two VLANs of a range.
func testConcurrentProjectVLANs(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetworks(t, s)
	const racers = 6
	nets := make([]neutron.Network, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			var ns []neutron.Network
			ns, errs[i] = s.CreateNetworks(ctx, projectA, []neutron.NetworkRequest{netReq(t, `{}`)})
			if errs[i] == nil {
				nets[i] = ns[0]
			}
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for i, err := range errs {
		if err != nil {
			if !errors.Is(err, neutron.TypeNoNetworkAvailable) {
				t.Errorf("racer %d: got %v, want success or NoNetworkAvailable", i, err)
			}
			continue
		}
		v := *nets[i].SegmentationID
		if seen[v] {
			t.Errorf("VLAN %d given twice", v)
		}
		seen[v] = true
	}
	if len(seen) != 2 {
		t.Errorf("%d VLANs given from a range of 2", len(seen))
	}
}
