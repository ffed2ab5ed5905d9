package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"vfnet/internal/agent"
)

// Agent is a host agent's metrics (agent.LoopMetrics).
type Agent struct {
	reg       *prometheus.Registry
	passes    *prometheus.CounterVec
	duration  prometheus.Histogram
	writes    *prometheus.CounterVec
	errors    *prometheus.CounterVec
	drift     prometheus.Counter
	converged prometheus.Gauge
	retries   *prometheus.CounterVec
	backoff   prometheus.Counter
}

// NewAgent registers an agent's metrics on a new registry.
func NewAgent() *Agent {
	m := &Agent{
		reg: prometheus.NewRegistry(),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vfnet_agent_converge_passes_total",
			Help: "Converge passes, by result: converged, not_converged (writes still needed), failed (the host could not be observed)."},
			[]string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vfnet_agent_converge_duration_seconds",
			Help:    "Time of one converge pass (observe, plan, write, observe again).",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vfnet_agent_kernel_writes_total",
			Help: "Kernel writes, failed ones included, by kind (sysfs, netlink)."},
			[]string{"kind"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vfnet_agent_kernel_errors_total",
			Help: "Kernel writes the kernel rejected, by errno (unknown when it gave none)."},
			[]string{"errno"}),
		drift: prometheus.NewCounter(prometheus.CounterOpts{Name: "vfnet_agent_drift_events_total",
			Help: "Differences from the desired state found on a host that had converged to it (changes behind the agent's back)."}),
		converged: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vfnet_agent_converged_revision",
			Help: "The last desired-state revision the host converged to (0: none yet)."}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vfnet_agent_retries_total",
			Help: "Failures the agent backed off from, by what failed (registration, fetching the desired state, reporting: the server; converging: the host)."},
			[]string{"during"}),
		backoff: prometheus.NewCounter(prometheus.CounterOpts{Name: "vfnet_agent_backoff_seconds_total",
			Help: "Time spent waiting before retrying after a failure."}),
	}
	m.reg.MustRegister(m.passes, m.duration, m.writes, m.errors, m.drift, m.converged, m.retries, m.backoff)
	return m
}

// Handler serves /metrics.
func (m *Agent) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Pass counts one Converge (agent.LoopMetrics).
func (m *Agent) Pass(r agent.Report, err error) {
	switch {
	case err != nil && r.PFs == nil:
		m.passes.WithLabelValues("failed").Inc()
	case r.Converged:
		m.passes.WithLabelValues("converged").Inc()
		m.converged.Set(float64(r.Revision))
	default:
		m.passes.WithLabelValues("not_converged").Inc()
	}
	m.duration.Observe(r.Elapsed.Seconds())
	m.writes.WithLabelValues("sysfs").Add(float64(r.Writes.Sysfs))
	m.writes.WithLabelValues("netlink").Add(float64(r.Writes.Netlink))
	for _, e := range r.Errors {
		errno := e.Errno
		if errno == "" {
			errno = "unknown"
		}
		m.errors.WithLabelValues(errno).Inc()
	}
	for _, e := range r.Events {
		if e.Drift {
			m.drift.Inc()
		}
	}
}

// Retry counts one failure the loop backs off from (agent.LoopMetrics).
func (m *Agent) Retry(what string, wait time.Duration) {
	m.retries.WithLabelValues(what).Inc()
	m.backoff.Add(wait.Seconds())
}
