//go:build !linux

package linux

import (
	"errors"
	"fmt"
	"runtime"
)

// Kernel exists on every platform so that callers compile everywhere; only
// Linux can build one.
type Kernel struct{}

// New fails: sysfs and rtnetlink exist only on Linux. Use internal/sim on
// other systems.
func New(opts Options) (*Kernel, error) {
	return nil, fmt.Errorf("vfnet's Linux kernel implementation needs Linux, this is %s (use the simulated kernel, vfnet dev): %w",
		runtime.GOOS, errors.ErrUnsupported)
}

// Close does nothing: no Kernel can exist here.
func (k *Kernel) Close() error { return nil }
