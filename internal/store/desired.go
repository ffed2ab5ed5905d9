package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"vfnet/internal/agent"
	"vfnet/internal/model"
)

// AgentTimeout is how long a host's agent may stay silent before the host
// is operationally disabled. Agents report at least every 30 s (their drift
// pass), so this is three missed passes.
const AgentTimeout = 90 * time.Second

// What a host's agent is told, and when (the protocol of issue 5):
//
// The desired state holds the host's interface configuration whatever its
// administrative state. Unlock is refused until the agent has applied the
// VF counts and drivers (model.CheckUnlock), so a locked host's agent must
// already run them; a locked host runs no VM (locking is refused while ports
// are bound), so reconfiguring its NICs disturbs nothing. What a locked host
// never gets is a bound VF: claims exist only on unlocked hosts. The
// revision bumps on every change that can alter what the agent applies:
// interface create/modify/delete, data network assign/remove, unlock, and
// claims.

// Desired returns host ref's desired state at its current revision, in the
// shape the agent converges to.
func (s *Store) Desired(ctx context.Context, ref string) (agent.Desired, error) {
	var d agent.Desired
	err := s.read(ctx, func(t *tx) error {
		h, c, err := hostAndConfig(ctx, t, ref)
		if err != nil {
			return err
		}
		bound, err := boundDesired(ctx, t, h.ID)
		if err != nil {
			return err
		}
		d = DesiredOf(h.DesiredRevision, c, bound)
		if d.Unsupported, err = lastUnsupported(ctx, t, h); err != nil {
			return err
		}
		return nil
	})
	return d, err
}

// DesiredOf is the desired state at revision rev of a host whose
// configuration is c and whose bound VFs are bound: one DesiredPF per PF a
// pci-sriov or pci-passthrough interface claims (model.DesiredPFs), its VF
// sub-interfaces as pools of VF numbers (model.SplitVFs, the one rule of
// who owns which VF), and the bound VFs as they are.
func DesiredOf(rev int64, c model.HostConfig, bound []agent.DesiredVF) agent.Desired {
	d := agent.Desired{Revision: rev, PFs: []agent.DesiredPF{}, VFs: bound}
	if d.VFs == nil {
		d.VFs = []agent.DesiredVF{}
	}
	for _, p := range c.DesiredPFs() {
		pf := agent.DesiredPF{PCIAddr: p.PCIAddr, NumVFs: p.NumVFs, MTU: p.MTU}
		if p.Class == model.IfClassPCIPassthrough {
			pf.Passthrough = true
			pf.PortID = passthroughPort(bound, p.PCIAddr)
			d.PFs = append(d.PFs, pf)
			continue
		}
		pf.Up = true
		if len(p.Pools) > 0 {
			pf.VFDriver = p.Pools[0].Driver.KernelDriver()
		}
		pf.Pools = vfPools(c, p)
		d.PFs = append(d.PFs, pf)
	}
	return d
}

// vfPools numbers the VFs of PF p's sub-interfaces: SplitVFs over the VF
// numbers 0..numvfs-1 says which each takes, whatever the port reports now.
func vfPools(c model.HostConfig, p model.DesiredPF) []agent.VFPool {
	parent, ok := c.InterfaceByName(p.Interface)
	if !ok {
		return nil
	}
	idx := make([]string, p.NumVFs)
	for i := range idx {
		idx[i] = strconv.Itoa(i)
	}
	split := model.SplitVFs(c, parent.ID, idx)
	var pools []agent.VFPool
	for _, i := range c.Interfaces {
		vfs := split[i.ID]
		if i.ID == parent.ID || len(vfs) == 0 {
			continue
		}
		first, _ := strconv.Atoi(vfs[0])
		pools = append(pools, agent.VFPool{First: first, Count: len(vfs), Driver: i.SRIOVVFDriver.KernelDriver(), MaxTxRate: i.MaxTxRate})
	}
	sort.Slice(pools, func(a, b int) bool { return pools[a].First < pools[b].First })
	return pools
}

// passthroughPort is the port bound to a passed-through PF, as a bound VF
// entry with index -1 names it.
func passthroughPort(bound []agent.DesiredVF, pf string) string {
	for _, v := range bound {
		if v.PF == pf && v.Index < 0 {
			return v.PortID
		}
	}
	return ""
}

// bumpRevision publishes a new desired revision of host id: its agent's
// long-poll returns, and the host is disabled until the agent has applied
// it. Every change to a host's configuration calls it in its transaction
// (claims use publishClaims, which leaves the host enabled).
func bumpRevision(ctx context.Context, t *tx, hostID string) error {
	if _, err := t.exec(ctx, `UPDATE hosts SET revision = revision + 1, config_revision = revision + 1, updated_at = ? WHERE id = ?`, nanos(t.now), hostID); err != nil {
		return fmt.Errorf("publish desired state of host %s: %w", hostID, err)
	}
	return refreshOperational(ctx, t, hostID, nil)
}

// refreshOperational recomputes the stored operational state of host id
// from what the agent last reported: enabled when it has reported, applied
// the revision of the host's last configuration change (config_revision:
// claims after it do not disable the host), and that report had no failure. Silence is judged
// when the host is read (markSilent), since no write happens then. h, when
// given, gets the result.
func refreshOperational(ctx context.Context, t *tx, hostID string, h *model.Host) error {
	_, err := t.exec(ctx, `UPDATE hosts SET operational = CASE
			WHEN last_report IS NOT NULL AND applied >= config_revision AND apply_failed = FALSE THEN 'enabled'
			ELSE 'disabled' END
		WHERE id = ?`, hostID)
	if err != nil {
		return fmt.Errorf("operational state of host %s: %w", hostID, err)
	}
	if h == nil {
		return nil
	}
	var op string
	if err := t.queryRow(ctx, `SELECT operational FROM hosts WHERE id = ?`, hostID).Scan(&op); err != nil {
		return fmt.Errorf("operational state of host %s: %w", hostID, err)
	}
	h.Operational = model.OperState(op)
	markSilent(h, t.now)
	return nil
}

// markSilent disables a host whose agent has not reported for AgentTimeout
// at now: the stored state says what the last report showed, this says
// whether it is still true.
func markSilent(h *model.Host, now time.Time) {
	if h.Operational == model.OperEnabled && (h.LastReport.IsZero() || now.Sub(h.LastReport) > AgentTimeout) {
		h.Operational = model.OperDisabled
	}
}

// HostRevision is one host's desired revision, for long-polls.
type HostRevision struct {
	ID       string
	Name     string
	Revision int64
}

// Revisions returns every host's desired revision: one cheap query that a
// server's long-polls share, whatever the number of waiting agents.
func (s *Store) Revisions(ctx context.Context) ([]HostRevision, error) {
	var out []HostRevision
	err := s.read(ctx, func(t *tx) error {
		rows, err := t.query(ctx, `SELECT id, name, revision FROM hosts`)
		if err != nil {
			return fmt.Errorf("read host revisions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r HostRevision
			if err := rows.Scan(&r.ID, &r.Name, &r.Revision); err != nil {
				return fmt.Errorf("read host revisions: %w", err)
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// Applied is an agent's report of what it applied: the agent's Report of
// one Converge.
type Applied = agent.Report

// ReportApplied records the agent's report of host ref: the revision it
// applied, the state it observed, its errors; updates the host's applied
// revision and operational state; and records events: drift put back (or
// not), kernel errors and refused parts when they change, VFs reset, and the
// first report of each revision.
func (s *Store) ReportApplied(ctx context.Context, ref string, r Applied) (model.Host, error) {
	var h model.Host
	body, err := json.Marshal(r)
	if err != nil {
		return h, fmt.Errorf("applied report of host %s: %w", ref, err)
	}
	unsupported, err := json.Marshal(nonNilList(knownUnsupported(r)))
	if err != nil {
		return h, fmt.Errorf("applied report of host %s: %w", ref, err)
	}
	err = s.write(ctx, func(t *tx) error {
		var err error
		if h, err = getHost(ctx, t, ref); err != nil {
			return err
		}
		if r.Revision < 0 || r.Revision > h.DesiredRevision {
			return invalid("host "+h.Hostname, "Host %s: the agent reports revision %d applied, but the desired revision is %d; report a revision the server published",
				h.Hostname, r.Revision, h.DesiredRevision)
		}
		var prevRev int64 = -1
		var prevDigest string
		err = t.queryRow(ctx, `SELECT revision, error_digest FROM host_applied WHERE host_id = ?`, h.ID).Scan(&prevRev, &prevDigest)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("applied report of host %s: %w", h.Hostname, err)
		}
		digest := errorDigest(r)
		failed := !r.Converged || digest != ""
		if _, err := t.exec(ctx, `DELETE FROM host_applied WHERE host_id = ?`, h.ID); err != nil {
			return fmt.Errorf("applied report of host %s: %w", h.Hostname, err)
		}
		if _, err := t.exec(ctx, `INSERT INTO host_applied (host_id, revision, converged, errors, unsupported, error_digest, report, reported_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, h.ID, r.Revision, r.Converged, len(r.Errors)+len(r.Problems), string(unsupported),
			digest, string(body), nanos(t.now)); err != nil {
			return fmt.Errorf("applied report of host %s: %w", h.Hostname, err)
		}
		if _, err := t.exec(ctx, `UPDATE hosts SET applied = ?, apply_failed = ?, last_report = ?, last_heartbeat = ?, updated_at = ? WHERE id = ?`,
			r.Revision, failed, nanos(t.now), nanos(t.now), nanos(t.now), h.ID); err != nil {
			return fmt.Errorf("applied report of host %s: %w", h.Hostname, err)
		}
		h.AppliedRevision, h.LastReport = r.Revision, t.now
		if err := refreshOperational(ctx, t, h.ID, &h); err != nil {
			return err
		}
		if err := settleClaims(ctx, t, h, r); err != nil {
			return err
		}
		return addEvents(ctx, t, h, reportEvents(r, prevRev, prevDigest, digest))
	})
	return h, err
}

// errorDigest is the report's failures as one string: kernel errors (op and
// errno, not the pass they happened in) and refused parts.
func errorDigest(r Applied) string {
	var parts []string
	for _, e := range r.Errors {
		parts = append(parts, e.Op+" "+e.Errno)
	}
	for _, p := range r.Problems {
		parts = append(parts, p.Error())
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}

// pfReset is what one report reset on one PF: its free VFs and the
// attributes put back on them.
type pfReset struct {
	vfs   map[int]bool
	attrs map[string]bool
}

// event is the reset as one event: "VF 3 of PF 0000:3b:00.0 reset: mac,
// vlan", or "VFs 0-5, 7 of PF ...: ..." when several VFs were reset.
func (p *pfReset) event(pf string) Event {
	vfs := make([]int, 0, len(p.vfs))
	for vf := range p.vfs {
		vfs = append(vfs, vf)
	}
	sort.Ints(vfs)
	attrs := make([]string, 0, len(p.attrs))
	for a := range p.attrs {
		attrs = append(attrs, a)
	}
	sort.Strings(attrs)
	obj, which := "PF "+pf, "VFs "+intRanges(vfs)
	if len(vfs) == 1 {
		obj += " VF " + strconv.Itoa(vfs[0])
		which = "VF " + strconv.Itoa(vfs[0])
	}
	return Event{Kind: EventReset, Object: obj, Message: fmt.Sprintf("%s of PF %s reset: %s", which, pf, strings.Join(attrs, ", "))}
}

// intRanges writes sorted, distinct ints as "0-5, 7, 9-10" so a reboot's
// reset of 64 VFs is one short line.
func intRanges(ns []int) string {
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(ns[i]))
		} else {
			parts = append(parts, strconv.Itoa(ns[i])+"-"+strconv.Itoa(ns[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// maxEventsPerReport bounds what one report records (a reboot of a host of
// 1,000 VFs is one summary, not 1,000 rows).
const maxEventsPerReport = 50

// reportEvents turns a report into events.
func reportEvents(r Applied, prevRev int64, prevDigest, digest string) []Event {
	var out []Event
	add := func(e Event) {
		if len(out) < maxEventsPerReport {
			out = append(out, e)
		}
	}
	// A reset is one event per PF, listing its VFs and the attributes put
	// back, not one per attribute: releasing one VF resets its MAC, VLAN,
	// spoof check and trust together, and an operator wants that as one
	// line. Drift stays per attribute: what was found and what was put back.
	drift, resets := 0, map[string]*pfReset{}
	for _, e := range r.Events {
		obj := "PF " + e.PF
		if e.VF >= 0 {
			obj += " VF " + strconv.Itoa(e.VF)
		}
		switch {
		case e.Drift:
			drift++
			add(Event{Kind: EventDrift, Object: obj, Message: e.String()})
		case e.VF >= 0 && e.Port == "":
			pr := resets[e.PF]
			if pr == nil {
				pr = &pfReset{vfs: map[int]bool{}, attrs: map[string]bool{}}
				resets[e.PF] = pr
			}
			pr.vfs[e.VF], pr.attrs[e.Attr] = true, true
		}
	}
	if drift > maxEventsPerReport {
		out[len(out)-1] = Event{Kind: EventDrift, Object: "host", Message: fmt.Sprintf("%d attributes had drifted; the first %d are listed", drift, maxEventsPerReport-1)}
	}
	pfs := make([]string, 0, len(resets))
	for pf := range resets {
		pfs = append(pfs, pf)
	}
	sort.Strings(pfs)
	for _, pf := range pfs {
		add(resets[pf].event(pf))
	}
	if digest != prevDigest || (digest != "" && r.Revision != prevRev) {
		for _, e := range r.Errors {
			obj := "PF " + e.PF
			if e.VF >= 0 {
				obj += " VF " + strconv.Itoa(e.VF)
			}
			msg := e.Op
			if e.Err != nil {
				msg += ": " + e.Err.Error()
			} else if e.Errno != "" {
				msg += ": " + e.Errno
			}
			add(Event{Kind: EventError, Object: obj, Message: msg})
		}
		for _, p := range r.Problems {
			add(Event{Kind: EventError, Object: "PF " + p.PF, Message: p.Error()})
		}
		if digest == "" && prevDigest != "" {
			add(Event{Kind: EventInfo, Object: "host", Message: "the errors of the last report are gone"})
		}
	}
	for _, u := range r.Unsupported {
		add(Event{Kind: EventInfo, Object: "PF " + u.PF, Message: fmt.Sprintf("driver %s does not support %s (%s); not sent again", u.Driver, u.Attr, u.Errno)})
	}
	if r.Revision != prevRev {
		add(Event{Kind: EventInfo, Object: "host", Message: fmt.Sprintf("revision %d applied: converged=%v, %d sysfs and %d netlink writes in %d passes",
			r.Revision, r.Converged, r.Writes.Sysfs, r.Writes.Netlink, r.Passes)})
	}
	return out
}

// knownUnsupported is everything the report says the host's drivers lack:
// Unsupported lists only what its pass learnt, while each PF's Unsupported
// lists all the agent knows. Keeping only the first would forget igb's
// missing link state at the next report, and a restarted agent would send it
// again (found in the lab, lab/workflow).
func knownUnsupported(r Applied) []agent.Unsupported {
	out := append([]agent.Unsupported(nil), r.Unsupported...)
	seen := map[[3]string]bool{}
	for _, u := range out {
		seen[[3]string{u.PF, u.Driver, u.Attr}] = true
	}
	for _, p := range r.PFs {
		for _, attr := range p.Unsupported {
			if k := [3]string{p.PCIAddr, p.Driver, attr}; !seen[k] {
				seen[k] = true
				out = append(out, agent.Unsupported{PF: p.PCIAddr, Driver: p.Driver, Attr: attr, Errno: "EOPNOTSUPP"})
			}
		}
	}
	return out
}

// lastUnsupported is what the host's drivers lack, from the last report.
func lastUnsupported(ctx context.Context, t *tx, h model.Host) ([]agent.Unsupported, error) {
	var raw string
	err := t.queryRow(ctx, `SELECT unsupported FROM host_applied WHERE host_id = ?`, h.ID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read applied report of host %s: %w", h.Hostname, err)
	}
	var out []agent.Unsupported
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("read applied report of host %s: unsupported: %w", h.Hostname, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// AppliedReport returns the last applied report of host ref and when it
// came; ok is false when the agent never reported one.
func (s *Store) AppliedReport(ctx context.Context, ref string) (r Applied, at time.Time, ok bool, err error) {
	err = s.read(ctx, func(t *tx) error {
		h, err := getHost(ctx, t, ref)
		if err != nil {
			return err
		}
		var raw string
		var n int64
		err = t.queryRow(ctx, `SELECT report, reported_at FROM host_applied WHERE host_id = ?`, h.ID).Scan(&raw, &n)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read applied report of host %s: %w", h.Hostname, err)
		}
		ok, at = true, fromNanos(n)
		return json.Unmarshal([]byte(raw), &r)
	})
	return r, at, ok, err
}

func nonNilList[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
