package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"vfnet/internal/neutron"
)

// The /v2.0 (Neutron) client: the same server, token (X-Auth-Token) and
// error type as /v1. Requests are attribute maps because a Neutron request
// means what it carries: an attribute left out keeps its default or its
// current value, one sent as null clears it.

// Attrs is the body of a create or update: attribute name to value, with
// nil for JSON null.
type Attrs map[string]any

// Object is one /v2.0 object as the server rendered it for the caller:
// Value decoded, Attrs the attributes the server sent. A caller may not
// read every attribute (provider:* and binding:* are admin's), so a view
// shows Attrs, never a zero Value field in place of a hidden one.
type Object[T any] struct {
	Value T
	Attrs map[string]json.RawMessage
}

// MarshalJSON writes the object as the server sent it.
func (o Object[T]) MarshalJSON() ([]byte, error) { return json.Marshal(o.Attrs) }

func (o *Object[T]) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &o.Attrs); err != nil {
		return err
	}
	return json.Unmarshal(b, &o.Value)
}

// The objects of the three collections.
type (
	Network = Object[neutron.Network]
	Subnet  = Object[neutron.Subnet]
	// NeutronPort is a /v2.0 port (a VM's NIC), not a host's physical
	// port of /v1.
	NeutronPort = Object[neutron.Port]
)

// neutronError reads a NeutronError body, so that the caller sees
// Neutron's message and its Title is the Neutron exception type.
func neutronError(status int, body []byte) (*Error, bool) {
	var eb struct {
		NeutronError *struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"NeutronError"`
	}
	if json.Unmarshal(body, &eb) != nil || eb.NeutronError == nil || eb.NeutronError.Message == "" {
		return nil, false
	}
	return &Error{Status: status, Title: eb.NeutronError.Type, Message: eb.NeutronError.Message}, true
}

func v2(res neutron.Resource, parts ...string) string {
	return escapedPath("/v2.0/"+string(res), parts...)
}

// list reads every page of res matching q, following the next links a
// paginated answer carries.
func list[T any](ctx context.Context, c *Client, res neutron.Resource, q url.Values) ([]Object[T], error) {
	path := v2(res)
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var all []Object[T]
	for path != "" {
		cur := path
		var page map[string]json.RawMessage
		if err := c.do(ctx, "GET", cur, nil, &page); err != nil {
			return nil, err
		}
		var objs []Object[T]
		if err := json.Unmarshal(page[string(res)], &objs); err != nil {
			return nil, fmt.Errorf("GET %s: decode %s: %w", cur, res, err)
		}
		all = append(all, objs...)
		path = ""
		var links []neutron.Link
		if raw, ok := page[string(res)+"_links"]; ok {
			if err := json.Unmarshal(raw, &links); err != nil {
				return nil, fmt.Errorf("GET %s: decode %s_links: %w", cur, res, err)
			}
		}
		for _, l := range links {
			if l.Rel != "next" || len(objs) == 0 {
				continue
			}
			u, err := url.Parse(l.Href)
			if err != nil {
				return nil, fmt.Errorf("GET %s: next link %q: %w", cur, l.Href, err)
			}
			path = u.RequestURI()
		}
	}
	return all, nil
}

// member sends one request whose answer wraps one object: {"network":{...}}.
func member[T any](ctx context.Context, c *Client, method, path string, res neutron.Resource, in Attrs) (Object[T], error) {
	var body any
	if in != nil {
		body = map[string]Attrs{res.Member(): in}
	}
	var out map[string]Object[T]
	if err := c.do(ctx, method, path, body, &out); err != nil {
		return Object[T]{}, err
	}
	o, ok := out[res.Member()]
	if !ok {
		return Object[T]{}, fmt.Errorf("%s %s: the answer has no %s member", method, path, res.Member())
	}
	return o, nil
}

// Networks lists the networks the caller may see that match q (Neutron's
// filters: name=, project_id=, tags= ...).
func (c *Client) Networks(ctx context.Context, q url.Values) ([]Network, error) {
	return list[neutron.Network](ctx, c, neutron.Networks, q)
}

func (c *Client) Network(ctx context.Context, id string) (Network, error) {
	return member[neutron.Network](ctx, c, "GET", v2(neutron.Networks, id), neutron.Networks, nil)
}

func (c *Client) CreateNetwork(ctx context.Context, a Attrs) (Network, error) {
	return member[neutron.Network](ctx, c, "POST", v2(neutron.Networks), neutron.Networks, a)
}

func (c *Client) UpdateNetwork(ctx context.Context, id string, a Attrs) (Network, error) {
	return member[neutron.Network](ctx, c, "PUT", v2(neutron.Networks, id), neutron.Networks, a)
}

func (c *Client) DeleteNetwork(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", v2(neutron.Networks, id), nil, nil)
}

func (c *Client) Subnets(ctx context.Context, q url.Values) ([]Subnet, error) {
	return list[neutron.Subnet](ctx, c, neutron.Subnets, q)
}

func (c *Client) Subnet(ctx context.Context, id string) (Subnet, error) {
	return member[neutron.Subnet](ctx, c, "GET", v2(neutron.Subnets, id), neutron.Subnets, nil)
}

func (c *Client) CreateSubnet(ctx context.Context, a Attrs) (Subnet, error) {
	return member[neutron.Subnet](ctx, c, "POST", v2(neutron.Subnets), neutron.Subnets, a)
}

func (c *Client) UpdateSubnet(ctx context.Context, id string, a Attrs) (Subnet, error) {
	return member[neutron.Subnet](ctx, c, "PUT", v2(neutron.Subnets, id), neutron.Subnets, a)
}

func (c *Client) DeleteSubnet(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", v2(neutron.Subnets, id), nil, nil)
}

func (c *Client) NeutronPorts(ctx context.Context, q url.Values) ([]NeutronPort, error) {
	return list[neutron.Port](ctx, c, neutron.Ports, q)
}

func (c *Client) NeutronPort(ctx context.Context, id string) (NeutronPort, error) {
	return member[neutron.Port](ctx, c, "GET", v2(neutron.Ports, id), neutron.Ports, nil)
}

func (c *Client) CreateNeutronPort(ctx context.Context, a Attrs) (NeutronPort, error) {
	return member[neutron.Port](ctx, c, "POST", v2(neutron.Ports), neutron.Ports, a)
}

func (c *Client) UpdateNeutronPort(ctx context.Context, id string, a Attrs) (NeutronPort, error) {
	return member[neutron.Port](ctx, c, "PUT", v2(neutron.Ports, id), neutron.Ports, a)
}

func (c *Client) DeleteNeutronPort(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", v2(neutron.Ports, id), nil, nil)
}

// ReplaceTags sets the tags of a network, subnet or port to tags (PUT
// /v2.0/{res}/{id}/tags) and returns them as stored.
func (c *Client) ReplaceTags(ctx context.Context, res neutron.Resource, id string, tags []string) ([]string, error) {
	if tags == nil {
		tags = []string{}
	}
	var out struct {
		Tags []string `json:"tags"`
	}
	return out.Tags, c.do(ctx, "PUT", v2(res, id, "tags"), map[string][]string{"tags": tags}, &out)
}
