package neutron

import (
	"net/http"
	"strconv"
	"strings"
)

// What the /v2.0 server and the store need beyond the rules of the other
// files: the few errors they raise themselves, and the If-Match header.

// Error types of the server's own refusals.
const (
	TypeInvalidSharedSetting      ErrorType = "InvalidSharedSetting"
	TypeHTTPInternalServerError   ErrorType = "HTTPInternalServerError"
	TypeHTTPMethodNotAllowed      ErrorType = "HTTPMethodNotAllowed"
	TypeHTTPRequestEntityTooLarge ErrorType = "HTTPRequestEntityTooLarge"
)

// InvalidSharedSetting is the 409 for un-sharing a network other projects
// have ports on.
func InvalidSharedSetting(netID string, ports int) *Error {
	return newErr(http.StatusConflict, TypeInvalidSharedSetting,
		"Unable to reconfigure sharing settings for network %s. Multiple tenants are using it (%d port(s) of other projects); delete those ports first.",
		netID, ports)
}

// InternalError is the 500 a client sees for a failure it did not cause;
// the cause goes to the server log only.
func InternalError(cause error) *Error {
	e := newErr(http.StatusInternalServerError, TypeHTTPInternalServerError,
		"Request Failed: internal server error while processing your request; the server log has the cause.")
	e.Cause = cause
	return e
}

// MethodNotAllowed is the 405 for a method a URL does not take.
func MethodNotAllowed(method, path string) *Error {
	return newErr(http.StatusMethodNotAllowed, TypeHTTPMethodNotAllowed,
		"The method %s is not allowed for %s.", method, path)
}

// BodyTooLarge is the 413 for a body over the server's limit.
func BodyTooLarge(limit int) *Error {
	return newErr(http.StatusRequestEntityTooLarge, TypeHTTPRequestEntityTooLarge,
		"Request is too large: the body exceeds %d bytes.", limit)
}

// ParseIfMatch reads Neutron's If-Match header, "revision_number=N" (the
// revision-if-match extension); an absent header is nil. Anything else in
// the header is a 400, as Neutron's strict parsing has it.
func ParseIfMatch(h string) (*int, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil, nil
	}
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || strings.TrimSpace(k) != "revision_number" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return nil, BadRequest("If-Match header %q: revision_number must be a non-negative integer", h)
		}
		return &n, nil
	}
	return nil, BadRequest("If-Match header %q: vfnet only supports If-Match: revision_number=<N>", h)
}
