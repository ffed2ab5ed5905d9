package neutron

import (
	"encoding/json"
	"fmt"
	"time"
)

// TimeFormat is how Neutron writes created_at and updated_at: UTC, whole
// seconds, a literal Z.
const TimeFormat = "2006-01-02T15:04:05Z"

// Timestamp is a time written in TimeFormat.
type Timestamp struct{ time.Time }

// MarshalJSON writes the time in UTC to the second.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(TimeFormat))
}

// UnmarshalJSON reads TimeFormat or any RFC 3339 time.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp %s: %w", b, err)
	}
	p, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", s, err)
	}
	t.Time = p
	return nil
}

// Network statuses Neutron reports; vfnet networks are ACTIVE from creation
// because there is no agent-side network object to wait for.
const (
	StatusActive = "ACTIVE"
	StatusDown   = "DOWN"
	StatusBuild  = "BUILD"
	StatusError  = "ERROR"
)

// Network types vfnet accepts: the ones an SR-IOV NIC's embedded switch can
// carry (untagged, or one 802.1Q tag programmed on the VF).
const (
	NetworkTypeFlat = "flat"
	NetworkTypeVLAN = "vlan"
)

// Network is a /v2.0 network as Neutron shows it with the provider,
// external-net, net-mtu, port-security and standard-attr extensions.
type Network struct {
	ID                  string    `json:"id"`
	Name                string    `json:"name"`
	Description         string    `json:"description"`
	ProjectID           string    `json:"project_id"`
	AdminStateUp        bool      `json:"admin_state_up"`
	Status              string    `json:"status"`
	Shared              bool      `json:"shared"`
	External            bool      `json:"router:external"`
	MTU                 int       `json:"mtu"`
	Subnets             []string  `json:"subnets"`
	PortSecurityEnabled bool      `json:"port_security_enabled"`
	NetworkType         string    `json:"provider:network_type"`
	PhysicalNetwork     string    `json:"provider:physical_network"`
	SegmentationID      *int      `json:"provider:segmentation_id"` // null on flat
	RevisionNumber      int       `json:"revision_number"`
	CreatedAt           Timestamp `json:"created_at"`
	UpdatedAt           Timestamp `json:"updated_at"`
	Tags                []string  `json:"tags"`
}

// MarshalJSON adds tenant_id (Neutron still shows the old name beside
// project_id) and writes empty lists as [] rather than null.
func (n Network) MarshalJSON() ([]byte, error) {
	type plain Network
	p := plain(n)
	p.Subnets = nonNil(p.Subnets)
	p.Tags = nonNil(p.Tags)
	return json.Marshal(struct {
		plain
		TenantID string `json:"tenant_id"`
	}{p, n.ProjectID})
}

// AllocationPool is an inclusive range of addresses IPAM may hand out.
type AllocationPool struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// String is how Neutron names a pool in messages.
func (p AllocationPool) String() string { return p.Start + "-" + p.End }

// HostRoute is a static route a subnet advertises.
type HostRoute struct {
	Destination string `json:"destination"`
	NextHop     string `json:"nexthop"`
}

// Subnet is a /v2.0 subnet.
type Subnet struct {
	ID              string           `json:"id"`
	Name            string           `json:"name"`
	Description     string           `json:"description"`
	ProjectID       string           `json:"project_id"`
	NetworkID       string           `json:"network_id"`
	IPVersion       int              `json:"ip_version"`
	CIDR            string           `json:"cidr"`
	GatewayIP       *string          `json:"gateway_ip"`
	AllocationPools []AllocationPool `json:"allocation_pools"`
	HostRoutes      []HostRoute      `json:"host_routes"`
	DNSNameservers  []string         `json:"dns_nameservers"`
	EnableDHCP      bool             `json:"enable_dhcp"`
	IPv6RAMode      *string          `json:"ipv6_ra_mode"`
	IPv6AddressMode *string          `json:"ipv6_address_mode"`
	SubnetPoolID    *string          `json:"subnetpool_id"`
	RevisionNumber  int              `json:"revision_number"`
	CreatedAt       Timestamp        `json:"created_at"`
	UpdatedAt       Timestamp        `json:"updated_at"`
	Tags            []string         `json:"tags"`
}

// MarshalJSON adds tenant_id and writes empty lists as [].
func (s Subnet) MarshalJSON() ([]byte, error) {
	type plain Subnet
	p := plain(s)
	p.AllocationPools = nonNil(p.AllocationPools)
	p.HostRoutes = nonNil(p.HostRoutes)
	p.DNSNameservers = nonNil(p.DNSNameservers)
	p.Tags = nonNil(p.Tags)
	return json.Marshal(struct {
		plain
		TenantID string `json:"tenant_id"`
	}{p, s.ProjectID})
}

// FixedIP is one address of a port. In a request either member may be
// empty: a subnet alone asks IPAM for an address in it, an address alone
// names the subnet it falls in.
type FixedIP struct {
	SubnetID  string `json:"subnet_id"`
	IPAddress string `json:"ip_address"`
}

// AddressPair is an allowed_address_pairs entry.
type AddressPair struct {
	IPAddress  string `json:"ip_address"`
	MACAddress string `json:"mac_address"`
}

// Port statuses.
const (
	PortStatusDown   = "DOWN"
	PortStatusBuild  = "BUILD"
	PortStatusActive = "ACTIVE"
	PortStatusError  = "ERROR"
)

// Port is a /v2.0 port with the binding, port-security, port-trusted-vif,
// port-numa-affinity-policy and standard-attr extensions.
type Port struct {
	ID                  string         `json:"id"`
	Name                string         `json:"name"`
	Description         string         `json:"description"`
	ProjectID           string         `json:"project_id"`
	NetworkID           string         `json:"network_id"`
	AdminStateUp        bool           `json:"admin_state_up"`
	Status              string         `json:"status"`
	MACAddress          string         `json:"mac_address"`
	FixedIPs            []FixedIP      `json:"fixed_ips"`
	DeviceID            string         `json:"device_id"`
	DeviceOwner         string         `json:"device_owner"`
	SecurityGroups      []string       `json:"security_groups"`
	PortSecurityEnabled bool           `json:"port_security_enabled"`
	AllowedAddressPairs []AddressPair  `json:"allowed_address_pairs"`
	QoSPolicyID         *string        `json:"qos_policy_id"`
	Trusted             *bool          `json:"trusted"`
	NUMAAffinityPolicy  *string        `json:"numa_affinity_policy"`
	VNICType            string         `json:"binding:vnic_type"`
	HostID              string         `json:"binding:host_id"`
	Profile             map[string]any `json:"binding:profile"`
	VIFType             string         `json:"binding:vif_type"`
	VIFDetails          map[string]any `json:"binding:vif_details"`
	RevisionNumber      int            `json:"revision_number"`
	CreatedAt           Timestamp      `json:"created_at"`
	UpdatedAt           Timestamp      `json:"updated_at"`
	Tags                []string       `json:"tags"`
}

// MarshalJSON adds tenant_id and writes empty lists and maps as [] and {}.
func (p Port) MarshalJSON() ([]byte, error) {
	type plain Port
	q := plain(p)
	q.FixedIPs = nonNil(q.FixedIPs)
	q.SecurityGroups = nonNil(q.SecurityGroups)
	q.AllowedAddressPairs = nonNil(q.AllowedAddressPairs)
	q.Tags = nonNil(q.Tags)
	if q.Profile == nil {
		q.Profile = map[string]any{}
	}
	if q.VIFDetails == nil {
		q.VIFDetails = map[string]any{}
	}
	if q.VIFType == "" {
		q.VIFType = VIFTypeUnbound
	}
	return json.Marshal(struct {
		plain
		TenantID string `json:"tenant_id"`
	}{q, p.ProjectID})
}

// Bound reports whether the port holds a binding (a host and a vif_type
// other than unbound or binding_failed).
func (p Port) Bound() bool {
	return p.HostID != "" && p.VIFType != "" && p.VIFType != VIFTypeUnbound && p.VIFType != VIFTypeBindingFailed
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
