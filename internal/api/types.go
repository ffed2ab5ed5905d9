package api

import (
	"vfnet/internal/model"
	"vfnet/internal/store"
)

// The request and response bodies of /v1, shared with the client.

// HostList is GET /v1/hosts.
type HostList struct {
	Hosts []model.Host `json:"hosts"`
}

// PortList is GET /v1/hosts/{host}/ports.
type PortList struct {
	Ports []model.Port `json:"ports"`
}

// InterfaceList is GET /v1/hosts/{host}/interfaces.
type InterfaceList struct {
	Interfaces []model.Interface `json:"interfaces"`
}

// AssignmentList is GET /v1/hosts/{host}/interface-datanetworks.
type AssignmentList struct {
	Assignments []store.Assignment `json:"interface_datanetworks"`
}

// DataNetworkList is GET /v1/datanetworks.
type DataNetworkList struct {
	DataNetworks []model.DataNetwork `json:"datanetworks"`
}

// TokenList is GET /v1/tokens.
type TokenList struct {
	Tokens []store.Token `json:"tokens"`
}

// RegisterRequest is POST /v1/hosts: an agent registering its host.
type RegisterRequest struct {
	Hostname    string            `json:"hostname"`
	Personality model.Personality `json:"personality,omitempty"`
}

// UnlockRequest is POST /v1/hosts/{host}/unlock (the body is optional).
type UnlockRequest struct {
	Force bool `json:"force,omitempty"`
}

// AddInterfaceRequest is POST /v1/hosts/{host}/interfaces.
type AddInterfaceRequest struct {
	Name          string         `json:"ifname"`
	Type          model.IfType   `json:"iftype"`
	Class         model.IfClass  `json:"ifclass,omitempty"`
	Uses          []string       `json:"uses,omitempty"`
	MTU           int            `json:"imtu,omitempty"`
	SRIOVNumVFs   int            `json:"sriov_numvfs,omitempty"`
	SRIOVVFDriver model.VFDriver `json:"sriov_vf_driver,omitempty"`
	MaxTxRate     int            `json:"max_tx_rate,omitempty"`
	AEMode        model.AEMode   `json:"aemode,omitempty"`
	VLANID        int            `json:"vlan_id,omitempty"`
}

// AssignRequest is POST /v1/hosts/{host}/interface-datanetworks.
type AssignRequest struct {
	Interface   string `json:"interface"`   // name or uuid
	DataNetwork string `json:"datanetwork"` // name or uuid
}

// CreateDataNetworkRequest is POST /v1/datanetworks.
type CreateDataNetworkRequest struct {
	Name          string               `json:"name"`
	NetworkType   model.NetworkType    `json:"network_type"`
	MTU           int                  `json:"mtu,omitempty"`
	Description   string               `json:"description,omitempty"`
	SegmentRanges []model.SegmentRange `json:"segment_ranges,omitempty"`
}

// CreateTokenRequest is POST /v1/tokens.
type CreateTokenRequest struct {
	Project   string   `json:"project"`
	Roles     []string `json:"roles"`
	Host      string   `json:"host,omitempty"`
	ExpiresIn string   `json:"expires_in,omitempty"` // a Go duration: 24h
}

// NewToken is POST /v1/tokens' answer: the only time the secret is shown.
type NewToken struct {
	store.Token
	Secret string `json:"secret"`
}
