package sim

import (
	"context"
	"fmt"
	"syscall"
)

// Op is one kind of kernel operation, for fault injection and write counts.
type Op string

// The operations of kernel.Kernel. All but OpObserve and OpVFs are writes.
const (
	OpObserve        Op = "observe"
	OpNumVFs         Op = "sriov_numvfs"
	OpAutoprobe      Op = "sriov_drivers_autoprobe"
	OpDriverOverride Op = "driver_override"
	OpUnbind         Op = "unbind"
	OpBind           Op = "bind"
	OpProbe          Op = "drivers_probe"
	OpSetLink        Op = "setlink"
	OpSetVF          Op = "setvf"
	OpVFs            Op = "vfs"
)

func (o Op) write() bool { return o != OpObserve && o != OpVFs }

func (o Op) valid() bool {
	switch o {
	case OpObserve, OpNumVFs, OpAutoprobe, OpDriverOverride, OpUnbind, OpBind, OpProbe, OpSetLink, OpSetVF, OpVFs:
		return true
	}
	return false
}

// Fault makes the next Times calls of Op on Device fail with Errno, before
// the operation looks at or changes anything. Device is what the operation
// names (PCI address, or netdev for SetLink, SetVF and VFs); "" matches any.
type Fault struct {
	Op     Op            `json:"op"`
	Device string        `json:"device,omitempty"`
	Errno  syscall.Errno `json:"errno"`
	Times  int           `json:"times"`
}

// InjectFault adds f; faults are kept in the host's state, so a fault
// injected by a test reaches an agent in another process.
func (k *Kernel) InjectFault(ctx context.Context, f Fault) error {
	if !f.Op.valid() {
		return fmt.Errorf("inject fault: unknown operation %q", f.Op)
	}
	if f.Errno == 0 || f.Times < 1 {
		return fmt.Errorf("inject fault into %s: need an errno and times >= 1, got %d and %d", f.Op, f.Errno, f.Times)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return k.locked(true, func(st *state) error {
		st.Faults = append(st.Faults, f)
		st.changed()
		return nil
	})
}

// takeFault consumes one use of the first fault matching o on dev.
func (st *state) takeFault(o Op, dev string) (syscall.Errno, bool) {
	for i := range st.Faults {
		f := &st.Faults[i]
		if !f.matches(o, dev) {
			continue
		}
		errno := f.Errno
		f.Times--
		if f.Times <= 0 {
			st.Faults = append(st.Faults[:i], st.Faults[i+1:]...)
		}
		st.changed()
		return errno, true
	}
	return 0, false
}

func (st *state) hasFault(o Op, dev string) bool {
	for _, f := range st.Faults {
		if f.matches(o, dev) {
			return true
		}
	}
	return false
}

func (f Fault) matches(o Op, dev string) bool {
	return f.Op == o && (f.Device == "" || f.Device == dev)
}

// Writes returns how many times each write operation was called since the
// host was created or ResetWrites, failed and no-op calls included: on a
// converged host an agent should make none.
func (k *Kernel) Writes(ctx context.Context) (map[Op]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[Op]int{}
	err := k.locked(false, func(st *state) error {
		for o, n := range st.Writes {
			out[o] = n
		}
		return nil
	})
	return out, err
}

// TotalWrites is the sum of Writes.
func (k *Kernel) TotalWrites(ctx context.Context) (int, error) {
	w, err := k.Writes(ctx)
	total := 0
	for _, n := range w {
		total += n
	}
	return total, err
}

// ResetWrites sets every write count to zero.
func (k *Kernel) ResetWrites(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return k.locked(true, func(st *state) error {
		st.Writes = map[Op]int{}
		return nil
	})
}
