package neutron

// Resource names one of the /v2.0 collections vfnet serves.
type Resource string

// The collections, named as in their URLs.
const (
	Networks Resource = "networks"
	Subnets  Resource = "subnets"
	Ports    Resource = "ports"
)

// Member is the singular name that wraps one object in a body: {"port":{...}}.
func (r Resource) Member() string { return string(r)[:len(r)-1] }

// Role is who may read or set an attribute, as Neutron's default policy says.
type Role int

const (
	// Anyone who may see (read) or change (write) the object.
	Anyone Role = iota
	// AdminOnly: the admin role.
	AdminOnly
	// AdminOrService: admin, or the service role an external compute service holds.
	AdminOrService
	// ServiceOnly: only the service role (binding:profile, which Nova writes).
	ServiceOnly
	// AdminOrNetOwner: admin, or a member of the project that owns the port's network.
	AdminOrNetOwner
)

// Kind is the value type of an attribute, which decides how a filter value
// in a query string converts and how values sort.
type Kind int

const (
	KindString Kind = iota
	KindBool
	KindInt
	KindList    // list of strings: subnets, security_groups, tags, dns_nameservers
	KindObject  // anything else (fixed_ips, allocation_pools, binding:profile ...)
	KindNullStr // string that may be null (gateway_ip, qos_policy_id ...)
)

// Attribute is one row of a resource's attribute map: Neutron's
// RESOURCE_ATTRIBUTE_MAP entries reduced to what vfnet enforces.
type Attribute struct {
	Name     string
	Kind     Kind
	Post     bool // may appear in a create body
	Put      bool // may appear in an update body
	Required bool // must appear in a create body
	Filter   bool // is a valid list filter
	Sort     bool // is a valid sort_key
	Read     Role // who sees it in responses
	Write    Role // who may set it (create or update)
}

// Attributes returns the attribute map of r, in the order Neutron documents
// them. It is built on each call so that no caller can change another's copy.
func Attributes(r Resource) []Attribute {
	std := []Attribute{
		{Name: "id", Kind: KindString, Filter: true, Sort: true},
		{Name: "name", Kind: KindString, Post: true, Put: true, Filter: true, Sort: true},
		{Name: "description", Kind: KindString, Post: true, Put: true, Filter: true, Sort: true},
		{Name: "project_id", Kind: KindString, Post: true, Filter: true, Sort: true},
		{Name: "tenant_id", Kind: KindString, Post: true, Filter: true, Sort: true},
		{Name: "revision_number", Kind: KindInt, Filter: true, Sort: true},
		{Name: "created_at", Kind: KindString, Filter: true, Sort: true},
		{Name: "updated_at", Kind: KindString, Filter: true, Sort: true},
		{Name: "tags", Kind: KindList, Filter: true},
	}
	switch r {
	case Networks:
		return append(std,
			Attribute{Name: "admin_state_up", Kind: KindBool, Post: true, Put: true, Filter: true, Sort: true},
			Attribute{Name: "status", Kind: KindString, Filter: true, Sort: true},
			Attribute{Name: "shared", Kind: KindBool, Post: true, Put: true, Filter: true, Write: AdminOnly},
			Attribute{Name: "router:external", Kind: KindBool, Post: true, Put: true, Filter: true, Write: AdminOnly},
			Attribute{Name: "mtu", Kind: KindInt, Post: true, Put: true, Filter: true, Sort: true},
			Attribute{Name: "subnets", Kind: KindList},
			Attribute{Name: "port_security_enabled", Kind: KindBool, Post: true, Put: true, Filter: true},
			Attribute{Name: "provider:network_type", Kind: KindString, Post: true, Put: true, Filter: true, Read: AdminOnly, Write: AdminOnly},
			Attribute{Name: "provider:physical_network", Kind: KindString, Post: true, Put: true, Filter: true, Read: AdminOnly, Write: AdminOnly},
			Attribute{Name: "provider:segmentation_id", Kind: KindInt, Post: true, Put: true, Filter: true, Read: AdminOnly, Write: AdminOnly},
		)
	case Subnets:
		return append(std,
			Attribute{Name: "network_id", Kind: KindString, Post: true, Required: true, Filter: true, Sort: true},
			Attribute{Name: "ip_version", Kind: KindInt, Post: true, Required: true, Filter: true, Sort: true},
			Attribute{Name: "cidr", Kind: KindString, Post: true, Filter: true, Sort: true},
			Attribute{Name: "gateway_ip", Kind: KindNullStr, Post: true, Put: true, Filter: true, Sort: true},
			Attribute{Name: "allocation_pools", Kind: KindObject, Post: true, Put: true},
			Attribute{Name: "host_routes", Kind: KindObject, Post: true, Put: true},
			Attribute{Name: "dns_nameservers", Kind: KindList, Post: true, Put: true},
			Attribute{Name: "enable_dhcp", Kind: KindBool, Post: true, Put: true, Filter: true, Sort: true},
			Attribute{Name: "ipv6_ra_mode", Kind: KindNullStr, Post: true, Filter: true, Sort: true},
			Attribute{Name: "ipv6_address_mode", Kind: KindNullStr, Post: true, Filter: true, Sort: true},
			Attribute{Name: "subnetpool_id", Kind: KindNullStr, Post: true, Filter: true, Sort: true},
		)
	case Ports:
		// Ports take tags on create (tag-ports-during-bulk-creation); other
		// resources get theirs through the /tags sub-resource only.
		std[len(std)-1].Post = true
		return append(std,
			Attribute{Name: "network_id", Kind: KindString, Post: true, Required: true, Filter: true, Sort: true},
			Attribute{Name: "admin_state_up", Kind: KindBool, Post: true, Put: true, Filter: true, Sort: true},
			Attribute{Name: "status", Kind: KindString, Filter: true, Sort: true},
			Attribute{Name: "mac_address", Kind: KindString, Post: true, Put: true, Filter: true, Sort: true, Write: AdminOrNetOwner},
			Attribute{Name: "fixed_ips", Kind: KindObject, Post: true, Put: true, Filter: true},
			Attribute{Name: "device_id", Kind: KindString, Post: true, Put: true, Filter: true, Sort: true},
			Attribute{Name: "device_owner", Kind: KindString, Post: true, Put: true, Filter: true, Sort: true},
			Attribute{Name: "security_groups", Kind: KindList, Post: true, Put: true, Filter: true},
			Attribute{Name: "port_security_enabled", Kind: KindBool, Post: true, Put: true, Filter: true, Write: AdminOrNetOwner},
			Attribute{Name: "allowed_address_pairs", Kind: KindObject, Post: true, Put: true, Write: AdminOrNetOwner},
			Attribute{Name: "qos_policy_id", Kind: KindNullStr, Post: true, Put: true, Filter: true},
			Attribute{Name: "trusted", Kind: KindBool, Post: true, Put: true, Read: AdminOnly, Write: AdminOnly},
			Attribute{Name: "numa_affinity_policy", Kind: KindNullStr, Post: true, Put: true},
			Attribute{Name: "binding:vnic_type", Kind: KindString, Post: true, Put: true, Filter: true, Sort: true},
			Attribute{Name: "binding:host_id", Kind: KindString, Post: true, Put: true, Filter: true, Sort: true, Read: AdminOrService, Write: AdminOrService},
			Attribute{Name: "binding:profile", Kind: KindObject, Post: true, Put: true, Read: AdminOrService, Write: ServiceOnly},
			Attribute{Name: "binding:vif_type", Kind: KindString, Read: AdminOrService},
			Attribute{Name: "binding:vif_details", Kind: KindObject, Read: AdminOrService},
		)
	}
	return nil
}

// Attr finds the attribute name of r.
func Attr(r Resource, name string) (Attribute, bool) {
	for _, a := range Attributes(r) {
		if a.Name == name {
			return a, true
		}
	}
	return Attribute{}, false
}
