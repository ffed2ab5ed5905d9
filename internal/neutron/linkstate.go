package neutron

import "net/http"

// TypeVFLinkStateUnsupported: admin_state_up false on a port whose VF sits
// on a NIC whose driver cannot disable a VF's link.
const TypeVFLinkStateUnsupported ErrorType = "VFLinkStateUnsupported"

// VFLinkStateUnsupported is the 409 for admin_state_up false on a port bound
// to VF vf of PF pf, whose driver lacks VF link state (igb has no
// ndo_set_vf_link_state): the VF would keep passing traffic, so the update
// is refused rather than recorded and silently not applied.
func VFLinkStateUnsupported(portID, pf string, vf int, driver string) *Error {
	return newErr(http.StatusConflict, TypeVFLinkStateUnsupported,
		"Unable to complete operation on port %s: its VF %d of PF %s is on a NIC whose driver (%s) cannot disable a VF's link "+
			"(no VF link state), so admin_state_up false would not stop its traffic. Unbind the port (delete the instance) "+
			"or bind it to a VF of a NIC that supports VF link state.", portID, vf, pf, driver)
}
