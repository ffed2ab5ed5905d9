package client

import (
	"context"

	"vfnet/internal/api"
	"vfnet/internal/store"
	"vfnet/internal/switchport"
)

// Instances

func (c *Client) Instances(ctx context.Context) ([]api.InstanceView, error) {
	var out api.InstanceList
	return out.Instances, c.do(ctx, "GET", p("instances"), nil, &out)
}

func (c *Client) Instance(ctx context.Context, ref string) (api.InstanceView, error) {
	var out api.InstanceView
	return out, c.do(ctx, "GET", p("instances", ref), nil, &out)
}

func (c *Client) CreateInstance(ctx context.Context, req api.InstanceRequest) (api.InstanceView, error) {
	var out api.InstanceView
	return out, c.do(ctx, "POST", p("instances"), req, &out)
}

func (c *Client) DeleteInstance(ctx context.Context, ref string) error {
	return c.do(ctx, "DELETE", p("instances", ref), nil, nil)
}

func (c *Client) MigrateInstance(ctx context.Context, ref string, req api.MigrateRequest) (api.InstanceView, error) {
	var out api.InstanceView
	return out, c.do(ctx, "POST", p("instances", ref, "migrate"), req, &out)
}

// SwitchPorts is what each SR-IOV and passthrough interface's access switch
// port of host must carry.
func (c *Client) SwitchPorts(ctx context.Context, host string) ([]switchport.Row, error) {
	var out api.SwitchPortList
	return out.Interfaces, c.do(ctx, "GET", p("hosts", host, "switch-ports"), nil, &out)
}

// Claims are the devices claimed on host.
func (c *Client) Claims(ctx context.Context, host string) ([]store.Claim, error) {
	var out api.ClaimList
	return out.Claims, c.do(ctx, "GET", p("hosts", host, "claims"), nil, &out)
}
