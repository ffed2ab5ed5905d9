package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"vfnet/internal/agent"
	"vfnet/internal/api"
	"vfnet/internal/metrics"
	"vfnet/internal/pciids"
	"vfnet/internal/sim"
)

// scrape reads url's Prometheus text.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return fams
}

// sample sums the series of name whose labels include want: a counter's or
// gauge's value, a histogram's count. ok is false when none matches.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, w := range want {
			if got[k] != w {
				continue next
			}
		}
		ok = true
		switch {
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		case m.Histogram != nil:
			v += float64(m.Histogram.GetSampleCount())
		}
	}
	return v, ok
}

func request(t *testing.T, method, url, token, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set(api.TokenHeader, token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestServerMetrics scrapes a real server's /metrics after a few requests.
func TestServerMetrics(t *testing.T) {
	srv := testServer(t)
	admin := srv.AdminToken
	for _, c := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"GET", "/v1/hosts", admin, "", 200},
		{"GET", "/v1/hosts", admin, "", 200},
		{"GET", "/v1/hosts", "", "", 401},
		{"GET", "/v1/hosts/nope-0", admin, "", 404},
		{"POST", "/v1/hosts", admin, `{"hostname":"compute-0","personality":"worker"}`, 200},
		{"POST", "/v1/instances", admin, `{"name":"vm0","ports":["no-such-port"]}`, 404},
		{"GET", "/v2.0/networks", admin, "", 200},
		{"GET", "/identity/v3", "", "", 200},
	} {
		if got := request(t, c.method, srv.URL+c.path, c.token, c.body); got != c.want {
			t.Fatalf("%s %s: status %d, want %d", c.method, c.path, got, c.want)
		}
	}
	fams := scrape(t, srv.URL+"/metrics")

	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"vfnet_http_requests_total", map[string]string{"api": "v1", "method": "GET", "route": "/v1/hosts", "code": "200"}, 2},
		{"vfnet_http_requests_total", map[string]string{"api": "v1", "method": "GET", "route": "/v1/hosts", "code": "401"}, 1},
		{"vfnet_http_requests_total", map[string]string{"api": "v1", "method": "GET", "route": "/v1/hosts/{host}", "code": "404"}, 1},
		{"vfnet_http_requests_total", map[string]string{"api": "v1", "method": "POST", "route": "/v1/hosts", "code": "200"}, 1},
		{"vfnet_http_requests_total", map[string]string{"api": "neutron", "method": "GET", "code": "200"}, 1},
		{"vfnet_http_requests_total", map[string]string{"api": "identity", "method": "GET", "code": "200"}, 1},
		{"vfnet_http_request_duration_seconds", map[string]string{"api": "v1", "method": "GET", "route": "/v1/hosts"}, 3},
		{"vfnet_vf_claims_total", map[string]string{"op": "instance_create", "result": "failed", "reason": "not_found"}, 1},
		{"vfnet_hosts", map[string]string{"administrative": "locked", "operational": "disabled"}, 1},
		{"vfnet_long_polls_waiting", nil, 0},
	} {
		got, ok := sample(fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// Routes are patterns, never raw paths, and /metrics is not counted.
	for _, m := range fams["vfnet_http_requests_total"].GetMetric() {
		for _, l := range m.Label {
			if l.GetName() == "route" && (strings.Contains(l.GetValue(), "nope-0") || l.GetValue() == "/metrics") {
				t.Errorf("route label %q: want a route pattern", l.GetValue())
			}
		}
	}
	if _, ok := sample(fams, "vfnet_http_requests_total", map[string]string{"api": "neutron", "route": "/v2.0/{coll}"}); !ok {
		t.Errorf("no series for the Neutron route /v2.0/{coll}")
	}
}

// TestServerMetricsOff: --no-metrics leaves /metrics to the Neutron API's 404.
func TestServerMetricsOff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := StartServer(ctx, ServerConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir(), NoMetrics: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	if got := request(t, "GET", srv.URL+"/metrics", "", ""); got != http.StatusNotFound {
		t.Errorf("GET /metrics with NoMetrics: status %d, want 404", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

// TestAgentMetrics runs an agent with metrics on a simulated host through
// registration and the creation of 8 VFs; its counters must add up to its
// reports.
func TestAgentMetrics(t *testing.T) {
	srv := testServer(t)
	admin := srv.AdminToken
	simDir := t.TempDir()
	if err := sim.Create(simDir, sim.HostSpec{Hostname: "compute-0", NUMANodes: 1,
		NICs: []sim.NICSpec{{Model: "x710", Ports: 1, NUMANode: 0}}}); err != nil {
		t.Fatal(err)
	}
	k, err := sim.Open(simDir)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.NewAgent()
	cfg := AgentConfig{Server: srv.URL, Token: admin, Host: "compute-0", Kernel: k,
		Names: pciids.Open(pciids.DefaultPath), Interval: time.Hour, Metrics: m}

	var (
		mu      sync.Mutex
		reports []agent.Report
	)
	seen := make(chan agent.Report, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- RunConverging(ctx, cfg, func(r agent.Report, err error) {
			mu.Lock()
			reports = append(reports, r)
			mu.Unlock()
			if err == nil && r.Converged {
				select {
				case seen <- r:
				default:
				}
			}
		})
	}()
	wait := func(what string, ok func(agent.Report) bool) {
		t.Helper()
		deadline := time.After(time.Minute)
		for {
			select {
			case r := <-seen:
				if ok(r) {
					return
				}
			case <-deadline:
				cancel()
				<-done
				t.Fatalf("the agent did not converge %s within a minute", what)
			}
		}
	}
	wait("its registration", func(agent.Report) bool { return true })
	var ports []struct{ Name string }
	decodeJSON(t, vfnet(t, srv, admin, "host-port-list", "compute-0", "-o", "json"), &ports)
	if len(ports) != 1 {
		t.Fatalf("host-port-list: %v", ports)
	}
	vfnet(t, srv, admin, "host-if-modify", "compute-0", ports[0].Name, "-c", "pci-sriov", "-N", "8", "--vf-driver", "netdevice", "-n", "sriov0")
	wait("8 VFs", func(r agent.Report) bool { return r.Writes.Total() > 0 })

	// The metrics listener of vfnet agent --metrics-listen.
	url, stopMetrics, err := serveMetrics("127.0.0.1:0", m.Handler(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stopMetrics()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	var sysfs, netlink, converged float64
	var last int64
	for _, r := range reports {
		sysfs += float64(r.Writes.Sysfs)
		netlink += float64(r.Writes.Netlink)
		if r.Converged {
			converged++
			last = r.Revision
		}
	}
	passes := float64(len(reports))
	mu.Unlock()
	if sysfs == 0 || netlink == 0 {
		t.Fatalf("reports wrote %v to sysfs and %v over netlink; want both > 0 (8 VFs made and set)", sysfs, netlink)
	}

	fams := scrape(t, url)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"vfnet_agent_kernel_writes_total", map[string]string{"kind": "sysfs"}, sysfs},
		{"vfnet_agent_kernel_writes_total", map[string]string{"kind": "netlink"}, netlink},
		{"vfnet_agent_converge_passes_total", nil, passes},
		{"vfnet_agent_converge_passes_total", map[string]string{"result": "converged"}, converged},
		{"vfnet_agent_converge_duration_seconds", nil, passes},
		{"vfnet_agent_converged_revision", nil, float64(last)},
	} {
		got, ok := sample(fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v (from the reports)", c.name, c.labels, got, ok, c.want)
		}
	}
}
