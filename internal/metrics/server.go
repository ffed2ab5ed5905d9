// Package metrics holds vfnet's Prometheus metrics: the server's (HTTP
// requests, claims, applied reports, long-polls, hosts by state) and the
// agent's (passes, kernel writes and errors, drift, retries). Each is
// registered on a registry its caller makes, never the global one, so that
// several servers and agents run in one process (tests, vfnet dev).
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"vfnet/internal/model"
	"vfnet/internal/neutron"
	"vfnet/internal/sched"
	"vfnet/internal/store"
)

// HostStates counts hosts by state (store.Store).
type HostStates interface {
	HostStates(ctx context.Context) ([]store.HostStateCount, error)
}

// Server is the control plane's metrics.
type Server struct {
	reg      *prometheus.Registry
	log      *slog.Logger
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	claims   *prometheus.CounterVec
	applied  *prometheus.CounterVec
}

// NewServer registers the server's metrics on a new registry: hosts is read
// on each scrape, longPolls tells how many long-polls wait now.
func NewServer(hosts HostStates, longPolls func() int, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Server{
		reg: prometheus.NewRegistry(),
		log: log,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vfnet_http_requests_total",
			Help: "HTTP requests answered, by API (v1, neutron, identity), method, route pattern and status code."},
			[]string{"api", "method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "vfnet_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request (a long-poll's wait included), by API, method and route pattern.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}},
			[]string{"api", "method", "route"}),
		claims: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vfnet_vf_claims_total",
			Help: "VF claims and binds (op: instance_create, instance_migrate, neutron_bind) by result (ok, failed) and the reason of a failure."},
			[]string{"op", "result", "reason"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vfnet_agent_reports_received_total",
			Help: "Applied reports received from agents, by whether the host had converged."},
			[]string{"converged"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.claims, m.applied,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vfnet_long_polls_waiting",
			Help: "Agents' long-polls of their desired state waiting now."},
			func() float64 { return float64(longPolls()) }),
		hostCollector{hosts: hosts, log: log})
	return m
}

// Handler serves /metrics. A failing store read drops the hosts series
// from that scrape but not the others.
func (m *Server) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError})
}

// Instrument counts and times each request h answers. The route is the
// pattern that matched (http.ServeMux sets Request.Pattern, the innermost
// mux last), never the raw path, so that series stay bounded; "/" is a path
// no route matched (or a Neutron path with the .json suffix, which its
// handler routes on a copy of the request).
func (m *Server) Instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		api := apiOf(r.URL.Path)
		route := r.Pattern
		// "GET /v1/hosts" and "/v1/hosts" alike: the method is a label.
		if _, p, ok := strings.Cut(route, " "); ok {
			route = p
		}
		if route == "" {
			route = "/"
		}
		m.requests.WithLabelValues(api, r.Method, route, strconv.Itoa(sw.status)).Inc()
		m.duration.WithLabelValues(api, r.Method, route).Observe(time.Since(start).Seconds())
	})
}

func apiOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/v1/"):
		return "v1"
	case path == "/identity" || strings.HasPrefix(path, "/identity/"):
		return "identity"
	}
	return "neutron"
}

// Claim counts the outcome of one claim (api.Metrics).
func (m *Server) Claim(op string, err error) {
	if err == nil {
		m.claims.WithLabelValues(op, "ok", "").Inc()
		return
	}
	m.claims.WithLabelValues(op, "failed", reasonOf(err)).Inc()
}

// reasonOf is the scheduler's reason for a refusal, else the error's class
// (not_found, invalid ...), else "internal".
func reasonOf(err error) string {
	if r := sched.ReasonOf(err); r != "" {
		return string(r)
	}
	var r sched.Reason
	if errors.As(err, &r) {
		return string(r)
	}
	if c := model.CodeOf(err); c != "" {
		return string(c)
	}
	return "internal"
}

// AppliedReport counts one applied report (api.Metrics).
func (m *Server) AppliedReport(converged bool) {
	m.applied.WithLabelValues(strconv.FormatBool(converged)).Inc()
}

// Bind counts the outcomes of the Neutron binding step bind (unbinds
// aside): a port that comes back binding_failed is a failure with the
// scheduler's reason.
func (m *Server) Bind(bind func(context.Context, neutron.Port) (neutron.Port, error)) func(context.Context, neutron.Port) (neutron.Port, error) {
	return func(ctx context.Context, in neutron.Port) (neutron.Port, error) {
		var failure error
		out, err := bind(store.WithBindFailure(ctx, &failure), in)
		if in.HostID == "" {
			return out, err
		}
		outcome := err
		if outcome == nil {
			outcome = failure
		}
		if outcome == nil && out.VIFType == neutron.VIFTypeBindingFailed {
			outcome = errors.New("binding failed")
		}
		m.Claim("neutron_bind", outcome)
		return out, err
	}
}

type hostCollector struct {
	hosts HostStates
	log   *slog.Logger
}

var hostsDesc = prometheus.NewDesc("vfnet_hosts", "Hosts by administrative and operational state.",
	[]string{"administrative", "operational"}, nil)

func (c hostCollector) Describe(ch chan<- *prometheus.Desc) { ch <- hostsDesc }

func (c hostCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.hosts.HostStates(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(hostsDesc, err)
		return
	}
	for _, n := range counts {
		ch <- prometheus.MustNewConstMetric(hostsDesc, prometheus.GaugeValue, float64(n.Hosts),
			string(n.Administrative), string(n.Operational))
	}
}

// statusWriter notes the status code of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
