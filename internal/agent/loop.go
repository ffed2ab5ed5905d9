package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"vfnet/internal/inventory"
	"vfnet/internal/kernel"
	"vfnet/internal/model"
	"vfnet/internal/pciids"
)

// Server is the control plane as the agent loop uses it: the /v1 client
// (internal/client) implements it over HTTP.
type Server interface {
	// RegisterHost creates the host, or finds it: agents register at every
	// start.
	RegisterHost(ctx context.Context, name string, personality model.Personality) (model.Host, error)
	// ReportInventory replaces the host's ports with what it has now.
	ReportInventory(ctx context.Context, host string, r inventory.Report) (model.Host, error)
	// Desired long-polls the host's desired state: it answers at once when
	// the revision differs from after (after < 0: always), else when it
	// changes or wait ends, then with changed false and no state.
	Desired(ctx context.Context, host string, after int64, wait time.Duration) (d Desired, changed bool, err error)
	// ReportApplied sends the report of one Converge.
	ReportApplied(ctx context.Context, host string, r Report) (model.Host, error)
}

// Loop defaults.
const (
	// DefaultResync is the longest a host goes without a pass: drift (an
	// `ip link` behind the agent's back, a reboot) is put back within it.
	DefaultResync = 30 * time.Second
	// DefaultMinBackoff and DefaultMaxBackoff bound the wait between
	// attempts to reach an unreachable server.
	DefaultMinBackoff = 500 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
	// DefaultRequestTimeout bounds each call to the server but the
	// long-poll's wait: a server that accepted the connection and then hung
	// (or a peer gone without a FIN) must not stall the agent for ever.
	DefaultRequestTimeout = 30 * time.Second
)

// Loop runs one host's agent: register, report inventory, then long-poll
// the desired state, converge, report, forever. It is level-triggered and
// keeps nothing on disk: a restarted agent fetches the current desired state
// and converges from what the kernel holds, so it can be killed anywhere (a
// converged host then costs no write). While the server cannot be reached it
// changes nothing on the host and retries with capped, jittered exponential
// backoff.
type Loop struct {
	Host   string
	Kernel kernel.Kernel
	Server Server
	Log    *slog.Logger
	// Names names PCI ids in the inventory; nil reports ids only.
	Names *pciids.DB
	// Resync, MinBackoff, MaxBackoff, RequestTimeout: zero means the
	// defaults. A long-poll may take Resync plus RequestTimeout.
	Resync, MinBackoff, MaxBackoff, RequestTimeout time.Duration
	// OnPass, when set, is called after each pass has been reported (or
	// failed to be); tests and vfnet dev watch the loop with it.
	OnPass func(Report, error)
	// Metrics, when set, counts the passes and the retries (vfnet agent
	// --metrics-listen).
	Metrics LoopMetrics
}

// LoopMetrics is what the loop tells its metrics.
type LoopMetrics interface {
	// Pass sees each Converge: its report and error.
	Pass(Report, error)
	// Retry sees each failure the loop backs off from: what failed and
	// the wait before the next attempt.
	Retry(what string, wait time.Duration)
}

// Run runs the loop until ctx ends; it returns ctx's error.
func (l *Loop) Run(ctx context.Context) error {
	log := l.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("host", l.Host)
	resync := orDefault(l.Resync, DefaultResync)
	timeout := orDefault(l.RequestTimeout, DefaultRequestTimeout)
	bo := backoff{min: orDefault(l.MinBackoff, DefaultMinBackoff), max: orDefault(l.MaxBackoff, DefaultMaxBackoff)}
	conv := NewConverger(l.Kernel, log)
	// A pass that did not converge (a driver refused a write for now: igb
	// answers VF rates with EINVAL for ~1.5 s after a VF count change while
	// its link renegotiates) is retried soon, backing off up to resync,
	// rather than left until the next resync.
	retry := backoff{min: orDefault(l.MinBackoff, DefaultMinBackoff), max: resync}
	wait := resync

	var (
		registered bool
		cur        *Desired
		lastInv    []byte
	)
	fail := func(what string, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d := bo.next()
		if l.Metrics != nil {
			l.Metrics.Retry(what, d)
		}
		log.Warn("agent: "+what+" failed; retrying", "err", err, "retry_in", d.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !registered {
			if err := l.register(ctx, timeout); err != nil {
				if err := fail("registration", err); err != nil {
					return err
				}
				continue
			}
			// A host registered anew is not the one cur was for: fetch its
			// state whatever its revision.
			registered, lastInv, cur = true, nil, nil
			log.Info("agent: registered")
		}

		after := int64(-1)
		if cur != nil {
			after = cur.Revision
		}
		d, changed, err := l.desired(ctx, after, wait, timeout)
		if err == nil && !changed && cur == nil {
			// Asked without a revision, the server must answer with the
			// state: asking again at once would spin.
			err = fmt.Errorf("desired state of host %s: the server answered no change to a request without a revision", l.Host)
		}
		if err != nil {
			if notFound(err) {
				registered = false // the host was deleted on the server
			}
			// Nothing changes on the host while the server is away.
			if err := fail("fetching the desired state", err); err != nil {
				return err
			}
			continue
		}
		bo.reset()
		if changed {
			if cur == nil || cur.Revision != d.Revision {
				log.Info("agent: desired state", "rev", d.Revision, "pfs", len(d.PFs), "bound_vfs", len(d.VFs))
			}
			cur = &d
		}

		r, cerr := conv.Converge(ctx, *cur)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if l.Metrics != nil {
			l.Metrics.Pass(r, cerr)
		}
		if cerr != nil && r.PFs == nil {
			// The host could not even be observed: report nothing applied.
			log.Error("agent: converge failed", "rev", cur.Revision, "err", cerr)
			if l.OnPass != nil {
				l.OnPass(r, cerr)
			}
			if err := fail("converging", cerr); err != nil {
				return err
			}
			continue
		}
		if cerr != nil {
			wait = retry.next()
			log.Warn("agent: pass did not converge; next pass soon", "rev", cur.Revision, "err", cerr, "next_in", wait.Round(time.Millisecond))
		} else {
			retry.reset()
			wait = resync
		}
		for _, e := range r.Events {
			if e.Drift {
				log.Warn("agent: drift", "rev", cur.Revision, "pf", e.PF, "vf", e.VF, "attr", e.Attr, "found", e.Found, "want", e.Want, "restored", e.Restored)
			}
		}
		err = l.report(ctx, r, &lastInv, timeout)
		if l.OnPass != nil {
			l.OnPass(r, errors.Join(cerr, err))
		}
		if err != nil {
			if notFound(err) {
				registered = false // the host was deleted on the server
			}
			if err := fail("reporting", err); err != nil {
				return err
			}
		}
	}
}

// notFound tells whether the server does not know the host (deleted, or a
// fresh database): the agent then registers again.
func notFound(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}

// desired long-polls for up to wait, and gives the server timeout more to
// answer.
func (l *Loop) desired(ctx context.Context, after int64, wait, timeout time.Duration) (Desired, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, wait+timeout)
	defer cancel()
	return l.Server.Desired(ctx, l.Host, after, wait)
}

func (l *Loop) register(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := l.Server.RegisterHost(ctx, l.Host, ""); err != nil {
		return fmt.Errorf("register host %s: %w", l.Host, err)
	}
	return nil
}

// report sends the inventory (when it changed since the last one sent) and
// then the applied report: the ports' VF counts are what unlock checks, so
// they are in place when the host shows the revision applied.
func (l *Loop) report(ctx context.Context, r Report, last *[]byte, timeout time.Duration) error {
	h, err := l.Kernel.Observe(ctx)
	if err != nil {
		return fmt.Errorf("observe host %s for its inventory: %w", l.Host, err)
	}
	inv := inventory.Build(h, l.Names)
	key, err := inventoryKey(inv)
	if err != nil {
		return err
	}
	if !bytes.Equal(key, *last) {
		ictx, cancel := context.WithTimeout(ctx, timeout)
		_, err := l.Server.ReportInventory(ictx, l.Host, inv)
		cancel()
		if err != nil {
			return fmt.Errorf("report inventory of host %s: %w", l.Host, err)
		}
		*last = key
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := l.Server.ReportApplied(actx, l.Host, r); err != nil {
		return fmt.Errorf("report revision %d applied on host %s: %w", r.Revision, l.Host, err)
	}
	return nil
}

// inventoryKey is what of an inventory the server keeps: the VFs' settings
// and counters are in the applied report, and change all the time.
func inventoryKey(r inventory.Report) ([]byte, error) {
	ports := make([]inventory.Port, len(r.Ports))
	for i, p := range r.Ports {
		p.VFs = nil
		ports[i] = p
	}
	r.Ports = ports
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode inventory: %w", err)
	}
	return b, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// backoff is capped exponential backoff with jitter: each wait is drawn
// from [d/2, d] so that agents cut off together do not return together.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(b.cur*2, b.max)
	}
	half := b.cur / 2
	return half + rand.N(half+1)
}

func (b *backoff) reset() { b.cur = 0 }
