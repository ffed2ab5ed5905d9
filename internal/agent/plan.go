package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"

	"vfnet/internal/kernel"
)

// Classes of Problem, for errors.Is.
var (
	// ErrInvalid: the desired state breaks a rule; the control plane must fix it.
	ErrInvalid = errors.New("invalid desired state")
	// ErrNotFound: the desired state names a device the host does not have.
	ErrNotFound = errors.New("not found on host")
	// ErrRefused: applying it would disturb a VF bound to a port.
	ErrRefused = errors.New("refused: a bound VF would be disturbed")
	// ErrUnsupported: the hardware or its driver cannot do it.
	ErrUnsupported = errors.New("unsupported by the device")
)

// Problem is a part of the desired state the agent does not apply, and why.
type Problem struct {
	PF   string `json:"pf,omitempty"`
	VF   int    `json:"vf"` // -1 for the PF itself
	Port string `json:"port_id,omitempty"`
	Err  error  `json:"-"`
}

func (p Problem) Error() string {
	obj := "host"
	switch {
	case p.PF != "" && p.VF >= 0:
		obj = fmt.Sprintf("PF %s VF %d", p.PF, p.VF)
	case p.PF != "":
		obj = "PF " + p.PF
	}
	if p.Port != "" {
		obj += " (port " + p.Port + ")"
	}
	return obj + ": " + p.Err.Error()
}

func (p Problem) Unwrap() error { return p.Err }

// MarshalJSON adds the message and its class (invalid, not_found, refused,
// unsupported) for the control plane.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	class := ""
	for name, c := range problemClasses() {
		if errors.Is(p.Err, c) {
			class = name
		}
	}
	return json.Marshal(struct {
		plain
		Class   string `json:"class"`
		Message string `json:"message"`
	}{plain(p), class, p.Error()})
}

// problemClasses names each class of Problem as the JSON carries it; a
// function, not a variable, so that no package state can be changed.
func problemClasses() map[string]error {
	return map[string]error{"invalid": ErrInvalid, "not_found": ErrNotFound, "refused": ErrRefused, "unsupported": ErrUnsupported}
}

func problem(pf string, vf int, port string, class error, format string, args ...any) Problem {
	return Problem{PF: pf, VF: vf, Port: port, Err: fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), class)}
}

// OpKind is one kind of kernel write, as kernel.Kernel has them.
type OpKind string

const (
	OpNumVFs         OpKind = "sriov_numvfs"
	OpAutoprobe      OpKind = "sriov_drivers_autoprobe"
	OpDriverOverride OpKind = "driver_override"
	OpUnbind         OpKind = "unbind"
	OpProbe          OpKind = "drivers_probe"
	OpSetLink        OpKind = "setlink"
	OpSetVF          OpKind = "setvf"
)

// Netlink tells a netlink message from a sysfs write.
func (k OpKind) Netlink() bool { return k == OpSetLink || k == OpSetVF }

// Attributes a Diff names; the VF ones are also what a driver may lack.
const (
	AttrNumVFs    = "numvfs"
	AttrAutoprobe = "drivers_autoprobe"
	AttrDriver    = "driver"
	AttrLink      = "link" // PF up/down and MTU
	AttrMAC       = "mac"
	AttrVLAN      = "vlan"
	AttrRate      = "rate"
	AttrSpoofChk  = "spoofchk"
	AttrLinkState = "link_state"
	AttrTrust     = "trust"
)

// Diff is one attribute the kernel holds differently from the desired state.
type Diff struct {
	Attr  string `json:"attr"`
	Found string `json:"found"`
	Want  string `json:"want"`
}

// Op is one kernel write. Diffs are the differences it closes (on the first
// op of a sequence, e.g. "0\n" before "8\n").
type Op struct {
	Kind   OpKind
	PF     string // PCI address of the PF concerned
	VF     int    // -1 for the PF itself
	Port   string // port bound to the VF (or passed-through PF), if any
	Dev    string // PCI address written: PF or VF
	Ifname string // PF netdev for SetLink and SetVF
	Value  string // sriov_numvfs bytes, driver_override, or the driver to unbind from
	On     bool   // autoprobe, link up
	MTU    int
	Change kernel.VFChange
	Diffs  []Diff
}

func (o Op) String() string {
	switch o.Kind {
	case OpNumVFs:
		return fmt.Sprintf("%s: write sriov_numvfs %q", o.Dev, o.Value)
	case OpAutoprobe:
		return fmt.Sprintf("%s: write sriov_drivers_autoprobe %d", o.Dev, b2i(o.On))
	case OpDriverOverride:
		return fmt.Sprintf("%s: write driver_override %q", o.Dev, o.Value)
	case OpUnbind:
		return fmt.Sprintf("%s: unbind from %s", o.Dev, o.Value)
	case OpProbe:
		return fmt.Sprintf("%s: drivers_probe", o.Dev)
	case OpSetLink:
		s := fmt.Sprintf("%s: set link %s", o.Ifname, upDown(o.On))
		if o.MTU > 0 {
			s += fmt.Sprintf(" mtu %d", o.MTU)
		}
		return s
	case OpSetVF:
		return fmt.Sprintf("%s vf %d: set %s", o.Ifname, o.VF, changeString(o.Change))
	}
	return string(o.Kind)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func upDown(b bool) string {
	if b {
		return "up"
	}
	return "down"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// changeString prints c in `ip link set PF vf N` words, in the kernel's order.
func changeString(c kernel.VFChange) string {
	var w []string
	if c.MAC != nil {
		w = append(w, "mac "+*c.MAC)
	}
	if c.VLAN != nil {
		w = append(w, vlanString(*c.VLAN))
	}
	if c.Rate != nil {
		w = append(w, rateString(*c.Rate))
	}
	if c.SpoofChk != nil {
		w = append(w, "spoofchk "+onOff(*c.SpoofChk))
	}
	if c.LinkState != nil {
		w = append(w, "state "+c.LinkState.String())
	}
	if c.Trust != nil {
		w = append(w, "trust "+onOff(*c.Trust))
	}
	return strings.Join(w, " ")
}

func vlanString(v kernel.VLAN) string {
	s := fmt.Sprintf("vlan %d qos %d", v.ID, v.QoS)
	if v.Proto == kernel.Proto8021AD {
		s += " proto 802.1ad"
	}
	return s
}

func rateString(r kernel.Rate) string {
	return fmt.Sprintf("min_tx_rate %d max_tx_rate %d", r.Min, r.Max)
}

// vfConfig is a VF's rtnetlink configuration as the planner compares it.
type vfConfig struct {
	MAC       string
	VLAN      kernel.VLAN
	Rate      kernel.Rate
	SpoofChk  bool
	LinkState kernel.LinkState
	Trust     bool
}

const zeroMAC = "00:00:00:00:00:00"

// freeConfig is what a VF without a binding holds: nothing of the last
// tenant's (ports-and-binding.md).
func freeConfig(maxRate int) vfConfig {
	return vfConfig{MAC: zeroMAC, Rate: kernel.Rate{Max: maxRate}, SpoofChk: true, LinkState: kernel.LinkDisable}
}

func boundConfig(d DesiredVF, maxRate int) vfConfig {
	return vfConfig{
		MAC: normMAC(d.MAC), VLAN: kernel.VLAN{ID: d.VLAN, QoS: d.QoS}, Rate: kernel.Rate{Max: maxRate},
		SpoofChk: d.SpoofChk, LinkState: d.LinkState, Trust: d.Trust,
	}
}

func normMAC(s string) string {
	hw, err := net.ParseMAC(s)
	if err != nil {
		return s
	}
	return hw.String()
}

// change is the VFChange that turns info into want, carrying only the
// attributes that differ, and what each difference is.
func (want vfConfig) change(info kernel.VFInfo) (kernel.VFChange, []Diff) {
	var c kernel.VFChange
	var diffs []Diff
	if mac := normMAC(info.MAC); mac != want.MAC {
		m := want.MAC
		c.MAC = &m
		diffs = append(diffs, Diff{AttrMAC, mac, m})
	}
	proto := info.Proto
	if proto == 0 {
		proto = kernel.Proto8021Q
	}
	wantProto := want.VLAN.Proto
	if wantProto == 0 {
		wantProto = kernel.Proto8021Q
	}
	if info.VLAN != want.VLAN.ID || info.QoS != want.VLAN.QoS || proto != wantProto {
		v := want.VLAN
		c.VLAN = &v
		diffs = append(diffs, Diff{AttrVLAN, vlanString(kernel.VLAN{ID: info.VLAN, QoS: info.QoS, Proto: info.Proto}), vlanString(v)})
	}
	if info.MinTxRate != want.Rate.Min || info.MaxTxRate != want.Rate.Max {
		r := want.Rate
		c.Rate = &r
		diffs = append(diffs, Diff{AttrRate, rateString(kernel.Rate{Min: info.MinTxRate, Max: info.MaxTxRate}), rateString(r)})
	}
	if info.SpoofChk != want.SpoofChk {
		b := want.SpoofChk
		c.SpoofChk = &b
		diffs = append(diffs, Diff{AttrSpoofChk, onOff(info.SpoofChk), onOff(b)})
	}
	if info.LinkState != want.LinkState {
		s := want.LinkState
		c.LinkState = &s
		diffs = append(diffs, Diff{AttrLinkState, info.LinkState.String(), s.String()})
	}
	if info.Trust != want.Trust {
		b := want.Trust
		c.Trust = &b
		diffs = append(diffs, Diff{AttrTrust, onOff(info.Trust), onOff(b)})
	}
	return c, diffs
}

// pinned drivers are only ever bound through driver_override; any other
// driver bound to a device with no override is the device's own.
func pinned(driver string) bool { return driver == VFIO || driver == "pci-stub" }

// driverOps moves dev to want (VFIO, or "" for its own driver by autoprobe)
// with driver_override, unbind and drivers_probe, skipping what already holds.
func driverOps(base Op, driver, override, want string) []Op {
	var ops []Op
	op := func(kind OpKind, value string) {
		o := base
		o.Kind, o.Value = kind, value
		ops = append(ops, o)
	}
	if want == "" {
		if override != "" {
			op(OpDriverOverride, "")
		}
		if driver == "" || pinned(driver) {
			if driver != "" {
				op(OpUnbind, driver)
			}
			op(OpProbe, "")
		}
	} else {
		if override != want {
			op(OpDriverOverride, want)
		}
		if driver != want {
			if driver != "" {
				op(OpUnbind, driver)
			}
			op(OpProbe, "")
		}
	}
	if len(ops) > 0 {
		ops[0].Diffs = []Diff{{AttrDriver, driverName(driver, override), driverName(want, want)}}
	}
	return ops
}

func driverName(driver, override string) string {
	s := driver
	if s == "" {
		s = "(none)"
	}
	if driver == "" && override == "" {
		s = "(own)"
	}
	if override != "" && override != driver {
		s += " override " + override
	}
	return s
}

func numVFsOp(pf kernel.PF, value string) Op {
	return Op{Kind: OpNumVFs, PF: pf.PCIAddr, VF: -1, Dev: pf.PCIAddr, Value: value}
}

// removeVFsOp takes a PF from cur VFs to none, as its own change.
func removeVFsOp(pf kernel.PF, cur int) Op {
	op := numVFsOp(pf, "0\n")
	op.Diffs = []Diff{{AttrNumVFs, fmt.Sprint(cur), "0"}}
	return op
}

// Plan computes the kernel writes, in order, that bring observed to desired,
// and what it will not do. A host that already matches gets no writes.
//
// VFs that a count change creates are not in observed; their drivers and
// settings are planned on the next observation, which the executor makes
// after applying this plan. A VF the desired state binds to a port is never
// removed (no count change on its PF) nor reset.
func Plan(desired Desired, observed *kernel.Host) ([]Op, []Problem) {
	var ops []Op
	var problems []Problem

	onHost := map[string]*kernel.PF{}
	for i := range observed.PFs {
		onHost[observed.PFs[i].PCIAddr] = &observed.PFs[i]
	}
	want := map[string]DesiredPF{}
	for _, d := range desired.PFs {
		switch {
		case want[d.PCIAddr].PCIAddr != "":
			problems = append(problems, problem(d.PCIAddr, -1, "", ErrInvalid, "listed twice; the first entry applies"))
			continue
		case onHost[d.PCIAddr] == nil:
			problems = append(problems, problem(d.PCIAddr, -1, "", ErrNotFound, "no such PCI function on this host"))
			continue
		}
		if p, ok := checkPF(d, onHost[d.PCIAddr]); !ok {
			problems = append(problems, p)
			continue
		}
		want[d.PCIAddr] = d
	}
	bound := map[string]map[int]DesiredVF{}
	for _, v := range desired.VFs {
		if bound[v.PF] == nil {
			bound[v.PF] = map[int]DesiredVF{}
		}
		if prev, dup := bound[v.PF][v.Index]; dup {
			problems = append(problems, problem(v.PF, v.Index, v.PortID, ErrInvalid, "bound twice (also to port %s); the first binding applies", prev.PortID))
			continue
		}
		if v.PortID == "" {
			problems = append(problems, problem(v.PF, v.Index, "", ErrInvalid, "listed without a port id; a VF without a binding is left out of the list and reset"))
			continue
		}
		if onHost[v.PF] == nil {
			problems = append(problems, problem(v.PF, v.Index, v.PortID, ErrNotFound, "bound to a VF of a PF this host does not have"))
			continue
		}
		if err := boundConfig(v, 0).validate(); err != nil {
			problems = append(problems, problem(v.PF, v.Index, v.PortID, ErrInvalid, "%v; fix the port", err))
			continue
		}
		if d, ok := want[v.PF]; ok && v.Index >= d.NumVFs {
			problems = append(problems, problem(v.PF, v.Index, v.PortID, ErrInvalid, "bound, but the PF is to have %d VFs (VF 0-%d)", d.NumVFs, d.NumVFs-1))
		}
		bound[v.PF][v.Index] = v
	}

	for i := range observed.PFs {
		pf := &observed.PFs[i]
		d, managed := want[pf.PCIAddr]
		pfOps, pfProblems := planPF(pf, d, managed, bound[pf.PCIAddr])
		ops = append(ops, pfOps...)
		problems = append(problems, pfProblems...)
	}
	return ops, problems
}

func (c vfConfig) validate() error {
	m, v := c.MAC, c.VLAN
	return kernel.VFChange{MAC: &m, VLAN: &v}.Validate()
}

// checkPF rejects a PF entry the kernel would refuse anyway.
func checkPF(d DesiredPF, pf *kernel.PF) (Problem, bool) {
	bad := func(class error, format string, args ...any) (Problem, bool) {
		return problem(d.PCIAddr, -1, d.PortID, class, format, args...), false
	}
	switch {
	case d.NumVFs < 0:
		return bad(ErrInvalid, "numvfs %d is negative", d.NumVFs)
	case d.Passthrough && d.NumVFs != 0:
		return bad(ErrInvalid, "pci-passthrough with numvfs %d; a passed-through PF has no VFs", d.NumVFs)
	case d.NumVFs > 0 && pf.SRIOV == nil:
		return bad(ErrUnsupported, "numvfs %d on a function without SR-IOV", d.NumVFs)
	case d.NumVFs > 0 && d.NumVFs > pf.SRIOV.TotalVFs:
		return bad(ErrInvalid, "numvfs %d above sriov_totalvfs %d", d.NumVFs, pf.SRIOV.TotalVFs)
	}
	for _, p := range d.Pools {
		if p.First < 0 || p.Count < 0 || p.First+p.Count > d.NumVFs {
			return bad(ErrInvalid, "VF pool %d-%d outside VFs 0-%d", p.First, p.First+p.Count-1, d.NumVFs-1)
		}
	}
	return Problem{}, true
}

// planPF plans one PF and its VFs.
func planPF(pf *kernel.PF, d DesiredPF, managed bool, bound map[int]DesiredVF) ([]Op, []Problem) {
	var ops []Op
	var problems []Problem
	cur := 0
	if pf.SRIOV != nil {
		cur = pf.SRIOV.NumVFs
	}
	// live are the bound VFs that exist now: the ones a count change kills.
	var live []DesiredVF
	for i := 0; i < cur; i++ {
		if v, ok := bound[i]; ok {
			live = append(live, v)
		}
	}

	if !managed {
		if cur == 0 {
			return nil, nil
		}
		if len(live) > 0 {
			problems = append(problems, problem(pf.PCIAddr, -1, "", ErrRefused,
				"no interface asks for its %d VFs, but VF %d is bound to port %s: kept", cur, live[0].Index, live[0].PortID))
			// Only the bound VFs are the control plane's to program.
			return append(ops, planVFs(pf, DesiredPF{}, bound, true)...), problems
		}
		return []Op{removeVFsOp(*pf, cur)}, nil
	}

	// A PF is moved between vfio-pci and its own driver first: without its
	// own driver it has no netdev and takes no sriov_numvfs.
	if wantDrv := d.driverWanted(); wantDrv != "" {
		// Passed through: VFs go first, while its own driver can remove them.
		if cur > 0 && len(live) == 0 {
			ops = append(ops, removeVFsOp(*pf, cur))
		}
		if cur > 0 && len(live) > 0 {
			problems = append(problems, problem(pf.PCIAddr, -1, d.PortID, ErrRefused,
				"to pass it through, its %d VFs must go, but VF %d is bound to port %s: kept", cur, live[0].Index, live[0].PortID))
			return ops, problems
		}
		ops = append(ops, driverOps(Op{PF: pf.PCIAddr, VF: -1, Port: d.PortID, Dev: pf.PCIAddr}, pf.Driver, pf.DriverOverride, wantDrv)...)
		return ops, problems
	}
	if move := driverOps(Op{PF: pf.PCIAddr, VF: -1, Dev: pf.PCIAddr}, pf.Driver, pf.DriverOverride, ""); len(move) > 0 {
		return move, nil // the rest once its driver is back
	}

	if !d.Passthrough && pf.Ifname != "" {
		// The administrative flag, not operstate: a port without a cable is
		// up as far as SetLink can make it, and stays operationally down.
		up := pf.AdminUp
		if up != d.Up || (d.MTU > 0 && pf.MTU != d.MTU) {
			op := Op{Kind: OpSetLink, PF: pf.PCIAddr, VF: -1, Dev: pf.PCIAddr, Ifname: pf.Ifname, On: d.Up, MTU: d.MTU}
			if up != d.Up {
				op.Diffs = append(op.Diffs, Diff{AttrLink, upDown(up), upDown(d.Up)})
			}
			if d.MTU > 0 && pf.MTU != d.MTU {
				op.Diffs = append(op.Diffs, Diff{"mtu", fmt.Sprint(pf.MTU), fmt.Sprint(d.MTU)})
			}
			ops = append(ops, op)
		}
	}
	if pf.SRIOV == nil {
		return ops, problems
	}

	// Autoprobe decides what a new VF binds to: off when the PF's VFs go to
	// vfio-pci, so that they are not bound to the NIC's driver first.
	if wantAuto := d.VFDriver == ""; d.NumVFs > 0 && pf.SRIOV.Autoprobe != wantAuto {
		ops = append(ops, Op{Kind: OpAutoprobe, PF: pf.PCIAddr, VF: -1, Dev: pf.PCIAddr, On: wantAuto,
			Diffs: []Diff{{AttrAutoprobe, fmt.Sprint(b2i(pf.SRIOV.Autoprobe)), fmt.Sprint(b2i(wantAuto))}}})
	}

	if d.NumVFs != cur {
		if len(live) > 0 {
			problems = append(problems, problem(pf.PCIAddr, -1, "", ErrRefused,
				"numvfs %d -> %d removes every VF, and VF %d is bound to port %s: kept at %d", cur, d.NumVFs, live[0].Index, live[0].PortID, cur))
		} else {
			if pf.Driver == "" {
				problems = append(problems, problem(pf.PCIAddr, -1, "", ErrUnsupported, "no driver bound, so sriov_numvfs cannot change (ENOENT)"))
				return ops, problems
			}
			diff := []Diff{{AttrNumVFs, fmt.Sprint(cur), fmt.Sprint(d.NumVFs)}}
			if cur > 0 {
				op := numVFsOp(*pf, "0\n")
				op.Diffs, diff = diff, nil
				ops = append(ops, op)
			}
			if d.NumVFs > 0 {
				op := numVFsOp(*pf, fmt.Sprintf("%d\n", d.NumVFs))
				op.Diffs = diff
				ops = append(ops, op)
			}
			// The new VFs are planned once they can be observed.
			return ops, problems
		}
	}
	ops = append(ops, planVFs(pf, d, bound, false)...)
	problems = append(problems, vfProblems(pf, bound)...)
	return ops, problems
}

// planVFs plans the drivers and settings of the PF's existing VFs; with
// boundOnly (a PF no interface claims) only the bound VFs' settings are
// planned, and every driver is left as it is.
func planVFs(pf *kernel.PF, d DesiredPF, bound map[int]DesiredVF, boundOnly bool) []Op {
	var ops []Op
	for _, vf := range pf.SRIOV.VFs {
		b, isBound := bound[vf.Index]
		if boundOnly && !isBound {
			continue
		}
		drv, maxRate := d.driverOf(vf.Index)
		base := Op{PF: pf.PCIAddr, VF: vf.Index, Port: b.PortID, Dev: vf.PCIAddr}
		if !boundOnly {
			ops = append(ops, driverOps(base, vf.Driver, vf.DriverOverride, drv)...)
		}
		if vf.Info == nil || pf.Ifname == "" {
			continue
		}
		cfg := freeConfig(maxRate)
		if isBound {
			cfg = boundConfig(b, maxRate)
		}
		if boundOnly {
			cfg.Rate = kernel.Rate{Min: vf.Info.MinTxRate, Max: vf.Info.MaxTxRate}
		}
		c, diffs := cfg.change(*vf.Info)
		if len(diffs) > 0 {
			base.Kind, base.Ifname, base.Change, base.Diffs = OpSetVF, pf.Ifname, c, diffs
			ops = append(ops, base)
		}
	}
	return ops
}

// vfProblems reports bound VFs the kernel cannot program.
func vfProblems(pf *kernel.PF, bound map[int]DesiredVF) []Problem {
	var out []Problem
	for _, vf := range pf.SRIOV.VFs {
		if b, ok := bound[vf.Index]; ok && (vf.Info == nil || pf.Ifname == "") {
			out = append(out, problem(pf.PCIAddr, vf.Index, b.PortID, ErrUnsupported, "the PF reports no VF settings (no netdev or no VF operations), so MAC and VLAN cannot be programmed"))
		}
	}
	return out
}
