package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"vfnet/internal/agent"
	"vfnet/internal/api"
	"vfnet/internal/model"
)

// The agent protocol and events (issue 5). *Client is the agent loop's
// agent.Server.

var _ agent.Server = (*Client)(nil)

// longPollSlack is how long past its wait a long-poll may take to answer
// before the client gives up on the server.
const longPollSlack = 30 * time.Second

// Desired long-polls host's desired state: at once when after < 0 or the
// server's revision differs from after; otherwise when it changes, or with
// changed false when wait ends first (the server answers 304).
func (c *Client) Desired(ctx context.Context, host string, after int64, wait time.Duration) (agent.Desired, bool, error) {
	path := p("hosts", host, "desired")
	if after >= 0 {
		q := url.Values{"after": {strconv.FormatInt(after, 10)}, "wait": {wait.String()}}
		path += "?" + q.Encode()
	}
	ctx, cancel := context.WithTimeout(ctx, wait+longPollSlack)
	defer cancel()
	var d agent.Desired
	err := c.do(ctx, "GET", path, nil, &d)
	if StatusOf(err) == http.StatusNotModified {
		return agent.Desired{}, false, nil
	}
	if err != nil {
		return agent.Desired{}, false, err
	}
	return d, true, nil
}

// ReportApplied sends the agent's report of one Converge.
func (c *Client) ReportApplied(ctx context.Context, host string, r agent.Report) (model.Host, error) {
	var out model.Host
	return out, c.do(ctx, "PUT", p("hosts", host, "applied"), r, &out)
}

// Applied returns the last applied report of host.
func (c *Client) Applied(ctx context.Context, host string) (api.AppliedView, error) {
	var out api.AppliedView
	return out, c.do(ctx, "GET", p("hosts", host, "applied"), nil, &out)
}

// Events lists events, oldest first; host "" lists every host's.
func (c *Client) Events(ctx context.Context, host string, kind string) ([]api.EventView, error) {
	q := url.Values{}
	if host != "" {
		q.Set("host", host)
	}
	if kind != "" {
		q.Set("kind", kind)
	}
	path := p("events")
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out api.EventList
	return out.Events, c.do(ctx, "GET", path, nil, &out)
}

// NotFound tells the agent loop that the server does not know the host (a
// fresh database): it registers again.
func (e *Error) NotFound() bool { return e.Status == http.StatusNotFound }
