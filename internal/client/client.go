// Package client is a thin typed client of vfnet's /v1 API, used by the CLI
// and the agent.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"vfnet/internal/api"
	"vfnet/internal/inventory"
	"vfnet/internal/model"
	"vfnet/internal/store"
)

// Client calls one vfnet server with one token.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New returns a client of the server at baseURL (http://host:port).
func New(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, http: hc}
}

// Error is a refusal from the server: its status and its message.
type Error struct {
	Status  int
	Title   string
	Message string
}

func (e *Error) Error() string { return e.Message }

// StatusOf returns the HTTP status of a server refusal, 0 for other errors.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(api.TokenHeader, c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var eb api.ErrorBody
		if json.Unmarshal(b, &eb) == nil && eb.Error.Message != "" {
			return &Error{Status: resp.StatusCode, Title: eb.Error.Title, Message: eb.Error.Message}
		}
		if e, ok := neutronError(resp.StatusCode, b); ok {
			return e
		}
		return &Error{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode),
			Message: fmt.Sprintf("%s %s: %s: %.200s", method, path, resp.Status, b)}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// escapedPath is prefix followed by parts, each escaped as one path
// segment: the one way the client builds a request path.
func escapedPath(prefix string, parts ...string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, s := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

func p(parts ...string) string { return escapedPath("/v1", parts...) }

// Hosts

func (c *Client) Hosts(ctx context.Context) ([]model.Host, error) {
	var out api.HostList
	return out.Hosts, c.do(ctx, "GET", p("hosts"), nil, &out)
}

func (c *Client) Host(ctx context.Context, host string) (model.Host, error) {
	var out model.Host
	return out, c.do(ctx, "GET", p("hosts", host), nil, &out)
}

func (c *Client) RegisterHost(ctx context.Context, name string, personality model.Personality) (model.Host, error) {
	var out model.Host
	return out, c.do(ctx, "POST", p("hosts"), api.RegisterRequest{Hostname: name, Personality: personality}, &out)
}

func (c *Client) LockHost(ctx context.Context, host string) (model.Host, error) {
	var out model.Host
	return out, c.do(ctx, "POST", p("hosts", host, "lock"), nil, &out)
}

func (c *Client) UnlockHost(ctx context.Context, host string, force bool) (model.Host, error) {
	var out model.Host
	return out, c.do(ctx, "POST", p("hosts", host, "unlock"), api.UnlockRequest{Force: force}, &out)
}

func (c *Client) ReportInventory(ctx context.Context, host string, r inventory.Report) (model.Host, error) {
	var out model.Host
	return out, c.do(ctx, "PUT", p("hosts", host, "inventory"), r, &out)
}

func (c *Client) Heartbeat(ctx context.Context, host string) (model.Host, error) {
	var out model.Host
	return out, c.do(ctx, "POST", p("hosts", host, "heartbeat"), nil, &out)
}

// Ports

func (c *Client) Ports(ctx context.Context, host string) ([]model.Port, error) {
	var out api.PortList
	return out.Ports, c.do(ctx, "GET", p("hosts", host, "ports"), nil, &out)
}

func (c *Client) Port(ctx context.Context, host, port string) (model.Port, error) {
	var out model.Port
	return out, c.do(ctx, "GET", p("hosts", host, "ports", port), nil, &out)
}

// Interfaces

func (c *Client) Interfaces(ctx context.Context, host string) ([]model.Interface, error) {
	var out api.InterfaceList
	return out.Interfaces, c.do(ctx, "GET", p("hosts", host, "interfaces"), nil, &out)
}

func (c *Client) Interface(ctx context.Context, host, ifc string) (model.Interface, error) {
	var out model.Interface
	return out, c.do(ctx, "GET", p("hosts", host, "interfaces", ifc), nil, &out)
}

func (c *Client) AddInterface(ctx context.Context, host string, req api.AddInterfaceRequest) (model.Interface, error) {
	var out model.Interface
	return out, c.do(ctx, "POST", p("hosts", host, "interfaces"), req, &out)
}

func (c *Client) ModifyInterface(ctx context.Context, host, ifc string, patch model.InterfacePatch) (model.Interface, error) {
	var out model.Interface
	return out, c.do(ctx, "PATCH", p("hosts", host, "interfaces", ifc), patch, &out)
}

func (c *Client) DeleteInterface(ctx context.Context, host, ifc string) error {
	return c.do(ctx, "DELETE", p("hosts", host, "interfaces", ifc), nil, nil)
}

// Interface-datanetwork assignments

func (c *Client) Assignments(ctx context.Context, host string) ([]store.Assignment, error) {
	var out api.AssignmentList
	return out.Assignments, c.do(ctx, "GET", p("hosts", host, "interface-datanetworks"), nil, &out)
}

func (c *Client) Assign(ctx context.Context, host, ifc, dn string) (store.Assignment, error) {
	var out store.Assignment
	return out, c.do(ctx, "POST", p("hosts", host, "interface-datanetworks"), api.AssignRequest{Interface: ifc, DataNetwork: dn}, &out)
}

func (c *Client) Unassign(ctx context.Context, host, ifc, dn string) error {
	return c.do(ctx, "DELETE", p("hosts", host, "interfaces", ifc, "datanetworks", dn), nil, nil)
}

// Data networks

func (c *Client) DataNetworks(ctx context.Context) ([]model.DataNetwork, error) {
	var out api.DataNetworkList
	return out.DataNetworks, c.do(ctx, "GET", p("datanetworks"), nil, &out)
}

func (c *Client) DataNetwork(ctx context.Context, dn string) (model.DataNetwork, error) {
	var out model.DataNetwork
	return out, c.do(ctx, "GET", p("datanetworks", dn), nil, &out)
}

func (c *Client) CreateDataNetwork(ctx context.Context, req api.CreateDataNetworkRequest) (model.DataNetwork, error) {
	var out model.DataNetwork
	return out, c.do(ctx, "POST", p("datanetworks"), req, &out)
}

func (c *Client) ModifyDataNetwork(ctx context.Context, dn string, patch model.DataNetworkPatch) (model.DataNetwork, error) {
	var out model.DataNetwork
	return out, c.do(ctx, "PATCH", p("datanetworks", dn), patch, &out)
}

func (c *Client) DeleteDataNetwork(ctx context.Context, dn string) error {
	return c.do(ctx, "DELETE", p("datanetworks", dn), nil, nil)
}

// Tokens

func (c *Client) Tokens(ctx context.Context) ([]store.Token, error) {
	var out api.TokenList
	return out.Tokens, c.do(ctx, "GET", p("tokens"), nil, &out)
}

func (c *Client) CreateToken(ctx context.Context, req api.CreateTokenRequest) (api.NewToken, error) {
	var out api.NewToken
	return out, c.do(ctx, "POST", p("tokens"), req, &out)
}
