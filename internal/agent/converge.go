package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"vfnet/internal/kernel"
)

// ErrNotConverged: the passes ran out with writes still to make.
var ErrNotConverged = errors.New("host not converged")

// DefaultMaxPasses bounds the write passes of one Converge: a host from zero
// takes two (counts, then the new VFs' drivers and settings), a third
// retries what the kernel rejected part way.
const DefaultMaxPasses = 3

// Report is what one Converge did and what the host holds afterwards.
type Report struct {
	Revision int64 `json:"revision"`
	// Converged: the last observation needed no write (attributes the
	// driver lacks and refused changes aside: see Unsupported, Problems).
	Converged bool `json:"converged"`
	// Passes is how many passes made writes (0 on a converged host).
	Passes int    `json:"passes"`
	Writes Writes `json:"writes"`
	// PerPass breaks Writes and the times down by writing pass.
	PerPass []PassStats `json:"per_pass,omitempty"`
	// Errors are the writes the kernel rejected, in order.
	Errors      []OpError     `json:"errors,omitempty"`
	Unsupported []Unsupported `json:"unsupported,omitempty"`
	Problems    []Problem     `json:"problems,omitempty"`
	// Events are the differences the first observation showed, each with
	// whether it was put back.
	Events []Event `json:"events,omitempty"`
	// Remaining are the writes still needed when not converged.
	Remaining []string  `json:"remaining,omitempty"`
	PFs       []PFState `json:"pfs"`
	VFs       []VFState `json:"vfs"`
	// Elapsed is the whole Converge; KernelTime the part spent in kernel
	// calls (Observe, VFs, writes). The difference is the agent's own time.
	Elapsed    time.Duration `json:"elapsed_ns"`
	KernelTime time.Duration `json:"kernel_ns"`
}

// Writes counts kernel writes, failed ones included (each is a syscall or a
// message the kernel saw).
type Writes struct {
	Sysfs   int            `json:"sysfs"`
	Netlink int            `json:"netlink"`
	ByKind  map[OpKind]int `json:"by_kind,omitempty"`
}

// Total is every write.
func (w Writes) Total() int { return w.Sysfs + w.Netlink }

func (w *Writes) add(k OpKind) {
	if k.Netlink() {
		w.Netlink++
	} else {
		w.Sysfs++
	}
	if w.ByKind == nil {
		w.ByKind = map[OpKind]int{}
	}
	w.ByKind[k]++
}

// PassStats is one writing pass: its observation, plan and writes.
type PassStats struct {
	Sysfs      int           `json:"sysfs"`
	Netlink    int           `json:"netlink"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	KernelTime time.Duration `json:"kernel_ns"`
}

// OpError is one write the kernel rejected.
type OpError struct {
	Pass  int    `json:"pass"`
	Op    string `json:"op"`
	PF    string `json:"pf"`
	VF    int    `json:"vf"` // -1: the PF
	Port  string `json:"port_id,omitempty"`
	Errno string `json:"errno,omitempty"` // EIO, EBUSY ... when the kernel gave one
	Err   error  `json:"-"`
}

func (e OpError) MarshalJSON() ([]byte, error) {
	type plain OpError
	return json.Marshal(struct {
		plain
		Message string `json:"message"`
	}{plain(e), e.Err.Error()})
}

// Unsupported is a VF attribute (or PF operation) a PF's driver lacks
// (igb has no VF link state): recorded once and not sent again.
type Unsupported struct {
	PF     string `json:"pf"`
	Driver string `json:"driver"`
	Attr   string `json:"attr"`
	Errno  string `json:"errno"`
}

// Event is one difference between the host and the desired state, as the
// first observation of a Converge found it. Drift is set when the same
// Converger had already converged this revision: something changed the host
// behind the agent's back (an operator's `ip link`, a reboot).
type Event struct {
	PF       string `json:"pf"`
	VF       int    `json:"vf"` // -1: the PF
	Port     string `json:"port_id,omitempty"`
	Attr     string `json:"attr"`
	Found    string `json:"found"`
	Want     string `json:"want"`
	Restored bool   `json:"restored"`
	Drift    bool   `json:"drift"`
}

func (e Event) String() string {
	what := "PF " + e.PF
	if e.VF >= 0 {
		what += fmt.Sprintf(" VF %d", e.VF)
	}
	s := fmt.Sprintf("%s %s: found %s, want %s", what, e.Attr, e.Found, e.Want)
	if e.Restored {
		return s + ", put back"
	}
	return s + ", NOT put back"
}

// PFState is a PF as the last observation found it.
type PFState struct {
	PCIAddr   string `json:"pciaddr"`
	Ifname    string `json:"ifname,omitempty"`
	Driver    string `json:"driver"`
	MTU       int    `json:"mtu,omitempty"`
	Oper      string `json:"operstate,omitempty"`
	TotalVFs  int    `json:"totalvfs"`
	NumVFs    int    `json:"numvfs"`
	Autoprobe bool   `json:"drivers_autoprobe"`
	// Unsupported lists the VF attributes its driver lacks.
	Unsupported []string `json:"unsupported,omitempty"`
}

// VFState is a VF as the last observation found it.
type VFState struct {
	PF             string `json:"pf"`
	Index          int    `json:"index"`
	PCIAddr        string `json:"pciaddr"`
	Port           string `json:"port_id,omitempty"`
	Driver         string `json:"driver"`
	DriverOverride string `json:"driver_override,omitempty"`
	// Info is nil when the PF reports no VF settings.
	Info   *kernel.VFInfo `json:"info,omitempty"`
	Errors []string       `json:"errors,omitempty"`
}

// Converger converges one host and remembers, between calls, what the host's
// drivers cannot do and which revision it last converged, so that a
// converged host costs no write and drift is told from a new revision.
// The server's agent loop keeps one per host; it is not safe for concurrent
// use.
type Converger struct {
	k   kernel.Kernel
	log *slog.Logger
	// MaxPasses bounds the write passes of one Converge.
	MaxPasses int

	unsupported map[unsupportedKey]Unsupported
	converged   int64 // last revision converged, valid when hasConverged
	hasConv     bool
}

type unsupportedKey struct{ pf, driver, attr string }

// NewConverger returns a Converger of the host k drives; log nil discards.
func NewConverger(k kernel.Kernel, log *slog.Logger) *Converger {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Converger{k: k, log: log, MaxPasses: DefaultMaxPasses, unsupported: map[unsupportedKey]Unsupported{}}
}

// Converge is one Converger's first Converge: for a single pass over a host,
// e.g. at agent start. Keep a Converger to remember between passes.
func Converge(ctx context.Context, k kernel.Kernel, desired Desired, log *slog.Logger) (Report, error) {
	return NewConverger(k, log).Converge(ctx, desired)
}

// Converge observes the host, plans, applies, and repeats after any write
// (a count change makes VFs to program; a rejected write may have applied in
// part) until a plan is empty or MaxPasses have written. The error is nil
// when the host converged; kernel rejections are in the Report either way.
func (c *Converger) Converge(ctx context.Context, desired Desired) (Report, error) {
	start := time.Now()
	r := Report{Revision: desired.Revision}
	log := c.log.With("rev", desired.Revision)
	drift := c.hasConv && c.converged == desired.Revision
	for _, u := range desired.Unsupported {
		c.unsupported[unsupportedKey{u.PF, u.Driver, u.Attr}] = u
	}

	var (
		host     *kernel.Host
		ops      []Op
		problems []Problem
		lastErr  error
	)
	for pass := 0; ; pass++ {
		passStart, w0, k0 := time.Now(), r.Writes, r.KernelTime
		var err error
		host, err = c.observe(ctx, &r)
		if err != nil {
			r.Elapsed = time.Since(start)
			return r, fmt.Errorf("converge revision %d: %w", desired.Revision, err)
		}
		ops, problems = Plan(desired, host)
		ops = c.strip(host, ops)
		if pass == 0 {
			r.Events = events(ops, drift)
		}
		if len(ops) == 0 || pass == c.MaxPasses {
			break
		}
		r.Passes++
		err = c.apply(ctx, log, host, ops, &r)
		r.PerPass = append(r.PerPass, PassStats{Sysfs: r.Writes.Sysfs - w0.Sysfs, Netlink: r.Writes.Netlink - w0.Netlink,
			Elapsed: time.Since(passStart), KernelTime: r.KernelTime - k0})
		if err != nil {
			if ctx.Err() != nil {
				r.Elapsed = time.Since(start)
				return r, fmt.Errorf("converge revision %d: %w", desired.Revision, err)
			}
			lastErr = err
		}
	}

	r.Converged = len(ops) == 0
	r.Problems = problems
	for _, o := range ops {
		r.Remaining = append(r.Remaining, o.String())
	}
	r.restored(ops)
	c.state(host, desired, &r)
	r.Elapsed = time.Since(start)
	for _, p := range problems {
		log.Warn("desired state not applied", "pf", p.PF, "vf", p.VF, "port", p.Port, "err", p.Err)
	}
	log.Info("converge", "converged", r.Converged, "passes", r.Passes, "sysfs_writes", r.Writes.Sysfs,
		"netlink_writes", r.Writes.Netlink, "errors", len(r.Errors), "events", len(r.Events), "elapsed", r.Elapsed)
	if !r.Converged {
		return r, fmt.Errorf("converge revision %d: %d writes still needed after %d passes, first %s: %w",
			desired.Revision, len(ops), r.Passes, ops[0], errors.Join(ErrNotConverged, lastErr))
	}
	c.converged, c.hasConv = desired.Revision, true
	return r, nil
}

func (c *Converger) observe(ctx context.Context, r *Report) (*kernel.Host, error) {
	t := time.Now()
	h, err := c.k.Observe(ctx)
	r.KernelTime += time.Since(t)
	if err != nil {
		return nil, fmt.Errorf("observe host: %w", err)
	}
	return h, nil
}

// strip leaves out what the PFs' drivers are known to lack.
func (c *Converger) strip(host *kernel.Host, ops []Op) []Op {
	if len(c.unsupported) == 0 {
		return ops
	}
	drivers := pfDrivers(host)
	out := ops[:0:0]
	for _, o := range ops {
		if o, ok := c.stripOp(o, drivers[o.PF]); ok {
			out = append(out, o)
		}
	}
	return out
}

func pfDrivers(host *kernel.Host) map[string]string {
	drivers := map[string]string{}
	for _, pf := range host.PFs {
		drivers[pf.PCIAddr] = pf.Driver
	}
	return drivers
}

// stripOp removes from o what the PF's driver lacks; false when nothing is
// left to send.
func (c *Converger) stripOp(o Op, pfDriver string) (Op, bool) {
	lacks := func(attr string) bool {
		_, ok := c.unsupported[unsupportedKey{o.PF, pfDriver, attr}]
		return ok
	}
	switch o.Kind {
	case OpSetLink:
		return o, !lacks(AttrLink)
	case OpAutoprobe:
		return o, !lacks(AttrAutoprobe)
	case OpSetVF:
		var diffs []Diff
		for _, d := range o.Diffs {
			if lacks(d.Attr) {
				clearAttr(&o.Change, d.Attr)
			} else {
				diffs = append(diffs, d)
			}
		}
		o.Diffs = diffs
		return o, len(diffs) > 0
	}
	return o, true
}

func clearAttr(c *kernel.VFChange, attr string) {
	switch attr {
	case AttrMAC:
		c.MAC = nil
	case AttrVLAN:
		c.VLAN = nil
	case AttrRate:
		c.Rate = nil
	case AttrSpoofChk:
		c.SpoofChk = nil
	case AttrLinkState:
		c.LinkState = nil
	case AttrTrust:
		c.Trust = nil
	}
}

// apply runs one pass's writes. After a failed write the rest of what
// depends on it is skipped until the next observation: the PF's own writes
// and its VFs' after a PF write, that VF's after a VF write.
func (c *Converger) apply(ctx context.Context, log *slog.Logger, host *kernel.Host, ops []Op, r *Report) error {
	drivers := pfDrivers(host)
	failedPF, failedVF := map[string]bool{}, map[string]bool{}
	var last error
	for _, o := range ops {
		if err := ctx.Err(); err != nil {
			return err
		}
		if failedPF[o.PF] || (o.VF >= 0 && failedVF[o.Dev]) {
			continue
		}
		// What this pass learnt a driver lacks is not sent to its other VFs.
		o, ok := c.stripOp(o, drivers[o.PF])
		if !ok {
			continue
		}
		err := c.write(ctx, log, o, drivers[o.PF], r)
		if err == nil {
			continue
		}
		last = err
		r.Errors = append(r.Errors, OpError{Pass: r.Passes, Op: o.String(), PF: o.PF, VF: o.VF, Port: o.Port, Errno: errnoName(err), Err: err})
		log.Warn("kernel write failed", "pf", o.PF, "vf", o.VF, "port", o.Port, "op", o.String(), "err", err)
		if o.VF < 0 {
			failedPF[o.PF] = true
		} else {
			failedVF[o.Dev] = true
		}
	}
	return last
}

// write makes one write (a SetVF whose driver lacks an attribute is
// resent without it, once the attribute is known).
func (c *Converger) write(ctx context.Context, log *slog.Logger, o Op, pfDriver string, r *Report) error {
	log.Debug("kernel write", "pf", o.PF, "vf", o.VF, "port", o.Port, "op", o.String())
	call := func(f func() error) error {
		t := time.Now()
		r.Writes.add(o.Kind)
		err := f()
		r.KernelTime += time.Since(t)
		return err
	}
	switch o.Kind {
	case OpNumVFs:
		return call(func() error { return c.k.WriteNumVFs(ctx, o.Dev, o.Value) })
	case OpAutoprobe:
		err := call(func() error { return c.k.SetAutoprobe(ctx, o.Dev, o.On) })
		return c.lacking(o, pfDriver, AttrAutoprobe, err, r)
	case OpDriverOverride:
		return call(func() error { return c.k.SetDriverOverride(ctx, o.Dev, o.Value) })
	case OpUnbind:
		return call(func() error { return c.k.Unbind(ctx, o.Dev, o.Value) })
	case OpProbe:
		return call(func() error { return c.k.Probe(ctx, o.Dev) })
	case OpSetLink:
		err := call(func() error { return c.k.SetLink(ctx, o.Ifname, o.On, o.MTU) })
		return c.lacking(o, pfDriver, AttrLink, err, r)
	case OpSetVF:
		ch := o.Change
		for {
			err := call(func() error { return c.k.SetVF(ctx, o.Ifname, o.VF, ch) })
			if !errors.Is(err, syscall.EOPNOTSUPP) {
				return err
			}
			// The kernel applied the attributes before the one the driver
			// lacks; read which it stopped at, then send the rest.
			attr, rest := c.stoppedAt(ctx, o, ch, r)
			if attr == "" {
				return err
			}
			if c.lacking(o, pfDriver, attr, err, r) != nil {
				return err
			}
			if rest == (kernel.VFChange{}) {
				return nil
			}
			ch = rest
		}
	}
	return fmt.Errorf("unknown kernel operation %q", o.Kind)
}

// lacking records attr as unsupported by the PF's driver when err is
// EOPNOTSUPP, and then answers nil: the rest of the host goes on.
func (c *Converger) lacking(o Op, pfDriver, attr string, err error, r *Report) error {
	if !errors.Is(err, syscall.EOPNOTSUPP) {
		return err
	}
	k := unsupportedKey{o.PF, pfDriver, attr}
	if _, known := c.unsupported[k]; !known {
		u := Unsupported{PF: o.PF, Driver: pfDriver, Attr: attr, Errno: errnoName(err)}
		c.unsupported[k] = u
		r.Unsupported = append(r.Unsupported, u)
		c.log.Warn("driver lacks an operation; not sent again", "pf", o.PF, "driver", pfDriver, "attr", attr, "err", err)
	}
	return nil
}

// stoppedAt reads the VF back and finds the first attribute of ch, in the
// kernel's order, that did not take: the one the driver lacks. rest is what
// follows it.
func (c *Converger) stoppedAt(ctx context.Context, o Op, ch kernel.VFChange, r *Report) (string, kernel.VFChange) {
	t := time.Now()
	infos, err := c.k.VFs(ctx, o.Ifname)
	r.KernelTime += time.Since(t)
	if err != nil || o.VF >= len(infos) {
		return "", kernel.VFChange{}
	}
	info := infos[o.VF]
	rest := ch
	took := func(attr string, same bool) bool {
		clearAttr(&rest, attr)
		return same
	}
	if ch.MAC != nil && !took(AttrMAC, normMAC(info.MAC) == normMAC(*ch.MAC)) {
		return AttrMAC, rest
	}
	if v := ch.VLAN; v != nil && !took(AttrVLAN, info.VLAN == v.ID && info.QoS == v.QoS) {
		return AttrVLAN, rest
	}
	if v := ch.Rate; v != nil && !took(AttrRate, info.MinTxRate == v.Min && info.MaxTxRate == v.Max) {
		return AttrRate, rest
	}
	if v := ch.SpoofChk; v != nil && !took(AttrSpoofChk, info.SpoofChk == *v) {
		return AttrSpoofChk, rest
	}
	if v := ch.LinkState; v != nil && !took(AttrLinkState, info.LinkState == *v) {
		return AttrLinkState, rest
	}
	if v := ch.Trust; v != nil && !took(AttrTrust, info.Trust == *v) {
		return AttrTrust, rest
	}
	return "", kernel.VFChange{}
}

func errnoName(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if errno == syscall.EOPNOTSUPP {
			return "EOPNOTSUPP" // what the kernel's sources call it; ENOTSUP is the same number
		}
		if n := unix.ErrnoName(errno); n != "" {
			return n
		}
		return fmt.Sprintf("errno %d", int(errno))
	}
	return ""
}

// events turns the first plan's differences into events.
func events(ops []Op, drift bool) []Event {
	var out []Event
	for _, o := range ops {
		for _, d := range o.Diffs {
			out = append(out, Event{PF: o.PF, VF: o.VF, Port: o.Port, Attr: d.Attr, Found: d.Found, Want: d.Want, Drift: drift})
		}
	}
	return out
}

// restored marks the events no remaining write still has to close.
func (r *Report) restored(remaining []Op) {
	type key struct {
		pf   string
		vf   int
		attr string
	}
	open := map[key]bool{}
	for _, o := range remaining {
		for _, d := range o.Diffs {
			open[key{o.PF, o.VF, d.Attr}] = true
		}
	}
	for i, e := range r.Events {
		r.Events[i].Restored = !open[key{e.PF, e.VF, e.Attr}]
	}
}

// state fills the report's PFs and VFs from the last observation.
func (c *Converger) state(host *kernel.Host, desired Desired, r *Report) {
	ports := map[string]string{}
	for _, v := range desired.VFs {
		ports[fmt.Sprintf("%s/%d", v.PF, v.Index)] = v.PortID
	}
	vfErrs := map[string][]string{}
	for _, e := range r.Errors {
		if e.VF >= 0 {
			k := fmt.Sprintf("%s/%d", e.PF, e.VF)
			vfErrs[k] = append(vfErrs[k], e.Err.Error())
		}
	}
	lacks := map[string][]string{}
	for k := range c.unsupported {
		lacks[k.pf+"/"+k.driver] = append(lacks[k.pf+"/"+k.driver], k.attr)
	}
	for _, pf := range host.PFs {
		s := PFState{PCIAddr: pf.PCIAddr, Ifname: pf.Ifname, Driver: pf.Driver, MTU: pf.MTU, Oper: pf.Oper}
		s.Unsupported = sortedStrings(lacks[pf.PCIAddr+"/"+pf.Driver])
		if pf.SRIOV != nil {
			s.TotalVFs, s.NumVFs, s.Autoprobe = pf.SRIOV.TotalVFs, pf.SRIOV.NumVFs, pf.SRIOV.Autoprobe
			for _, vf := range pf.SRIOV.VFs {
				k := fmt.Sprintf("%s/%d", pf.PCIAddr, vf.Index)
				r.VFs = append(r.VFs, VFState{PF: pf.PCIAddr, Index: vf.Index, PCIAddr: vf.PCIAddr, Port: ports[k],
					Driver: vf.Driver, DriverOverride: vf.DriverOverride, Info: vf.Info, Errors: vfErrs[k]})
			}
		}
		r.PFs = append(r.PFs, s)
	}
}

func sortedStrings(s []string) []string {
	sort.Strings(s)
	return s
}

// String is a short human summary, for logs and the CLI.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "revision %d: converged=%v passes=%d writes sysfs=%d netlink=%d errors=%d events=%d",
		r.Revision, r.Converged, r.Passes, r.Writes.Sysfs, r.Writes.Netlink, len(r.Errors), len(r.Events))
	return b.String()
}
