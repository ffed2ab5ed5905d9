package neutron

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestErrorBody(t *testing.T) {
	tests := []struct {
		err        *Error
		wantStatus int
		wantBody   string
	}{
		{PortNotFound("p1"), http.StatusNotFound,
			`{"NeutronError":{"type":"PortNotFound","message":"Port p1 could not be found.","detail":""}}`},
		{VlanIdInUse(10, "datanet-a"), http.StatusConflict,
			`{"NeutronError":{"type":"VlanIdInUse","message":"Unable to create the network. The VLAN 10 on physical network datanet-a is in use.","detail":""}}`},
		{InvalidInput("'x' is not an integer"), http.StatusBadRequest,
			`{"NeutronError":{"type":"InvalidInput","message":"Invalid input for operation: 'x' is not an integer.","detail":""}}`},
		{RevisionNumberConstraintFailed(3, 4), http.StatusPreconditionFailed,
			`{"NeutronError":{"type":"RevisionNumberConstraintFailed","message":"Constrained to 3, but current revision is 4","detail":""}}`},
		{PolicyNotAuthorized("(rule:create_network and rule:create_network:shared)"), http.StatusForbidden,
			`{"NeutronError":{"type":"PolicyNotAuthorized","message":"(rule:create_network and rule:create_network:shared) is disallowed by policy","detail":""}}`},
		{NetworkInUse("n1"), http.StatusConflict,
			`{"NeutronError":{"type":"NetworkInUse","message":"Unable to complete operation on network n1. There are one or more ports still in use on the network.","detail":""}}`},
		{IpAddressAlreadyAllocated("192.0.2.5", "s1"), http.StatusConflict,
			`{"NeutronError":{"type":"IpAddressAlreadyAllocated","message":"IP address 192.0.2.5 already allocated in subnet s1","detail":""}}`},
		{MacAddressInUse("n1", "fa:16:3e:00:00:01"), http.StatusConflict,
			`{"NeutronError":{"type":"MacAddressInUse","message":"Unable to complete operation for network n1. The mac address fa:16:3e:00:00:01 is in use.","detail":""}}`},
		{ExtensionNotFound("qos"), http.StatusNotFound,
			`{"NeutronError":{"type":"HTTPNotFound","message":"Extension with alias qos does not exist","detail":""}}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.err)
		if err != nil {
			t.Fatalf("marshal %v: %v", tt.err, err)
		}
		if string(b) != tt.wantBody || tt.err.Status != tt.wantStatus {
			t.Errorf("%s: got %d %s, want %d %s", tt.err.Type, tt.err.Status, b, tt.wantStatus, tt.wantBody)
		}
	}
}

func TestErrorIsType(t *testing.T) {
	cause := errors.New("disk full")
	e := SubnetNotFound("s1")
	e.Cause = cause
	wrapped := fmt.Errorf("show subnet: %w", e)
	if !errors.Is(wrapped, TypeSubnetNotFound) {
		t.Errorf("errors.Is(%v, TypeSubnetNotFound) = false", wrapped)
	}
	if errors.Is(wrapped, TypePortNotFound) {
		t.Errorf("errors.Is(%v, TypePortNotFound) = true", wrapped)
	}
	if !errors.Is(wrapped, cause) {
		t.Errorf("cause lost in %v", wrapped)
	}
	b, _ := json.Marshal(e)
	var body map[string]map[string]string
	if err := json.Unmarshal(b, &body); err != nil || body["NeutronError"]["message"] != "Subnet s1 could not be found." {
		t.Errorf("cause leaked or body wrong: %s", b)
	}
}
