package neutron

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// Op is the kind of request a body belongs to.
type Op int

const (
	Create Op = iota
	Update
)

// Limits from neutron-lib's db constants.
const (
	NameMaxLen        = 255
	DescriptionMaxLen = 255
	ProjectIDMaxLen   = 255
	DeviceIDMaxLen    = 255
	DeviceOwnerMaxLen = 255
	TagMaxLen         = 255
	MaxTags           = 50
)

// NetworkRequest is a decoded network create or update body.
type NetworkRequest struct {
	Name                Field[string]
	Description         Field[string]
	ProjectID           Field[string] // from project_id or tenant_id
	AdminStateUp        Field[bool]
	Shared              Field[bool]
	External            Field[bool]
	MTU                 Field[int]
	PortSecurityEnabled Field[bool]
	NetworkType         Field[string]
	PhysicalNetwork     Field[string]
	SegmentationID      Field[int]
	present             []string
}

// Present lists the attribute names the body carried, as given.
func (r NetworkRequest) Present() []string { return r.present }

// SubnetRequest is a decoded subnet create or update body.
type SubnetRequest struct {
	Name            Field[string]
	Description     Field[string]
	ProjectID       Field[string]
	NetworkID       Field[string]
	IPVersion       Field[int]
	CIDR            Field[string]
	GatewayIP       Field[string] // null: no gateway
	AllocationPools Field[[]AllocationPool]
	HostRoutes      Field[[]HostRoute]
	DNSNameservers  Field[[]string]
	EnableDHCP      Field[bool]
	IPv6RAMode      Field[string]
	IPv6AddressMode Field[string]
	SubnetPoolID    Field[string]
	present         []string
}

// Present lists the attribute names the body carried.
func (r SubnetRequest) Present() []string { return r.present }

// PortRequest is a decoded port create or update body.
type PortRequest struct {
	Name                Field[string]
	Description         Field[string]
	ProjectID           Field[string]
	NetworkID           Field[string]
	AdminStateUp        Field[bool]
	MACAddress          Field[string]
	FixedIPs            Field[[]FixedIP]
	DeviceID            Field[string]
	DeviceOwner         Field[string]
	SecurityGroups      Field[[]string]
	PortSecurityEnabled Field[bool]
	AllowedAddressPairs Field[[]AddressPair]
	QoSPolicyID         Field[string]
	Trusted             Field[bool]
	NUMAAffinityPolicy  Field[string]
	VNICType            Field[string]
	HostID              Field[string] // null or "": unbind
	Profile             Field[map[string]any]
	Tags                Field[[]string]
	present             []string
}

// Present lists the attribute names the body carried.
func (r PortRequest) Present() []string { return r.present }

type setter[R any] func(r *R, attr string, raw json.RawMessage) error

func networkSetters() map[string]setter[NetworkRequest] {
	return map[string]setter[NetworkRequest]{
		"name": func(r *NetworkRequest, a string, v json.RawMessage) error {
			return setString(&r.Name, a, v, NameMaxLen, false)
		},
		"description": func(r *NetworkRequest, a string, v json.RawMessage) error {
			return setString(&r.Description, a, v, DescriptionMaxLen, false)
		},
		"admin_state_up": func(r *NetworkRequest, a string, v json.RawMessage) error { return setBool(&r.AdminStateUp, a, v) },
		"shared":         func(r *NetworkRequest, a string, v json.RawMessage) error { return setBool(&r.Shared, a, v) },
		"router:external": func(r *NetworkRequest, a string, v json.RawMessage) error {
			return setBool(&r.External, a, v)
		},
		"mtu": func(r *NetworkRequest, a string, v json.RawMessage) error {
			if err := setInt(&r.MTU, a, v, false); err != nil {
				return err
			}
			if r.MTU.V < 0 {
				return invalid(a, "'"+pyRepr(v)+"' should be non-negative")
			}
			return nil
		},
		"port_security_enabled": func(r *NetworkRequest, a string, v json.RawMessage) error {
			return setBool(&r.PortSecurityEnabled, a, v)
		},
		"provider:network_type": func(r *NetworkRequest, a string, v json.RawMessage) error {
			return setString(&r.NetworkType, a, v, 32, false)
		},
		"provider:physical_network": func(r *NetworkRequest, a string, v json.RawMessage) error {
			return setString(&r.PhysicalNetwork, a, v, 64, false)
		},
		"provider:segmentation_id": func(r *NetworkRequest, a string, v json.RawMessage) error {
			return setInt(&r.SegmentationID, a, v, true)
		},
	}
}

func subnetSetters() map[string]setter[SubnetRequest] {
	return map[string]setter[SubnetRequest]{
		"name": func(r *SubnetRequest, a string, v json.RawMessage) error {
			return setString(&r.Name, a, v, NameMaxLen, false)
		},
		"description": func(r *SubnetRequest, a string, v json.RawMessage) error {
			return setString(&r.Description, a, v, DescriptionMaxLen, false)
		},
		"network_id": func(r *SubnetRequest, a string, v json.RawMessage) error {
			return setUUID(&r.NetworkID, a, v)
		},
		"ip_version": func(r *SubnetRequest, a string, v json.RawMessage) error {
			if err := setInt(&r.IPVersion, a, v, false); err != nil {
				return err
			}
			if r.IPVersion.V != 4 && r.IPVersion.V != 6 {
				return invalid(a, "'"+pyRepr(v)+"' is not in [4, 6]")
			}
			return nil
		},
		"cidr": func(r *SubnetRequest, a string, v json.RawMessage) error {
			return setString(&r.CIDR, a, v, 0, false)
		},
		"gateway_ip": func(r *SubnetRequest, a string, v json.RawMessage) error {
			return setString(&r.GatewayIP, a, v, 0, true)
		},
		"allocation_pools": func(r *SubnetRequest, a string, v json.RawMessage) error {
			r.AllocationPools.Set = true
			p, err := decodeObjects[AllocationPool](a, v, "start", "end")
			if err != nil {
				return err
			}
			for _, q := range p {
				if q.Start == "" || q.End == "" {
					return invalid(a, "Invalid data format for IP pool: '"+pyRepr(v)+"'")
				}
			}
			r.AllocationPools.V = p
			return nil
		},
		"host_routes": func(r *SubnetRequest, a string, v json.RawMessage) error {
			r.HostRoutes.Set = true
			h, err := decodeObjects[HostRoute](a, v, "destination", "nexthop")
			if err != nil {
				return err
			}
			for _, q := range h {
				if q.Destination == "" || q.NextHop == "" {
					return invalid(a, "Invalid data format for hostroute: '"+pyRepr(v)+"'")
				}
			}
			r.HostRoutes.V = h
			return nil
		},
		"dns_nameservers": func(r *SubnetRequest, a string, v json.RawMessage) error {
			return setStrings(&r.DNSNameservers, a, v, 0, true)
		},
		"enable_dhcp": func(r *SubnetRequest, a string, v json.RawMessage) error { return setBool(&r.EnableDHCP, a, v) },
		"ipv6_ra_mode": func(r *SubnetRequest, a string, v json.RawMessage) error {
			return setEnum(&r.IPv6RAMode, a, v, true, IPv6Modes()...)
		},
		"ipv6_address_mode": func(r *SubnetRequest, a string, v json.RawMessage) error {
			return setEnum(&r.IPv6AddressMode, a, v, true, IPv6Modes()...)
		},
		"subnetpool_id": func(r *SubnetRequest, a string, v json.RawMessage) error {
			return setString(&r.SubnetPoolID, a, v, 0, true)
		},
	}
}

func portSetters() map[string]setter[PortRequest] {
	return map[string]setter[PortRequest]{
		"name": func(r *PortRequest, a string, v json.RawMessage) error {
			return setString(&r.Name, a, v, NameMaxLen, false)
		},
		"description": func(r *PortRequest, a string, v json.RawMessage) error {
			return setString(&r.Description, a, v, DescriptionMaxLen, false)
		},
		"network_id":     func(r *PortRequest, a string, v json.RawMessage) error { return setUUID(&r.NetworkID, a, v) },
		"admin_state_up": func(r *PortRequest, a string, v json.RawMessage) error { return setBool(&r.AdminStateUp, a, v) },
		"mac_address": func(r *PortRequest, a string, v json.RawMessage) error {
			if err := setString(&r.MACAddress, a, v, 0, false); err != nil {
				return invalid(a, "'"+pyRepr(v)+"' is not a valid MAC address")
			}
			m, err := ParseMAC(r.MACAddress.V)
			if err != nil {
				return invalid(a, "'"+r.MACAddress.V+"' is not a valid MAC address")
			}
			r.MACAddress.V = m
			return nil
		},
		"fixed_ips": func(r *PortRequest, a string, v json.RawMessage) error {
			r.FixedIPs.Set = true
			f, err := decodeObjects[FixedIP](a, v, "subnet_id", "ip_address")
			if err != nil {
				return err
			}
			r.FixedIPs.V = f
			return nil
		},
		"device_id": func(r *PortRequest, a string, v json.RawMessage) error {
			return setString(&r.DeviceID, a, v, DeviceIDMaxLen, false)
		},
		"device_owner": func(r *PortRequest, a string, v json.RawMessage) error {
			return setString(&r.DeviceOwner, a, v, DeviceOwnerMaxLen, false)
		},
		"security_groups": func(r *PortRequest, a string, v json.RawMessage) error {
			return setStrings(&r.SecurityGroups, a, v, 0, true)
		},
		"port_security_enabled": func(r *PortRequest, a string, v json.RawMessage) error {
			return setBool(&r.PortSecurityEnabled, a, v)
		},
		"allowed_address_pairs": func(r *PortRequest, a string, v json.RawMessage) error {
			r.AllowedAddressPairs.Set = true
			p, err := decodeObjects[AddressPair](a, v, "ip_address", "mac_address")
			if err != nil {
				return err
			}
			r.AllowedAddressPairs.V = p
			return nil
		},
		"qos_policy_id": func(r *PortRequest, a string, v json.RawMessage) error {
			return setString(&r.QoSPolicyID, a, v, 0, true)
		},
		"trusted": func(r *PortRequest, a string, v json.RawMessage) error { return setBool(&r.Trusted, a, v) },
		"numa_affinity_policy": func(r *PortRequest, a string, v json.RawMessage) error {
			return setEnum(&r.NUMAAffinityPolicy, a, v, true, NUMAPolicies()...)
		},
		"binding:vnic_type": func(r *PortRequest, a string, v json.RawMessage) error {
			return setEnum(&r.VNICType, a, v, false, VNICTypes()...)
		},
		"binding:host_id": func(r *PortRequest, a string, v json.RawMessage) error {
			return setString(&r.HostID, a, v, 255, true)
		},
		"binding:profile": func(r *PortRequest, a string, v json.RawMessage) error {
			r.Profile.Set = true
			if isNull(v) {
				r.Profile.Null = true
				return nil
			}
			var m map[string]any
			if err := json.Unmarshal(v, &m); err != nil || m == nil {
				return invalid(a, "'"+pyRepr(v)+"' is not a dictionary")
			}
			r.Profile.V = m
			return nil
		},
		"tags": func(r *PortRequest, a string, v json.RawMessage) error {
			if err := setStrings(&r.Tags, a, v, TagMaxLen, true); err != nil {
				return err
			}
			if len(r.Tags.V) > MaxTags {
				return BadResourceRequest("ports", "The number of tags exceed the per-resource limit of 50")
			}
			return nil
		},
	}
}

// setUUID decodes a resource id; vfnet ids are UUIDs like Neutron's.
func setUUID(f *Field[string], attr string, raw json.RawMessage) error {
	if err := setString(f, attr, raw, 0, false); err != nil {
		return invalid(attr, "'"+pyRepr(raw)+"' is not a valid UUID")
	}
	if !IsUUID(f.V) {
		return invalid(attr, "'"+f.V+"' is not a valid UUID")
	}
	return nil
}

// IsUUID reports whether s is a UUID in its canonical, hyphenated form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// DecodeNetworks decodes a network create (one or bulk) or update body.
// Bulk bodies are only valid for Create.
func DecodeNetworks(body []byte, op Op) ([]NetworkRequest, error) {
	return decodeBody(body, op, Networks, networkSetters(), func(r *NetworkRequest) *Field[string] { return &r.ProjectID },
		func(r *NetworkRequest, p []string) { r.present = p })
}

// DecodeSubnets decodes a subnet create (one or bulk) or update body.
func DecodeSubnets(body []byte, op Op) ([]SubnetRequest, error) {
	return decodeBody(body, op, Subnets, subnetSetters(), func(r *SubnetRequest) *Field[string] { return &r.ProjectID },
		func(r *SubnetRequest, p []string) { r.present = p })
}

// DecodePorts decodes a port create (one or bulk) or update body.
func DecodePorts(body []byte, op Op) ([]PortRequest, error) {
	return decodeBody(body, op, Ports, portSetters(), func(r *PortRequest) *Field[string] { return &r.ProjectID },
		func(r *PortRequest, p []string) { r.present = p })
}

// decodeBody follows Neutron's prepare_request_body: find the member or the
// collection, refuse unknown attributes, then attributes not allowed for the
// operation, then missing required ones, then convert and validate values.
func decodeBody[R any](body []byte, op Op, res Resource, setters map[string]setter[R],
	project func(*R) *Field[string], present func(*R, []string)) ([]R, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, BadRequest("Resource body required")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		var any_ any
		if json.Unmarshal(body, &any_) != nil {
			return nil, MalformedRequestBody("Cannot understand JSON")
		}
		return nil, BadRequest("Body contains invalid data")
	}
	member := res.Member()
	var items []json.RawMessage
	if raw, ok := top[string(res)]; ok {
		if op != Create {
			return nil, BadRequest("Bulk operation not supported")
		}
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, BadRequest("Body contains invalid data")
		}
		if len(list) == 0 {
			return nil, BadRequest("Resources required")
		}
		for _, it := range list {
			var wrapped map[string]json.RawMessage
			if json.Unmarshal(it, &wrapped) == nil {
				if inner, ok := wrapped[member]; ok {
					it = inner
				}
			}
			items = append(items, it)
		}
	} else {
		raw, ok := top[member]
		if !ok || isNull(raw) {
			return nil, BadRequest("Unable to find '%s' in request body", member)
		}
		items = []json.RawMessage{raw}
	}
	attrs := Attributes(res)
	out := make([]R, 0, len(items))
	for _, it := range items {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(it, &obj); err != nil || obj == nil {
			return nil, BadRequest("Object '%s' contains invalid data", member)
		}
		r, err := decodeObject(obj, op, attrs, setters, project)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		present(&r, keys)
		out = append(out, r)
	}
	return out, nil
}

func decodeObject[R any](obj map[string]json.RawMessage, op Op, attrs []Attribute, setters map[string]setter[R],
	project func(*R) *Field[string]) (R, error) {
	var r R
	byName := make(map[string]Attribute, len(attrs))
	for _, a := range attrs {
		byName[a.Name] = a
	}
	var unknown []string
	for k := range obj {
		if _, ok := byName[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return r, BadRequest("Unrecognized attribute(s) '%s'", strings.Join(unknown, ", "))
	}
	for _, a := range attrs {
		_, given := obj[a.Name]
		switch {
		case op == Create && given && !a.Post:
			return r, BadRequest("Attribute '%s' not allowed in POST", a.Name)
		case op == Create && !given && a.Required:
			return r, BadRequest("Failed to parse request. Required attribute '%s' not specified", a.Name)
		case op == Update && given && !a.Put:
			return r, BadRequest("Cannot update read-only attribute %s", a.Name)
		}
	}
	// project_id and tenant_id are one attribute under two names.
	pid, hasP := obj["project_id"]
	tid, hasT := obj["tenant_id"]
	if hasP || hasT {
		f := project(&r)
		var p, t Field[string]
		if hasP {
			if err := setString(&p, "project_id", pid, ProjectIDMaxLen, false); err != nil {
				return r, err
			}
		}
		if hasT {
			if err := setString(&t, "tenant_id", tid, ProjectIDMaxLen, false); err != nil {
				return r, err
			}
		}
		if hasP && hasT && p.V != t.V {
			return r, BadRequest("'project_id' and 'tenant_id' do not match")
		}
		*f = p
		if !hasP {
			*f = t
		}
	}
	for _, a := range attrs {
		raw, ok := obj[a.Name]
		if !ok || a.Name == "project_id" || a.Name == "tenant_id" {
			continue
		}
		set, ok := setters[a.Name]
		if !ok {
			continue // read-only attributes were refused above
		}
		if err := set(&r, a.Name, raw); err != nil {
			return r, err
		}
	}
	return r, nil
}

// DecodeTags decodes the body of PUT /v2.0/<collection>/{id}/tags.
func DecodeTags(body []byte) ([]string, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, InvalidInput("Invalid tags body")
	}
	raw, ok := top["tags"]
	if !ok {
		return nil, InvalidInput("Invalid tags body")
	}
	var f Field[[]string]
	if err := setStrings(&f, "tags", raw, TagMaxLen, true); err != nil {
		return nil, err
	}
	if len(f.V) > MaxTags {
		return nil, BadResourceRequest("tags", "The number of tags exceed the per-resource limit of 50")
	}
	return f.V, nil
}

// ValidateTag checks one tag of PUT /v2.0/<collection>/{id}/tags/{tag}.
func ValidateTag(tag string) error {
	if len([]rune(tag)) > TagMaxLen {
		return InvalidInput("'%s' exceeds maximum length of %d", tag, TagMaxLen)
	}
	if tag == "" {
		return InvalidInput("'' is not a valid tag")
	}
	return nil
}
