package neutron

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ErrorType is the "type" member of a NeutronError body: the name of the
// Neutron exception class the error corresponds to. It is also an error so
// that callers and tests can ask errors.Is(err, TypePortNotFound) without
// matching message strings.
type ErrorType string

func (t ErrorType) Error() string { return string(t) }

// The Neutron exception classes vfnet produces. The names are those Neutron
// puts in NeutronError.type, so clients that switch on them keep working.
const (
	TypeHTTPBadRequest                 ErrorType = "HTTPBadRequest"
	TypeHTTPNotFound                   ErrorType = "HTTPNotFound"
	TypeBadRequest                     ErrorType = "BadRequest"
	TypeInvalidInput                   ErrorType = "InvalidInput"
	TypeMalformedRequestBody           ErrorType = "MalformedRequestBody"
	TypeNotAuthorized                  ErrorType = "NotAuthorized"
	TypePolicyNotAuthorized            ErrorType = "PolicyNotAuthorized"
	TypeNetworkNotFound                ErrorType = "NetworkNotFound"
	TypeSubnetNotFound                 ErrorType = "SubnetNotFound"
	TypePortNotFound                   ErrorType = "PortNotFound"
	TypeNetworkInUse                   ErrorType = "NetworkInUse"
	TypeSubnetInUse                    ErrorType = "SubnetInUse"
	TypePortBound                      ErrorType = "PortBound"
	TypePortBoundNUMAAffinityPolicy    ErrorType = "PortBoundNUMAAffinityPolicy"
	TypeMacAddressInUse                ErrorType = "MacAddressInUse"
	TypeIpAddressAlreadyAllocated      ErrorType = "IpAddressAlreadyAllocated"
	TypeIpAddressGenerationFailure     ErrorType = "IpAddressGenerationFailure"
	TypeInvalidIpForSubnet             ErrorType = "InvalidIpForSubnet"
	TypeInvalidIpForNetwork            ErrorType = "InvalidIpForNetwork"
	TypeAllocationOnAutoAddressSubnet  ErrorType = "AllocationOnAutoAddressSubnet"
	TypeVlanIdInUse                    ErrorType = "VlanIdInUse"
	TypeFlatNetworkInUse               ErrorType = "FlatNetworkInUse"
	TypeNoNetworkAvailable             ErrorType = "NoNetworkAvailable"
	TypeInvalidAllocationPool          ErrorType = "InvalidAllocationPool"
	TypeOverlappingAllocationPools     ErrorType = "OverlappingAllocationPools"
	TypeOutOfBoundsAllocationPool      ErrorType = "OutOfBoundsAllocationPool"
	TypeGatewayConflictWithAllocPools  ErrorType = "GatewayConflictWithAllocationPools"
	TypeRevisionNumberConstraintFailed ErrorType = "RevisionNumberConstraintFailed"
	TypeTagNotFound                    ErrorType = "TagNotFound"
	TypeSRIOVUnsupported               ErrorType = "SRIOVUnsupported"
	TypeVNICTypeNotBindable            ErrorType = "VNICTypeNotBindable"
)

// Error is a Neutron API error: the HTTP status, and the type and message a
// client sees in {"NeutronError":{...}}. Cause, when set, is for the log only
// and never reaches the client.
type Error struct {
	Status  int
	Type    ErrorType
	Message string
	Detail  string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Type, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Type, e.Message)
}

// Unwrap exposes the cause to errors.Is/As.
func (e *Error) Unwrap() error { return e.Cause }

// Is makes errors.Is(err, TypeX) true for an *Error of type X.
func (e *Error) Is(target error) bool {
	t, ok := target.(ErrorType)
	return ok && t == e.Type
}

// MarshalJSON writes the NeutronError envelope Neutron clients parse.
func (e *Error) MarshalJSON() ([]byte, error) {
	type body struct {
		Type    ErrorType `json:"type"`
		Message string    `json:"message"`
		Detail  string    `json:"detail"`
	}
	return json.Marshal(struct {
		NeutronError body `json:"NeutronError"`
	}{body{e.Type, e.Message, e.Detail}})
}

func newErr(status int, t ErrorType, format string, args ...any) *Error {
	return &Error{Status: status, Type: t, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is webob's HTTPBadRequest as Neutron's API layer raises it for
// malformed bodies, unknown attributes and failed validators.
func BadRequest(format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, TypeHTTPBadRequest, format, args...)
}

// InvalidInput is neutron_lib's InvalidInput, raised by plugins.
func InvalidInput(format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, TypeInvalidInput, "Invalid input for operation: %s.", fmt.Sprintf(format, args...))
}

// BadResourceRequest is neutron_lib's BadRequest("Bad <resource> request: <msg>.").
func BadResourceRequest(resource, msg string) *Error {
	return newErr(http.StatusBadRequest, TypeBadRequest, "Bad %s request: %s.", resource, msg)
}

// MalformedRequestBody is a body that is not JSON.
func MalformedRequestBody(reason string) *Error {
	return newErr(http.StatusBadRequest, TypeMalformedRequestBody, "Malformed request body: %s.", reason)
}

// NotAuthorized is the 401 for a missing or bad token.
func NotAuthorized() *Error {
	return newErr(http.StatusUnauthorized, TypeNotAuthorized, "Authentication required")
}

// PolicyNotAuthorized is the 403 oslo.policy raises; rule is the check that
// failed, written as Neutron writes it, e.g.
// "(rule:create_network and rule:create_network:provider:network_type)".
func PolicyNotAuthorized(rule string) *Error {
	return newErr(http.StatusForbidden, TypePolicyNotAuthorized, "%s is disallowed by policy", rule)
}

// NotFound is the generic 404 Neutron returns to hide another project's
// object.
func NotFound() *Error {
	return newErr(http.StatusNotFound, TypeHTTPNotFound, "The resource could not be found.")
}

// NetworkNotFound is a 404 for a network id.
func NetworkNotFound(id string) *Error {
	return newErr(http.StatusNotFound, TypeNetworkNotFound, "Network %s could not be found.", id)
}

// SubnetNotFound is a 404 for a subnet id.
func SubnetNotFound(id string) *Error {
	return newErr(http.StatusNotFound, TypeSubnetNotFound, "Subnet %s could not be found.", id)
}

// PortNotFound is a 404 for a port id.
func PortNotFound(id string) *Error {
	return newErr(http.StatusNotFound, TypePortNotFound, "Port %s could not be found.", id)
}

// ResourceNotFound is the 404 for an id of resource r.
func ResourceNotFound(r Resource, id string) *Error {
	switch r {
	case Networks:
		return NetworkNotFound(id)
	case Subnets:
		return SubnetNotFound(id)
	default:
		return PortNotFound(id)
	}
}

// NetworkInUse is the 409 for deleting a network that still has ports.
func NetworkInUse(netID string) *Error {
	return newErr(http.StatusConflict, TypeNetworkInUse,
		"Unable to complete operation on network %s. There are one or more ports still in use on the network.", netID)
}

// SubnetInUse is the 409 for deleting a subnet with address allocations.
func SubnetInUse(subnetID string) *Error {
	return newErr(http.StatusConflict, TypeSubnetInUse,
		"Unable to complete operation on subnet %s: One or more ports have an IP allocation from this subnet.", subnetID)
}

// PortBound is the 409 for changing what a bound port's binding depends on.
func PortBound(portID, vifType, oldMAC, newMAC string) *Error {
	return newErr(http.StatusConflict, TypePortBound,
		"Unable to complete operation on port %s, port is already bound, port type: %s, old_mac %s, new_mac %s.",
		portID, vifType, oldMAC, newMAC)
}

// MacAddressInUse is the 409 for a MAC already used on the network.
func MacAddressInUse(netID, mac string) *Error {
	return newErr(http.StatusConflict, TypeMacAddressInUse,
		"Unable to complete operation for network %s. The mac address %s is in use.", netID, mac)
}

// IpAddressAlreadyAllocated is the 409 for a requested address that is taken.
func IpAddressAlreadyAllocated(ip, subnetID string) *Error {
	return newErr(http.StatusConflict, TypeIpAddressAlreadyAllocated,
		"IP address %s already allocated in subnet %s", ip, subnetID)
}

// IpAddressGenerationFailure is the 409 for a subnet whose pools are exhausted.
func IpAddressGenerationFailure(subnetID string) *Error {
	return newErr(http.StatusConflict, TypeIpAddressGenerationFailure,
		"No more IP addresses available for subnet %s.", subnetID)
}

// AllocationOnAutoAddressSubnet is the 400 for an address named on an IPv6
// SLAAC or DHCPv6-stateless subnet that is not the port's EUI-64 address.
func AllocationOnAutoAddressSubnet(ip, subnetID string) *Error {
	return newErr(http.StatusBadRequest, TypeAllocationOnAutoAddressSubnet,
		"IPv6 address %s cannot be directly assigned to a port on subnet %s as the subnet is configured for automatic addresses",
		ip, subnetID)
}

// InvalidIpForSubnet is the 400 for an address outside the chosen subnet.
func InvalidIpForSubnet(ip string) *Error {
	return newErr(http.StatusBadRequest, TypeInvalidIpForSubnet,
		"IP address %s is not a valid IP for the specified subnet.", ip)
}

// InvalidIpForNetwork is the 400 for an address in none of the network's subnets.
func InvalidIpForNetwork(ip string) *Error {
	return newErr(http.StatusBadRequest, TypeInvalidIpForNetwork,
		"IP address %s is not a valid IP for any of the subnets on the specified network.", ip)
}

// VlanIdInUse is the 409 for a VLAN already carried on the physical network.
func VlanIdInUse(vlan int, physnet string) *Error {
	return newErr(http.StatusConflict, TypeVlanIdInUse,
		"Unable to create the network. The VLAN %d on physical network %s is in use.", vlan, physnet)
}

// FlatNetworkInUse is the 409 for a second flat network on one physical network.
func FlatNetworkInUse(physnet string) *Error {
	return newErr(http.StatusConflict, TypeFlatNetworkInUse,
		"Unable to create the flat network. Physical network %s is in use.", physnet)
}

// NoNetworkAvailable is raised when no project VLAN is free. Neutron answers
// 503 (ResourceExhausted); vfnet answers 409 as its spec asks, because the
// condition is a state of the data networks an operator can change, not an
// outage, and it says which ranges are full.
func NoNetworkAvailable(why string) *Error {
	e := newErr(http.StatusConflict, TypeNoNetworkAvailable,
		"Unable to create the network. No project network is available for allocation.")
	if why != "" {
		e.Message += " " + why
	}
	return e
}

// InvalidAllocationPool is the 400 for a pool whose ends are not addresses
// of the right family or are reversed.
func InvalidAllocationPool(pool string) *Error {
	return newErr(http.StatusBadRequest, TypeInvalidAllocationPool, "The allocation pool %s is not valid.", pool)
}

// OverlappingAllocationPools is the 409 for two pools sharing an address.
func OverlappingAllocationPools(p1, p2, cidr string) *Error {
	return newErr(http.StatusConflict, TypeOverlappingAllocationPools,
		"Found overlapping allocation pools: %s %s for subnet %s.", p1, p2, cidr)
}

// OutOfBoundsAllocationPool is the 400 for a pool outside the subnet.
func OutOfBoundsAllocationPool(pool, cidr string) *Error {
	return newErr(http.StatusBadRequest, TypeOutOfBoundsAllocationPool,
		"The allocation pool %s spans beyond the subnet cidr %s.", pool, cidr)
}

// GatewayConflictWithAllocationPools is the 409 for a gateway inside a pool.
func GatewayConflictWithAllocationPools(ip, pool string) *Error {
	return newErr(http.StatusConflict, TypeGatewayConflictWithAllocPools,
		"Gateway ip %s conflicts with allocation pool %s.", ip, pool)
}

// RevisionNumberConstraintFailed is the 412 for an If-Match revision that
// does not match the object's current revision_number.
func RevisionNumberConstraintFailed(expected, current int) *Error {
	return newErr(http.StatusPreconditionFailed, TypeRevisionNumberConstraintFailed,
		"Constrained to %d, but current revision is %d", expected, current)
}

// TagNotFound is the 404 for GET/DELETE of an absent tag.
func TagNotFound(tag string) *Error {
	return newErr(http.StatusNotFound, TypeTagNotFound, "Tag %s could not be found.", tag)
}

// ExtensionNotFound is the 404 for GET /v2.0/extensions/{alias}.
func ExtensionNotFound(alias string) *Error {
	return newErr(http.StatusNotFound, TypeHTTPNotFound, "Extension with alias %s does not exist", alias)
}

// pyList formats names as Python prints a list of strings, which is how
// Neutron's filter and sort validation messages show them.
func pyList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// NoMoreAddresses is neutron-lib's IpAddressGenerationFailure for a whole
// network: every subnet's pools are exhausted.
func NoMoreAddresses(netID string) *Error {
	return newErr(http.StatusConflict, TypeIpAddressGenerationFailure,
		"No more IP addresses available on network %s.", netID)
}
