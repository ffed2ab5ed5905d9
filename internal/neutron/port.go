package neutron

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// vnic types Neutron knows (neutron_lib.api.definitions.portbindings).
const (
	VNICNormal                    = "normal"
	VNICDirect                    = "direct"
	VNICMacvtap                   = "macvtap"
	VNICBaremetal                 = "baremetal"
	VNICDirectPhysical            = "direct-physical"
	VNICVirtioForwarder           = "virtio-forwarder"
	VNICSmartNIC                  = "smart-nic"
	VNICVHostVDPA                 = "vdpa"
	VNICRemoteManaged             = "remote-managed"
	VNICAcceleratorDirect         = "accelerator-direct"
	VNICAcceleratorDirectPhysical = "accelerator-direct-physical"
)

// VNICTypes lists every vnic_type Neutron accepts on a port; all are valid
// API values, BindableVNIC says which vfnet can bind.
func VNICTypes() []string {
	return []string{VNICNormal, VNICDirect, VNICMacvtap, VNICBaremetal, VNICDirectPhysical,
		VNICVirtioForwarder, VNICSmartNIC, VNICVHostVDPA, VNICAcceleratorDirect,
		VNICAcceleratorDirectPhysical, VNICRemoteManaged}
}

// vif types a binding can report.
const (
	VIFTypeUnbound       = "unbound"
	VIFTypeBindingFailed = "binding_failed"
	VIFTypeHWVEB         = "hw_veb"
	VIFTypeHostdevPhy    = "hostdev_physical"
)

// NUMA affinity policies (port-numa-affinity-policy and its -socket extension).
const (
	NUMARequired  = "required"
	NUMAPreferred = "preferred"
	NUMALegacy    = "legacy"
	NUMASocket    = "socket"
)

// NUMAPolicies lists the accepted numa_affinity_policy values (null too).
func NUMAPolicies() []string { return []string{NUMARequired, NUMAPreferred, NUMALegacy, NUMASocket} }

// IPv6 address and RA modes.
const (
	IPv6SLAAC           = "slaac"
	IPv6DHCPv6Stateful  = "dhcpv6-stateful"
	IPv6DHCPv6Stateless = "dhcpv6-stateless"
)

// IPv6Modes lists the accepted ipv6_ra_mode/ipv6_address_mode values.
func IPv6Modes() []string { return []string{IPv6DHCPv6Stateful, IPv6DHCPv6Stateless, IPv6SLAAC} }

// IsSRIOV reports whether vnic is a type vfnet binds to hardware: a VF or a
// whole PF. These are the ports the SR-IOV limitations apply to.
func IsSRIOV(vnic string) bool { return vnic == VNICDirect || vnic == VNICDirectPhysical }

// BindableVNIC says whether vfnet can bind a port of this vnic_type. Every
// Neutron vnic_type is a valid port; only direct (a VF) and direct-physical
// (a PF, PCI passthrough) have a device behind them in vfnet, the others
// need a virtual switch or accelerator vfnet does not run.
func BindableVNIC(vnic string) error {
	if IsSRIOV(vnic) {
		return nil
	}
	return &Error{Status: http.StatusConflict, Type: TypeVNICTypeNotBindable, Message: fmt.Sprintf(
		"vnic_type %s cannot be bound: vfnet provides SR-IOV (direct) and PCI passthrough (direct-physical) ports only; "+
			"recreate the port with --vnic-type direct", vnic)}
}

func sriovRefusal(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Type: TypeSRIOVUnsupported, Message: msg}
}

// PortLimits is the state CheckSRIOVLimits judges: the port's vnic_type and
// the SR-IOV-sensitive attributes after the request is applied.
type PortLimits struct {
	VNICType            string
	SecurityGroups      []string
	QoSPolicyID         string
	AllowedAddressPairs []AddressPair
}

// CheckSRIOVLimits refuses what a VF or a passthrough PF cannot honour,
// rather than storing it and pretending: no ACL (security groups), no QoS,
// and a MAC spoof check that knows one MAC (no allowed_address_pairs).
// vfnet has no QoS policies at all, so qos_policy_id is refused on every
// port, with the SR-IOV reason on SR-IOV ports.
func CheckSRIOVLimits(p PortLimits) error {
	sriov := IsSRIOV(p.VNICType)
	if sriov && len(p.SecurityGroups) > 0 {
		return sriovRefusal("security groups are not enforced on SR-IOV and PCI passthrough ports " +
			"(binding:vnic_type " + p.VNICType + "): the VF's traffic bypasses the host's firewall. " +
			"Create the port with no security group (--no-security-group) and filter in the guest or upstream")
	}
	if p.QoSPolicyID != "" {
		if sriov {
			return sriovRefusal("QoS policies are not supported on SR-IOV and PCI passthrough ports " +
				"(binding:vnic_type " + p.VNICType + "): vfnet programs no rate limits on VFs. Remove qos_policy_id")
		}
		return sriovRefusal("vfnet has no QoS policies (the qos extension is not offered). Remove qos_policy_id")
	}
	if sriov && len(p.AllowedAddressPairs) > 0 {
		return sriovRefusal("allowed_address_pairs are not supported on SR-IOV and PCI passthrough ports " +
			"(binding:vnic_type " + p.VNICType + "): the VF's MAC spoof check admits only the port's own MAC. " +
			"Disable port security (--disable-port-security) instead, which turns the spoof check off")
	}
	return nil
}

// CheckBoundChange refuses changes to what a bound port's VF depends on:
// Neutron answers 409 PortBound for a MAC change on a bound port, and vfnet
// applies the same to vnic_type, since the claimed device is of that type.
func CheckBoundChange(p Port, r PortRequest) error {
	if !p.Bound() {
		return nil
	}
	if r.MACAddress.Has() && !strings.EqualFold(r.MACAddress.V, p.MACAddress) {
		return PortBound(p.ID, p.VIFType, p.MACAddress, r.MACAddress.V)
	}
	if r.VNICType.Has() && r.VNICType.V != p.VNICType {
		e := PortBound(p.ID, p.VIFType, p.MACAddress, p.MACAddress)
		e.Message = fmt.Sprintf("Unable to complete operation on port %s, port is already bound, port type: %s; "+
			"binding:vnic_type cannot change from %s to %s while the port is bound to host %s. Unbind it first",
			p.ID, p.VIFType, p.VNICType, r.VNICType.V, p.HostID)
		return e
	}
	if r.NUMAAffinityPolicy.Set {
		newPol := ""
		if r.NUMAAffinityPolicy.Has() {
			newPol = r.NUMAAffinityPolicy.V
		}
		old := ""
		if p.NUMAAffinityPolicy != nil {
			old = *p.NUMAAffinityPolicy
		}
		if newPol != old {
			return &Error{Status: http.StatusConflict, Type: TypePortBoundNUMAAffinityPolicy, Message: fmt.Sprintf(
				"Unable to complete operation on port %s, port is already bound to host %s, numa_affinity_policy value given %s.",
				p.ID, p.HostID, orNone(newPol))}
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "None"
	}
	return s
}

// MACPrefix is the OUI Neutron's default base_mac uses.
const MACPrefix = "fa:16:3e"

// GenerateMAC returns fa:16:3e followed by three random bytes from rand
// (crypto/rand.Reader in production, a fixed source in tests). The caller
// retries on a MacAddressInUse from its unique constraint.
func GenerateMAC(rand io.Reader) (string, error) {
	var b [3]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return "", fmt.Errorf("generate MAC address: %w", err)
	}
	return fmt.Sprintf("%s:%02x:%02x:%02x", MACPrefix, b[0], b[1], b[2]), nil
}

// ErrInvalidMAC is the cause ParseMAC wraps.
var ErrInvalidMAC = errors.New("invalid MAC address")

// ParseMAC validates a port MAC given by a user and returns it in Neutron's
// form (lower case, colon separated): a 48-bit unicast address that is not
// all zeros, since a VF programmed with a multicast or zero MAC passes no
// traffic.
func ParseMAC(s string) (string, error) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return "", fmt.Errorf("%w %q: want 6 bytes like fa:16:3e:00:00:01", ErrInvalidMAC, s)
	}
	if hw[0]&1 == 1 {
		return "", fmt.Errorf("%w %q: multicast address", ErrInvalidMAC, s)
	}
	zero := true
	for _, c := range hw {
		zero = zero && c == 0
	}
	if zero {
		return "", fmt.Errorf("%w %q: all zeros", ErrInvalidMAC, s)
	}
	return hw.String(), nil
}

// VF is the device a direct port was bound to, as binding:profile shows it.
type VF struct {
	PCISlot         string // 0000:3b:02.3
	PCIVendorInfo   string // 8086:154c
	PhysicalNetwork string
	PFMACAddress    string
	VFNum           int
}

// PF is the device a direct-physical port was bound to.
type PF struct {
	PCISlot         string
	PCIVendorInfo   string
	PhysicalNetwork string
	MACAddress      string // becomes the port's MAC
}

// Binding is what a bind writes on a port.
type Binding struct {
	HostID     string
	VIFType    string
	VIFDetails map[string]any
	Profile    map[string]any
	MACAddress string // set for direct-physical: the PF's own MAC
}

// BindDirect is the binding of a direct port to a VF. vlan is the network's
// segmentation ID, 0 on a flat network (vif_details carries it as a string,
// as Neutron's SR-IOV driver writes it).
func BindDirect(host string, vf VF, vlan int) Binding {
	return Binding{
		HostID:  host,
		VIFType: VIFTypeHWVEB,
		VIFDetails: map[string]any{
			"port_filter":  false,
			"connectivity": "l2",
			"vlan":         strconv.Itoa(vlan),
		},
		Profile: map[string]any{
			"pci_slot":         vf.PCISlot,
			"pci_vendor_info":  vf.PCIVendorInfo,
			"physical_network": vf.PhysicalNetwork,
			"pf_mac_address":   vf.PFMACAddress,
			"vf_num":           vf.VFNum,
		},
	}
}

// BindDirectPhysical is the binding of a direct-physical port to a PF: the
// guest sees the PF's burned-in MAC, so the port takes it.
func BindDirectPhysical(host string, pf PF, vlan int) Binding {
	return Binding{
		HostID:  host,
		VIFType: VIFTypeHostdevPhy,
		VIFDetails: map[string]any{
			"port_filter":  false,
			"connectivity": "l2",
			"vlan":         strconv.Itoa(vlan),
		},
		Profile: map[string]any{
			"pci_slot":           pf.PCISlot,
			"pci_vendor_info":    pf.PCIVendorInfo,
			"physical_network":   pf.PhysicalNetwork,
			"device_mac_address": pf.MACAddress,
		},
		MACAddress: pf.MACAddress,
	}
}

// BindFailed is the binding an external bind records when nothing fits;
// reason goes to the log and to the 409 of an instance create, Neutron has
// no field for it on the port.
func BindFailed(host string) Binding {
	return Binding{HostID: host, VIFType: VIFTypeBindingFailed, VIFDetails: map[string]any{}, Profile: map[string]any{}}
}

// Unbound is the binding of a port with no host.
func Unbound() Binding {
	return Binding{VIFType: VIFTypeUnbound, VIFDetails: map[string]any{}, Profile: map[string]any{}}
}

// Apply writes the binding onto p.
func (b Binding) Apply(p *Port) {
	p.HostID = b.HostID
	p.VIFType = b.VIFType
	p.VIFDetails = b.VIFDetails
	p.Profile = b.Profile
	if b.MACAddress != "" {
		p.MACAddress = b.MACAddress
	}
}
