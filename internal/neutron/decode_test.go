package neutron

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const netID = "3b9e1e2c-4c4f-4e43-9d41-5b0c7f3a8a11"

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		res     Resource
		op      Op
		body    string
		wantErr error
		wantMsg string
	}{
		{"empty", Networks, Create, ``, TypeHTTPBadRequest, "Resource body required"},
		{"not json", Networks, Create, `{"network":`, TypeMalformedRequestBody, "Malformed request body: Cannot understand JSON."},
		{"not object", Networks, Create, `[1]`, TypeHTTPBadRequest, "Body contains invalid data"},
		{"no member", Networks, Create, `{"net":{}}`, TypeHTTPBadRequest, "Unable to find 'network' in request body"},
		{"member not object", Networks, Create, `{"network":3}`, TypeHTTPBadRequest, "Object 'network' contains invalid data"},
		{"unknown attrs", Networks, Create, `{"network":{"foo":1,"bar":2,"name":"n"}}`, TypeHTTPBadRequest, "Unrecognized attribute(s) 'bar, foo'"},
		{"bad bool", Networks, Create, `{"network":{"admin_state_up":"x"}}`, TypeHTTPBadRequest,
			"Invalid input for admin_state_up. Reason: 'x' is not a valid boolean value."},
		{"null bool", Networks, Update, `{"network":{"shared":null}}`, TypeHTTPBadRequest,
			"Invalid input for shared. Reason: 'None' is not a valid boolean value."},
		{"bad int", Networks, Create, `{"network":{"mtu":"big"}}`, TypeHTTPBadRequest, "Invalid input for mtu. Reason: 'big' is not an integer."},
		{"fraction", Networks, Create, `{"network":{"provider:segmentation_id":10.5}}`, TypeHTTPBadRequest,
			"Invalid input for provider:segmentation_id. Reason: '10.5' is not an integer."},
		{"name not string", Networks, Create, `{"network":{"name":5}}`, TypeHTTPBadRequest, "Invalid input for name. Reason: '5' is not a valid string."},
		{"id on post", Networks, Create, `{"network":{"id":"x"}}`, TypeHTTPBadRequest, "Attribute 'id' not allowed in POST"},
		{"status on put", Networks, Update, `{"network":{"status":"DOWN"}}`, TypeHTTPBadRequest, "Cannot update read-only attribute status"},
		{"project on put", Networks, Update, `{"network":{"project_id":"p"}}`, TypeHTTPBadRequest, "Cannot update read-only attribute project_id"},
		{"bulk update", Networks, Update, `{"networks":[{}]}`, TypeHTTPBadRequest, "Bulk operation not supported"},
		{"bulk empty", Networks, Create, `{"networks":[]}`, TypeHTTPBadRequest, "Resources required"},
		{"project mismatch", Networks, Create, `{"network":{"project_id":"a","tenant_id":"b"}}`, TypeHTTPBadRequest, "'project_id' and 'tenant_id' do not match"},
		{"port needs network", Ports, Create, `{"port":{"name":"p"}}`, TypeHTTPBadRequest,
			"Failed to parse request. Required attribute 'network_id' not specified"},
		{"port bad network id", Ports, Create, `{"port":{"network_id":"net-a"}}`, TypeHTTPBadRequest,
			"Invalid input for network_id. Reason: 'net-a' is not a valid UUID."},
		{"port vif_type", Ports, Create, `{"port":{"network_id":"` + netID + `","binding:vif_type":"ovs"}}`, TypeHTTPBadRequest,
			"Attribute 'binding:vif_type' not allowed in POST"},
		{"port bad vnic", Ports, Create, `{"port":{"network_id":"` + netID + `","binding:vnic_type":"fast"}}`, TypeHTTPBadRequest,
			"Invalid input for binding:vnic_type. Reason: 'fast' is not in ['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa', 'accelerator-direct', 'accelerator-direct-physical', 'remote-managed']."},
		{"port bad numa", Ports, Create, `{"port":{"network_id":"` + netID + `","numa_affinity_policy":"any"}}`, TypeHTTPBadRequest,
			"Invalid input for numa_affinity_policy. Reason: 'any' is not in ['required', 'preferred', 'legacy', 'socket', None]."},
		{"port bad mac", Ports, Create, `{"port":{"network_id":"` + netID + `","mac_address":"01:00:5e:00:00:01"}}`, TypeHTTPBadRequest,
			"Invalid input for mac_address. Reason: '01:00:5e:00:00:01' is not a valid MAC address."},
		{"fixed ip extra key", Ports, Create, `{"port":{"network_id":"` + netID + `","fixed_ips":[{"ip":"1.2.3.4"}]}}`, TypeHTTPBadRequest,
			"Unrecognized attribute(s) 'ip'"},
		{"fixed ips not list", Ports, Create, `{"port":{"network_id":"` + netID + `","fixed_ips":"1.2.3.4"}}`, TypeHTTPBadRequest,
			"Invalid input for fixed_ips. Reason: '1.2.3.4' is not a list."},
		{"dup security groups", Ports, Create, `{"port":{"network_id":"` + netID + `","security_groups":["a","a"]}}`, TypeHTTPBadRequest,
			"Invalid input for security_groups. Reason: Duplicate items in the list: 'a'."},
		{"profile not dict", Ports, Update, `{"port":{"binding:profile":[1]}}`, TypeHTTPBadRequest,
			"Invalid input for binding:profile. Reason: '[1]' is not a dictionary."},
		{"network_id on put", Ports, Update, `{"port":{"network_id":"` + netID + `"}}`, TypeHTTPBadRequest, "Cannot update read-only attribute network_id"},
		{"subnet needs ip_version", Subnets, Create, `{"subnet":{"network_id":"` + netID + `","cidr":"192.0.2.0/24"}}`, TypeHTTPBadRequest,
			"Failed to parse request. Required attribute 'ip_version' not specified"},
		{"subnet ip_version 5", Subnets, Create, `{"subnet":{"network_id":"` + netID + `","ip_version":5}}`, TypeHTTPBadRequest,
			"Invalid input for ip_version. Reason: '5' is not in [4, 6]."},
		{"subnet cidr on put", Subnets, Update, `{"subnet":{"cidr":"10.0.0.0/8"}}`, TypeHTTPBadRequest, "Cannot update read-only attribute cidr"},
		{"pool missing end", Subnets, Create, `{"subnet":{"network_id":"` + netID + `","ip_version":4,"allocation_pools":[{"start":"192.0.2.2"}]}}`, TypeHTTPBadRequest,
			"Invalid input for allocation_pools. Reason: Invalid data format for IP pool: '[{'start': '192.0.2.2'}]'."},
		{"bad ra mode", Subnets, Create, `{"subnet":{"network_id":"` + netID + `","ip_version":6,"ipv6_ra_mode":"radvd"}}`, TypeHTTPBadRequest,
			"Invalid input for ipv6_ra_mode. Reason: 'radvd' is not in ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac', None]."},
		{"too many tags", Ports, Create, `{"port":{"network_id":"` + netID + `","tags":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19","20","21","22","23","24","25","26","27","28","29","30","31","32","33","34","35","36","37","38","39","40","41","42","43","44","45","46","47","48","49","50","51"]}}`,
			TypeBadRequest, "Bad ports request: The number of tags exceed the per-resource limit of 50."},
		{"tags on network create", Networks, Create, `{"network":{"tags":["a"]}}`, TypeHTTPBadRequest, "Attribute 'tags' not allowed in POST"},
	}
	for _, tt := range tests {
		var err error
		switch tt.res {
		case Networks:
			_, err = DecodeNetworks([]byte(tt.body), tt.op)
		case Subnets:
			_, err = DecodeSubnets([]byte(tt.body), tt.op)
		case Ports:
			_, err = DecodePorts([]byte(tt.body), tt.op)
		}
		var ne *Error
		if !errors.Is(err, tt.wantErr) || !errors.As(err, &ne) || ne.Message != tt.wantMsg {
			t.Errorf("%s: decode %s: got %v, want %v %q", tt.name, tt.body, err, tt.wantErr, tt.wantMsg)
		}
	}
}

func TestDecodeNetworkPresence(t *testing.T) {
	tests := []struct {
		body string
		op   Op
		want NetworkRequest
	}{
		{`{"network":{}}`, Create, NetworkRequest{present: []string{}}},
		{`{"network":{"name":"net-a","admin_state_up":"False","provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":"10","tenant_id":"p1"}}`,
			Create, NetworkRequest{
				Name: Val("net-a"), AdminStateUp: Field[bool]{Set: true}, NetworkType: Val("vlan"),
				PhysicalNetwork: Val("datanet-a"), SegmentationID: Val(10), ProjectID: Val("p1"),
				present: []string{"admin_state_up", "name", "provider:network_type", "provider:physical_network", "provider:segmentation_id", "tenant_id"},
			}},
		{`{"network":{"provider:segmentation_id":null,"mtu":1500}}`, Update, NetworkRequest{
			SegmentationID: Null[int](), MTU: Val(1500), present: []string{"mtu", "provider:segmentation_id"}}},
	}
	for _, tt := range tests {
		got, err := DecodeNetworks([]byte(tt.body), tt.op)
		if err != nil {
			t.Errorf("decode %s: %v", tt.body, err)
			continue
		}
		if diff := cmp.Diff([]NetworkRequest{tt.want}, got, cmp.AllowUnexported(NetworkRequest{})); diff != "" {
			t.Errorf("decode %s (-want +got):\n%s", tt.body, diff)
		}
	}
}

func TestDecodeBulkPorts(t *testing.T) {
	body := `{"ports":[{"network_id":"` + netID + `","name":"a"},{"port":{"network_id":"` + netID + `","name":"b","binding:host_id":null,"fixed_ips":[{"subnet_id":"s1"}]}}]}`
	got, err := DecodePorts([]byte(body), Create)
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if len(got) != 2 || got[0].Name.V != "a" || got[1].Name.V != "b" || !got[1].HostID.Null ||
		!cmp.Equal(got[1].FixedIPs.V, []FixedIP{{SubnetID: "s1"}}) {
		t.Errorf("decode %s: got %+v", body, got)
	}
	// One bad item refuses the whole bulk request.
	bad := `{"ports":[{"network_id":"` + netID + `"},{"network_id":"` + netID + `","foo":1}]}`
	if _, err := DecodePorts([]byte(bad), Create); !errors.Is(err, TypeHTTPBadRequest) {
		t.Errorf("decode %s: got %v, want HTTPBadRequest", bad, err)
	}
}

func TestDecodeTags(t *testing.T) {
	tests := []struct {
		body    string
		want    []string
		wantErr error
	}{
		{`{"tags":["a","b"]}`, []string{"a", "b"}, nil},
		{`{"tags":[]}`, []string{}, nil},
		{`{"tag":["a"]}`, nil, TypeInvalidInput},
		{`{"tags":["a","a"]}`, nil, TypeHTTPBadRequest},
		{`{"tags":"a"}`, nil, TypeHTTPBadRequest},
	}
	for _, tt := range tests {
		got, err := DecodeTags([]byte(tt.body))
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil || !cmp.Equal(got, tt.want) {
			t.Errorf("DecodeTags(%s) = %v, %v; want %v, %v", tt.body, got, err, tt.want, tt.wantErr)
		}
	}
}
